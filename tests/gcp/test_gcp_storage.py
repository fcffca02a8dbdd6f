"""Cloud Storage: ACLs next to IAM, uniform access, default object ACLs, public access prevention."""

from __future__ import annotations

import pytest

from seenby.model import AccessLevel, EvidenceKind
from tests.gcp.builders import (
    DENIED,
    ORG,
    PROJECT,
    audience,
    binding,
    bucket,
    conditional_audience,
    evaluate,
    folder,
    grants,
    org,
    pap_policy,
    policy,
    project,
)

B = "gs://b"
R, W, A, L = AccessLevel.READ, AccessLevel.WRITE, AccessLevel.ADMIN, AccessLevel.LIST

BUCKET_ACLS = [
    ("READER", {L}),
    ("WRITER", {L, W}),
    ("OWNER", {L, W, A}),
]


@pytest.mark.parametrize(("role", "levels"), BUCKET_ACLS, ids=[a[0] for a in BUCKET_ACLS])
def test_bucket_acl_role(role: str, levels: set[AccessLevel]) -> None:
    """Bucket ACL READER lists, WRITER also writes, OWNER also administers; none reads object data; https://cloud.google.com/storage/docs/access-control/lists#permissions"""
    acl = [{"entity": "group-ops@corp.example", "role": role}]
    ev = evaluate(org(), project(), bucket("b", uniform=False, acl=acl))
    got = {lvl for lvl in AccessLevel if "group:ops@corp.example" in audience(ev, B, lvl)}
    assert got == levels


def test_acl_evidence_names_the_acl_entry() -> None:
    """An ACL grant's evidence is ACL_GRANT acl[i] on the bucket; https://cloud.google.com/storage/docs/access-control/lists"""
    ev = evaluate(org(), project(), bucket("b", uniform=False, acl=[
        {"entity": "project-owners-2001", "role": "OWNER"}, {"entity": "user-x@corp.example", "role": "READER"}]))
    [grant] = grants(ev, B, L, "user:x@corp.example")
    assert (grant.evidence[0].kind, grant.evidence[0].location) == (EvidenceKind.ACL_GRANT, "acl[1]")


def test_uniform_access_switches_acls_off() -> None:
    """With uniform bucket-level access on, ACL entries grant nothing; https://cloud.google.com/storage/docs/uniform-bucket-level-access"""
    ev = evaluate(org(), project(), bucket("b", uniform=True, acl=[{"entity": "allUsers", "role": "READER"}],
                                           default_acl=[{"entity": "allUsers", "role": "READER"}]))
    assert grants(ev, B, L) == [] and grants(ev, B, R) == []


def test_default_object_acl_is_conditional_read() -> None:
    """A default object ACL READER is a conditional READ: objects' own ACLs are not in the snapshot; https://cloud.google.com/storage/docs/access-control/lists#default"""
    ev = evaluate(org(), project(), bucket("b", uniform=False, default_acl=[{"entity": "allUsers", "role": "READER"}]))
    assert conditional_audience(ev, B, R) == {"allUsers"}


def test_acl_project_team_resolves_to_basic_role_holders() -> None:
    """project-viewers-NUM is the project's roles/viewer holders, the binding on the grant's evidence; https://cloud.google.com/storage/docs/access-control/lists#scopes"""
    ev = evaluate(
        org(),
        project(iam=policy(binding("roles/viewer", "user:v@corp.example"))),
        bucket("b", uniform=False, default_acl=[{"entity": "project-viewers-2001", "role": "READER"}]),
    )
    assert conditional_audience(ev, B, R) == {"user:v@corp.example"}
    [grant] = grants(ev, B, R)
    assert [e.source for e in grant.evidence] == [B, f"projects/{PROJECT}"]


def test_convenience_member_in_bucket_policy_expands_to_basic_role_holders() -> None:
    """projectViewer:P with legacyObjectReader gives the (inherited) viewers object read; https://cloud.google.com/storage/docs/access-control/iam#convenience-values"""
    ev = evaluate(
        org(iam=policy(binding("roles/viewer", "group:auditors@corp.example"))),
        project(iam=policy()),
        bucket("b", iam=policy(binding("roles/storage.legacyObjectReader", f"projectViewer:{PROJECT}"))),
    )
    assert audience(ev, B, R) == {"group:auditors@corp.example"}


