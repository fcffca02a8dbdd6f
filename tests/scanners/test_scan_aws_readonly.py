"""The scan only reads: every operation sent is declared and a read; the printed policy grants reads only."""

from __future__ import annotations

import json
import re

from seenby.registry import AwsAccountRead
from seenby.scanners.aws import OPERATIONS, account, print_policy, required_permissions, s3, scan_aws
from seenby.scanners.aws.operation import READ_VERBS
from seenby.scanners.aws.services import OPERATIONS as SERVICE_OPERATIONS
from seenby.scanners.aws.services import SERVICE_SCANNERS
from tests.scanners.helpers import scan_config
from tests.scanners.seeds import seed_full_bucket, seed_org

ALSO_ALLOWED = {("sts", "AssumeRole"), ("sts", "GetCallerIdentity")}


def test_full_organisation_scan_sends_only_declared_read_operations(session, endpoint, client):
    """A before-call hook on the injected session sees every operation of an org scan; all are declared reads."""
    seed_org(session, endpoint, client)
    seed_full_bucket(client("s3"))
    key = client("kms").create_key()["KeyMetadata"]
    client("s3").put_bucket_encryption(
        Bucket="corp-management-logs",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}}]
        },
    )
    client("dynamodb").create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    sent: list[tuple[str, str]] = []
    session.events.register(
        "before-call.*.*", lambda model, **_: sent.append((model.service_model.service_name, model.name))
    )

    scan_aws(scan_config(session, endpoint, org_mode=True))

    declared = {(op.service, op.name) for op in OPERATIONS}
    assert set(sent) - declared == set()
    assert all(name.startswith(READ_VERBS) or (svc, name) in ALSO_ALLOWED for svc, name in sent)
    # the scan really exercised the scanners: S3, KMS, IAM, s3control, Organizations, STS and every registered service
    registered = {op.service for op in SERVICE_OPERATIONS}
    assert {svc for svc, _ in sent} == {"s3", "kms", "iam", "s3control", "organizations", "sts", *registered}
    assert ("dynamodb", "GetResourcePolicy") in sent


def test_s3_is_one_registered_service_scanner():
    """S3 is registered like DynamoDB: ListBuckets is its account read, and every S3 and s3control operation the scan
    may send (bucket reads, access points, object ACLs; the account's own Block Public Access aside) is its
    registration's, so the read-only checks cover them."""
    (registered,) = [s for s in SERVICE_SCANNERS if s.name == "s3"]

    assert registered.account_reads == {AwsAccountRead.BUCKETS: s3.LIST_BUCKETS.api}
    sent_for_s3 = {op for op in OPERATIONS if op.service in ("s3", "s3control")} - set(account.OPERATIONS)
    assert sent_for_s3 == set(registered.operations)


def test_every_declared_operation_is_a_read():
    """No scanner module declares an operation that is not a read verb (sts:AssumeRole aside)."""
    assert [op.api for op in OPERATIONS if not op.is_read] == []


def test_printed_policy_is_valid_iam_json_with_read_actions_only():
    """print_policy() is an IAM policy document whose actions are Get/List/Describe (and sts:AssumeRole on roles)."""
    doc = json.loads(print_policy())

    assert doc["Version"] == "2012-10-17"
    actions = [a for s in doc["Statement"] for a in s["Action"]]
    assert sorted(actions) == required_permissions()
    for statement in doc["Statement"]:
        assert statement["Effect"] == "Allow"
        assert set(statement) == {"Sid", "Effect", "Action", "Resource"}
        assert re.fullmatch(r"[A-Za-z0-9]+", statement["Sid"])
        for action in statement["Action"]:
            service, name = action.split(":")
            assert re.fullmatch(r"[a-z0-9-]+", service)
            assert name.startswith(READ_VERBS) or action == "sts:AssumeRole"
    (assume,) = [s for s in doc["Statement"] if "sts:AssumeRole" in s["Action"]]
    assert assume["Resource"] == "arn:aws:iam::*:role/OrganizationAccountAccessRole"
    assert "*" not in actions and not any(a.endswith("*") for a in actions)
