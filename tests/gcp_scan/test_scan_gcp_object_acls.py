"""Objects' own ACLs in buckets without uniform bucket-level access (issue 15.2), scanned from the emulator.

https://cloud.google.com/storage/docs/access-control/lists (object ACL entities and roles; ACLs apply only
while uniform bucket-level access is off, https://cloud.google.com/storage/docs/uniform-bucket-level-access);
https://cloud.google.com/storage/docs/json_api/v1/objects/list (``projection=full`` returns each object's acl).
"""

from __future__ import annotations

from datetime import date

from seenby.audit import audit
from seenby.config import parse_rules
from seenby.model import AccessLevel, ConditionFamily
from seenby.policies import evaluate
from seenby.scanners.gcp import scan_gcp
from seenby.scanners.gcp.replay import Recording
from tests.gcp_scan.helpers import FOLDER, scan_config, seed_bucket, seed_object

LEGACY = "corp-legacy"
B = f"gs://{LEGACY}"


def _fine_grained(gcs: str) -> None:
    seed_bucket(gcs, LEGACY, uniform=False)


def _no_prevention(transport) -> None:
    """The recorded folder enforces public access prevention; these tests need it to set nothing."""
    transport.add(Recording(method="GET", url=f"https://orgpolicy.googleapis.com/v2/{FOLDER}/policies",
                            body={"policies": []}))


def _object_acls(snapshot):
    [bucket] = snapshot.of_type("gcp.storage.bucket")
    return bucket.document("object_acls")


def _readers(snapshot) -> set[tuple[str, bool]]:
    return {(g.principal.id, g.conditional) for g in evaluate(snapshot).grants
            if g.dataset == B and g.level is AccessLevel.READ}


def test_public_object_acl_is_an_unconditional_read(http, gcs, transport) -> None:
    """allUsers READER on one object of a fine-grained bucket: allUsers reads (part of) the bucket, unconditionally."""
    _no_prevention(transport)
    _fine_grained(gcs)
    seed_object(gcs, LEGACY, "exports/keys.csv", acl=[("allUsers", "READER")])
    seed_object(gcs, LEGACY, "private.csv")
    assert ("allUsers", False) in _readers(scan_gcp(scan_config(http, gcs)))


def test_public_object_acl_under_enforced_prevention_opens_nothing(http, gcs) -> None:
    """The recorded folder enforces public access prevention: the public object ACL reaches nobody."""
    _fine_grained(gcs)
    seed_object(gcs, LEGACY, "exports/keys.csv", acl=[("allUsers", "READER")])
    assert "allUsers" not in {p for p, _ in _readers(scan_gcp(scan_config(http, gcs)))}


def test_object_grant_evidence_names_the_objects(http, gcs) -> None:
    """The grant's evidence names the objects carrying the entry and counts them (a data-part decision)."""
    _fine_grained(gcs)
    for name in ("a.csv", "b.csv", "c.csv", "d.csv"):
        seed_object(gcs, LEGACY, name, acl=[("domain-corp.example", "READER")])
    ev = evaluate(scan_gcp(scan_config(http, gcs)))
    [grant] = [g for g in ev.grants if g.principal.id == "domain:corp.example" and g.level is AccessLevel.READ]
    [decided] = grant.evidence[0].decided
    assert (decided.family, decided.how) == (
        ConditionFamily.DATA_PART, "4 object(s) with this ACL entry: d.csv, c.csv, b.csv and 1 more")


def test_public_object_is_a_finding_naming_it(http, gcs, transport) -> None:
    """Audited against a declaration for one group, the public object is a finding whose path names the object."""
    _no_prevention(transport)
    _fine_grained(gcs)
    seed_object(gcs, LEGACY, "exports/keys.csv", acl=[("allUsers", "READER")])
    rules = parse_rules(f'version: 1\ndatasets:\n  - match: {{id: "{B}"}}\n    classification: telemetry\n'
                        '    read: ["group:ml-team@corp.example"]\n', source="rules.yaml")
    result = audit(scan_gcp(scan_config(http, gcs)), rules, today=date(2026, 12, 1))
    [entry] = [e for f in result.findings if f.dataset.id == B and f.level is AccessLevel.READ for e in f.excess
               if e.principal.id == "allUsers"]
    assert entry.path[-2].evidence[0].excerpt["objects"] == ("exports/keys.csv",)


def test_object_acls_past_the_limit_are_a_coverage_gap(http, gcs) -> None:
    """Three objects, limit two: the two newest are read and the rest is a gap naming the counts."""
    _fine_grained(gcs)
    for name in ("old.csv", "mid.csv", "new.csv"):
        seed_object(gcs, LEGACY, name)
    snapshot = scan_gcp(scan_config(http, gcs, object_acl_limit=2))
    [gap] = [g for g in evaluate(snapshot).gaps if g.resource == B and g.read == "object_acls"]
    assert ([o["name"] for o in _object_acls(snapshot)["items"]], gap.message.split(" (")[0]) == (
        ["new.csv", "mid.csv"], "object ACLs read for 2 of 3 objects")


def test_uniform_bucket_objects_are_not_listed(http, gcs) -> None:
    """With uniform bucket-level access on, object ACLs grant nothing and are not read."""
    seed_bucket(gcs, LEGACY, uniform=True)
    seed_object(gcs, LEGACY, "a.csv")
    [bucket] = scan_gcp(scan_config(http, gcs)).of_type("gcp.storage.bucket")
    assert "object_acls" not in bucket.reads
