"""Account-wide documents: IAM authorization details (GAAD) and account Block Public Access."""

from __future__ import annotations

import datetime

import boto3
from botocore.stub import Stubber

from seenby.model import ReadOutcome
from seenby.scanners.aws import scan_aws
from seenby.scanners.aws.account import GET_ACCOUNT_AUTHORIZATION_DETAILS, name_policies
from seenby.scanners.aws.calls import read
from tests.scanners.helpers import ACCOUNT, policy, scan_config

READ_DATA = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::corp-data/*"}
TRUST_ANYONE = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}


def _account(snapshot):
    (account,) = snapshot.of_type("aws.account")
    return account


def _seed_iam(iam):
    iam.create_group(GroupName="engineering")
    iam.put_group_policy(GroupName="engineering", PolicyName="debug", PolicyDocument=policy(READ_DATA))
    iam.create_user(UserName="alice", Path="/engineering/")
    iam.add_user_to_group(UserName="alice", GroupName="engineering")
    managed = iam.create_policy(PolicyName="data-read", Path="/team/", PolicyDocument=policy(READ_DATA))["Policy"]
    iam.attach_user_policy(UserName="alice", PolicyArn=managed["Arn"])
    iam.create_role(RoleName="reader", AssumeRolePolicyDocument=policy(TRUST_ANYONE))
    iam.attach_role_policy(RoleName="reader", PolicyArn=managed["Arn"])
    return managed["Arn"]


def test_gaad_records_users_groups_roles_and_managed_policies(session, endpoint, client):
    """GAAD lands as one document with decoded policy documents, names taken from ARNs, ISO dates."""
    managed_arn = _seed_iam(client("iam"))

    doc = _account(scan_aws(scan_config(session, endpoint))).document("authorization_details")

    (alice,) = doc["UserDetailList"]
    assert alice["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/engineering/alice"
    assert alice["GroupList"] == ["engineering"]
    (group,) = doc["GroupDetailList"]
    assert group["GroupPolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] == "s3:GetObject"
    (role,) = [r for r in doc["RoleDetailList"] if r["RoleName"] == "reader"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"AWS": "*"}
    assert role["AttachedManagedPolicies"] == [{"PolicyName": "data-read", "PolicyArn": managed_arn}]
    (managed,) = doc["Policies"]
    assert managed["PolicyName"] == "data-read"
    assert managed["PolicyVersionList"][0]["Document"]["Statement"][0] == READ_DATA
    assert isinstance(alice["CreateDate"], str) and alice["CreateDate"].endswith("Z")


def test_gaad_pages_are_merged_into_one_document():
    """Three GAAD pages (Marker/IsTruncated, shaped per the IAM API reference) become one document."""
    iam = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1").client("iam")
    when = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)

    def user(name):
        return {
            "Path": "/",
            "UserName": name,
            "UserId": "AIDA" + name.upper().ljust(17, "X"),
            "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
            "CreateDate": when,
        }

    role = {
        "Path": "/",
        "RoleName": "r",
        "RoleId": "AROARXXXXXXXXXXXXXXXX",
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/r",
        "CreateDate": when,
        "AssumeRolePolicyDocument": policy(TRUST_ANYONE),
    }
    managed = {
        "PolicyName": "p",
        "PolicyId": "ANPAPXXXXXXXXXXXXXXXX",
        "Arn": f"arn:aws:iam::{ACCOUNT}:policy/p",
        "PolicyVersionList": [{"Document": policy(READ_DATA), "VersionId": "v1", "IsDefaultVersion": True}],
    }
    with Stubber(iam) as stub:
        stub.add_response(
            "get_account_authorization_details",
            {
                "UserDetailList": [user("u1")],
                "GroupDetailList": [],
                "RoleDetailList": [],
                "Policies": [],
                "IsTruncated": True,
                "Marker": "m1",
            },
            {},
        )
        stub.add_response(
            "get_account_authorization_details",
            {"UserDetailList": [user("u2")], "RoleDetailList": [role], "IsTruncated": True, "Marker": "m2"},
            {"Marker": "m1"},
        )
        stub.add_response(
            "get_account_authorization_details",
            {"Policies": [managed], "IsTruncated": False},
            {"Marker": "m2"},
        )
        result = read(iam, GET_ACCOUNT_AUTHORIZATION_DETAILS, shape=name_policies)

    assert result.ok
    assert [u["UserName"] for u in result.document["UserDetailList"]] == ["u1", "u2"]
    assert [r["RoleName"] for r in result.document["RoleDetailList"]] == ["r"]
    assert result.document["Policies"][0]["PolicyVersionList"][0]["Document"]["Statement"][0] == READ_DATA
    assert result.document["GroupDetailList"] == []
    assert "Marker" not in result.document and "IsTruncated" not in result.document
    assert result.document["UserDetailList"][0]["CreateDate"] == "2026-01-02T03:04:05Z"


def test_gaad_failing_on_a_later_page_is_an_error_not_a_partial_document():
    """A page that fails after the first is the outcome: a partial GAAD is never recorded as ok."""
    iam = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1").client("iam")
    with Stubber(iam) as stub:
        stub.add_response(
            "get_account_authorization_details",
            {"UserDetailList": [], "IsTruncated": True, "Marker": "m1"},
            {},
        )
        stub.add_client_error(
            "get_account_authorization_details", service_error_code="ServiceFailure", http_status_code=500
        )
        result = read(iam, GET_ACCOUNT_AUTHORIZATION_DETAILS)

    assert result.outcome is ReadOutcome.ERROR
    assert result.error_code == "ServiceFailure"
    assert result.document is None


def test_account_public_access_block_is_read_through_s3control(session, endpoint, client):
    """The account-level Block Public Access set via s3control is recorded as the API returns it."""
    settings = {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": False,
    }
    s3control = client("s3control")
    s3control.meta.events.register(
        "before-send.s3-control.*", lambda request, **_: setattr(request, "url", request.url.replace(f"{ACCOUNT}.", ""))
    )
    s3control.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=settings)

    read_ = _account(scan_aws(scan_config(session, endpoint))).read("public_access_block")

    assert read_.api == "s3control:GetPublicAccessBlock"
    assert read_.document == {"PublicAccessBlockConfiguration": settings}


def test_account_without_public_access_block_is_absent(session, endpoint):
    """No account-level BPA: absent with NoSuchPublicAccessBlockConfiguration, not a gap."""
    read_ = _account(scan_aws(scan_config(session, endpoint))).read("public_access_block")

    assert read_.outcome is ReadOutcome.ABSENT
    assert read_.error_code == "NoSuchPublicAccessBlockConfiguration"


def test_single_account_scan_records_organisation_membership(session, endpoint, client):
    """Outside org mode the account's organisation is read once and set as the snapshot's scope."""
    org_id = client("organizations").create_organization(FeatureSet="ALL")["Organization"]["Id"]

    snapshot = scan_aws(scan_config(session, endpoint))

    assert _account(snapshot).document("organization")["Organization"]["Id"] == org_id
    assert snapshot.scope["aws_organization"] == org_id
    assert snapshot.scope["aws_accounts"] == [ACCOUNT]
