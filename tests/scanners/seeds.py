"""Seeding moto for the scanner tests: a bucket with every document, and a small organisation."""

from __future__ import annotations

import boto3

from tests.scanners.helpers import REGION, policy

FULL = "full-bucket"
DENY_PUBLIC = policy({"Effect": "Deny", "Action": "s3:PutBucketPolicy", "Resource": "*"})


def sse(algorithm, key=None):
    default = {"SSEAlgorithm": algorithm, **({"KMSMasterKeyID": key} if key else {})}
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": default}]}


def seed_full_bucket(s3):
    s3.create_bucket(Bucket=FULL, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_policy(
        Bucket=FULL,
        Policy=policy(
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{FULL}/*"}
        ),
    )
    s3.put_bucket_acl(Bucket=FULL, ACL="public-read")
    s3.put_public_access_block(
        Bucket=FULL,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    s3.put_bucket_ownership_controls(
        Bucket=FULL, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    s3.put_bucket_encryption(
        Bucket=FULL,
        ServerSideEncryptionConfiguration=sse("AES256"),
    )
    s3.put_bucket_tagging(Bucket=FULL, Tagging={"TagSet": [{"Key": "classification", "Value": "public"}]})


def member_client(session, endpoint, account, service):
    """A client acting in a member account, as the scanner reaches it."""
    sts = session.client("sts", endpoint_url=endpoint, region_name=REGION)
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="seed"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    ).client(service, endpoint_url=endpoint)


def seed_org(session, endpoint, client):
    orgs = client("organizations")
    org_id = orgs.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    root = orgs.list_roots()["Roots"][0]["Id"]
    ou = orgs.create_organizational_unit(ParentId=root, Name="data")["OrganizationalUnit"]["Id"]
    data = orgs.create_account(AccountName="corp-data", Email="data@corp.example")["CreateAccountStatus"]["AccountId"]
    analytics = orgs.create_account(AccountName="corp-analytics", Email="an@corp.example")["CreateAccountStatus"][
        "AccountId"
    ]
    orgs.move_account(AccountId=data, SourceParentId=root, DestinationParentId=ou)
    scp = orgs.create_policy(
        Name="deny-bucket-policies", Description="", Type="SERVICE_CONTROL_POLICY", Content=DENY_PUBLIC
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=scp, TargetId=ou)
    member_client(session, endpoint, data, "s3").create_bucket(Bucket="corp-data-lake")
    member_client(session, endpoint, analytics, "s3").create_bucket(Bucket="corp-analytics-exports")
    client("s3").create_bucket(Bucket="corp-management-logs")
    return {"org": org_id, "root": root, "ou": ou, "data": data, "analytics": analytics, "scp": scp}
