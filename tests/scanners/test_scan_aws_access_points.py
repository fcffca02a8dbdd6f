"""S3 access points: the composite ``access_points`` read of each bucket, and its failures as gaps."""

from __future__ import annotations

import json
import threading

import boto3
import pytest
from botocore.stub import Stubber

from seenby.model import ReadOutcome
from seenby.policies import evaluate
from seenby.scanners.aws import scan_aws
from seenby.scanners.aws.clients import Clients
from seenby.scanners.aws.s3 import list_access_points
from tests.scanners.helpers import ACCOUNT, REGION, http_fault, policy, s3_error, scan_config

WITH_POINT = "bucket-with-point"
PLAIN = "bucket-without-points"
POINT = "analytics"


def _s3control(client):
    control = client("s3control")
    control.meta.events.register(
        "before-send.s3-control.*",
        lambda request, **_: setattr(request, "url", request.url.replace(f"{ACCOUNT}.", "", 1)),
    )
    return control


@pytest.fixture
def buckets(client):
    for name in (WITH_POINT, PLAIN):
        client("s3").create_bucket(Bucket=name)
    control = _s3control(client)
    control.create_access_point(AccountId=ACCOUNT, Name=POINT, Bucket=WITH_POINT)
    control.put_access_point_policy(
        AccountId=ACCOUNT,
        Name=POINT,
        Policy=policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/{POINT}/object/*",
            }
        ),
    )


def _bucket(snapshot, name):
    return next(r for r in snapshot.of_type("aws.s3.bucket") if r.name == name)


def test_access_point_is_read_with_its_policy(session, endpoint, buckets):
    """A bucket's access point is listed with its policy and policy status (docs/snapshot.md shape)."""
    read = _bucket(scan_aws(scan_config(session, endpoint)), WITH_POINT).reads["access_points"]
    assert read.outcome is ReadOutcome.OK and read.api == "s3control:ListAccessPoints"
    (point,) = read.document["AccessPointList"]
    assert point["Name"] == POINT
    assert json.loads(point["Policy"])["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::444455556666:root"}
    assert "PolicyStatus" in point


def test_bucket_without_access_points_reads_an_empty_list(session, endpoint, buckets):
    """No access points is knowledge (an ok, empty list), not a gap."""
    read = _bucket(scan_aws(scan_config(session, endpoint)), PLAIN).reads["access_points"]
    assert read.outcome is ReadOutcome.OK and read.document == {"AccessPointList": []}


def test_denied_access_point_policy_makes_the_whole_read_a_gap(session, endpoint, buckets):
    """AccessDenied on GetAccessPointPolicy: the bucket's access_points read is denied; other buckets are read."""
    http_fault(
        session,
        "before-send.s3-control.GetAccessPointPolicy",
        status=403,
        body=s3_error("AccessDenied"),
        when=f"/accesspoint/{POINT}",
    )
    snapshot = scan_aws(scan_config(session, endpoint))
    denied = _bucket(snapshot, WITH_POINT).reads["access_points"]
    assert (denied.outcome, denied.api, denied.error_code) == (
        ReadOutcome.DENIED,
        "s3control:GetAccessPointPolicy",
        "AccessDenied",
    )
    assert _bucket(snapshot, PLAIN).reads["access_points"].outcome is ReadOutcome.OK
    gaps = {(g.resource, g.read) for g in evaluate(snapshot).gaps}
    assert (f"arn:aws:s3:::{WITH_POINT}", "access_points") in gaps


def _sent(session):
    sent: list[str] = []
    session.events.register("before-call.*.*", lambda model, **_: sent.append(model.name))
    return sent


def test_access_points_are_listed_once_per_account_and_region(session, endpoint, buckets, client):
    """Four buckets in two regions: ListAccessPoints is sent twice (once per region), never per bucket."""
    for name, region in (("east-two", REGION), ("west-one", "eu-west-1")):
        client("s3").create_bucket(Bucket=name, **({} if region == REGION else {
            "CreateBucketConfiguration": {"LocationConstraint": region}}))  # fmt: skip
    sent = _sent(session)

    snapshot = scan_aws(scan_config(session, endpoint))

    assert sent.count("ListAccessPoints") == 2
    assert all(b.reads["access_points"].ok for b in snapshot.of_type("aws.s3.bucket"))
    assert [p["Name"] for p in _bucket(snapshot, WITH_POINT).document("access_points")["AccessPointList"]] == [POINT]


def test_denied_account_listing_is_a_gap_of_every_bucket_in_the_region(session, endpoint, buckets):
    """AccessDenied on the account's ListAccessPoints: every bucket's access_points read is denied, none empty."""
    http_fault(session, "before-send.s3-control.ListAccessPoints", status=403, body=s3_error("AccessDenied"))

    snapshot = scan_aws(scan_config(session, endpoint))

    outcomes = {b.name: (b.reads["access_points"].outcome, b.reads["access_points"].api)
                for b in snapshot.of_type("aws.s3.bucket")}  # fmt: skip
    assert outcomes == {name: (ReadOutcome.DENIED, "s3control:ListAccessPoints") for name in (WITH_POINT, PLAIN)}


def test_bucket_policy_status_is_not_read(session, endpoint, buckets):
    """GetBucketPolicyStatus is never sent: the evaluator decides from the policy itself."""
    sent = _sent(session)

    scan_aws(scan_config(session, endpoint))

    assert "GetBucketPolicyStatus" not in sent and "GetBucketPolicy" in sent


def test_account_listing_follows_next_tokens():
    """ListAccessPoints for the account (no Bucket) is paged: every page is merged, tokens dropped."""
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name=REGION)
    clients = Clients(scan_config(session, None), lock=threading.Lock())
    page = [{"Name": n, "NetworkOrigin": "Internet", "Bucket": WITH_POINT} for n in ("one", "two")]
    with Stubber(clients.get("s3control", REGION)) as stub:
        stub.add_response("list_access_points", {"AccessPointList": page[:1], "NextToken": "t1"},
                          {"AccountId": ACCOUNT, "MaxResults": 1000})  # fmt: skip
        stub.add_response("list_access_points", {"AccessPointList": page[1:]},
                          {"AccountId": ACCOUNT, "MaxResults": 1000, "NextToken": "t1"})  # fmt: skip
        points = list_access_points(clients, account=ACCOUNT, region=REGION)

    assert points.listing.ok and [e["Name"] for e in points.entries()] == ["one", "two"]
