"""What one GCP evaluation works out once and shares (Context.role_levels, the CelMemo, the holders of basic
roles) gives each dataset the answer the plain evaluation gives it: each memo's key holds everything the answer
depends on.  Each test puts two datasets that differ in exactly one part of that key into one evaluation, the
first one filling the memo, and checks the second gets its own answer.

Semantics: https://cloud.google.com/storage/docs/uniform-bucket-level-access (object ACLs, so
storage.objects.setIamPolicy, have no effect under uniform access),
https://cloud.google.com/iam/docs/conditions-resource-attributes (resource.name of a bucket),
https://cloud.google.com/storage/docs/access-control/iam#convenience-values (projectViewer:p stands for the
holders of roles/viewer on p, inherited bindings included).
"""

from __future__ import annotations

from seenby.model import AccessLevel, Evaluation
from seenby.policies.gcp.bindings import role_levels
from seenby.policies.gcp.cel import CelMemo, CelResource, evaluate
from seenby.policies.gcp.context import Context
from seenby.policies.gcp.hierarchy import Hierarchy
from seenby.policies.gcp.roles import Attachment, Target, default_catalog
from tests.gcp.builders import (
    COLLECTED_AT,
    audience,
    binding,
    bucket,
    folder,
    grants,
    org,
    policy,
    project,
    snapshot,
)
from tests.gcp.builders import evaluate as evaluate_snapshot

R, A = AccessLevel.READ, AccessLevel.ADMIN
PLATFORM = "group:data-platform@corp.example"
READERS = "group:readers@corp.example"


def test_role_levels_are_worked_out_per_acl_state():
    """An inherited roles/storage.objectAdmin is ADMIN (objects.setIamPolicy) on a fine-grained bucket and not on a
    uniform one, whichever bucket of the project is evaluated first."""
    ev = evaluate_snapshot(
        org(),
        project(iam=policy(binding("roles/storage.objectAdmin", PLATFORM))),
        bucket("a-uniform", uniform=True),
        bucket("b-fine-grained", uniform=False),
    )

    assert PLATFORM not in audience(ev, "gs://a-uniform", A)
    assert PLATFORM in audience(ev, "gs://b-fine-grained", A)


def test_context_role_levels_match_the_plain_function():
    """Context.role_levels answers what bindings.role_levels answers, for every key, asked in any order."""
    ctx = Context(catalog=default_catalog(), hierarchy=Hierarchy(snapshot()), out=Evaluation())
    keys = [
        (role, target, attachment, acls)
        for role in ("roles/storage.objectAdmin", "roles/bigquery.dataOwner", "roles/owner", "projects/p/roles/x")
        for target in Target
        for attachment in Attachment
        for acls in (True, False)
    ]

    for role, target, attachment, acls in [*keys, *reversed(keys)]:
        plain = role_levels(default_catalog(), role, target, attachment, acls_active=acls)
        assert ctx.role_levels(role, target, attachment, acls_active=acls) == plain


def test_a_condition_is_decided_per_resource():
    """An inherited binding under ``resource.name.startsWith(".../buckets/logs-")`` opens the logs bucket and not
    the other bucket of the project, in one evaluation (one CelMemo)."""
    condition = {"title": "logs only", "expression": 'resource.name.startsWith("projects/_/buckets/logs-")'}
    ev = evaluate_snapshot(
        org(),
        project(iam=policy(binding("roles/storage.objectViewer", READERS, condition=condition))),
        bucket("logs-1"),
        bucket("data-1"),
    )

    assert READERS in audience(ev, "gs://logs-1", R)
    assert grants(ev, "gs://data-1", R, READERS) == []


def test_one_memo_answers_as_a_fresh_one():
    """Outcomes kept in a CelMemo across resources and instants equal those of a memo made for each call."""
    memo = CelMemo()
    expressions = [
        'resource.name.startsWith("projects/_/buckets/logs-")',
        "request.time.getHours(\"Europe/Berlin\") >= 9 && request.time.getHours(\"Europe/Berlin\") < 17",
        'request.time < timestamp("2026-01-01T00:00:00Z") || resource.name.endsWith("-1")',
    ]
    resources = [CelResource.bucket("logs-1"), CelResource.bucket("data-2"), CelResource.object_of("logs-1")]

    for expression in expressions:
        for resource in resources:
            fresh = evaluate(expression, resource, COLLECTED_AT)
            assert evaluate(expression, resource, COLLECTED_AT, memo=memo) == fresh


def test_holders_of_an_inherited_basic_role_name_their_own_project():
    """A folder's roles/viewer binding makes its member a holder of projectViewer:p1 and of projectViewer:p2: each
    bucket's grant quotes the binding with its own project's convenience member."""
    ev = evaluate_snapshot(
        org(),
        folder("folders/7", iam=policy(binding("roles/viewer", READERS))),
        project("p1", parent="folders/7", number="11", iam=policy()),
        project("p2", parent="folders/7", number="12", iam=policy()),
        bucket("b1", project_id="p1", iam=policy(binding("roles/storage.objectViewer", "projectViewer:p1"))),
        bucket("b2", project_id="p2", iam=policy(binding("roles/storage.objectViewer", "projectViewer:p2"))),
    )

    for name, project_id in (("b1", "p1"), ("b2", "p2")):
        (grant,) = grants(ev, f"gs://{name}", R, READERS)
        assert grant.evidence[-1].note == f"makes {READERS} one of projectViewer:{project_id}"
        assert grant.evidence[-1].source == "folders/7"
