"""IAM Identity Center scanning against the moto server: instance, permission sets, assignments, identity store."""

from __future__ import annotations

import json

from botocore.awsrequest import AWSResponse

from seenby.model import ReadOutcome
from seenby.scanners.aws import scan_aws
from tests.scanners.helpers import ACCOUNT, policy, scan_config

INLINE = policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})


def _seed(client):
    sso, ids = client("sso-admin"), client("identitystore")
    instance = sso.list_instances()["Instances"][0]
    arn, store = instance["InstanceArn"], instance["IdentityStoreId"]
    ps = sso.create_permission_set(InstanceArn=arn, Name="DataReader")["PermissionSet"]["PermissionSetArn"]
    sso.put_inline_policy_to_permission_set(InstanceArn=arn, PermissionSetArn=ps, InlinePolicy=INLINE)
    sso.attach_managed_policy_to_permission_set(
        InstanceArn=arn, PermissionSetArn=ps, ManagedPolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"
    )
    group = ids.create_group(IdentityStoreId=store, DisplayName="Engineering")["GroupId"]
    user = ids.create_user(
        IdentityStoreId=store, UserName="alice", DisplayName="Alice", Name={"GivenName": "Al", "FamilyName": "Ice"}
    )["UserId"]
    ids.create_group_membership(IdentityStoreId=store, GroupId=group, MemberId={"UserId": user})
    sso.create_account_assignment(
        InstanceArn=arn, TargetId=ACCOUNT, TargetType="AWS_ACCOUNT", PermissionSetArn=ps,
        PrincipalType="GROUP", PrincipalId=group,
    )  # fmt: skip
    sso.provision_permission_set(InstanceArn=arn, PermissionSetArn=ps, TargetType="AWS_ACCOUNT", TargetId=ACCOUNT)
    return arn, ps, group, user


def _instance(snapshot):
    (res,) = snapshot.of_type("aws.sso.instance")
    return res


def test_instance_reads_permission_sets_assignments_and_directory(session, endpoint, client):
    """Every documented read of aws.sso.instance is made and recorded with its shape."""
    arn, ps, group, user = _seed(client)

    res = _instance(scan_aws(scan_config(session, endpoint)))

    assert res.id == arn
    (entry,) = res.document("permission_sets")["PermissionSets"]
    assert entry["PermissionSet"]["Name"] == "DataReader"
    assert json.loads(entry["InlinePolicy"]) == json.loads(INLINE)
    assert [p["Arn"] for p in entry["AttachedManagedPolicies"]] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert res.document("account_assignments")["AccountAssignments"] == [
        {"AccountId": ACCOUNT, "PermissionSetArn": ps, "PrincipalType": "GROUP", "PrincipalId": group}
    ]
    assert [u["UserName"] for u in res.document("users")["Users"]] == ["alice"]
    assert [g["DisplayName"] for g in res.document("groups")["Groups"]] == ["Engineering"]
    assert [m["MemberId"]["UserId"] for m in res.document("memberships")["GroupMemberships"]] == [user]


def test_denied_group_listing_makes_memberships_a_gap_too(session, endpoint, client):
    """AccessDeniedException on ListGroups: groups and memberships are denied reads, the rest is still read."""
    _seed(client)

    def deny(**_):
        error = {"Error": {"Code": "AccessDeniedException", "Message": "injected"}}
        return AWSResponse("", 400, {}, None), {**error, "ResponseMetadata": {"HTTPStatusCode": 400}}

    session.events.register("before-call.identitystore.ListGroups", deny)

    res = _instance(scan_aws(scan_config(session, endpoint)))

    assert res.read("groups").outcome is ReadOutcome.DENIED
    assert res.read("memberships").outcome is ReadOutcome.DENIED
    assert res.read("users").ok and res.read("account_assignments").ok


def test_failed_assignment_listing_is_an_error_not_an_empty_list(session, endpoint, client):
    """A 500 on ListAccountAssignments: the whole account_assignments read is error, never a partial list."""
    _seed(client)

    def fail(**_):
        return AWSResponse("", 500, {}, None), {
            "Error": {"Code": "InternalServerException", "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": 500},
        }

    session.events.register("before-call.sso-admin.ListAccountAssignments", fail)

    read = _instance(scan_aws(scan_config(session, endpoint, max_attempts=1))).read("account_assignments")

    assert (read.outcome, read.error_code, read.document) == (ReadOutcome.ERROR, "InternalServerException", None)
