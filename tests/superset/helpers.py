"""Recorded Superset responses (seenby/data/superset-responses.json, recorded from Superset 6.1.0) and scans of them."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seenby.model import AccessLevel, Evaluation, Grant
from seenby.policies import evaluate
from seenby.scanners.superset import Credentials, SupersetScanConfig, scan_superset
from seenby.scanners.superset.replay import RecordedTransport, load_recording
from seenby.snapshot import Snapshot

ROOT = Path(__file__).resolve().parents[2]
RECORDING = ROOT / "seenby" / "data" / "superset-responses.json"
URL, RESPONSES = load_recording(RECORDING)
PAGE0 = "?q=%28page%3A0%2Cpage_size%3A100%29"
DATASET_PREFIX = "superset://superset.corp.example:8088/dataset/"
DASHBOARD_PREFIX = "superset://superset.corp.example:8088/dashboard/"
# the seeded ids (seenby.demo.seed_superset)
KEYSTROKES, KEYSTROKES_RAW, DAILY_ACTIVITY = (f"{DATASET_PREFIX}{i}" for i in (1, 2, 3))
KEYSTROKE_DASHBOARD, DAILY_DASHBOARD, ML_RAW_DASHBOARD = (f"{DASHBOARD_PREFIX}{i}" for i in (1, 2, 3))
# charts (one per dashboard, in the same order) and connections: datasets inside the instance's reads
KEYSTROKE_CHART, DAILY_CHART, ML_RAW_CHART = (f"superset://superset.corp.example:8088/chart/{i}" for i in (1, 2, 3))
WAREHOUSE_DB, TELEMETRY_DB = (f"superset://superset.corp.example:8088/database/{i}" for i in (1, 2))
ROLE_IDS = {"Admin": 1, "Public": 2, "Alpha": 3, "Gamma": 4, "sql_lab": 5, "ml_team": 6}


def role(name: str) -> str:
    return f"superset:{URL}/role/{name}"


def user(name: str) -> str:
    return f"superset:{URL}/user/{name}"


PUBLIC = f"superset:{URL}/public"


def responses(edit: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """A copy of the recording, changed by ``edit``."""
    out = copy.deepcopy(RESPONSES)
    if edit is not None:
        edit(out)
    return out


def scan(
    recorded: dict[str, Any] | None = None, *, rbac: bool | None = True, token: bool = False
) -> tuple[Snapshot, RecordedTransport]:
    transport = RecordedTransport(recorded if recorded is not None else RESPONSES)
    creds = Credentials(token="replayed") if token else Credentials(username="auditor", password="not-used")
    config = SupersetScanConfig(url=URL, credentials=creds, dashboard_rbac=rbac, max_workers=2)
    return scan_superset(config, transport=transport), transport


def grants(evaluation: Evaluation, dataset: str, level: AccessLevel = AccessLevel.READ) -> dict[str, Grant]:
    """Principal id -> the grant on ``dataset`` at ``level`` (the unconditional one when there are several)."""
    out: dict[str, Grant] = {}
    for g in evaluation.grants:
        if g.dataset == dataset and g.level is level and (g.principal.id not in out or not g.conditional):
            out[g.principal.id] = g
    return out


def evaluated(**kwargs: Any) -> Evaluation:
    return evaluate(scan(**kwargs)[0])
