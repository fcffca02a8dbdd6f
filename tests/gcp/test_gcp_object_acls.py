"""Objects' own ACLs (the object_acls read) in buckets without uniform bucket-level access.

https://cloud.google.com/storage/docs/access-control/lists#permissions (object READER reads the object, OWNER
also changes its ACL), https://cloud.google.com/storage/docs/access-control/lists#scopes (entities),
https://cloud.google.com/storage/docs/uniform-bucket-level-access (uniform access disables ACLs).
"""

from __future__ import annotations

from seenby.model import AccessLevel
from seenby.policies import evaluate as evaluate_with_gaps
from tests.gcp.builders import (
    PROJECT_NUMBER,
    audience,
    binding,
    bucket,
    conditional_audience,
    objects,
    org,
    policy,
    project,
    snapshot,
)
from tests.gcp.builders import evaluate as evaluate_snapshot

R, W, A = AccessLevel.READ, AccessLevel.WRITE, AccessLevel.ADMIN
B = "gs://legacy"


def _legacy(*acls, uniform: bool = False, total: int | None = None, iam=None):
    legacy = bucket("legacy", uniform=uniform, pap="unspecified", object_acls=objects(*acls, total=total))
    return evaluate_snapshot(org(), project(iam=iam or policy()), legacy)


def test_object_reader_reads_part_of_the_bucket() -> None:
    """A user READER on one object reads the bucket (that object), unconditionally."""
    ev = _legacy(("a.csv", [("user-x@corp.example", "READER")]))
    assert (audience(ev, B, R), conditional_audience(ev, B, R)) == ({"user:x@corp.example"}, set())


def test_object_owner_also_administers() -> None:
    """An object OWNER can change that object's ACL: READ and ADMIN, no WRITE."""
    ev = _legacy(("a.csv", [("group-ops@corp.example", "OWNER")]))
    got = {lv for lv in (R, W, A) if "group:ops@corp.example" in audience(ev, B, lv)}
    assert got == {R, A}


def test_uniform_access_disables_object_acls() -> None:
    """With uniform bucket-level access on, a public object ACL grants nothing."""
    ev = _legacy(("a.csv", [("allUsers", "READER")]), uniform=True)
    assert "allUsers" not in audience(ev, B, R)


def test_public_entry_on_many_objects_is_one_grant() -> None:
    """allUsers READER on five objects is one READ grant, its excerpt counting five and naming three."""
    ev = _legacy(*[(f"o{i}.csv", [("allUsers", "READER")]) for i in range(5)])
    [grant] = [g for g in ev.grants if g.dataset == B and g.level is R and g.principal.id == "allUsers"]
    assert (grant.evidence[0].excerpt["count"], grant.evidence[0].excerpt["objects"]) == (
        5, ("o0.csv", "o1.csv", "o2.csv"))


def test_project_team_entity_resolves_to_holders() -> None:
    """project-owners-N on an object is the project's roles/owner holders."""
    iam = policy(binding("roles/owner", "user:boss@corp.example"))
    ev = _legacy(("a.csv", [(f"project-owners-{PROJECT_NUMBER}", "OWNER")]), iam=iam)
    assert audience(ev, B, R) == {"user:boss@corp.example"}


def test_objects_past_the_limit_are_a_gap() -> None:
    """Two objects read of five listed: a coverage gap of the bucket saying so."""
    ev = evaluate_with_gaps(snapshot(org(), project(iam=policy()), bucket(
        "legacy", uniform=False, object_acls=objects(("a", []), ("b", []), total=5))))
    [gap] = [g for g in ev.gaps if g.read == "object_acls"]
    assert (gap.resource, gap.datasets, gap.message.split(" (")[0]) == (
        B, (B,), "object ACLs read for 2 of 5 objects")

