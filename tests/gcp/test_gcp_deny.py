"""IAM deny policies: checked before allow, inherited down the hierarchy, exceptions exempt.

Every test cites the Google page its rule comes from.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from seenby.model import AccessLevel, EvidenceKind, ReadOutcome
from seenby.policies import evaluate as evaluate_all
from seenby.policies.gcp.deny import v1_permission
from seenby.policies.gcp.members import member_principal
from seenby.snapshot import Read, Resource
from tests.gcp.builders import (
    DENIED,
    ORG,
    audience,
    binding,
    bq_dataset,
    bucket,
    conditional_audience,
    evaluate,
    folder,
    grants,
    group,
    org,
    policy,
    project,
    snapshot,
)

B = "gs://b"
R, W, L = AccessLevel.READ, AccessLevel.WRITE, AccessLevel.LIST
VIEWER = "roles/storage.objectViewer"
OVERVIEW = "https://cloud.google.com/iam/docs/deny-overview"


def rule(
    denied: list[str],
    permissions: list[str],
    *,
    exceptions: list[str] | None = None,
    exception_permissions: list[str] | None = None,
    condition: dict[str, str] | None = None,
) -> dict[str, Any]:
    deny: dict[str, Any] = {"deniedPrincipals": denied, "deniedPermissions": permissions}
    if exceptions:
        deny["exceptionPrincipals"] = exceptions
    if exception_permissions:
        deny["exceptionPermissions"] = exception_permissions
    if condition:
        deny["denialCondition"] = condition
    return {"denyRule": deny}


def with_deny(node: Resource, *rules: dict[str, Any], read: Read | None = None) -> Resource:
    """``node`` with a deny_policies read holding one policy of ``rules`` (or the given read)."""
    doc = {
        "policies": [
            {
                "name": f"policies/cloudresourcemanager.googleapis.com%2F{node.id.replace('/', '%2F')}/denypolicies/p",
                "kind": "DenyPolicy",
                "displayName": "no telemetry reads",
                "rules": list(rules),
            }
        ]
    }
    deny = read or Read(outcome=ReadOutcome.OK, api="iam.policies.get", document=doc)
    return replace(node, reads={**node.reads, "deny_policies": deny})


GET = "storage.googleapis.com/objects.get"


def test_deny_on_the_organisation_removes_a_bucket_grant_below_it() -> None:
    """A permission denied at the organisation is refused on a bucket in a project under it; https://cloud.google.com/iam/docs/deny-overview#inheritance"""
    ev = evaluate(
        with_deny(org(), rule(["principal://goog/subject/x@corp.example"], [GET])),
        project(),
        bucket("b", iam=policy(binding(VIEWER, "user:x@corp.example"))),
    )
    assert "user:x@corp.example" not in audience(ev, B, R)
    assert "user:x@corp.example" in audience(ev, B, L)  # objects.list was not denied


def test_deny_on_a_folder_applies_to_projects_below_it() -> None:
    """A deny policy attached to a folder applies to resources in its projects; https://cloud.google.com/iam/docs/deny-overview#inheritance"""
    ev = evaluate(
        org(),
        with_deny(folder("folders/7"), rule(["principal://goog/subject/x@corp.example"], [GET])),
        project(parent="folders/7"),
        bucket("b", iam=policy(binding(VIEWER, "user:x@corp.example"))),
    )
    assert grants(ev, B, R, "user:x@corp.example") == []


def test_deny_on_another_project_does_not_apply() -> None:
    """A deny policy covers only its attachment point's descendants; https://cloud.google.com/iam/docs/deny-overview#inheritance"""
    ev = evaluate(
        org(),
        with_deny(project("other", number="9"), rule(["principal://goog/subject/x@corp.example"], [GET])),
        project(),
        bucket("b", iam=policy(binding(VIEWER, "user:x@corp.example"))),
    )
    assert "user:x@corp.example" in audience(ev, B, R)


