"""Cloud Storage through a real gcp-storage-emulator: what a bucket scan records."""

from __future__ import annotations

from seenby.model import AccessLevel, ReadOutcome
from seenby.policies import evaluate
from seenby.scanners.gcp import scan_gcp
from tests.gcp_scan.helpers import PROJECT, scan_config, seed_bucket


def _bucket(snapshot, name):
    return next(r for r in snapshot.of_type("gcp.storage.bucket") if r.name == name)


def test_bucket_metadata_is_the_full_projection_with_acls_and_iam_configuration(http, gcs):
    """storage.buckets.get with projection=full: ACL, default object ACL, uniform access, PAP and labels as stored."""
    seed_bucket(
        gcs,
        "corp-legacy-exports",
        uniform=False,
        pap="inherited",
        labels={"classification": "employee-telemetry"},
        acl=[("allAuthenticatedUsers", "READER")],
        default_acl=[("group-contractors@corp.example", "READER")],
    )

    meta = _bucket(scan_gcp(scan_config(http, gcs)), "corp-legacy-exports").document("metadata")

    assert meta["acl"][0]["entity"] == "allAuthenticatedUsers" and meta["acl"][0]["role"] == "READER"
    assert meta["defaultObjectAcl"][0]["entity"] == "group-contractors@corp.example"
    assert meta["iamConfiguration"]["uniformBucketLevelAccess"]["enabled"] is False
    assert meta["iamConfiguration"]["publicAccessPrevention"] == "inherited"
    assert meta["labels"] == {"classification": "employee-telemetry"}


def test_bucket_iam_policy_is_read_with_its_bindings(http, gcs):
    """storage.buckets.getIamPolicy (version 3) records every binding as the emulator stores it."""
    binding = {"role": "roles/storage.objectViewer", "members": ["domain:corp.example"]}
    seed_bucket(gcs, "corp-keystrokes", bindings=[binding])

    bucket = _bucket(scan_gcp(scan_config(http, gcs)), "corp-keystrokes")

    assert bucket.read("iam_policy").api == "storage.buckets.getIamPolicy"
    assert bucket.document("iam_policy")["bindings"] == [
        {"role": "roles/storage.objectViewer", "members": ["domain:corp.example"]}
    ]
    assert (bucket.account, bucket.parent, bucket.id) == (PROJECT, f"projects/{PROJECT}", "gs://corp-keystrokes")


def test_project_records_its_bucket_listing(http, gcs):
    """The project carries a `buckets` read (storage.buckets.list) naming every bucket the scan then read."""
    for name in ("bucket-a", "bucket-b"):
        seed_bucket(gcs, name)

    snapshot = scan_gcp(scan_config(http, gcs))

    (project,) = snapshot.of_type("gcp.project")
    listing = project.read("buckets")
    assert listing.outcome is ReadOutcome.OK and listing.api == "storage.buckets.list"
    assert sorted(b["name"] for b in listing.document["items"]) == ["bucket-a", "bucket-b"]
    assert sorted(r.name for r in snapshot.of_type("gcp.storage.bucket")) == ["bucket-a", "bucket-b"]


def test_scanned_public_acl_is_removed_by_the_folder_prevention_read_from_orgpolicy(http, gcs):
    """An allUsers default ACL on an `inherited` bucket: the folder's enforced prevention (read live) removes it."""
    seed_bucket(gcs, "corp-site", uniform=False, pap="inherited", default_acl=[("allUsers", "READER")])

    evaluation = evaluate(scan_gcp(scan_config(http, gcs)))

    grants = [g for g in evaluation.grants if g.dataset == "gs://corp-site" and g.level is AccessLevel.READ]
    readers = {g.principal.id for g in grants}
    assert "allUsers" not in readers
    assert "user:auditor@corp.example" in readers  # the project's conditional binding still reaches it
