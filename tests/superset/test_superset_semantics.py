"""Who sees each Superset dataset and dashboard, one documented rule per test (docs/superset.md).

Every test evaluates a scan of seenby/data/superset-responses.json, recorded from a live Superset
6.1.0 seeded by seenby.demo.seed_superset.  Rules from https://superset.apache.org/docs/security/
and Superset 6.1.0's ``SupersetSecurityManager.raise_for_access`` (dashboards and datasources).
"""

from __future__ import annotations

import pytest

from seenby.model import AccessLevel, ConditionFamily, EdgeKind
from tests.superset.helpers import (
    DAILY_ACTIVITY,
    DAILY_DASHBOARD,
    KEYSTROKE_DASHBOARD,
    KEYSTROKES,
    KEYSTROKES_RAW,
    ML_RAW_DASHBOARD,
    PUBLIC,
    URL,
    evaluated,
    grants,
    role,
    user,
)

# dataset -> the roles that read it, and why (security docs: "Customizing permissions")
DATASET_READERS = [
    pytest.param(KEYSTROKES, {"Admin", "Alpha", "sql_lab"}, id="database_access on the BigQuery connection: sql_lab"),
    pytest.param(KEYSTROKES_RAW, {"Admin", "Alpha", "ml_team"}, id="schema_access on [warehouse].[main]: ml_team"),
    pytest.param(DAILY_ACTIVITY, {"Admin", "Alpha", "ml_team", "Public"}, id="datasource_access: Public"),
]


@pytest.mark.parametrize(("dataset", "roles"), DATASET_READERS)
def test_dataset_is_read_by_the_roles_whose_data_permissions_reach_it(dataset, roles):
    """all_datasource_access (Alpha), Admin, schema and datasource access decide a dataset's reading roles."""
    readers = grants(evaluated(), dataset)
    assert {p.rsplit("/", 1)[-1] for p in readers if p.startswith(f"superset:{URL}/role/")} == roles


def test_dataset_owner_reads_and_administers_it():
    """An owner passes raise_for_access (is_owner) and edits the dataset."""
    evaluation = evaluated()
    owner = user("seenby-admin")
    assert owner in grants(evaluation, KEYSTROKES) and owner in grants(evaluation, KEYSTROKES, AccessLevel.ADMIN)


def test_rls_filter_makes_the_grant_partial_not_absent():
    """A Regular RLS filter on ml_team keeps its grant, with the filter as a DATA_PART condition."""
    grant = grants(evaluated(), KEYSTROKES_RAW)[role("ml_team")]
    decided = [d for e in grant.evidence for d in e.decided]
    assert not grant.conditional
    assert [(d.family, "team = 'ml'" in d.how) for d in decided] == [(ConditionFamily.DATA_PART, True)]


def test_rls_filter_does_not_narrow_roles_it_does_not_name():
    """A Regular filter applies to its roles only: Alpha's grant on the same table is whole."""
    grant = grants(evaluated(), KEYSTROKES_RAW)[role("Alpha")]
    assert [d for e in grant.evidence for d in e.decided] == []


def test_users_are_members_of_their_roles():
    """alice holds Gamma and ml_team."""
    edges = {(e.source.id, e.target.id) for e in evaluated().edges if e.kind is EdgeKind.MEMBER_OF}
    assert {(user("alice"), role("Gamma")), (user("alice"), role("ml_team"))} <= edges


def test_inactive_user_is_a_member_of_nothing():
    """carol is inactive and cannot sign in."""
    assert not [e for e in evaluated().edges if e.source.id == user("carol")]


def test_anonymous_visitors_hold_the_public_roles_grants():
    """AUTH_ROLE_PUBLIC: anonymous visitors (a public class) read what the Public role reads."""
    grant = grants(evaluated(), DAILY_ACTIVITY)[PUBLIC]
    assert (grant.principal.kind.value, grant.conditional) == ("public", False)


def test_dashboard_without_roles_is_seen_by_readers_of_its_datasets():
    """Regular RBAC: access to one of the dashboard's datasets opens it (Gamma, through the keystrokes)."""
    assert role("Gamma") in grants(evaluated(), KEYSTROKE_DASHBOARD)


