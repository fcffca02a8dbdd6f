"""The example organisation's Superset (seenby/example_superset.py), merged with the example organisation."""

from __future__ import annotations

from datetime import date

from seenby.audit import audit
from seenby.config import load_rules
from seenby.demo.example_org import build
from seenby.example_superset import superset_resources
from seenby.snapshot import merge_snapshots, new_snapshot
from tests.superset.helpers import KEYSTROKES, ROOT, role

TELEMETRY = "bigquery://corp-telemetry.ml_raw"


def _example():
    return merge_snapshots([build(), new_snapshot(superset_resources(), scope={}, mode="example")])


def test_example_superset_holds_the_recorded_server():
    """superset_resources() is the recorded server, its three datasets and three dashboards."""
    types = [r.type for r in superset_resources()]
    assert sorted(types) == ["superset.dashboard"] * 3 + ["superset.dataset"] * 3 + ["superset.instance"]


def test_example_audit_finds_the_telemetry_charted_by_gamma():
    """rules.yaml declares ml_raw for the ML team; Gamma reaches it through Superset: an excess entry with that path."""
    findings = audit(_example(), load_rules(ROOT / "rules.yaml"), today=date(2026, 12, 7)).findings
    gamma = next(
        e for f in findings if f.dataset.id == TELEMETRY and f.level is not None
        for e in f.excess if e.principal.id == role("Gamma")
    )  # fmt: skip
    assert [step.node for step in gamma.path] == [role("Gamma"), KEYSTROKES, TELEMETRY]
