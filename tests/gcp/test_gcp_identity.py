"""Cloud Identity group memberships, directory domains, and coverage gaps."""

from __future__ import annotations

from seenby.model import AccessLevel, EdgeKind, ReadOutcome
from seenby.policies.gaps import collect_gaps
from seenby.policies.gcp.provider import evaluate_snapshot
from tests.gcp.builders import (
    DENIED,
    PROJECT,
    binding,
    bucket,
    domain,
    evaluate,
    group,
    org,
    policy,
    project,
    snapshot,
)


def test_group_memberships_are_direct_member_of_edges() -> None:
    """Each membership is one MEMBER_OF edge member → group, nested groups included; https://cloud.google.com/identity/docs/reference/rest/v1/groups.memberships"""
    ev = evaluate(group("all-employees@corp.example", ("USER", "Ann@corp.example"), ("GROUP", "eng@corp.example")))
    edges = {(e.source.id, e.target.id, e.kind) for e in ev.edges}
    assert edges == {
        ("user:ann@corp.example", "group:all-employees@corp.example", EdgeKind.MEMBER_OF),
        ("group:eng@corp.example", "group:all-employees@corp.example", EdgeKind.MEMBER_OF),
    }


def test_membership_evidence() -> None:
    """A membership edge quotes GROUP_MEMBERSHIP memberships[i] of the group; https://cloud.google.com/identity/docs/reference/rest/v1/groups.memberships/list"""
    ev = evaluate(group("g@corp.example", ("SERVICE_ACCOUNT", "etl@p.iam.gserviceaccount.com")))
    [edge] = ev.edges
    assert edge.source.id == "serviceAccount:etl@p.iam.gserviceaccount.com"
    assert (edge.evidence[0].source, edge.evidence[0].location) == ("group:g@corp.example", "memberships[0]")


def test_unreadable_memberships_add_no_edges_and_are_a_gap() -> None:
    """Denied memberships are a coverage gap, not an empty group; https://cloud.google.com/identity/docs/reference/rest/v1/groups.memberships/list"""
    shot = snapshot(group("g@corp.example", memberships=DENIED))
    ev = evaluate_snapshot(shot)
    assert ev.edges == []
    [gap] = collect_gaps(shot, ev)
    assert (gap.resource, gap.read, gap.outcome) == ("g@corp.example", "memberships", ReadOutcome.DENIED)


def test_domain_people_count() -> None:
    """The directory users read sets the number of people behind domain:<d>; https://developers.google.com/admin-sdk/directory/reference/rest/v1/users/list"""
    assert evaluate(domain("Corp.Example", 5)).class_people == {"domain:corp.example": 5}


def test_bucket_metadata_gap_is_attributed_to_the_bucket() -> None:
    """A denied bucket metadata read is a gap naming that bucket's dataset; https://cloud.google.com/storage/docs/json_api/v1/buckets/get"""
    shot = snapshot(org(), project(iam=policy()), bucket("b", metadata=DENIED))
    [gap] = collect_gaps(shot, evaluate_snapshot(shot))
    assert (gap.resource, gap.datasets) == ("gs://b", ("gs://b",))


def test_deleted_member_keeps_its_grant_with_a_name() -> None:
    """A deleted: member in a binding keeps its grant (the binding still exists), marked deleted; https://cloud.google.com/iam/docs/principal-identifiers#deleted"""
    ev = evaluate(org(), project(), bucket("b", iam=policy(binding(
        "roles/storage.objectViewer", "deleted:user:gone@corp.example?uid=42"))))
    [grant] = [g for g in ev.grants if g.principal.id.startswith("deleted:") and g.level is AccessLevel.READ]
    assert grant.principal.name == "deleted user:gone@corp.example"
    assert grant.dataset == "gs://b" and ev.datasets["gs://b"].account == PROJECT
