"""Convenience members resolved to the holders of the basic role on the project.

https://cloud.google.com/storage/docs/access-control/iam#convenience-values (projectOwner:/projectEditor:/
projectViewer: in bucket policies), https://cloud.google.com/storage/docs/access-control/lists#scopes
(project-owners-N and kin in ACLs), https://cloud.google.com/bigquery/docs/access-control-basic-roles
(projectOwners/projectWriters/projectReaders in dataset access): each stands for the principals holding
roles/owner, roles/editor or roles/viewer on the project, inherited bindings included.
"""

from __future__ import annotations

from datetime import date

from seenby.audit import audit
from seenby.config import parse_rules
from seenby.findings import AuditResult
from seenby.model import AccessLevel, PrincipalKind
from seenby.policies import evaluate as evaluate_with_gaps
from tests.gcp.builders import (
    DENIED,
    PROJECT,
    PROJECT_NUMBER,
    audience,
    binding,
    bq_dataset,
    bucket,
    grants,
    group,
    org,
    policy,
    project,
    snapshot,
)
from tests.gcp.builders import evaluate as evaluate_snapshot

R, W, A, L = AccessLevel.READ, AccessLevel.WRITE, AccessLevel.ADMIN, AccessLevel.LIST
B = "gs://b"
DS = f"bigquery://{PROJECT}.ds"
PLATFORM = "group:data-platform@corp.example"
OWNERS_AND_EDITORS = policy(binding("roles/owner", PLATFORM), binding("roles/editor", PLATFORM))
# A bucket's default allow policy: https://cloud.google.com/storage/docs/access-control/iam#convenience-values
DEFAULT_BUCKET_POLICY = policy(
    binding("roles/storage.legacyBucketOwner", f"projectOwner:{PROJECT}", f"projectEditor:{PROJECT}"),
    binding("roles/storage.legacyObjectOwner", f"projectOwner:{PROJECT}", f"projectEditor:{PROJECT}"),
)


def _declared_platform(dataset: str) -> str:
    return (
        f'version: 1\ndatasets:\n  - match: {{id: "{dataset}"}}\n    classification: telemetry\n'
        f'    read: ["{PLATFORM}"]\n    write: ["{PLATFORM}"]\n    admin: ["{PLATFORM}"]\n'
    )


def _audit(rules: str, *resources) -> AuditResult:
    return audit(snapshot(*resources), parse_rules(rules, source="rules.yaml"), today=date(2026, 6, 1))


def _excess(result: AuditResult, dataset: str) -> set[str]:
    return {e.principal.id for f in result.findings if f.dataset.id == dataset for e in f.excess}


def test_bucket_policy_convenience_members_of_a_declared_group_are_no_finding() -> None:
    """projectOwner:P and projectEditor:P held only by the declared group raise nothing (the negative control)."""
    resources = (org(), project(iam=OWNERS_AND_EDITORS), bucket("b", iam=DEFAULT_BUCKET_POLICY))
    result = _audit(_declared_platform(B), *resources)
    assert _excess(result, B) == set()


def test_bigquery_special_groups_of_a_declared_group_are_no_finding() -> None:
    """projectOwners/projectWriters held only by the declared group raise nothing on the dataset."""
    entries = ({"role": "OWNER", "specialGroup": "projectOwners"}, {"role": "WRITER", "specialGroup": "projectWriters"})
    result = _audit(_declared_platform(DS), org(), project(iam=OWNERS_AND_EDITORS), bq_dataset("ds", *entries))
    assert _excess(result, DS) == set()


def test_acl_project_teams_of_a_declared_group_are_no_finding() -> None:
    """project-owners-N / project-editors-N ACL entities held only by the declared group raise nothing."""
    acl = [{"entity": f"project-owners-{PROJECT_NUMBER}", "role": "OWNER"},
           {"entity": f"project-editors-{PROJECT_NUMBER}", "role": "OWNER"}]
    result = _audit(_declared_platform(B), org(), project(iam=OWNERS_AND_EDITORS), bucket("b", uniform=False, acl=acl))
    assert _excess(result, B) == set()


def test_undeclared_holder_is_named_not_the_convenience_member() -> None:
    """An owner the declaration does not cover is the excess principal itself, not projectOwner:P."""
    iam = policy(binding("roles/owner", PLATFORM, "user:contractor@corp.example"))
    result = _audit(_declared_platform(B), org(), project(iam=iam), bucket("b", iam=DEFAULT_BUCKET_POLICY))
    assert _excess(result, B) == {"user:contractor@corp.example"}