def test_deny_is_checked_before_an_allow_on_the_resource_itself() -> None:
    """A deny wins over an allow binding on the bucket itself, not only inherited ones; https://cloud.google.com/iam/docs/deny-overview#policy-eval"""
    ev = evaluate(
        org(),
        with_deny(project(), rule(["principal://goog/subject/x@corp.example"], [GET])),
        bucket("b", iam=policy(binding("roles/storage.objectAdmin", "user:x@corp.example"))),
    )
    assert "user:x@corp.example" not in audience(ev, B, R)
    assert "user:x@corp.example" in audience(ev, B, W)  # create/delete were not denied


def test_a_deny_policy_with_an_exception_principal() -> None:
    """A member of a denied group is denied, unless an exception principal names it; https://cloud.google.com/iam/docs/deny-overview#deny-rules"""
    ev = evaluate(
        with_deny(
            org(),
            rule(
                ["principalSet://goog/group/contractors@corp.example"],
                [GET],
                exceptions=["principal://goog/subject/lead@corp.example"],
            ),
        ),
        project(),
        group("contractors@corp.example", ("USER", "c1@corp.example"), ("USER", "lead@corp.example")),
        bucket("b", iam=policy(binding(VIEWER, "user:c1@corp.example", "user:lead@corp.example"))),
    )
    assert "user:c1@corp.example" not in audience(ev, B, R)
    assert "user:lead@corp.example" in audience(ev, B, R)


def test_denied_group_grant_moves_to_the_exception_principals_inside_it() -> None:
    """A grant to a denied group reaches only its exception members; the evidence says so; https://cloud.google.com/iam/docs/deny-overview#deny-rules"""
    ev = evaluate(
        with_deny(
            org(),
            rule(
                ["principalSet://goog/group/contractors@corp.example"],
                [GET],
                exceptions=["principal://goog/subject/lead@corp.example", "principal://goog/subject/out@corp.example"],
            ),
        ),
        project(),
        group("contractors@corp.example", ("USER", "c1@corp.example"), ("USER", "lead@corp.example")),
        bucket("b", iam=policy(binding(VIEWER, "group:contractors@corp.example"))),
    )
    assert audience(ev, B, R) == {"user:lead@corp.example"}
    [grant] = grants(ev, B, R)
    assert grant.evidence[0].kind is EvidenceKind.IAM_BINDING
    assert "exception principal" in grant.evidence[0].note


def test_nested_group_member_is_denied_through_the_outer_group() -> None:
    """Denying a group denies the members of groups inside it; https://cloud.google.com/iam/docs/deny-overview#deny-rules"""
    ev = evaluate(
        with_deny(org(), rule(["principalSet://goog/group/contractors@corp.example"], [GET])),
        project(),
        group("contractors@corp.example", ("GROUP", "vendors@corp.example")),
        group("vendors@corp.example", ("USER", "v1@corp.example")),
        bucket("b", iam=policy(binding(VIEWER, "user:v1@corp.example", "group:vendors@corp.example"))),
    )
    assert audience(ev, B, R) == set()


def test_public_all_denies_allusers_grants() -> None:
    """principalSet://goog/public:all stands for everyone, allUsers included; https://cloud.google.com/iam/docs/principal-identifiers"""
    ev = evaluate(
        with_deny(org(), rule(["principalSet://goog/public:all"], [GET])),
        project(),
        bucket("b", iam=policy(binding(VIEWER, "allUsers", "user:x@corp.example"))),
    )
    assert audience(ev, B, R) == set()


def test_public_all_with_an_exception_group_leaves_that_group_reading() -> None:
    """Deny everyone except a group: an allUsers grant reaches that group only; https://cloud.google.com/iam/docs/deny-overview#deny-rules"""
    ev = evaluate(
        with_deny(
            org(),
            rule(
                ["principalSet://goog/public:all"], [GET], exceptions=["principalSet://goog/group/admins@corp.example"]
            ),
        ),
        project(),
        bucket("b", iam=policy(binding(VIEWER, "allUsers"))),
    )
    assert audience(ev, B, R) == {"group:admins@corp.example"}


