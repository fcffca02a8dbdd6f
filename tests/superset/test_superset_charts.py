"""Who sees each Superset chart (policies/superset/charts.py), one documented rule per test.

Superset 6.1.0's ``raise_for_access`` runs a chart's query for whoever reads its datasource
(schema or datasource access, the all_* permissions, ownership of the datasource), and, through a
dashboard, for the viewers of a DASHBOARD_RBAC dashboard with roles and for embedded guests
(https://superset.apache.org/docs/security/).
"""

from __future__ import annotations

from seenby.model import AccessLevel
from seenby.policies import evaluate
from tests.superset.helpers import (
    DAILY_ACTIVITY,
    DAILY_CHART,
    KEYSTROKE_CHART,
    KEYSTROKE_DASHBOARD,
    ML_RAW_CHART,
    PAGE0,
    PUBLIC,
    evaluated,
    grants,
    responses,
    role,
    scan,
    user,
)


def test_chart_is_read_by_the_readers_of_its_datasource():
    """Daily activity's chart is read by exactly the principals that read daily_activity (guests aside)."""
    evaluation = evaluated()
    chart = {p for p in grants(evaluation, DAILY_CHART) if "/embedded/" not in p}
    dataset = {p for p in grants(evaluation, DAILY_ACTIVITY) if "/embedded/" not in p}
    assert chart == dataset and PUBLIC in chart


def test_chart_on_a_dashboard_rbac_dashboard_is_reexposed_by_the_dashboard():
    """Gamma holds no data permission; it sees Keystroke activity's chart through the dashboard's roles."""
    evaluation = evaluated(rbac=True)
    assert role("Gamma") not in grants(evaluation, KEYSTROKE_CHART)
    assert (KEYSTROKE_DASHBOARD, KEYSTROKE_CHART) in {(r.via, r.dataset) for r in evaluation.reexposures}


def test_embedded_guests_see_the_charts_of_their_dashboard_only():
    """The guests of Daily activity's embedding see its chart, not the charts of other dashboards."""
    evaluation = evaluated()
    guest = next(p for p in grants(evaluation, DAILY_CHART) if "/embedded/" in p)
    assert grants(evaluation, DAILY_CHART)[guest].conditional
    assert guest not in grants(evaluation, KEYSTROKE_CHART) and guest not in grants(evaluation, ML_RAW_CHART)


def test_chart_owner_edits_the_chart_but_reads_it_only_through_its_datasource():
    """bob, made owner of the ML raw chart, administers it; without access to keystrokes_by_team he does not read it."""

    def bob_owns_ml_raw_chart(r):
        charts = r[f"GET /api/v1/chart/{PAGE0}"]["body"]["result"]
        chart = next(c for c in charts if c["id"] == 3)
        chart["owners"] = [{"id": 3, "first_name": "bob", "last_name": "example"}]

    evaluation = evaluate(scan(responses(bob_owns_ml_raw_chart))[0])
    assert user("bob") in grants(evaluation, ML_RAW_CHART, AccessLevel.ADMIN)
    assert user("bob") not in grants(evaluation, ML_RAW_CHART)


def test_admin_role_reaches_every_chart():
    """The Admin role reads and administers every chart."""
    evaluation = evaluated()
    charts = (KEYSTROKE_CHART, DAILY_CHART, ML_RAW_CHART)
    levels = (AccessLevel.READ, AccessLevel.ADMIN)
    assert all(role("Admin") in grants(evaluation, c, level) for c in charts for level in levels)
