"""The example organisation's BI server (seenby/demo/example_superset.py), part of example_org.build()."""

from __future__ import annotations

from datetime import date

from seenby.audit import audit
from seenby.config import load_rules
from seenby.demo.example_org import build
from seenby.demo.example_superset import superset_resources
from tests.superset.helpers import KEYSTROKE_DASHBOARD, KEYSTROKES, PUBLIC, ROOT, role

TELEMETRY = "bigquery://corp-telemetry.ml_raw"


def _findings():
    return audit(build(), load_rules(ROOT / "rules.yaml"), today=date(2026, 12, 7)).findings


def test_example_superset_holds_the_recorded_server():
    """superset_resources() is the recorded server: its instance, three datasets and three dashboards."""
    types = [r.type for r in superset_resources()]
    assert sorted(types) == ["superset.dashboard"] * 3 + ["superset.dataset"] * 3 + ["superset.instance"]


def test_example_org_includes_the_superset_server():
    """build() holds the recorded Superset and names it in its scope."""
    example = build()
    assert len(example.of_type("superset.instance")) == 1
    assert example.scope["superset_urls"] == [example.of_type("superset.instance")[0].id]


def test_example_audit_finds_the_telemetry_viewed_by_gamma_through_a_dashboard():
    """ml_raw is declared for the ML team; Gamma reaches it through Keystroke activity and its dataset."""
    gamma = next(
        e for f in _findings() if f.dataset.id == TELEMETRY and f.level is not None
        for e in f.excess if e.principal.id == role("Gamma")
    )  # fmt: skip
    assert [step.node for step in gamma.path] == [role("Gamma"), KEYSTROKE_DASHBOARD, KEYSTROKES, TELEMETRY]


def test_example_ml_team_role_is_declared_for_the_telemetry():
    """rules.yaml's ml-training audience names the Superset ml_team role: it is no excess on ml_raw."""
    excess = {e.principal.id for f in _findings() if f.dataset.id == TELEMETRY for e in f.excess}
    assert role("ml_team") not in excess and role("Gamma") in excess


def test_example_public_role_makes_daily_activity_public():
    """Anonymous visitors hold the Public role's datasource access to daily_activity: SB001 on the Superset dataset."""
    public = {f.dataset.name for f in _findings() if f.rule_id == "SB001" for e in f.excess if e.principal.id == PUBLIC}
    assert public == {"Daily activity", "Daily activity: daily_activity", "daily_activity"}
