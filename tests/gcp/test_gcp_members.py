"""Member strings, ACL entities and BigQuery access entries normalise to one principal id each."""

from __future__ import annotations

import pytest

from seenby.model import PrincipalKind
from seenby.policies.gcp.members import acl_entity_member, bigquery_entry_member, member_principal

MEMBERS = [
    ("user:Alice@Corp.Example", "user:alice@corp.example", PrincipalKind.USER),
    ("group:ML-Team@corp.example", "group:ml-team@corp.example", PrincipalKind.GROUP),
    ("serviceAccount:etl@p.iam.gserviceaccount.com", "serviceAccount:etl@p.iam.gserviceaccount.com",
     PrincipalKind.SERVICE_ACCOUNT),
    ("domain:corp.example", "domain:corp.example", PrincipalKind.DOMAIN),
    ("allUsers", "allUsers", PrincipalKind.PUBLIC),
    ("allAuthenticatedUsers", "allAuthenticatedUsers", PrincipalKind.ANY_AUTHENTICATED),
    ("deleted:user:bob@corp.example?uid=123", "deleted:user:bob@corp.example?uid=123", PrincipalKind.USER),
    ("projectViewer:corp-telemetry", "projectViewer:corp-telemetry", PrincipalKind.GROUP),
    ("principal://goog/subject/Carol@corp.example", "user:carol@corp.example", PrincipalKind.USER),
    ("principalSet://goog/group/Eng@corp.example", "group:eng@corp.example", PrincipalKind.GROUP),
    ("principal://iam.googleapis.com/locations/global/workforcePools/p/subject/s1",
     "principal://iam.googleapis.com/locations/global/workforcePools/p/subject/s1", PrincipalKind.FEDERATED),
    ("principalSet://iam.googleapis.com/locations/global/workforcePools/p/*",
     "principalSet://iam.googleapis.com/locations/global/workforcePools/p/*", PrincipalKind.ORGANIZATION),
]


@pytest.mark.parametrize(("member", "expected_id", "kind"), MEMBERS, ids=[m[0] for m in MEMBERS])
def test_member_principal(member: str, expected_id: str, kind: PrincipalKind) -> None:
    """Each IAM member form maps to its canonical id and kind; https://cloud.google.com/iam/docs/principal-identifiers"""
    principal = member_principal(member)
    assert (principal.id, principal.kind) == (expected_id, kind)


def test_deleted_member_is_named_as_deleted() -> None:
    """A deleted: member is kept, with a name that says so; https://cloud.google.com/iam/docs/principal-identifiers#deleted"""
    assert member_principal("deleted:group:old@corp.example?uid=9").name == "deleted group:old@corp.example"


ACL_ENTITIES = [
    ("allUsers", "allUsers"),
    ("allAuthenticatedUsers", "allAuthenticatedUsers"),
    ("user-alice@corp.example", "user:alice@corp.example"),
    ("group-ml@corp.example", "group:ml@corp.example"),
    ("domain-corp.example", "domain:corp.example"),
    ("project-viewers-2001", "projectViewer:corp-telemetry"),
    ("project-owners-2001", "projectOwner:corp-telemetry"),
    ("project-editors-9999", "projectEditor:9999"),
]


@pytest.mark.parametrize(("entity", "member"), ACL_ENTITIES, ids=[e[0] for e in ACL_ENTITIES])
def test_acl_entity(entity: str, member: str) -> None:
    """ACL entities map to IAM members; project teams to convenience members by project id; https://cloud.google.com/storage/docs/access-control/lists#scopes"""
    assert acl_entity_member(entity, {"2001": "corp-telemetry"}) == member


ACCESS_ENTRIES = [
    ({"role": "READER", "userByEmail": "a@corp.example"}, "user:a@corp.example"),
    ({"role": "READER", "userByEmail": "etl@p.iam.gserviceaccount.com"},
     "serviceAccount:etl@p.iam.gserviceaccount.com"),
    ({"role": "READER", "groupByEmail": "g@corp.example"}, "group:g@corp.example"),
    ({"role": "READER", "domain": "corp.example"}, "domain:corp.example"),
    ({"role": "READER", "specialGroup": "projectReaders"}, "projectViewer:p"),
    ({"role": "WRITER", "specialGroup": "projectWriters"}, "projectEditor:p"),
    ({"role": "OWNER", "specialGroup": "projectOwners"}, "projectOwner:p"),
    ({"role": "READER", "specialGroup": "allAuthenticatedUsers"}, "allAuthenticatedUsers"),
    ({"role": "READER", "iamMember": "allUsers"}, "allUsers"),
    ({"view": {"projectId": "p", "datasetId": "d", "tableId": "v"}}, None),
]


@pytest.mark.parametrize(("entry", "member"), ACCESS_ENTRIES, ids=[str(e[1]) for e in ACCESS_ENTRIES])
def test_bigquery_entry_member(entry: dict, member: str | None) -> None:
    """Dataset access entry principals map to IAM members; special groups to basic-role holders; https://cloud.google.com/bigquery/docs/reference/rest/v2/datasets#Dataset.FIELDS.access"""
    assert bigquery_entry_member(entry, "p") == member


SERVICE_ACCOUNTS = [
    ("serviceAccount:etl@corp-data.iam.gserviceaccount.com", "corp-data"),
    ("serviceAccount:123-compute@developer.gserviceaccount.com", None),
]


@pytest.mark.parametrize(("member", "project"), SERVICE_ACCOUNTS, ids=["user-managed", "google-managed"])
def test_service_account_project(member: str, project: str | None) -> None:
    """A user-managed service account belongs to the project in its email, so other-project access is visible; https://cloud.google.com/iam/docs/service-account-types"""
    assert member_principal(member).account == project