def test_denial_condition_keeps_the_grant_conditional_as_written() -> None:
    """A denialCondition on tags cannot be decided offline: the grant stays, conditional; https://cloud.google.com/iam/docs/deny-overview#conditions"""
    expression = "resource.matchTag('123456789012/env', 'prod')"
    ev = evaluate(
        with_deny(
            org(),
            rule(
                ["principal://goog/subject/x@corp.example"],
                [GET],
                condition={"title": "prod only", "expression": expression},
            ),
        ),
        project(),
        bucket("b", iam=policy(binding(VIEWER, "user:x@corp.example"))),
    )
    assert conditional_audience(ev, B, R) == {"user:x@corp.example"}
    [grant] = grants(ev, B, R, "user:x@corp.example")
    assert grant.conditions[-1].expression == expression
    assert "deny policy" in grant.conditions[-1].reason


def test_wildcard_permission_denies_every_matching_permission() -> None:
    """``storage.googleapis.com/objects.*`` denies reading, writing and listing objects; https://cloud.google.com/iam/docs/deny-permissions-support"""
    ev = evaluate(
        with_deny(org(), rule(["principal://goog/subject/x@corp.example"], ["storage.googleapis.com/objects.*"])),
        project(),
        bucket("b", iam=policy(binding("roles/storage.objectAdmin", "user:x@corp.example"))),
    )
    assert {lvl for lvl in (R, W, L) if "user:x@corp.example" in audience(ev, B, lvl)} == set()


def test_exception_permission_is_not_denied() -> None:
    """exceptionPermissions are taken out of deniedPermissions; https://cloud.google.com/iam/docs/deny-overview#deny-rules"""
    ev = evaluate(
        with_deny(
            org(),
            rule(
                ["principal://goog/subject/x@corp.example"],
                ["storage.googleapis.com/objects.*"],
                exception_permissions=[GET],
            ),
        ),
        project(),
        bucket("b", iam=policy(binding(VIEWER, "user:x@corp.example"))),
    )
    assert "user:x@corp.example" in audience(ev, B, R)
    assert "user:x@corp.example" not in audience(ev, B, L)


def test_deny_narrows_bigquery_dataset_access_entries() -> None:
    """bigquery.googleapis.com/tables.getData denied at the project removes a dataset reader's data access; https://cloud.google.com/iam/docs/deny-permissions-support"""
    ds = "bigquery://corp-telemetry.raw"
    ev = evaluate(
        org(),
        with_deny(
            project(), rule(["principal://goog/subject/x@corp.example"], ["bigquery.googleapis.com/tables.getData"])
        ),
        bq_dataset("raw", {"role": "READER", "userByEmail": "x@corp.example"}),
    )
    assert "user:x@corp.example" not in audience(ev, ds, R)
    assert "user:x@corp.example" in audience(ev, ds, L)


def test_service_account_principal_identifier_is_normalised() -> None:
    """A v2 service-account identifier denies the allow policy's serviceAccount: member; https://cloud.google.com/iam/docs/principal-identifiers"""
    sa = "etl@corp-telemetry.iam.gserviceaccount.com"
    ev = evaluate(
        with_deny(org(), rule([f"principal://iam.googleapis.com/projects/-/serviceAccounts/{sa}"], [GET])),
        project(),
        bucket("b", iam=policy(binding(VIEWER, f"serviceAccount:{sa}"))),
    )
    assert audience(ev, B, R) == set()


def test_deny_principal_identifiers_map_to_allow_members() -> None:
    """v2 identifiers map onto allow-policy members; https://cloud.google.com/iam/docs/principal-identifiers"""
    assert member_principal("principalSet://goog/public:all").id == "allUsers"
    assert member_principal("principal://goog/subject/A@corp.example").id == "user:a@corp.example"
    assert member_principal("principalSet://goog/group/G@corp.example").id == "group:g@corp.example"
    assert v1_permission("cloudresourcemanager.googleapis.com/projects.setIamPolicy") == (
        "resourcemanager.projects.setIamPolicy"
    )