def test_declaring_the_convenience_member_covers_its_holders() -> None:
    """A declaration naming projectOwner:P covers the project's owners."""
    rules = (f'version: 1\ndatasets:\n  - match: {{id: "{B}"}}\n    classification: telemetry\n'
             f'    read: ["projectOwner:{PROJECT}"]\n    write: ["projectOwner:{PROJECT}"]\n'
             f'    admin: ["projectOwner:{PROJECT}"]\n')
    iam = policy(binding("roles/owner", "user:boss@corp.example"))
    bucket_policy = policy(binding("roles/storage.legacyObjectOwner", f"projectOwner:{PROJECT}"))
    result = _audit(rules, org(), project(iam=iam), bucket("b", iam=bucket_policy))
    assert _excess(result, B) == set()


def test_people_count_follows_the_holders() -> None:
    """The people behind projectViewer:P are the members of the group holding roles/viewer."""
    iam = policy(binding("roles/viewer", "group:staff@corp.example"))
    bucket_policy = policy(binding("roles/storage.legacyObjectReader", f"projectViewer:{PROJECT}"))
    staff = group("staff@corp.example", ("USER", "a@corp.example"), ("USER", "b@corp.example"))
    result = _audit(_declared_platform(B), org(), project(iam=iam), bucket("b", iam=bucket_policy), staff)
    [finding] = [f for f in result.findings if f.dataset.id == B and f.level is R]
    assert ({e.principal.id for e in finding.excess}, finding.people) == ({"group:staff@corp.example"}, 2)


def test_inherited_holder_is_resolved() -> None:
    """An organisation-level roles/viewer holder is a project viewer: projectReaders reaches it."""
    readers = bq_dataset("ds", {"role": "READER", "specialGroup": "projectReaders"})
    ev = evaluate_snapshot(org(iam=policy(binding("roles/viewer", "user:auditor@corp.example"))),
                           project(iam=policy()), readers)
    assert audience(ev, DS, R) == {"user:auditor@corp.example"}


def test_expired_basic_role_binding_holds_nothing() -> None:
    """A roles/editor binding whose request.time condition expired before collection makes no projectEditor: holder."""
    expired = {"title": "t", "expression": 'request.time < timestamp("2020-01-01T00:00:00Z")'}
    iam = policy(binding("roles/editor", "user:old@corp.example", condition=expired))
    ev = evaluate_snapshot(org(), project(iam=iam), bucket("b", iam=DEFAULT_BUCKET_POLICY))
    assert grants(ev, B, W) == []


def test_unreadable_project_policy_is_an_unknown_broad_audience() -> None:
    """The project's IAM denied: projectOwner:P stays, as a broad class (fail closed)."""
    ev = evaluate_snapshot(org(), project(iam=DENIED), bucket("b", iam=DEFAULT_BUCKET_POLICY))
    holders = {(g.principal.id, g.principal.kind) for g in grants(ev, B, A)}
    assert holders == {(f"projectOwner:{PROJECT}", PrincipalKind.ORGANIZATION),
                       (f"projectEditor:{PROJECT}", PrincipalKind.ORGANIZATION)}


def test_unreadable_project_policy_is_a_gap_of_the_dataset() -> None:
    """The project's IAM denied: a coverage gap that lists the bucket reached through a convenience member."""
    ev = evaluate_with_gaps(snapshot(org(), project(iam=DENIED), bucket("b", iam=DEFAULT_BUCKET_POLICY)))
    [gap] = [g for g in ev.gaps if g.resource == f"projects/{PROJECT}" and g.read == "iam_policy"]
    assert B in gap.datasets


def test_project_outside_the_snapshot_is_a_gap_naming_it() -> None:
    """projectViewer:other on a bucket, project other not scanned: an unknown broad audience and a NotInSnapshot gap."""
    bucket_policy = policy(binding("roles/storage.legacyObjectReader", "projectViewer:other"))
    ev = evaluate_with_gaps(snapshot(org(), project(iam=policy()), bucket("b", iam=bucket_policy)))
    [gap] = [g for g in ev.gaps if g.resource == "projects/other"]
    assert (gap.error_code, gap.datasets, audience(ev, B, R)) == ("NotInSnapshot", (B,), {"projectViewer:other"})
