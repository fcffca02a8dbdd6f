"""Acceptance scenarios (g), (h), (i) of the example organisation, in miniature."""

from __future__ import annotations

from seenby.model import AccessLevel, EvidenceKind, PrincipalKind
from tests.gcp.builders import (
    PROJECT,
    binding,
    bq_dataset,
    bq_table,
    bucket,
    domain,
    evaluate,
    grants,
    org,
    policy,
    project,
    view_entry,
)

ML_RAW = f"bigquery://{PROJECT}.ml_raw"
SHARED = f"bigquery://{PROJECT}.shared_reporting"
VIEW = f"bigquery://{PROJECT}.shared_reporting.daily_activity"


def _keystrokes():
    return evaluate(
        org(),
        project(),
        bucket("corp-keystrokes", iam=policy(binding("roles/storage.objectViewer", "domain:corp.example"))),
        domain("corp.example", 3),
    )


def test_g_domain_reads_keystrokes() -> None:
    """(g) objectViewer to domain: on a uniform, PAP-inherited bucket is a READ grant to the domain class; https://cloud.google.com/storage/docs/access-control/iam-roles"""
    ev = _keystrokes()
    [grant] = grants(ev, "gs://corp-keystrokes", AccessLevel.READ)
    assert grant.principal.id == "domain:corp.example"
    assert grant.principal.kind is PrincipalKind.DOMAIN
    assert not grant.conditional
    assert grant.evidence[0].kind is EvidenceKind.IAM_BINDING
    assert (grant.evidence[0].source, grant.evidence[0].location) == ("gs://corp-keystrokes", "bindings[0]")


def test_g_bucket_dataset_record() -> None:
    """(g) the bucket is a GCS_BUCKET dataset gs://NAME in its project, with location and labels; https://cloud.google.com/storage/docs/json_api/v1/buckets"""
    ds = _keystrokes().datasets["gs://corp-keystrokes"]
    assert (ds.kind.value, ds.account, ds.location) == ("gcs-bucket", PROJECT, "EU")


def test_g_domain_people_counted() -> None:
    """(g) the directory users read counts the people behind domain:corp.example; https://developers.google.com/admin-sdk/directory/reference/rest/v1/users/list"""
    assert _keystrokes().class_people["domain:corp.example"] == 3


def test_h_public_access_prevention_removes_public_grant() -> None:
    """(h) allUsers objectViewer on a bucket with publicAccessPrevention enforced opens nothing; https://cloud.google.com/storage/docs/public-access-prevention"""
    ev = evaluate(
        org(),
        project(),
        bucket(
            "corp-public-site-assets",
            pap="enforced",
            iam=policy(binding("roles/storage.objectViewer", "allUsers", "group:web@corp.example")),
        ),
    )
    readers = {g.principal.id for g in grants(ev, "gs://corp-public-site-assets", AccessLevel.READ)}
    assert readers == {"group:web@corp.example"}


def _ml_raw():
    return evaluate(
        org(),
        project(),
        bq_dataset(
            "ml_raw",
            {"role": "READER", "groupByEmail": "ml-team@corp.example"},
            {"role": "OWNER", "userByEmail": "owner@corp.example"},
            view_entry("shared_reporting", "daily_activity"),
        ),
        bq_dataset("shared_reporting", {"role": "READER", "groupByEmail": "all-employees@corp.example"}),
        bq_table("ml_raw", "events"),
        bq_table(
            "shared_reporting",
            "daily_activity",
            kind="VIEW",
            query=f"SELECT day, COUNT(*) FROM `{PROJECT}.ml_raw.events` GROUP BY day",
        ),
    )


def test_i_view_readers_are_granted_on_the_view() -> None:
    """(i) a view's readers include its dataset's READERs, with the dataset entry as evidence; https://cloud.google.com/bigquery/docs/control-access-to-resources-iam"""
    [grant] = grants(_ml_raw(), VIEW, AccessLevel.READ)
    assert grant.principal.id == "group:all-employees@corp.example"
    assert (grant.evidence[0].kind, grant.evidence[0].source) == (EvidenceKind.ACCESS_ENTRY, SHARED)


def test_i_authorized_view_reexposes_ml_raw() -> None:
    """(i) the authorized-view entry of ml_raw is a re-exposure from the view to ml_raw; https://cloud.google.com/bigquery/docs/authorized-views"""
    ev = _ml_raw()
    pairs = {(r.via, r.dataset) for r in ev.reexposures}
    assert (VIEW, ML_RAW) in pairs
    [record] = [r for r in ev.reexposures if r.dataset == ML_RAW]
    assert (record.evidence[0].kind, record.evidence[0].location) == (EvidenceKind.ACCESS_ENTRY, "access[2]")


def test_i_all_employees_reach_ml_raw_only_through_the_view() -> None:
    """(i) all-employees has no direct grant on ml_raw but reaches it: READ on the view + re-exposure; https://cloud.google.com/bigquery/docs/authorized-views"""
    ev = _ml_raw()
    direct = {g.principal.id for g in grants(ev, ML_RAW, AccessLevel.READ)}
    assert direct == {"group:ml-team@corp.example", "user:owner@corp.example"}
    via_views = {r.via for r in ev.reexposures if r.dataset == ML_RAW}
    reached = {g.principal.id for v in via_views for g in grants(ev, v, AccessLevel.READ)}
    assert "group:all-employees@corp.example" in reached


def test_i_view_sql_names_the_table_it_reexposes() -> None:
    """(i) the view's SQL names ml_raw.events, so the re-exposure also reaches that table; https://cloud.google.com/bigquery/docs/authorized-views"""
    pairs = {(r.via, r.dataset) for r in _ml_raw().reexposures}
    assert (VIEW, f"{ML_RAW}.events") in pairs


def test_i_graph_finds_all_employees_reading_ml_raw() -> None:
    """(i) the reachability graph over these records finds all-employees' members reading ml_raw via the view; https://cloud.google.com/bigquery/docs/authorized-views"""
    from seenby.graph.audience import audience
    from seenby.graph.build import build_graph
    from tests.gcp.builders import group

    ev = _ml_raw()
    ev.extend(evaluate(group("all-employees@corp.example", ("USER", "emp@corp.example"))))
    reach = {r.principal.id: r for r in audience(build_graph(ev), ML_RAW, AccessLevel.READ)}
    assert {"group:all-employees@corp.example", "user:emp@corp.example"} <= set(reach)
    assert not reach["user:emp@corp.example"].conditional