def test_legacy_acl_grants_are_not_narrowed() -> None:
    """Deny is applied to role grants only; an ACL grant stays (fail closed: over-reports); https://cloud.google.com/storage/docs/access-control/lists"""
    ev = evaluate(
        with_deny(org(), rule(["principalSet://goog/public:all"], [GET])),
        project(),
        bucket("b", uniform=False, default_acl=[{"entity": "user-x@corp.example", "role": "READER"}]),
    )
    assert conditional_audience(ev, B, R) == {"user:x@corp.example"}


def test_unknown_role_is_not_narrowed() -> None:
    """A role without a definition cannot be checked against denied permissions: its conditional grant stays; https://cloud.google.com/iam/docs/deny-overview"""
    ev = evaluate(
        with_deny(org(), rule(["principal://goog/subject/x@corp.example"], [GET])),
        project(),
        bucket("b", iam=policy(binding("projects/corp-telemetry/roles/mystery", "user:x@corp.example"))),
    )
    assert conditional_audience(ev, B, R) == {"user:x@corp.example"}


def test_unreadable_deny_policies_are_a_gap_and_narrow_nothing() -> None:
    """deny_policies denied: a coverage gap, and every grant stays (never assume a deny we did not read); https://cloud.google.com/iam/docs/deny-overview"""
    shot = snapshot(
        with_deny(org(), read=replace(DENIED, api="iam.policies.listPolicies")),
        project(),
        bucket("b", iam=policy(binding(VIEWER, "user:x@corp.example"))),
    )
    ev = evaluate_all(shot)
    assert "user:x@corp.example" in audience(ev, B, R)
    assert any(g.resource == ORG and g.read == "deny_policies" for g in ev.gaps)


# -- a deny on some members of a granted group -------------------------------------------

DENY_RULES = "https://cloud.google.com/iam/docs/deny-overview#deny-rules"
ALICE = "user:alice@corp.example"
BOB = "user:bob@corp.example"
DENY_ALICE = rule(["principal://goog/subject/alice@corp.example"], [GET])


def _reached(ev: Any, level: AccessLevel = R) -> dict[str, bool]:
    """Who the reachability graph says reaches gs://b at ``level`` (membership edges included) → conditional?"""
    from seenby.graph.audience import audience as graph_audience
    from seenby.graph.build import build_graph

    return {r.principal.id: r.conditional for r in graph_audience(build_graph(ev), B, level)}


def test_deny_on_a_group_member_removes_only_that_member() -> None:
    """A user denied by name is refused whatever group grants the role; the group's other members keep it; https://cloud.google.com/iam/docs/deny-overview#deny-rules"""
    ev = evaluate(
        with_deny(org(), DENY_ALICE),
        project(),
        group("ops@corp.example", ("USER", "alice@corp.example"), ("USER", "bob@corp.example")),
        bucket("b", iam=policy(binding(VIEWER, "group:ops@corp.example"))),
    )
    assert (_reached(ev), _reached(ev, L)) == (
        {BOB: False},
        {"group:ops@corp.example": False, ALICE: False, BOB: False},
    )


def test_member_kept_by_a_split_group_grant_names_the_group_and_the_deny_rule() -> None:
    """The remaining member's grant is the group's binding, noting the group and the rule that removed a member; https://cloud.google.com/iam/docs/deny-overview#deny-rules"""
    ev = evaluate(
        with_deny(org(), DENY_ALICE),
        project(),
        group("ops@corp.example", ("USER", "alice@corp.example"), ("USER", "bob@corp.example")),
        bucket("b", iam=policy(binding(VIEWER, "group:ops@corp.example"))),
    )
    [grant] = grants(ev, B, R)
    assert (grant.principal.id, grant.evidence[0].excerpt["member"], grant.evidence[0].note) == (
        BOB,
        "group:ops@corp.example",
        f"deny policy no telemetry reads rules[0] (attached to {ORG}) denies {ALICE}, inside group:ops@corp.example: "
        f"the grant to group:ops@corp.example is split among its members; {BOB} is in group:ops@corp.example",
    )


