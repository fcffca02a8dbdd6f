"""The Superset scanner over recorded responses of a live Superset 6.1.0: calls, outcomes, redaction."""

from __future__ import annotations

import json
import urllib.parse

from seenby.model import ReadOutcome
from seenby.policies import evaluate
from seenby.scanners.superset import OPERATIONS, print_policy
from seenby.scanners.superset.redact import redact_uri
from seenby.snapshot import parse_snapshot
from tests.superset.helpers import KEYSTROKES, PAGE0, URL, responses, scan


def _declared(method: str, path: str) -> bool:
    for op in OPERATIONS:
        parts = op.path.split("/")
        given = path.split("/")
        same_shape = op.method.value == method and len(parts) == len(given)
        if same_shape and all(p == g or p == "{id}" for p, g in zip(parts, given, strict=True)):
            return True
    return False


def test_scan_makes_only_declared_get_calls_after_the_login():
    """Every call is a declared GET, except the declared login."""
    _, transport = scan()
    calls = [(m, urllib.parse.urlsplit(u).path) for m, u in transport.calls]
    assert all(_declared(m, p) for m, p in calls), [c for c in calls if not _declared(*c)]
    assert {m for m, p in calls if m != "GET"} <= {"POST"}
    assert all(p == "/login/" for m, p in calls if m == "POST")


def test_every_declared_operation_but_the_logins_is_a_get():
    """The declarations themselves allow no write."""
    assert all(op.is_read for op in OPERATIONS if not op.login)


def test_print_policy_lists_every_call_and_its_permission():
    """--print-policy names each call and the Superset permission it needs."""
    text = print_policy()
    assert all(op.api in text and op.permission in text for op in OPERATIONS)


def test_recorded_scan_reads_everything_it_was_given():
    """Replaying the recording asks for nothing the recording lacks (it is complete)."""
    _, transport = scan()
    assert transport.missed == []


def test_snapshot_of_a_scan_validates():
    """The scan's snapshot passes the snapshot schema."""
    snapshot, _ = scan()
    parse_snapshot(json.loads(json.dumps(snapshot.to_json())), source="scan")


def test_connection_password_never_reaches_the_snapshot():
    """A URI with a password and a secret query parameter is stored without both."""

    def with_password(r):
        result = r["GET /api/v1/database/1/connection"]["body"]["result"]
        result["sqlalchemy_uri"] = "postgresql://reader:hunter2@db.corp.example:5432/wh?sslmode=require&password=x"
        result["parameters"] = {"password": "hunter2", "host": "db.corp.example"}

    snapshot, _ = scan(responses(with_password))
    text = json.dumps(snapshot.to_json())
    assert "hunter2" not in text
    assert "postgresql://reader@db.corp.example:5432/wh?sslmode=require" in text


def test_redact_uri_keeps_dialect_project_and_schema():
    """A BigQuery or Athena URI keeps what lineage needs."""
    uri = "awsathena+rest://AKIA:secret@athena.eu-west-1.amazonaws.com:443/telemetry?s3_staging_dir=s3://x&aws_session_token=t"
    assert (
        redact_uri(uri)
        == "awsathena+rest://AKIA@athena.eu-west-1.amazonaws.com:443/telemetry?s3_staging_dir=s3%3A%2F%2Fx"
    )


def test_denied_roles_read_is_a_coverage_gap_on_every_dataset():
    """A 403 on the roles listing is a denied read, reported as a gap, not as "no roles"."""

    def deny(r):
        r[f"GET /api/v1/security/roles/{PAGE0}"] = {"status": 403, "body": {"message": "Forbidden"}}

    snapshot, _ = scan(responses(deny))
    evaluation = evaluate(snapshot)
    gap = next(g for g in evaluation.gaps if g.read == "roles")
    assert (gap.outcome, gap.error_code, KEYSTROKES in gap.datasets) == (ReadOutcome.DENIED, "HTTP403", True)


def test_missing_embedded_configuration_is_absent():
    """404 on a dashboard's embedded configuration means "not embedded", not a gap."""
    snapshot, _ = scan()
    dashboard = next(r for r in snapshot.of_type("superset.dashboard") if r.id.endswith("/1"))
    assert dashboard.reads["embedded"].outcome is ReadOutcome.ABSENT


def test_failed_dataset_listing_is_an_error_gap_on_every_dataset():
    """A 500 on the dataset listing is an error read on the server, a gap on every Superset dataset it holds."""

    def fail(r):
        r[f"GET /api/v1/dataset/{PAGE0}"] = {"status": 500, "body": {"message": "boom"}}

    evaluation = evaluate(scan(responses(fail))[0])
    gap = next(g for g in evaluation.gaps if g.read == "datasets")
    assert (gap.outcome, gap.error_code) == (ReadOutcome.ERROR, "HTTP500")
    assert set(evaluation.datasets) <= set(gap.datasets)


def test_token_scan_with_a_public_role_marks_the_listings_unknown():
    """With a bearer token and a Public role that holds permissions, the listings may be the anonymous view."""
    snapshot, _ = scan(token=True)
    instance = snapshot.of_type("superset.instance")[0]
    assert {instance.reads[k].error_code for k in ("dashboards", "datasets", "charts")} == {"PublicRoleShadowsToken"}


def test_failed_login_is_recorded_on_every_read():
    """A login that fails makes every read denied, never an empty server."""

    def refuse(r):
        r["GET /api/v1/me/"] = {"status": 401, "body": {"msg": "Not authorized"}}

    snapshot, _ = scan(responses(refuse))
    instance = snapshot.of_type("superset.instance")[0]
    assert instance.id == URL
    assert {r.outcome for r in instance.reads.values() if r.api != "seenby:declared"} == {ReadOutcome.DENIED}


def test_redact_uri_removes_the_password_behind_a_driver_with_an_underscore():
    """redshift+redshift_connector is no RFC 3986 scheme (urlsplit keeps it whole): the password still goes."""
    uri = "redshift+redshift_connector://reader:hunter2@c1.abc.eu-west-1.redshift.amazonaws.com:5439/dev"
    assert redact_uri(uri) == "redshift+redshift_connector://reader@c1.abc.eu-west-1.redshift.amazonaws.com:5439/dev"


def test_redact_uri_keeps_an_absolute_sqlite_path():
    """sqlite:////srv/w.db keeps its four slashes (an absolute path), not a host named srv."""
    assert redact_uri("sqlite:////srv/warehouse.db") == "sqlite:////srv/warehouse.db"
