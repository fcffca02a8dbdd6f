"""SQL Lab and connections (policies/superset/sqllab.py): who may run SQL on a connection, and what it re-exposes.

Superset 6.1.0's ``raise_for_access``: a SQL Lab query runs on every table of a connection for a user
who ``can_access_database`` (all_datasource_access, all_database_access, or database_access on it);
running SQL needs ``can execute_sql_query on SQLLab`` (``can sql_json`` before).  RLS is not applied
in SQL Lab unless RLS_IN_SQLLAB (off by default).  https://superset.apache.org/docs/security/
"""

from __future__ import annotations

from seenby.demo.example_org import build
from seenby.policies import evaluate
from seenby.policies.superset.sqllab import NOT_AUDITED, NOT_SCANNED
from tests.superset.helpers import (
    DAILY_ACTIVITY,
    KEYSTROKES,
    KEYSTROKES_RAW,
    ROLE_IDS,
    TELEMETRY_DB,
    URL,
    WAREHOUSE_DB,
    evaluated,
    grants,
    responses,
    scan,
)

REDSHIFT = "redshift+psycopg2://reader@analytics.abc123xyz.eu-west-1.redshift.amazonaws.com:5439/dev"


def _roles(evaluation, dataset):
    return {p.rsplit("/", 1)[-1] for p in grants(evaluation, dataset) if p.startswith(f"superset:{URL}/role/")}


def _connection(uri=None, *, impersonate=False):
    """Edit the warehouse connection (database 1)."""

    def edit(r):
        result = r["GET /api/v1/database/1/connection"]["body"]["result"]
        if uri is not None:
            result["sqlalchemy_uri"] = uri
        result["impersonate_user"] = impersonate

    return edit


def test_connection_is_read_by_roles_that_run_sql_and_access_the_whole_database():
    """sql_lab (execute_sql_query + database_access on corp-telemetry) and Admin; not Alpha (no SQL Lab), not Gamma."""
    assert _roles(evaluated(), TELEMETRY_DB) == {"Admin", "sql_lab"}


def test_database_access_on_another_connection_opens_nothing_here():
    """sql_lab's database_access names corp-telemetry: the warehouse connection is Admin's alone."""
    assert _roles(evaluated(), WAREHOUSE_DB) == {"Admin"}


def test_legacy_sql_json_permission_runs_sql_lab_too():
    """A role with can sql_json on Superset (before Superset 4) and database_access queries the connection."""

    def gamma_runs_sql(r):
        perms = r[f"GET /api/v1/security/roles/{ROLE_IDS['Gamma']}/permissions/"]["body"]["result"]
        perms.append({"id": 9001, "permission_name": "can_sql_json", "view_menu_name": "Superset"})
        perms.append({"id": 9002, "permission_name": "database_access", "view_menu_name": "[warehouse].(id:1)"})

    assert "Gamma" in _roles(evaluate(scan(responses(gamma_runs_sql))[0]), WAREHOUSE_DB)


def test_sql_lab_grant_is_whole_even_where_rls_narrows_the_dataset():
    """RLS is not applied in SQL Lab by default: a grant on the connection carries no row filter."""
    grant = grants(evaluated(), TELEMETRY_DB)[f"superset:{URL}/role/sql_lab"]
    assert [d for e in grant.evidence for d in e.decided] == [] and not grant.conditional


def test_connection_reexposes_its_project_conditionally_beyond_the_tables_its_datasets_read():
    """Merged with the cloud: ml_raw (read by the keystrokes dataset) unconditionally; shared_reporting if the
    connection's credentials can read it."""
    via = {r.dataset: bool(r.conditions) for r in evaluate(build()).reexposures if r.via == TELEMETRY_DB}
    assert via["bigquery://corp-telemetry.ml_raw"] is False
    assert via["bigquery://corp-telemetry.shared_reporting"] is True
    assert not [d for d in via if not d.startswith("bigquery://corp-telemetry.")]


def test_bigquery_project_not_in_the_snapshot_is_a_coverage_gap():
    """Scanned alone, the corp-telemetry connection reads tables the snapshot lacks: a gap, never silence."""
    gap = next(g for g in evaluated().gaps if g.resource == TELEMETRY_DB)
    assert (gap.error_code, KEYSTROKES in gap.datasets) == (NOT_SCANNED, True)


def test_bigquery_project_in_the_snapshot_leaves_no_gap():
    """Merged with the example's BigQuery, the connection's tables are all held: no gap on it."""
    assert not [g for g in evaluate(build()).gaps if g.resource == TELEMETRY_DB]


def test_redshift_connection_is_a_coverage_gap_seenby_does_not_audit():
    """seenby has no Redshift evaluator: a connection to a cluster is a gap naming it, on the datasets over it."""
    evaluation = evaluate(scan(responses(_connection(REDSHIFT)))[0])
    gap = next(g for g in evaluation.gaps if g.resource == WAREHOUSE_DB)
    assert gap.error_code == NOT_AUDITED and "analytics (eu-west-1), database dev" in (gap.message or "")
    assert {KEYSTROKES_RAW, DAILY_ACTIVITY} <= set(gap.datasets)
    assert not [r for r in evaluation.reexposures if r.via == WAREHOUSE_DB]


def test_sqlite_connection_is_no_gap():
    """A connection to a database that is no cloud warehouse is audited as its Superset datasets: no gap."""
    assert not [g for g in evaluated().gaps if g.resource == WAREHOUSE_DB]


def test_impersonating_connection_reexposes_nothing_and_leaves_no_gap():
    """impersonate_user: the warehouse checks the viewer's own access; Superset re-exposes nothing."""

    def impersonate(r):
        r["GET /api/v1/database/2/connection"]["body"]["result"]["impersonate_user"] = True

    evaluation = evaluate(scan(responses(impersonate))[0])
    assert not [r for r in evaluation.reexposures if r.via in (TELEMETRY_DB, KEYSTROKES)]
    assert not [g for g in evaluation.gaps if g.resource == TELEMETRY_DB]
