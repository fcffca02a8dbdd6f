"""IAM Identity Center: identity-store users and groups reach the AWSReservedSSO_* roles their assignments provision.

Pages: permission sets and the roles they provision
(https://docs.aws.amazon.com/singlesignon/latest/userguide/permissionsetsconcept.html), the role
naming and path (https://docs.aws.amazon.com/singlesignon/latest/userguide/referencingpermissionsets.html),
account assignments (https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_AccountAssignment.html).
"""

from __future__ import annotations

from typing import Any

from seenby.graph.audience import audience
from seenby.graph.build import build_graph
from seenby.model import AccessLevel, EdgeKind, EvidenceKind
from seenby.policies import evaluate as evaluate_all
from seenby.policies.aws.identitycenter import sso_group_id, sso_user_id

ACCT = "111122223333"
STORE = "d-9067c1a2b3"
INSTANCE = "arn:aws:sso:::instance/ssoins-7223a1b2c3d4e5f6"
PS = f"{INSTANCE}/ps-0123456789abcdef"
ROLE_NAME = "AWSReservedSSO_DataReader_0123456789abcdef"
ROLE_ARN = f"arn:aws:iam::{ACCT}:role/aws-reserved/sso.amazonaws.com/{ROLE_NAME}"
ALICE, BOB = sso_user_id(STORE, "alice"), sso_user_id(STORE, "bob")
ENG = sso_group_id(STORE, "Engineering")
CONCEPT = "https://docs.aws.amazon.com/singlesignon/latest/userguide/permissionsetsconcept.html"
NAMING = "https://docs.aws.amazon.com/singlesignon/latest/userguide/referencingpermissionsets.html"


def instance(aws, *, assignments: list[dict] | None = None, users: Any = None, ps_name: str = "DataReader") -> dict:
    users = users if users is not None else {"Users": [
        {"UserId": "u-1", "UserName": "alice", "DisplayName": "Alice", "IdentityStoreId": STORE},
        {"UserId": "u-2", "UserName": "bob", "DisplayName": "Bob", "IdentityStoreId": STORE},
    ]}  # fmt: skip
    if assignments is None:
        assignments = [{"AccountId": ACCT, "PermissionSetArn": PS, "PrincipalType": "GROUP", "PrincipalId": "g-1"}]
    return {
        "type": "aws.sso.instance", "id": INSTANCE, "name": STORE, "region": "eu-west-1",
        "reads": {
            "instance": aws.read("sso-admin:ListInstances", {"InstanceArn": INSTANCE, "IdentityStoreId": STORE,
                                                             "OwnerAccountId": ACCT, "Status": "ACTIVE"}),
            "permission_sets": aws.read("sso-admin:ListPermissionSets", {"PermissionSets": [
                {"PermissionSet": {"Name": ps_name, "PermissionSetArn": PS}, "InlinePolicy": "",
                 "AttachedManagedPolicies": []}]}),
            "account_assignments": aws.read("sso-admin:ListAccountAssignments", {"AccountAssignments": assignments}),
            "users": aws.read("identitystore:ListUsers", users),
            "groups": aws.read("identitystore:ListGroups", {"Groups": [
                {"GroupId": "g-1", "DisplayName": "Engineering", "IdentityStoreId": STORE}]}),
            "memberships": aws.read("identitystore:ListGroupMemberships", {"GroupMemberships": [
                {"MembershipId": "m-1", "GroupId": "g-1", "MemberId": {"UserId": "u-1"}, "IdentityStoreId": STORE}]}),
        },
    }  # fmt: skip


def sso_role(aws, name: str = ROLE_NAME, path: str = "/aws-reserved/sso.amazonaws.com/") -> dict:
    r = aws.role(name, trust=aws.policy({"Effect": "Allow", "Action": "sts:AssumeRoleWithSAML",
        "Principal": {"Federated": f"arn:aws:iam::{ACCT}:saml-provider/AWSSSO_0123_DO_NOT_DELETE"}}),
        inline=(aws.policy(aws.idstmt()),))  # fmt: skip
    r["Path"] = path
    r["Arn"] = f"arn:aws:iam::{ACCT}:role{path}{name}"
    return r


def edges(ev, kind: EdgeKind) -> set[tuple[str, str]]:
    return {(e.source.id, e.target.id) for e in ev.edges if e.kind is kind}


def test_group_assignment_edges_to_the_provisioned_role(aws):
    """A group assigned a permission set in an account reaches AWSReservedSSO_<name>_<hash> there (CONCEPT)."""
    ev = aws.evaluate(*aws.base(instance(aws), roles=[sso_role(aws)]))
    assert edges(ev, EdgeKind.PERMISSION_SET) == {(ENG, ROLE_ARN)}


