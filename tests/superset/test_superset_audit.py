"""End to end: the example organisation plus its Superset, audited against rules.yaml."""

from __future__ import annotations

from datetime import date

from seenby.audit import audit
from seenby.config import load_rules
from seenby.demo.example_org import build
from seenby.snapshot import merge_snapshots
from tests.superset.helpers import KEYSTROKES, ROOT, role, scan

TELEMETRY = "bigquery://corp-telemetry.ml_raw"


def _findings():
    superset, _ = scan()
    merged = merge_snapshots([build(), superset])
    return audit(merged, load_rules(ROOT / "rules.yaml"), today=date(2026, 12, 7)).findings


def test_gamma_reading_the_telemetry_through_superset_is_a_finding_on_the_bigquery_dataset():
    """The Gamma role reaches bigquery://corp-telemetry.ml_raw through the Superset dataset: excess, with that path."""
    gamma = next(
        e for f in _findings() if f.dataset.id == TELEMETRY and f.level is not None
        for e in f.excess if e.principal.id == role("Gamma")
    )  # fmt: skip
    assert [step.node for step in gamma.path] == [role("Gamma"), KEYSTROKES, TELEMETRY]
