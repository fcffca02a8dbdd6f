"""GetBucketAcl is skipped where ACLs are disabled (issue 17), scanned from a real moto server.

With Object Ownership ``BucketOwnerEnforced`` "ACLs are disabled and no longer affect permissions"
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html) and reading the ACL
"always return[s] a response that shows full control for the bucket owner"
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-error-responses.html).  Calls are
counted with botocore's event hooks on the scanner's session.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from seenby.model import ReadOutcome
from seenby.policies import evaluate
from seenby.scanners.aws import scan_aws
from seenby.scanners.aws.calls import read
from seenby.scanners.aws.clients import Clients
from seenby.scanners.aws.s3 import ACL, ACL_DERIVED, read_bucket
from tests.scanners.helpers import ACCOUNT, http_fault, policy, s3_error, scan_config

ENFORCED = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
PREFERRED = {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}


def _bucket(snapshot, name):
    return next(r for r in snapshot.of_type("aws.s3.bucket") if r.name == name)


def _seed(client, name, ownership=None):
    s3 = client("s3")
    s3.create_bucket(Bucket=name)
    if ownership is not None:
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=ownership)
    return s3


def _count_acl_calls(session) -> list[str]:
    """The bucket of every GetBucketAcl the session's clients are about to send (registered after seeding)."""
    asked: list[str] = []
    session.events.register(
        "before-parameter-build.s3.GetBucketAcl", lambda params, **_: asked.append(params.get("Bucket"))
    )
    return asked


def _listing_owner(snapshot) -> str:
    account = next(iter(snapshot.of_type("aws.account")))
    return account.document("buckets")["Owner"]["ID"]


def test_enforced_bucket_gets_no_get_bucket_acl_call(session, endpoint, client):
    """BucketOwnerEnforced: no GetBucketAcl is sent; the acl read is ok, derived, the owner's full control."""
    _seed(client, "enforced", ENFORCED)
    asked = _count_acl_calls(session)

    snapshot = scan_aws(scan_config(session, endpoint))

    acl = _bucket(snapshot, "enforced").read("acl")
    owner = _listing_owner(snapshot)
    assert "enforced" not in asked
    assert (acl.outcome, acl.api, acl.message) == (ReadOutcome.OK, "s3:GetBucketAcl", ACL_DERIVED)
    assert acl.document == {
        "Owner": {"ID": owner},
        "Grants": [{"Grantee": {"ID": owner, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}],
    }


def test_enforced_bucket_evaluates_as_with_the_read_acl(session, endpoint, client):
    """The derived ACL gives the same grants and gaps as the ACL S3 returns for the same bucket."""
    s3 = _seed(client, "enforced-open", ENFORCED)
    s3.put_bucket_policy(
        Bucket="enforced-open",
        Policy=policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": "arn:aws:s3:::enforced-open/*"}),
    )  # fmt: skip
    scanned = scan_aws(scan_config(session, endpoint))
    bucket = _bucket(scanned, "enforced-open")
    as_read = read(s3, ACL.op, Bucket="enforced-open")  # what GetBucketAcl answers for it
    with_read = replace(scanned, resources=tuple(
        replace(r, reads={**r.reads, "acl": as_read}) if r.id == bucket.id else r for r in scanned.resources
    ))  # fmt: skip

    derived, read_acl = evaluate(scanned), evaluate(with_read)

    def summary(ev):
        grants = {(g.principal.id, g.level, g.conditional) for g in ev.grants if g.dataset == bucket.id}
        return grants, {(g.read, g.outcome) for g in ev.gaps if g.resource == bucket.id}

    assert as_read.ok and summary(derived) == summary(read_acl)
    assert ("aws:public", "read") in {(p, str(level)) for p, level, _ in summary(derived)[0]}


def test_acl_enabled_bucket_still_reads_its_acl(session, endpoint, client):
    """BucketOwnerPreferred (ACLs on): GetBucketAcl is sent once and its answer recorded as read."""
    s3 = _seed(client, "preferred", PREFERRED)
    s3.put_bucket_acl(Bucket="preferred", ACL="public-read")
    asked = _count_acl_calls(session)

    acl = _bucket(scan_aws(scan_config(session, endpoint)), "preferred").read("acl")

    assert asked.count("preferred") == 1
    assert acl.ok and acl.message is None
    assert any(g["Grantee"].get("URI", "").endswith("AllUsers") for g in acl.document["Grants"])


def test_bucket_without_ownership_controls_reads_its_acl(session, endpoint, client):
    """No ownership controls (ACLs on, as for buckets made before April 2023): GetBucketAcl is sent."""
    _seed(client, "no-controls")
    asked = _count_acl_calls(session)

    acl = _bucket(scan_aws(scan_config(session, endpoint)), "no-controls").read("acl")

    assert asked.count("no-controls") == 1 and acl.ok and acl.message is None


def test_denied_ownership_read_still_reads_the_acl(session, endpoint, client):
    """GetBucketOwnershipControls denied on an enforced bucket: fail closed, GetBucketAcl is read as before."""
    _seed(client, "hidden-ownership", ENFORCED)
    http_fault(session, "before-send.s3.GetBucketOwnershipControls", status=403, body=s3_error("AccessDenied"),
               when="hidden-ownership")  # fmt: skip
    asked = _count_acl_calls(session)

    bucket = _bucket(scan_aws(scan_config(session, endpoint)), "hidden-ownership")

    assert bucket.read("ownership_controls").outcome is ReadOutcome.DENIED
    assert asked.count("hidden-ownership") == 1
    assert bucket.read("acl").ok and bucket.read("acl").message is None


def test_enforced_bucket_without_a_listed_owner_reads_its_acl(session, endpoint, client):
    """No ListBuckets Owner.ID to derive from: the enforced bucket's ACL is read (fail closed), never invented."""
    _seed(client, "ownerless", ENFORCED)
    asked = _count_acl_calls(session)
    clients = Clients(scan_config(session, endpoint), lock=threading.Lock())

    bucket = read_bucket(clients, "ownerless", region="us-east-1", account=ACCOUNT, partition="aws", owner=None)

    assert asked == ["ownerless"]
    assert bucket.read("acl").ok and bucket.read("acl").message is None
