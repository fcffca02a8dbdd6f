"""BigQuery access entries, table policies and authorized views / datasets / routines."""

from __future__ import annotations

import pytest

from seenby.model import AccessLevel, EvidenceKind
from tests.gcp.builders import (
    DENIED,
    PROJECT,
    audience,
    binding,
    bq_dataset,
    bq_table,
    conditional_audience,
    evaluate,
    grants,
    org,
    policy,
    project,
    view_entry,
)

R, W, A, L = AccessLevel.READ, AccessLevel.WRITE, AccessLevel.ADMIN, AccessLevel.LIST
DS = f"bigquery://{PROJECT}.ds"
TABLE = f"{DS}.t"

ENTRY_ROLES = [
    ("READER", {R, L}),
    ("WRITER", {R, W, L}),
    ("OWNER", {R, W, A, L}),
    ("roles/bigquery.dataViewer", {R, L}),
    ("roles/bigquery.metadataViewer", {L}),
]


@pytest.mark.parametrize(("role", "levels"), ENTRY_ROLES, ids=[e[0] for e in ENTRY_ROLES])
def test_access_entry_role(role: str, levels: set[AccessLevel]) -> None:
    """READER reads, WRITER also writes, OWNER also administers; IAM roles in entries work too; https://cloud.google.com/bigquery/docs/access-control-basic-roles#dataset-basic-roles"""
    ev = evaluate(org(), project(), bq_dataset("ds", {"role": role, "userByEmail": "a@corp.example"}))
    assert {lvl for lvl in AccessLevel if "user:a@corp.example" in audience(ev, DS, lvl)} == levels


def test_access_entry_evidence() -> None:
    """A dataset grant quotes ACCESS_ENTRY access[i] of the dataset; https://cloud.google.com/bigquery/docs/reference/rest/v2/datasets#Dataset.FIELDS.access"""
    ev = evaluate(org(), project(), bq_dataset("ds", {"role": "OWNER", "userByEmail": "o@corp.example"},
                                               {"role": "READER", "domain": "corp.example"}))
    [grant] = grants(ev, DS, R, "domain:corp.example")
    assert (grant.evidence[0].kind, grant.evidence[0].source, grant.evidence[0].location) == (
        EvidenceKind.ACCESS_ENTRY, DS, "access[1]")


def test_dataset_record() -> None:
    """A dataset is BIGQUERY_DATASET bigquery://P.D with project, location and labels; https://cloud.google.com/bigquery/docs/reference/rest/v2/datasets"""
    ds = evaluate(org(), project(), bq_dataset("ds")).datasets[DS]
    expected = ("bigquery-dataset", PROJECT, "EU", {"team": "ml"})
    assert (ds.kind.value, ds.account, ds.location, dict(ds.tags)) == expected


def test_special_group_project_readers_expands_to_viewers() -> None:
    """specialGroup projectReaders is resolved to the project's roles/viewer holders; https://cloud.google.com/bigquery/docs/access-control-basic-roles"""
    ev = evaluate(org(), project(iam=policy(binding("roles/viewer", "group:everyone@corp.example"))),
                  bq_dataset("ds", {"role": "READER", "specialGroup": "projectReaders"}))
    assert audience(ev, DS, R) == {"group:everyone@corp.example"}


def test_table_gets_dataset_entries_and_its_own_policy() -> None:
    """A table's readers are its dataset's READERs plus its own allow policy; https://cloud.google.com/bigquery/docs/control-access-to-resources-iam"""
    ev = evaluate(
        org(), project(),
        bq_dataset("ds", {"role": "READER", "groupByEmail": "d@corp.example"}),
        bq_table("ds", "t", iam=policy(binding("roles/bigquery.dataViewer", "user:t@corp.example"))),
    )
    assert audience(ev, TABLE, R) == {"group:d@corp.example", "user:t@corp.example"}
    [own] = grants(ev, TABLE, R, "user:t@corp.example")
    assert (own.evidence[0].source, own.evidence[0].location) == (TABLE, "bindings[0]")


def test_table_policy_does_not_widen_the_dataset() -> None:
    """A table-level binding grants on that table only, not on its dataset; https://cloud.google.com/bigquery/docs/control-access-to-resources-iam"""
    ev = evaluate(org(), project(), bq_dataset("ds"),
                  bq_table("ds", "t", iam=policy(binding("roles/bigquery.dataOwner", "user:t@corp.example"))))
    assert grants(ev, DS, R, "user:t@corp.example") == [] and grants(ev, DS, A, "user:t@corp.example") == []


def test_unreadable_dataset_keeps_inherited_bindings() -> None:
    """If dataset metadata is unreadable, project bindings still grant (the gap is reported separately); https://cloud.google.com/bigquery/docs/access-control"""
    ev = evaluate(org(), project(iam=policy(binding("roles/bigquery.dataViewer", "group:p@corp.example"))),
                  bq_dataset("ds", metadata=DENIED), bq_table("ds", "t"))
    assert audience(ev, TABLE, R) == {"group:p@corp.example"}


def test_conditional_access_entry_is_conditional() -> None:
    """An access entry whose IAM condition is not decided offline is a conditional grant; https://cloud.google.com/bigquery/docs/conditions"""
    entry = {"role": "roles/bigquery.dataViewer", "userByEmail": "c@corp.example",
             "condition": {"title": "t", "expression": "resource.matchTag('123/env', 'prod')"}}
    ev = evaluate(org(), project(), bq_dataset("ds", entry))
    assert conditional_audience(ev, DS, R) == {"user:c@corp.example"}


