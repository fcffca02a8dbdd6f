"""Google documents in every valid shape the APIs return: allow policies, bucket metadata and ACLs,
BigQuery access entries.  Each case states the documented verdict, or an equivalence with the
plain shape seenby's own fixtures use."""

from __future__ import annotations

from typing import Any

import pytest

from seenby.model import AccessLevel
from tests.gcp.builders import (
    PROJECT,
    PROJECT_NUMBER,
    audience,
    binding,
    bq_dataset,
    bucket,
    conditional_audience,
    evaluate,
    grants,
    group,
    org,
    policy,
    project,
)

R, W, A, L = AccessLevel.READ, AccessLevel.WRITE, AccessLevel.ADMIN, AccessLevel.LIST
B, DS = "gs://b", f"bigquery://{PROJECT}.ds"
POLICY = "https://cloud.google.com/iam/docs/reference/rest/v1/Policy"
VERSIONS = "https://cloud.google.com/iam/docs/policies#versions"
UBLA = "https://cloud.google.com/storage/docs/json_api/v1/buckets#iamConfiguration"
PAP = "https://cloud.google.com/storage/docs/public-access-prevention"
ACL_SCOPES = "https://cloud.google.com/storage/docs/access-control/lists#scopes"
BQ_ACCESS = "https://cloud.google.com/bigquery/docs/reference/rest/v2/datasets#Dataset.FIELDS.access"


def _bucket_view(ev: Any) -> dict[AccessLevel, tuple[set[str], set[str]]]:
    return {lv: (audience(ev, B, lv), conditional_audience(ev, B, lv)) for lv in (R, W, A, L)}


def _on_bucket(iam: Any = None, **kw: Any) -> Any:
    return evaluate(org(), project(), bucket("b", iam=iam, **kw))


VIEWER = binding("roles/storage.objectViewer", "user:alice@corp.example", "allUsers")

# (id, unusual allow policy, plain equivalent, source)
POLICY_EQUIVALENT = [
    ("version-1", {"version": 1, "bindings": [VIEWER], "etag": "BwX"}, policy(VIEWER), VERSIONS),
    ("version-absent", {"bindings": [VIEWER]}, policy(VIEWER), POLICY),
    ("member-case", policy(binding("roles/storage.objectViewer", "user:Alice@Corp.Example", "allUsers")),
     policy(VIEWER), POLICY),
    ("split-bindings", policy(binding("roles/storage.objectViewer", "user:alice@corp.example"),
                              binding("roles/storage.objectViewer", "allUsers")), policy(VIEWER), POLICY),
    ("audit-configs", {**policy(VIEWER), "auditConfigs": [{"service": "allServices",
                                                          "auditLogConfigs": [{"logType": "DATA_READ"}]}]},
     policy(VIEWER), POLICY),
]  # fmt: skip


@pytest.mark.parametrize(("shape", "plain"), [c[1:3] for c in POLICY_EQUIVALENT], ids=[c[0] for c in POLICY_EQUIVALENT])
def test_allow_policy_shapes_equivalent(shape: dict, plain: dict) -> None:
    """An allow policy in a valid unusual shape grants what its plain equivalent grants (POLICY, VERSIONS)."""
    assert _bucket_view(_on_bucket(shape)) == _bucket_view(_on_bucket(plain))


@pytest.mark.parametrize("iam", [{"etag": "ACAB"}, {"version": 1, "etag": "ACAB", "bindings": []},
                                 {"bindings": [{"role": "roles/storage.objectViewer"}]}])  # fmt: skip
def test_policy_without_bindings_or_members(iam: dict) -> None:
    """A policy with only an etag, empty bindings, or a binding without members is valid (POLICY): no grant."""
    assert audience(_on_bucket(iam), B, R) == set()


def test_condition_binding_with_title_and_description() -> None:
    """A v3 binding condition with title and description keeps its grant, conditional or decided, never dropped."""
    expression = 'request.time < timestamp("2030-01-01T00:00:00Z")'
    cond = {"title": "until 2030", "description": "temporary", "expression": expression}
    ev = _on_bucket({"version": 3, "bindings": [binding("roles/storage.objectViewer", "user:a@corp.example",
                                                        condition=cond)]})  # fmt: skip
    assert grants(ev, B, R, "user:a@corp.example") != []