def test_dashboard_rbac_on_draft_with_roles_is_seen_by_owners_and_admin_only():
    """DASHBOARD_RBAC: a draft with roles opens to nobody through its roles, and not through data access."""
    readers = set(grants(evaluated(rbac=True), ML_RAW_DASHBOARD))
    assert readers == {user("alice"), role("Admin")}


def test_dashboard_rbac_off_ignores_the_dashboard_roles():
    """Without DASHBOARD_RBAC, dashboard roles mean nothing; dataset access decides, published or not."""
    readers = set(grants(evaluated(rbac=False), ML_RAW_DASHBOARD))
    dataset_owner = user("seenby-admin")
    assert readers == {user("alice"), role("Admin"), role("Alpha"), role("ml_team"), dataset_owner}


def test_dashboard_rbac_unknown_keeps_the_data_access_reading_conditional():
    """An undeclared DASHBOARD_RBAC keeps the flag-off reading, conditional on the flag."""
    grant = grants(evaluated(rbac=None), ML_RAW_DASHBOARD)[role("ml_team")]
    assert [c.expression["DASHBOARD_RBAC"] for c in grant.conditions] == ["off"]


def test_public_role_sees_the_dashboard_over_its_dataset():
    """The Public role's datasource access opens Daily activity to anonymous visitors."""
    assert role("Public") in grants(evaluated(), DAILY_DASHBOARD)


def test_embedded_dashboard_opens_to_guests_conditionally():
    """An embedded dashboard and its datasets are seen by the host application's guests: a conditional public grant."""
    evaluation = evaluated()
    guest = next(g for g in grants(evaluation, DAILY_DASHBOARD).values() if "/embedded/" in g.principal.id)
    assert (guest.principal.kind.value, guest.conditional) == ("public", True)
    assert guest.principal.id in grants(evaluation, DAILY_ACTIVITY)


def test_admin_role_administers_every_dashboard():
    """The Admin role (is_admin) sees and edits every dashboard."""
    evaluation = evaluated()
    dashboards = (KEYSTROKE_DASHBOARD, DAILY_DASHBOARD, ML_RAW_DASHBOARD)
    assert all(role("Admin") in grants(evaluation, d, AccessLevel.ADMIN) for d in dashboards)


def test_bigquery_dataset_reexposes_the_bigquery_table():
    """A dataset over bigquery://corp-telemetry re-exposes ml_raw.keystrokes to its readers."""
    targets = {(r.via, r.dataset) for r in evaluated().reexposures}
    assert (KEYSTROKES, "bigquery://corp-telemetry.ml_raw.keystrokes") in targets


def test_dashboard_rbac_role_reads_the_dashboards_dataset_through_it_only():
    """Gamma holds no data permission on keystrokes; it opens Keystroke activity, which re-exposes the dataset."""
    evaluation = evaluated(rbac=True)
    assert role("Gamma") not in grants(evaluation, KEYSTROKES)
    assert role("Gamma") in grants(evaluation, KEYSTROKE_DASHBOARD)
    assert (KEYSTROKE_DASHBOARD, KEYSTROKES) in {(r.via, r.dataset) for r in evaluation.reexposures}


def test_dashboard_rbac_draft_reexposes_its_datasets_to_whoever_may_open_it():
    """raise_for_access: owners and Admin open a draft with roles, and query its charts' datasets through it."""
    vias = {(r.via, r.dataset) for r in evaluated(rbac=True).reexposures}
    assert (ML_RAW_DASHBOARD, KEYSTROKES_RAW) in vias


def test_dashboard_rbac_off_reexposes_nothing_through_dashboards():
    """Without DASHBOARD_RBAC a dashboard's viewers need access to its datasets: no re-exposure through it."""
    vias = {r.via for r in evaluated(rbac=False).reexposures}
    assert not {KEYSTROKE_DASHBOARD, DAILY_DASHBOARD, ML_RAW_DASHBOARD} & vias