def test_membership_is_a_member_of_edge(aws):
    """Identity-store group memberships become MEMBER_OF edges from the user to the group (CONCEPT)."""
    ev = aws.evaluate(*aws.base(instance(aws), roles=[sso_role(aws)]))
    assert edges(ev, EdgeKind.MEMBER_OF) == {(ALICE, ENG)}


def test_people_behind_the_role_reach_the_bucket(aws):
    """The bucket the SSO role reads is read by the group's members, as people (CONCEPT)."""
    ev = evaluate_all(aws.snapshot(*aws.base(aws.bucket(), instance(aws), roles=[sso_role(aws)])))
    reach = {r.principal.id: r for r in audience(build_graph(ev), "arn:aws:s3:::b", AccessLevel.READ)}
    assert ALICE in reach and BOB not in reach
    assert [s.via for s in reach[ALICE].path[:-1]] == ["member-of", "permission-set", "grant:read"]
    assert reach[ALICE].principal.kind.is_person


def test_role_with_a_region_path_segment_matches(aws):
    """Provisioned roles may carry the region after the reserved path (NAMING)."""
    role = sso_role(aws, path="/aws-reserved/sso.amazonaws.com/eu-west-1/")
    ev = aws.evaluate(*aws.base(instance(aws), roles=[role]))
    assert {t for _, t in edges(ev, EdgeKind.PERMISSION_SET)} == {role["Arn"]}


def test_role_outside_the_reserved_path_is_not_the_permission_sets(aws):
    """A look-alike role name without the reserved path is not an Identity Center role (NAMING)."""
    ev = aws.evaluate(*aws.base(instance(aws), roles=[sso_role(aws, path="/")]))
    assert edges(ev, EdgeKind.PERMISSION_SET) == set()


def test_permission_set_name_prefix_is_exact(aws):
    """Permission set DataReader does not match the role of DataReaderAdmin (NAMING)."""
    role = sso_role(aws, name="AWSReservedSSO_DataReaderAdmin_0123456789abcdef")
    ev = aws.evaluate(*aws.base(instance(aws), roles=[role]))
    assert edges(ev, EdgeKind.PERMISSION_SET) == set()


def test_user_assignment_edges_from_the_user(aws):
    """A permission set assigned to a user directly (PrincipalType USER) edges from that user (AccountAssignment)."""
    a = [{"AccountId": ACCT, "PermissionSetArn": PS, "PrincipalType": "USER", "PrincipalId": "u-2"}]
    ev = aws.evaluate(*aws.base(instance(aws, assignments=a), roles=[sso_role(aws)]))
    assert edges(ev, EdgeKind.PERMISSION_SET) == {(BOB, ROLE_ARN)}


def test_assignment_evidence_quotes_the_assignment(aws):
    """The PERMISSION_SET edge quotes the account assignment as evidence (API_AccountAssignment)."""
    ev = aws.evaluate(*aws.base(instance(aws), roles=[sso_role(aws)]))
    (edge,) = [e for e in ev.edges if e.kind is EdgeKind.PERMISSION_SET]
    (evidence,) = edge.evidence
    assert (evidence.kind, evidence.source, evidence.location) == (
        EvidenceKind.ACCOUNT_ASSIGNMENT, INSTANCE, "AccountAssignments[0]"
    )  # fmt: skip
    assert evidence.excerpt["PrincipalId"] == "g-1"


def test_unreadable_users_keep_assignees_as_principals_and_report_the_gap(aws):
    """With ListUsers denied, a user's assignment still edges from a principal named by its id; the gap is kept."""
    a = [{"AccountId": ACCT, "PermissionSetArn": PS, "PrincipalType": "USER", "PrincipalId": "u-9"}]
    ev = evaluate_all(aws.snapshot(*aws.base(instance(aws, assignments=a, users="denied"), roles=[sso_role(aws)])))
    assert edges(ev, EdgeKind.PERMISSION_SET) == {(sso_user_id(STORE, "id:u-9"), ROLE_ARN)}
    assert [(g.resource, g.read) for g in ev.gaps if g.resource == INSTANCE] == [(INSTANCE, "users")]


def test_assignment_in_an_account_without_iam_in_the_snapshot_adds_no_edge(aws):
    """No role to point at when the account's IAM is not in the snapshot: no edge is invented (CONCEPT)."""
    a = [{"AccountId": "444455556666", "PermissionSetArn": PS, "PrincipalType": "GROUP", "PrincipalId": "g-1"}]
    ev = aws.evaluate(*aws.base(instance(aws, assignments=a), roles=[sso_role(aws)]))
    assert edges(ev, EdgeKind.PERMISSION_SET) == set()