def test_deny_on_a_member_of_a_nested_group_splits_only_the_groups_holding_it() -> None:
    """A denied user in a nested group loses the outer grant; a sibling group with no denied member keeps it whole; https://cloud.google.com/iam/docs/deny-overview#deny-rules"""
    ev = evaluate(
        with_deny(org(), DENY_ALICE),
        project(),
        group("eng@corp.example", ("GROUP", "ops@corp.example"), ("GROUP", "web@corp.example")),
        group("ops@corp.example", ("USER", "alice@corp.example"), ("USER", "bob@corp.example")),
        group("web@corp.example", ("USER", "carol@corp.example")),
        bucket("b", iam=policy(binding(VIEWER, "group:eng@corp.example"))),
    )
    assert _reached(ev) == {BOB: False, "group:web@corp.example": False, "user:carol@corp.example": False}


def test_denial_condition_on_a_group_member_leaves_that_member_conditional() -> None:
    """A denialCondition on tags is not decided offline: the named member keeps the group's grant, conditionally; https://cloud.google.com/iam/docs/deny-overview#conditions"""
    tagged = rule(["principal://goog/subject/alice@corp.example"], [GET],
                  condition={"title": "t", "expression": "resource.matchTag('1/env', 'prod')"})
    ev = evaluate(
        with_deny(org(), tagged),
        project(),
        group("ops@corp.example", ("USER", "alice@corp.example"), ("USER", "bob@corp.example")),
        bucket("b", iam=policy(binding(VIEWER, "group:ops@corp.example"))),
    )
    assert _reached(ev) == {ALICE: True, BOB: False}


def test_group_whose_memberships_were_not_read_keeps_its_grant() -> None:
    """Memberships not read: no member is known to be denied, so the group keeps its grant (fail closed); https://cloud.google.com/iam/docs/deny-overview#deny-rules"""
    ev = evaluate(
        with_deny(org(), DENY_ALICE),
        project(),
        group("ops@corp.example", memberships=DENIED),
        bucket("b", iam=policy(binding(VIEWER, "group:ops@corp.example"))),
    )
    assert _reached(ev) == {"group:ops@corp.example": False}


def test_exception_principal_inside_a_granted_group_keeps_the_grant() -> None:
    """A member named by exceptionPrincipals is not denied even though the rule denies a group holding it; https://cloud.google.com/iam/docs/deny-overview#deny-rules"""
    ev = evaluate(
        with_deny(org(), rule(["principalSet://goog/group/contractors@corp.example"], [GET],
                              exceptions=["principal://goog/subject/alice@corp.example"])),
        project(),
        group("ops@corp.example", ("GROUP", "contractors@corp.example"), ("USER", "bob@corp.example")),
        group("contractors@corp.example", ("USER", "alice@corp.example"), ("USER", "c1@corp.example")),
        bucket("b", iam=policy(binding(VIEWER, "group:ops@corp.example"))),
    )
    assert _reached(ev) == {ALICE: False, BOB: False}


# -- every identity of a Cloud Identity / Workspace customer -------------------------------

PRINCIPAL_IDS = "https://cloud.google.com/iam/docs/principal-identifiers"
DENY_CUSTOMER = rule(["principalSet://goog/cloudIdentityCustomerId/C0abc123"], [GET])


def _org_of_customer(customer: str | None) -> Resource:
    """The organisation, its metadata naming its Workspace customer (displayName: the primary domain)."""
    metadata: dict[str, Any] = {"name": ORG, "displayName": "corp.example"}
    if customer:
        metadata["directoryCustomerId"] = customer
    node = org()
    return replace(node, reads={**node.reads, "metadata": Read(outcome=ReadOutcome.OK, api="get", document=metadata)})


def test_customer_principal_set_denies_users_of_the_customer_domain() -> None:
    """cloudIdentityCustomerId/C denies the users of the customer's (primary) domain, not outsiders; https://cloud.google.com/iam/docs/principal-identifiers"""
    ev = evaluate(
        with_deny(_org_of_customer("C0abc123"), DENY_CUSTOMER),
        project(),
        bucket("b", iam=policy(binding(VIEWER, "user:alice@corp.example", "user:guest@partner.example"))),
    )
    assert audience(ev, B, R) == {"user:guest@partner.example"}


