"""Superset datasets and dashboards are declarable in rules.yaml (kind superset-dataset, superset-dashboard)."""

from __future__ import annotations

from datetime import date

from seenby.audit import audit
from seenby.config import parse_rules
from tests.superset.helpers import KEYSTROKE_DASHBOARD, URL, role, scan

RULES = f"""
version: 1
datasets:
  - match: {{kind: superset-dashboard, id: "superset://superset.corp.example:8088/dashboard/*"}}
    read:
      ["superset:{URL}/role/Gamma", "superset:{URL}/role/Alpha", "superset:{URL}/role/Admin", "superset:{URL}/user/*"]
    admin: ["superset:{URL}/role/Admin", "superset:{URL}/user/*"]
  - match: {{kind: superset-dataset, id: keystrokes}}
    read: ["superset:{URL}/role/Admin"]
undeclared: {{action: ignore}}
"""


def _findings():
    return audit(scan()[0], parse_rules(RULES, source="rules.yaml"), today=date(2026, 12, 7)).findings


def test_declared_dashboard_audience_leaves_no_excess_finding():
    """Keystroke activity is read by Gamma, Alpha, Admin and owners: all declared, no finding."""
    assert [f for f in _findings() if f.dataset.id == KEYSTROKE_DASHBOARD and f.level is not None] == []


def test_superset_dataset_matched_by_name_reports_the_undeclared_roles():
    """The keystrokes dataset, declared for Admin only, reports Gamma and Alpha as excess readers."""
    excess = {e.principal.id for f in _findings() if f.dataset.name == "keystrokes" for e in f.excess}
    assert {role("Gamma"), role("Alpha")} <= excess