def test_access_level_entry_narrows_all_authenticated_users_to_its_callers() -> None:
    """An access entry for allAuthenticatedUsers under an access level opens the dataset to the callers from that
    level, a network audience; https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels"""
    expression = "'accessPolicies/1/accessLevels/corp' in request.auth.access_levels"
    entry = {"role": "roles/bigquery.dataViewer", "iamMember": "allAuthenticatedUsers",
             "condition": {"title": "t", "expression": expression}}
    ev = evaluate(org(), project(), bq_dataset("ds", entry))
    assert (audience(ev, DS, R), conditional_audience(ev, DS, R)) == (
        {"gcp-access-level:accessPolicies/1/accessLevels/corp"}, set())


def test_authorized_dataset_reexposes_through_its_views() -> None:
    """An authorized-dataset entry re-exposes the source through the authorized dataset and each of its views; https://cloud.google.com/bigquery/docs/authorized-datasets"""
    entry = {"dataset": {"dataset": {"projectId": PROJECT, "datasetId": "shared"}, "targetTypes": ["VIEWS"]}}
    ev = evaluate(org(), project(), bq_dataset("ds", entry), bq_dataset("shared"),
                  bq_table("shared", "v", kind="VIEW", query="SELECT 1"), bq_table("shared", "plain", kind="TABLE"))
    vias = {r.via for r in ev.reexposures if r.dataset == DS}
    assert vias == {f"bigquery://{PROJECT}.shared", f"bigquery://{PROJECT}.shared.v"}


def test_authorized_routine_reexposes_through_its_dataset() -> None:
    """An authorized routine lets whoever can call it in its dataset read the source; https://cloud.google.com/bigquery/docs/authorized-routines"""
    entry = {"routine": {"projectId": PROJECT, "datasetId": "udfs", "routineId": "mask"}}
    ev = evaluate(org(), project(), bq_dataset("ds", entry), bq_dataset("udfs"))
    [record] = ev.reexposures
    assert (record.via, record.dataset) == (f"bigquery://{PROJECT}.udfs", DS)
    assert "mask" in record.evidence[0].note


def test_unscanned_view_falls_back_to_its_dataset() -> None:
    """A view missing from the scan is stood in for by its dataset, so its readers are not lost; https://cloud.google.com/bigquery/docs/authorized-views"""
    ev = evaluate(org(), project(), bq_dataset("ds", view_entry("shared", "v")), bq_dataset("shared"))
    assert {r.via for r in ev.reexposures} == {f"bigquery://{PROJECT}.shared.v", f"bigquery://{PROJECT}.shared"}


def test_view_sql_unknown_reexposes_every_table() -> None:
    """When the view's SQL was not read, it may read any table of the source dataset (fail closed); https://cloud.google.com/bigquery/docs/authorized-views"""
    ev = evaluate(org(), project(), bq_dataset("ds", view_entry("shared", "v")), bq_dataset("shared"),
                  bq_table("ds", "a"), bq_table("ds", "b"), bq_table("shared", "v", kind="VIEW"))
    targets = {r.dataset for r in ev.reexposures if r.via == f"bigquery://{PROJECT}.shared.v"}
    assert targets == {DS, f"{DS}.a", f"{DS}.b"}


def test_public_dataset_via_iam_member() -> None:
    """iamMember allUsers on a dataset is a public READ (no prevention exists for BigQuery); https://cloud.google.com/bigquery/docs/reference/rest/v2/datasets#Dataset.FIELDS.access"""
    ev = evaluate(org(), project(), bq_dataset("ds", {"role": "READER", "iamMember": "allUsers"}))
    assert "allUsers" in audience(ev, DS, R)


def test_conditional_table_binding_is_conditional() -> None:
    """A binding under a condition not decided offline in a table's allow policy is a conditional grant on it; https://cloud.google.com/bigquery/docs/conditions"""
    condition = {"title": "tagged", "expression": "resource.matchTag('123/env', 'prod')"}
    iam = policy(binding("roles/bigquery.dataViewer", "user:temp@corp.example", condition=condition))
    ev = evaluate(org(), project(), bq_dataset("ds"), bq_table("ds", "t", iam=iam))
    assert conditional_audience(ev, TABLE, R) == {"user:temp@corp.example"}


def test_access_level_table_binding_narrows_a_domain_to_its_callers_from_there() -> None:
    """A domain bound on a table under an access level reaches it as the domain's callers from that level
    (inside both); https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels"""
    condition = {"title": "corp", "expression": "'accessPolicies/1/accessLevels/corp' in request.auth.access_levels"}
    iam = policy(binding("roles/bigquery.dataViewer", "domain:corp.example", condition=condition))
    ev = evaluate(org(), project(), bq_dataset("ds"), bq_table("ds", "t", iam=iam))
    assert (audience(ev, TABLE, R), conditional_audience(ev, TABLE, R)) == (
        {"domain:corp.example@gcp-access-level:accessPolicies/1/accessLevels/corp"}, set())


def test_other_providers_resources_are_ignored() -> None:
    """The GCP evaluator reads only gcp.* resource types; https://cloud.google.com/bigquery/docs/access-control"""
    from seenby.snapshot import Resource

    aws = Resource(type="aws.s3.bucket", id="arn:aws:s3:::x", reads={})
    ev = evaluate(org(), project(), bq_dataset("ds"), aws)
    assert set(ev.datasets) == {DS}
