"""End to end: a Superset snapshot merged with a separate cloud snapshot, audited against rules.yaml."""

from __future__ import annotations

from datetime import date

from seenby.audit import audit
from seenby.config import load_rules
from seenby.demo.example_org import build
from seenby.snapshot import merge_snapshots, new_snapshot
from tests.superset.helpers import KEYSTROKE_DASHBOARD, KEYSTROKES, ROOT, role, scan

TELEMETRY = "bigquery://corp-telemetry.ml_raw"


def _findings():
    example = build()
    cloud = new_snapshot([r for r in example.resources if not r.type.startswith("superset.")], scope=example.scope,
                         mode="example")  # fmt: skip
    superset, _ = scan()
    merged = merge_snapshots([cloud, superset])
    return audit(merged, load_rules(ROOT / "rules.yaml"), today=date(2026, 12, 7)).findings


def test_gamma_viewing_the_telemetry_through_superset_is_a_finding_on_the_bigquery_dataset():
    """Gamma opens Keystroke activity (DASHBOARD_RBAC), whose chart queries ml_raw: excess on the BigQuery dataset."""
    gamma = next(
        e for f in _findings() if f.dataset.id == TELEMETRY and f.level is not None
        for e in f.excess if e.principal.id == role("Gamma")
    )  # fmt: skip
    assert [step.node for step in gamma.path] == [role("Gamma"), KEYSTROKE_DASHBOARD, KEYSTROKES, TELEMETRY]
