"""Object ACLs (issue 22 item 1), scanned from a real moto server: listed, read newest first, bounded."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from seenby.model import ReadOutcome
from seenby.scanners.aws import scan_aws
from seenby.snapshot import load_snapshot
from tests.scanners.helpers import ACCESS_KEY, REGION, SECRET_KEY, http_fault, s3_error, scan_config
from tests.scanners.seeds import member_client, seed_org

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def _bucket(snapshot, name):
    return next(r for r in snapshot.of_type("aws.s3.bucket") if r.name == name)


def _seed(client, name, keys, *, public=()):
    s3 = client("s3")
    s3.create_bucket(Bucket=name)
    for key in keys:
        s3.put_object(Bucket=name, Key=key, Body=b"x")
        if key in public:
            s3.put_object_acl(Bucket=name, Key=key, ACL="public-read")
    return s3


def test_object_acls_are_grouped_by_acl_with_their_keys(session, endpoint, client):
    """Two private objects share one ACL entry; the public-read one has its own, with the AllUsers grant."""
    _seed(client, "acl-bucket", ["a.csv", "b.csv", "open.csv"], public={"open.csv"})

    doc = _bucket(scan_aws(scan_config(session, endpoint)), "acl-bucket").document("object_acls")

    assert (doc["Listed"], doc["ListingComplete"], doc["Chosen"], doc["Failures"]) == (3, True, 3, [])
    by_keys = {tuple(sorted(a["Keys"])): a for a in doc["Acls"]}
    assert set(by_keys) == {("a.csv", "b.csv"), ("open.csv",)}
    public = by_keys[("open.csv",)]
    assert any(g["Grantee"].get("URI") == ALL_USERS and g["Permission"] == "READ" for g in public["Grants"])


def test_bucket_owner_enforced_costs_no_object_call(session, endpoint, client):
    """With BucketOwnerEnforced no ListObjectsV2 or GetObjectAcl is sent and no object_acls read is recorded."""
    s3 = _seed(client, "enforced", ["k"])
    s3.put_bucket_ownership_controls(
        Bucket="enforced", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    sent: list[str] = []
    session.events.register("before-call.s3.*", lambda model, **_: sent.append(model.name))

    bucket = _bucket(scan_aws(scan_config(session, endpoint)), "enforced")

    assert "object_acls" not in bucket.reads
    assert {"ListObjectsV2", "GetObjectAcl"} & set(sent) == set()


def test_the_bound_reads_the_newest_objects_only(session, endpoint, client):
    """object_acl_limit=2 of three objects: the two most recently modified are read, the listing counts three."""
    s3 = client("s3")
    s3.create_bucket(Bucket="bounded")
    for key in ("old", "middle", "new"):
        s3.put_object(Bucket="bounded", Key=key, Body=b"x")
        time.sleep(1.1)  # S3 LastModified has one-second resolution

    doc = _bucket(scan_aws(scan_config(session, endpoint, object_acl_limit=2)), "bounded").document("object_acls")

    assert (doc["Listed"], doc["Chosen"]) == (3, 2)
    assert sorted(k for a in doc["Acls"] for k in a["Keys"]) == ["middle", "new"]


def test_denied_object_acl_is_recorded_as_a_failure_not_as_no_grant(session, endpoint, client):
    """A GetObjectAcl answered AccessDenied is kept under Failures with its outcome and code."""
    _seed(client, "half-denied", ["readable", "secret"])
    http_fault(session, "before-send.s3.GetObjectAcl", status=403, body=s3_error("AccessDenied"), when="secret")

    doc = _bucket(scan_aws(scan_config(session, endpoint)), "half-denied").document("object_acls")

    assert doc["Failures"] == [{"Key": "secret", "outcome": "denied", "error_code": "AccessDenied"}]
    assert [k for a in doc["Acls"] for k in a["Keys"]] == ["readable"]


def test_denied_listing_makes_the_read_a_gap(session, endpoint, client):
    """ListObjectsV2 denied: the object_acls read is denied (the objects are unknown), never an empty list."""
    _seed(client, "unlistable", ["k"])
    http_fault(session, "before-send.s3.ListObjectsV2", status=403, body=s3_error("AccessDenied"))

    read = _bucket(scan_aws(scan_config(session, endpoint)), "unlistable").read("object_acls")

    assert (read.outcome, read.api, read.error_code) == (ReadOutcome.DENIED, "s3:ListObjectsV2", "AccessDenied")


def test_org_mode_reads_member_object_acls_within_the_bound(session, endpoint, client):
    """scan aws --org: a member account's bucket has its object ACLs read, at most object_acl_limit of them."""
    seeded = seed_org(session, endpoint, client)
    s3 = member_client(session, endpoint, seeded["data"], "s3")
    for key in ("p1", "p2", "p3"):
        s3.put_object(Bucket="corp-data-lake", Key=key, Body=b"x")
        s3.put_object_acl(Bucket="corp-data-lake", Key=key, ACL="public-read")

    snapshot = scan_aws(scan_config(session, endpoint, org_mode=True, object_acl_limit=2))

    bucket = _bucket(snapshot, "corp-data-lake")
    doc = bucket.document("object_acls")
    assert bucket.account == seeded["data"]
    assert (doc["Listed"], doc["Chosen"], len([k for a in doc["Acls"] for k in a["Keys"]])) == (3, 2, 2)