def test_customer_principal_set_denies_the_domain_class_of_its_domain() -> None:
    """A grant to domain:<the customer's primary domain> is denied whole by cloudIdentityCustomerId/C; https://cloud.google.com/iam/docs/principal-identifiers"""
    ev = evaluate(
        with_deny(_org_of_customer("C0abc123"), DENY_CUSTOMER),
        project(),
        bucket("b", iam=policy(binding(VIEWER, "domain:corp.example"))),
    )
    assert audience(ev, B, R) == set()


def test_customer_not_tied_to_a_domain_keeps_the_grant_and_says_why() -> None:
    """No directoryCustomerId in the snapshot: the customer's users are unknown, the grant stays with a note; https://cloud.google.com/iam/docs/principal-identifiers"""
    ev = evaluate(
        with_deny(_org_of_customer(None), DENY_CUSTOMER),
        project(),
        bucket("b", iam=policy(binding(VIEWER, "user:alice@corp.example"))),
    )
    [grant] = grants(ev, B, R)
    assert (grant.principal.id, "no organisation with that directoryCustomerId" in grant.evidence[0].note) == (
        "user:alice@corp.example",
        True,
    )


DENY_RULE = "https://cloud.google.com/iam/docs/reference/rest/v2/policies#DenyRule"
TAG = "resource.matchTag('123456789012/env', 'prod')"
DENIAL_CASES = [
    # (id, denialCondition expression, expected (unconditional readers, conditional readers))
    ("tag-function-might-not-apply-removes-nobody", TAG, (set(), {"allUsers"})),
    ("tag-id-function-alike", "resource.matchTagId('tagKeys/1', 'tagValues/2')", (set(), {"allUsers"})),
    ("has-tag-key-alike", "!resource.hasTagKey('123456789012/env')", (set(), {"allUsers"})),
    ("decided-true-removes-its-principals", f"{TAG} || true", (set(), set())),
    ("literal-true-removes-its-principals", "true", (set(), set())),
    ("decided-false-removes-nobody", f"{TAG} && false", ({"allUsers"}, set())),
    ("literal-false-removes-nobody", "false", ({"allUsers"}, set())),
    # request.time is not a function deny conditions support: never decided, even where an allow condition would be
    ("unsupported-attribute-is-not-decided", "request.time < timestamp('2000-01-01T00:00:00Z')", (set(), {"allUsers"})),
]


@pytest.mark.parametrize(("expression", "expected"), [c[1:] for c in DENIAL_CASES], ids=[c[0] for c in DENIAL_CASES])
def test_denial_condition_is_decided_by_the_documented_rule(expression: str, expected: tuple[set, set]) -> None:
    """A denialCondition decided true denies; decided false, or one that might not apply, removes nobody (an
    undecided one leaves the grant conditional).  Deny conditions support only resource tag functions;
    https://cloud.google.com/iam/docs/reference/rest/v2/policies#DenyRule"""
    ev = evaluate(
        with_deny(org(), rule(["principalSet://goog/public:all"], [GET],
                              condition={"title": "t", "expression": expression})),
        project(),
        bucket("b", iam=policy(binding(VIEWER, "allUsers"))),
    )  # fmt: skip
    assert (audience(ev, B, R) - conditional_audience(ev, B, R), conditional_audience(ev, B, R)) == expected, DENY_RULE


def test_unsupported_denial_condition_says_why() -> None:
    """A denialCondition reading what deny policies do not support names it in the grant's reason; https://cloud.google.com/iam/docs/reference/rest/v2/policies#DenyRule"""
    expression = "request.time < timestamp('2000-01-01T00:00:00Z')"
    ev = evaluate(
        with_deny(org(), rule(["principal://goog/subject/x@corp.example"], [GET],
                              condition={"title": "t", "expression": expression})),
        project(),
        bucket("b", iam=policy(binding(VIEWER, "user:x@corp.example"))),
    )  # fmt: skip
    [grant] = grants(ev, B, R, "user:x@corp.example")
    assert "request.time" in grant.conditions[-1].reason and "do not support" in grant.conditions[-1].reason