PREVENTION = [
    # (bucket setting, org policies per node, public grant expected: "yes" / "no" / "conditional")
    ("enforced", {}, "no"),
    ("inherited", {}, "yes"),
    ("unspecified", {}, "yes"),
    ("inherited", {"org": pap_policy(ORG)}, "no"),
    ("inherited", {"folder": pap_policy("folders/7")}, "no"),
    ("inherited", {"project": pap_policy(f"projects/{PROJECT}")}, "no"),
    ("inherited", {"org": pap_policy(ORG), "project": pap_policy(f"projects/{PROJECT}", enforce=False)}, "yes"),
    ("inherited", {"org": pap_policy(ORG), "folder": pap_policy("folders/7", reset=True)}, "yes"),
    ("inherited", {"org": DENIED}, "conditional"),
    ("inherited", {"org": {"policies": [{"constraint": "constraints/storage.publicAccessPrevention",
                                         "booleanPolicy": {"enforced": True}}]}}, "no"),
    ("inherited", {"org": pap_policy(ORG, rules=[
        {"enforce": True, "condition": {"expression": "resource.matchTag('123/env', 'prod')"}},
        {"enforce": False}])}, "conditional"),
    ("enforced", {"org": DENIED}, "no"),
]


@pytest.mark.parametrize(("setting", "policies", "expected"), PREVENTION,
                         ids=[f"{p[0]}-{'+'.join(p[1]) or 'none'}-{p[2]}" for p in PREVENTION])
@pytest.mark.parametrize("member", ["allUsers", "allAuthenticatedUsers"])
def test_public_access_prevention(setting: str, policies: dict, expected: str, member: str) -> None:
    """Bucket 'enforced', or 'inherited' under the nearest enforcing org policy, drops public grants; https://cloud.google.com/storage/docs/public-access-prevention"""
    ev = evaluate(
        org(org_policies=policies.get("org")),
        folder("folders/7", org_policies=policies.get("folder")),
        project(parent="folders/7", org_policies=policies.get("project")),
        bucket("b", pap=setting, iam=policy(binding("roles/storage.objectViewer", member))),
    )
    got = "yes" if member in audience(ev, B, R) else "conditional" if member in conditional_audience(ev, B, R) else "no"
    assert got == expected


def test_prevention_removes_public_acl_grants_too() -> None:
    """Public access prevention also blocks allUsers ACL entries; https://cloud.google.com/storage/docs/public-access-prevention#acls"""
    ev = evaluate(org(), project(), bucket("b", uniform=False, pap="enforced",
                                           acl=[{"entity": "allUsers", "role": "READER"}],
                                           default_acl=[{"entity": "allUsers", "role": "READER"}]))
    assert grants(ev, B, L, "allUsers") == [] and grants(ev, B, R, "allUsers") == []


def test_unreadable_metadata_keeps_public_iam_grant_conditional() -> None:
    """Without bucket metadata PAP is unknown: an allUsers binding stays, conditional with a reason; https://cloud.google.com/storage/docs/public-access-prevention"""
    iam = policy(binding("roles/storage.objectViewer", "allUsers"))
    ev = evaluate(org(), project(), bucket("b", metadata=DENIED, iam=iam))
    [grant] = grants(ev, B, R, "allUsers")
    assert "metadata" in grant.conditions[0].reason
    assert "gs://b" in ev.datasets


def test_bucket_labels_become_tags() -> None:
    """Bucket labels are the dataset's tags (declaring audiences next to the resource); https://cloud.google.com/storage/docs/tags-and-labels"""
    ev = evaluate(org(), project(), bucket("b", labels={"seenby-audience": "ml"}))
    assert dict(ev.datasets[B].tags) == {"seenby-audience": "ml"}


def test_bucket_policy_gap_keeps_acls_and_inherited_bindings() -> None:
    """An unreadable bucket policy is not 'no bindings': ACLs and project bindings still grant; https://cloud.google.com/storage/docs/access-control"""
    ev = evaluate(
        org(),
        project(iam=policy(binding("roles/storage.objectViewer", "user:p@corp.example"))),
        bucket("b", iam=DENIED, uniform=False, acl=[{"entity": "group-ops@corp.example", "role": "WRITER"}]),
    )
    assert audience(ev, B, R) == {"user:p@corp.example"}
    assert audience(ev, B, W) == {"group:ops@corp.example"}


def test_default_object_acl_owner_is_conditional_admin() -> None:
    """A default object ACL OWNER may change new objects' ACLs: conditional ADMIN and READ; https://cloud.google.com/storage/docs/access-control/lists#permissions"""
    default_acl = [{"entity": "user-o@corp.example", "role": "OWNER"}]
    ev = evaluate(org(), project(), bucket("b", uniform=False, default_acl=default_acl))
    assert conditional_audience(ev, B, A) == conditional_audience(ev, B, R) == {"user:o@corp.example"}


def test_default_bucket_bindings_give_project_owners_admin() -> None:
    """The default legacyBucketOwner binding to projectOwner:P makes the project's owners bucket admins; https://cloud.google.com/storage/docs/access-control/iam#convenience-values"""
    ev = evaluate(
        org(),
        project(iam=policy(binding("roles/owner", "user:boss@corp.example"))),
        bucket("b", iam=policy(binding("roles/storage.legacyBucketOwner", f"projectOwner:{PROJECT}"))),
    )
    assert audience(ev, B, A) == {"user:boss@corp.example"}