@pytest.mark.parametrize(
    "member",
    ["deleted:user:a@corp.example?uid=123", "deleted:serviceAccount:etl@corp-data.iam.gserviceaccount.com?uid=9",
     "deleted:group:ops@corp.example?uid=4"],
)  # fmt: skip
def test_deleted_members_are_conditional(member: str) -> None:
    """A ``deleted:`` member regains the role if recovered (POLICY, Binding.members): conditional, not dropped."""
    ev = _on_bucket(policy(binding("roles/storage.objectViewer", member)))
    assert conditional_audience(ev, B, R) == {member}


@pytest.mark.parametrize(
    "member",
    ["principalSet://iam.googleapis.com/locations/global/workforcePools/corp/*",
     "principalSet://iam.googleapis.com/projects/2001/locations/global/workloadIdentityPools/gh/attribute.repo/x",
     "principal://iam.googleapis.com/locations/global/workforcePools/corp/subject/alice"],
)  # fmt: skip
def test_federated_members_grant(member: str) -> None:
    """principal:// and principalSet:// identifiers (https://cloud.google.com/iam/docs/principal-identifiers) grant."""
    assert audience(_on_bucket(policy(binding("roles/storage.objectViewer", member))), B, R) == {member}


PUBLIC_ACL = [{"entity": "allUsers", "role": "READER"}]


@pytest.mark.parametrize(
    ("config", "public_list"),
    [({"uniformBucketLevelAccess": {"enabled": True}}, False),
     ({"bucketPolicyOnly": {"enabled": True}}, False),
     ({"uniformBucketLevelAccess": {"enabled": True, "lockedTime": "2024-01-01T00:00:00Z"},
       "bucketPolicyOnly": {"enabled": True, "lockedTime": "2024-01-01T00:00:00Z"}}, False),
     ({"uniformBucketLevelAccess": {"enabled": False}, "bucketPolicyOnly": {"enabled": False}}, True),
     ({}, True)],
    ids=["ubla", "legacy-bucket-policy-only", "both-locked", "both-off", "absent"],
)  # fmt: skip
def test_uniform_access_shapes(config: dict, public_list: bool) -> None:
    """Uniform bucket-level access, also under its legacy name bucketPolicyOnly, disables ACLs (UBLA)."""
    meta = {"name": "b", "location": "EU", "iamConfiguration": {**config, "publicAccessPrevention": "inherited"},
            "acl": PUBLIC_ACL}  # fmt: skip
    assert ("allUsers" in audience(_on_bucket(metadata=meta), B, L)) is public_list


def _pap_meta(pap: str | None) -> dict:
    config: dict[str, Any] = {"uniformBucketLevelAccess": {"enabled": True}}
    if pap is not None:
        config["publicAccessPrevention"] = pap
    return {"name": "b", "location": "EU", "iamConfiguration": config}


@pytest.mark.parametrize("pap", ["unspecified", None, "INHERITED"])
def test_pap_unspecified_means_inherited(pap: str | None) -> None:
    """``unspecified`` is the former name of ``inherited`` (PAP); absent means the same."""
    iam = policy(VIEWER)
    assert _bucket_view(_on_bucket(iam, metadata=_pap_meta(pap))) == _bucket_view(
        _on_bucket(iam, metadata=_pap_meta("inherited"))
    )


def test_pap_enforced_removes_public_members() -> None:
    """``enforced`` removes allUsers grants (PAP); alice keeps hers."""
    assert audience(_on_bucket(policy(VIEWER), metadata=_pap_meta("enforced")), B, R) == {"user:alice@corp.example"}


ACL_ENTITIES = [
    (f"project-owners-{PROJECT_NUMBER}", f"projectOwner:{PROJECT}"),
    (f"project-viewers-{PROJECT_NUMBER}", f"projectViewer:{PROJECT}"),
    ("domain-corp.example", "domain:corp.example"),
    ("user-Alice@Corp.example", "user:alice@corp.example"),
    ("group-ops@corp.example", "group:ops@corp.example"),
    ("allAuthenticatedUsers", "allAuthenticatedUsers"),
]


@pytest.mark.parametrize(("entity", "member"), ACL_ENTITIES, ids=[e for e, _ in ACL_ENTITIES])
def test_acl_entity_shapes(entity: str, member: str) -> None:
    """Every ACL scope (ACL_SCOPES) names its IAM equivalent; bucket READER lists."""
    meta = {"name": "b", "location": "EU", "iamConfiguration": {"publicAccessPrevention": "inherited"},
            "acl": [{"kind": "storage#bucketAccessControl", "entity": entity, "role": "READER", "etag": "CAE="}]}
    assert member in audience(_on_bucket(metadata=meta), B, L)


