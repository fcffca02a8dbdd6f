"""DynamoDB scanning against the moto server: tables in every region, their three reads, pagination, faults."""

from __future__ import annotations

import json

from botocore.awsrequest import AWSResponse

from seenby.audit import audit
from seenby.config import parse_rules
from seenby.model import ReadOutcome
from seenby.scanners.aws import scan_aws
from tests.scanners.helpers import ACCOUNT, REGION, Body, policy, scan_config

KEY = {
    "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
    "BillingMode": "PAY_PER_REQUEST",
}


def _arn(name, region=REGION):
    return f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}"


def _tables(snapshot):
    return {r.name: r for r in snapshot.of_type("aws.dynamodb.table")}


def _account(snapshot):
    return next(r for r in snapshot.of_type("aws.account") if r.id == ACCOUNT)


def _json_fault(session, operation, *, code, status, when):
    """Answer ``operation`` with a JSON-protocol error when the request body names ``when``."""
    answered = []

    def hook(request, **_):
        if when.encode() not in (request.body or b""):
            return None
        answered.append(request.url)
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "injected"})
        return AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.0"}, Body(body.encode()))

    session.events.register(f"before-send.dynamodb.{operation}", hook)
    return answered


def test_table_with_policy_and_tags_is_read_as_documented(session, endpoint, client):
    """DescribeTable, GetResourcePolicy and ListTagsOfResource land under description, resource_policy and tags."""
    ddb = client("dynamodb")
    ddb.create_table(TableName="sessions", Tags=[{"Key": "classification", "Value": "telemetry"}], **KEY)
    doc = policy({"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "dynamodb:GetItem",
                  "Resource": _arn("sessions")})  # fmt: skip
    ddb.put_resource_policy(ResourceArn=_arn("sessions"), Policy=doc)

    table = _tables(scan_aws(scan_config(session, endpoint)))["sessions"]

    assert (table.id, table.account, table.region) == (_arn("sessions"), ACCOUNT, REGION)
    assert table.document("description")["Table"]["TableArn"] == _arn("sessions")
    assert json.loads(table.document("resource_policy")["Policy"]) == json.loads(doc)
    assert table.document("tags") == {"Tags": [{"Key": "classification", "Value": "telemetry"}]}


def test_table_without_policy_records_absent(session, endpoint, client):
    """PolicyNotFoundException is "there is none": the read is absent, not a gap."""
    client("dynamodb").create_table(TableName="plain", **KEY)

    read = _tables(scan_aws(scan_config(session, endpoint)))["plain"].read("resource_policy")

    assert (read.outcome, read.error_code, read.api) == (
        ReadOutcome.ABSENT, "PolicyNotFoundException", "dynamodb:GetResourcePolicy"
    )  # fmt: skip


def test_tables_of_every_configured_region_are_listed(session, endpoint):
    """ListTables runs in each configured region; the listing records every region's answer."""
    for region in (REGION, "eu-west-1"):
        session.client("dynamodb", endpoint_url=endpoint, region_name=region).create_table(
            TableName=f"t-{region}", **KEY
        )

    snapshot = scan_aws(scan_config(session, endpoint, regions=(REGION, "eu-west-1")))

    assert {t.id for t in _tables(snapshot).values()} == {_arn(f"t-{REGION}"), _arn("t-eu-west-1", "eu-west-1")}
    assert set(_account(snapshot).document("dynamodb_tables")["Regions"]) == {REGION, "eu-west-1"}


def test_listing_pages_are_merged(session, endpoint, client):
    """More tables than one ListTables page (100) are all found."""
    ddb = client("dynamodb")
    for i in range(101):
        ddb.create_table(TableName=f"t{i:03d}", **KEY)

    snapshot = scan_aws(scan_config(session, endpoint, max_workers=8))

    assert len(_tables(snapshot)) == 101
    assert len(_account(snapshot).document("dynamodb_tables")["Regions"][REGION]["TableNames"]) == 101


def test_access_denied_on_one_table_policy_is_a_denied_read_and_a_finding(session, endpoint, client):
    """AccessDeniedException on one table's policy: that read is denied and audited as a coverage gap."""
    ddb = client("dynamodb")
    for name in ("victim", "bystander"):
        ddb.create_table(TableName=name, **KEY)
    _json_fault(session, "GetResourcePolicy", code="AccessDeniedException", status=400, when="table/victim")

    snapshot = scan_aws(scan_config(session, endpoint))
    tables = _tables(snapshot)

    assert tables["victim"].read("resource_policy").outcome is ReadOutcome.DENIED
    assert tables["bystander"].read("resource_policy").outcome is ReadOutcome.ABSENT
    result = audit(snapshot, parse_rules("version: 1\n", source="rules.yaml"))
    gaps = [f for f in result.findings if f.rule_id == "SB011" and f.dataset.id == _arn("victim")]
    assert len(gaps) == 1


def test_failed_listing_is_a_gap_on_the_account(session, endpoint, client):
    """A 500 on ListTables past retries: the account's dynamodb_tables read is error, and the scan completes."""
    client("dynamodb").create_table(TableName="hidden", **KEY)
    client("s3").create_bucket(Bucket="still-scanned")
    _json_fault(session, "ListTables", code="InternalServerError", status=500, when="")

    snapshot = scan_aws(scan_config(session, endpoint))

    listing = _account(snapshot).read("dynamodb_tables")
    assert (listing.outcome, listing.error_code) == (ReadOutcome.ERROR, "InternalServerError")
    assert REGION in (listing.message or "")
    assert _tables(snapshot) == {}
    assert [b.name for b in snapshot.of_type("aws.s3.bucket")] == ["still-scanned"]