def test_cli_org_scan_reads_object_acls_within_the_bound(session, endpoint, client, tmp_path):
    """`seenby scan aws --org --object-acl-limit 1` on a local endpoint: one object ACL of the member's three."""
    seeded = seed_org(session, endpoint, client)
    s3 = member_client(session, endpoint, seeded["data"], "s3")
    for key in ("p1", "p2", "p3"):
        s3.put_object(Bucket="corp-data-lake", Key=key, Body=b"x")
    out = tmp_path / "snap.json"
    env = {
        **os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": REGION, "XDG_DATA_HOME": str(tmp_path / "data"),
    }  # fmt: skip

    proc = subprocess.run(
        [sys.executable, "-m", "seenby", "scan", "aws", "--org", "--region", REGION, "--object-acl-limit", "1",
         "-o", str(out), "--quiet"],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip

    assert proc.returncode == 0, proc.stderr
    doc = _bucket(load_snapshot(out), "corp-data-lake").document("object_acls")
    assert (doc["Listed"], doc["Chosen"], sum(len(a["Keys"]) for a in doc["Acls"])) == (3, 1, 1)


def test_listing_bound_stops_the_listing_and_says_so(session, endpoint, client):
    """object_listing_limit=2 of three objects: the listing stops at two keys and is marked incomplete."""
    _seed(client, "long-bucket", ["k1", "k2", "k3"])

    config = scan_config(session, endpoint, object_acl_limit=1, object_listing_limit=2)
    doc = _bucket(scan_aws(config), "long-bucket").document("object_acls")

    assert (doc["Listed"], doc["ListingComplete"], doc["Chosen"]) == (2, False, 1)


def test_scanned_public_object_is_a_public_read_of_its_bucket(session, endpoint, client):
    """Scanned then evaluated: one public-read object makes the bucket's data public, the object named."""
    from seenby.model import AccessLevel
    from seenby.policies import evaluate

    _seed(client, "leaky", ["private.csv", "open.csv"], public={"open.csv"})

    evaluation = evaluate(scan_aws(scan_config(session, endpoint)))

    reads = [g for g in evaluation.grants if g.dataset == "arn:aws:s3:::leaky" and g.level is AccessLevel.READ]
    assert {g.principal.id for g in reads} == {"aws:public"}
    assert reads[0].evidence[0].note == "object ACL: READ on 1 object(s): open.csv"