def test_acl_entity_by_id_is_not_dropped() -> None:
    """An entity written by Google id (``user-ID`` with ``entityId``, ACL_SCOPES) still grants to someone."""
    meta = {"name": "b", "location": "EU", "iamConfiguration": {"publicAccessPrevention": "inherited"},
            "acl": [{"entity": "user-00b4903a97d5a3c1f6f9b7e8c2a1", "entityId": "00b4903a97d5a3c1f6f9b7e8c2a1",
                     "role": "READER"}]}  # fmt: skip
    assert audience(_on_bucket(metadata=meta), B, L) != set()


def _dataset_view(*entries: dict) -> dict[AccessLevel, tuple[set[str], set[str]]]:
    ev = evaluate(org(), project(), bq_dataset("ds", *entries))
    return {lv: (audience(ev, DS, lv), conditional_audience(ev, DS, lv)) for lv in (R, W, A, L)}


LEGACY = [("READER", "roles/bigquery.dataViewer"), ("WRITER", "roles/bigquery.dataEditor"),
          ("OWNER", "roles/bigquery.dataOwner")]  # fmt: skip


@pytest.mark.parametrize(("legacy", "role"), LEGACY, ids=[x for x, _ in LEGACY])
def test_bigquery_legacy_roles_equal_iam_roles(legacy: str, role: str) -> None:
    """READER/WRITER/OWNER are the dataViewer/dataEditor/dataOwner roles (BQ_ACCESS)."""
    assert _dataset_view({"role": legacy, "userByEmail": "a@corp.example"}) == _dataset_view(
        {"role": role, "userByEmail": "a@corp.example"}
    ) != {lv: (set(), set()) for lv in (R, W, A, L)}


def test_bigquery_mixed_access_list() -> None:
    """One access list mixing every entry kind (BQ_ACCESS) parses; each member entry grants."""
    entries = [
        {"role": "OWNER", "specialGroup": "projectOwners"},
        {"role": "roles/bigquery.dataViewer", "iamMember": "group:ops@corp.example"},
        {"role": "READER", "userByEmail": "etl@corp-data.iam.gserviceaccount.com"},
        {"role": "READER", "domain": "corp.example"},
        {"role": "READER", "groupByEmail": "Analysts@Corp.example"},
        {"view": {"projectId": PROJECT, "datasetId": "views", "tableId": "v"}},
        {"dataset": {"dataset": {"projectId": PROJECT, "datasetId": "shared"}, "targetTypes": ["VIEWS"]}},
        {"routine": {"projectId": PROJECT, "datasetId": "udfs", "routineId": "r"}},
    ]
    readers = _dataset_view(*entries)[R][0]
    assert {"group:ops@corp.example", "serviceAccount:etl@corp-data.iam.gserviceaccount.com", "domain:corp.example",
            "group:analysts@corp.example", f"projectOwner:{PROJECT}"} <= readers  # fmt: skip


def test_bigquery_dataset_without_access_field() -> None:
    """Dataset metadata without ``access`` (BQ_ACCESS: output only when empty) grants nothing and does not raise."""
    ev = evaluate(org(), project(), bq_dataset("ds", metadata={"datasetReference": {"projectId": PROJECT,
                                                                                    "datasetId": "ds"}}))
    assert audience(ev, DS, R) == set()


def test_cloud_identity_membership_shapes() -> None:
    """Memberships of every type, with and without roles or a preferredMemberKey namespace, parse; a nested group's
    members read through it (https://cloud.google.com/identity/docs/reference/rest/v1/groups.memberships)."""
    memberships = {"memberships": [
        {"preferredMemberKey": {"id": "inner@corp.example"}, "roles": [{"name": "MEMBER"}, {"name": "MANAGER"}],
         "type": "GROUP"},
        {"preferredMemberKey": {"id": "drive-1", "namespace": "identitysources/abc"}, "type": "SHARED_DRIVE"},
        {"preferredMemberKey": {"id": "x@corp.example"}, "type": "OTHER"},
        {"name": "groups/g/memberships/m"},
    ]}  # fmt: skip
    inner = group("inner@corp.example", ("USER", "bob@corp.example"))
    iam = policy(binding("roles/storage.objectViewer", "group:outer@corp.example"))
    ev = evaluate(org(), project(), bucket("b", iam=iam), group("outer@corp.example", memberships=memberships), inner)
    sources = {e.source.id for e in ev.edges if e.target.id == "group:outer@corp.example"}
    assert "group:inner@corp.example" in sources
