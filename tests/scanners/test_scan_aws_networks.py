"""VPCs and VPC endpoints against the moto server: read once per region, owners kept, and a bucket policy narrowed
to the owner's endpoint then audits as the owner's network."""

from __future__ import annotations

from seenby.audit import audit
from seenby.config import parse_rules
from seenby.model import ReadOutcome
from seenby.scanners.aws import scan_aws
from tests.scanners.helpers import ACCOUNT, REGION, policy, scan_config


def _account(snapshot):
    return next(r for r in snapshot.of_type("aws.account") if r.id == ACCOUNT)


def _endpoint(client) -> tuple[str, str]:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    endpoint = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.s3")
    return vpc, endpoint["VpcEndpoint"]["VpcEndpointId"]


def test_vpcs_and_endpoints_are_read_with_their_owner(session, endpoint, client):
    """DescribeVpcs and DescribeVpcEndpoints land on the account, each item with its id, VPC and owner."""
    vpc, vpce = _endpoint(client)

    account = _account(scan_aws(scan_config(session, endpoint)))

    endpoints = account.document("vpc_endpoints")["Regions"][REGION]["VpcEndpoints"]
    vpcs = account.document("vpcs")["Regions"][REGION]["Vpcs"]
    assert {(e["VpcEndpointId"], e["VpcId"]) for e in endpoints} == {(vpce, vpc)}
    assert vpc in {v["VpcId"] for v in vpcs} and all(v["OwnerId"] == ACCOUNT for v in vpcs)


def test_denied_endpoint_listing_is_a_recorded_gap(session, endpoint, client):
    """An AccessDenied DescribeVpcEndpoints is recorded denied, never as "no endpoints"."""
    from botocore.awsrequest import AWSResponse

    from tests.scanners.helpers import Body

    def deny(request, **_):
        body = b"<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>no</Message></Error></Errors>"
        body += b"</Response>"
        return AWSResponse(request.url, 403, {}, Body(body))

    session.events.register("before-send.ec2.DescribeVpcEndpoints", deny)

    read = _account(scan_aws(scan_config(session, endpoint))).read("vpc_endpoints")

    assert (read.outcome, read.api) == (ReadOutcome.DENIED, "ec2:DescribeVpcEndpoints")


def test_bucket_locked_to_the_owners_endpoint_is_declared_by_aws_owner(session, endpoint, client):
    """A bucket open to "*" only through the owner's own endpoint needs one word in rules.yaml: aws-owner."""
    _, vpce = _endpoint(client)
    s3 = client("s3")
    s3.create_bucket(Bucket="locked")
    s3.put_bucket_policy(Bucket="locked", Policy=policy(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::locked/*",
         "Condition": {"StringEquals": {"aws:SourceVpce": vpce}}}))  # fmt: skip
    snapshot = scan_aws(scan_config(session, endpoint))
    declared = 'datasets:\n  - match: {id: "arn:aws:s3:::locked"}\n    read: [aws-owner]\n    admin: [aws-owner]\n'
    rules = parse_rules("version: 1\n" + declared, source="rules.yaml")

    result = audit(snapshot, rules)

    on_bucket = [f for f in result.active if f.dataset.id == "arn:aws:s3:::locked" and f.rule_id != "SB011"]
    assert on_bucket == []
