"""Access levels narrow an audience to the callers from there: the Google Cloud network family.

A binding whose IAM Condition tests ``request.auth.access_levels`` opens the data only to callers whose
requests meet those Access Context Manager access levels
(https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels; what an access level checks:
https://cloud.google.com/access-context-manager/docs/access-level-attributes).  ``allUsers`` under it is "callers
from that access level", an audience of its own (``gcp-access-level:…``) which rules.yaml declares; a domain's
members from there are ``domain:…@gcp-access-level:…``; a user stays the user.  Findings are rated by that
audience (SB014, high), never lowered for the condition.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from seenby.audit import audit
from seenby.config import parse_rules
from seenby.findings import AudienceClass, Severity
from seenby.model import AccessLevel, ReadOutcome
from seenby.snapshot import Read
from tests.gcp.builders import (
    PROJECT,
    audience,
    binding,
    bucket,
    conditional_audience,
    org,
    policy,
    project,
    snapshot,
)
from tests.gcp.builders import evaluate as evaluate_snapshot

R = AccessLevel.READ
B = "gs://b"
CORP = "accessPolicies/1/accessLevels/corp"
LAPTOP = "accessPolicies/1/accessLevels/managed_laptop"
FROM_CORP = f"'{CORP}' in request.auth.access_levels"
CORP_AUDIENCE = f"gcp-access-level:{CORP}"
ACCESS_LEVELS = "https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels"
TODAY = date(2026, 12, 7)


def _bucket(expression: str, *members: str, pap: str = "inherited", project_iam: object = None):
    iam = policy(binding("roles/storage.objectViewer", *members, condition={"title": "t", "expression": expression}))
    return [org(), project(iam=project_iam), bucket("b", iam=iam, pap=pap)]


def _readers(expression: str, *members: str) -> tuple[set[str], set[str]]:
    ev = evaluate_snapshot(*_bucket(expression, *members))
    return audience(ev, B, R), conditional_audience(ev, B, R)


def test_all_users_from_an_access_level_is_that_network_audience() -> None:
    """allUsers under an access level is "callers from access level corp", unconditional; https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels"""
    assert _readers(FROM_CORP, "allUsers") == ({CORP_AUDIENCE}, set())


def test_exists_macro_names_the_access_level_too() -> None:
    """``access_levels.exists(l, l == …)`` is decided as ``… in access_levels``; https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels"""
    expression = f"request.auth.access_levels.exists(l, l == '{CORP}')"
    assert _readers(expression, "allAuthenticatedUsers") == ({CORP_AUDIENCE}, set())


def test_domain_from_an_access_level_is_inside_both() -> None:
    """A domain under an access level is the domain's members from there (CLASS@gcp-access-level:…); https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels"""
    assert _readers(FROM_CORP, "domain:corp.example") == ({f"domain:corp.example@{CORP_AUDIENCE}"}, set())


def test_two_access_levels_required_together_are_one_audience() -> None:
    """Requiring two access levels opens the data to the callers who meet both, one audience; https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels"""
    expression = f"{FROM_CORP} && '{LAPTOP}' in request.auth.access_levels"
    assert _readers(expression, "allUsers") == ({f"gcp-access-level:{CORP}+{LAPTOP}"}, set())


def test_either_access_level_opens_to_both_audiences() -> None:
    """Either of two access levels opens the data to the callers from each; https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels"""
    expression = f"{FROM_CORP} || '{LAPTOP}' in request.auth.access_levels"
    assert _readers(expression, "allUsers") == ({CORP_AUDIENCE, f"gcp-access-level:{LAPTOP}"}, set())


def test_outside_an_access_level_narrows_nobody() -> None:
    """A test that the caller is NOT from an access level is met by calling from elsewhere: still public; https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels"""
    assert _readers(f"!({FROM_CORP})", "allUsers") == ({"allUsers"}, set())


def test_access_level_with_an_undecided_attribute_is_a_conditional_network_grant() -> None:
    """Callers from the access level still depend on an attribute not decided offline: conditional; https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels"""
    assert _readers(f"{FROM_CORP} && resource.matchTag('123/env', 'prod')", "allUsers") == (set(), {CORP_AUDIENCE})


def test_public_access_prevention_removes_the_network_audience_of_all_users() -> None:
    """Enforced public access prevention removes allUsers' grants, whatever access level they call from;
    https://cloud.google.com/storage/docs/public-access-prevention"""
    ev = evaluate_snapshot(*_bucket(FROM_CORP, "allUsers", pap="enforced"))
    assert audience(ev, B, R) == set()


POOL = "principalSet://iam.googleapis.com/locations/global/workforcePools/partners/*"


def test_deny_on_a_pool_removes_its_callers_from_an_access_level() -> None:
    """A deny rule on a workforce pool denies its members whatever access level they call from;
    https://cloud.google.com/iam/docs/deny-overview"""
    deny = {"denyRule": {"deniedPrincipals": [POOL], "deniedPermissions": ["storage.googleapis.com/objects.get"]}}
    name = "policies/cloudresourcemanager.googleapis.com%2Forganizations%2F100/denypolicies/p"
    doc = {"policies": [{"name": name, "kind": "DenyPolicy", "rules": [deny]}]}
    denying_org = replace(org(), reads={**org().reads, "deny_policies": Read(
        outcome=ReadOutcome.OK, api="iam.policies.get", document=doc)})  # fmt: skip
    allowed = evaluate_snapshot(*_bucket(FROM_CORP, POOL))
    denied = evaluate_snapshot(denying_org, *_bucket(FROM_CORP, POOL)[1:])
    assert (audience(allowed, B, R), audience(denied, B, R)) == ({f"{POOL}@{CORP_AUDIENCE}"}, set())


RULES = """
version: 1
datasets:
  - match: {{id: "gs://b"}}
    classification: internal
    read: [{read}]
"""


def _findings(read: str) -> list:
    rules = parse_rules(RULES.format(read=read), source="rules.yaml")
    return list(audit(snapshot(*_bucket(FROM_CORP, "allUsers")), rules, today=TODAY).active)


def test_undeclared_access_level_audience_is_a_high_network_finding() -> None:
    """Callers from an undeclared access level are a network finding (SB014), rated high; https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels"""
    [finding] = [f for f in _findings("user:owner@corp.example") if f.level is R]
    assert (finding.rule_id, finding.severity, finding.excess[0].audience_class) == (
        "SB014", Severity.HIGH, AudienceClass.NETWORK)


def test_declared_access_level_covers_its_callers() -> None:
    """rules.yaml declares the callers from an access level by its id; https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels"""
    assert [f.rule_id for f in _findings(f'"{CORP_AUDIENCE}"') if f.level is R] == []


def test_a_glob_over_an_access_policy_covers_its_levels() -> None:
    """``gcp-access-level:accessPolicies/1/*`` declares the callers from every level of access policy 1; https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels"""
    assert [f.rule_id for f in _findings('"gcp-access-level:accessPolicies/1/*"') if f.level is R] == []


def test_declaring_one_of_two_required_access_levels_covers_their_callers() -> None:
    """Callers who meet two access levels are callers from each: declaring one covers them; https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels"""
    expression = f"{FROM_CORP} && '{LAPTOP}' in request.auth.access_levels"
    rules = parse_rules(RULES.format(read=f'"{CORP_AUDIENCE}"'), source="rules.yaml")
    result = audit(snapshot(*_bucket(expression, "allUsers")), rules, today=TODAY)
    assert [f.rule_id for f in result.active if f.level is R] == []


# -- basic-role holders (projectViewer: and kin) are narrowed like any binding's members --------------------------

DOMAIN = "domain:corp.example"
VIEWERS = f"projectViewer:{PROJECT}"
FROM_LAPTOP = f"'{LAPTOP}' in request.auth.access_levels"


def _via_basic_role(member: str, *, holder_condition: str | None, grant_condition: str | None) -> set[str]:
    """Readers of gs://b when ``member`` holds roles/viewer on the project (under ``holder_condition``) and the
    bucket grants objectViewer to projectViewer:p (under ``grant_condition``); all unconditional ones."""
    def cond(expression: str | None) -> dict | None:
        return {"title": "t", "expression": expression} if expression else None

    project_iam = policy(binding("roles/viewer", member, condition=cond(holder_condition)))
    iam = policy(binding("roles/storage.objectViewer", VIEWERS, condition=cond(grant_condition)))
    ev = evaluate_snapshot(org(), project(iam=project_iam), bucket("b", iam=iam))
    assert conditional_audience(ev, B, R) == set()
    return audience(ev, B, R)


BASIC_ROLE_CASES = [
    # (id, holder, holder binding's condition, the bucket binding's condition, expected readers)
    ("domain-holder-from-an-access-level", DOMAIN, FROM_CORP, None, {f"{DOMAIN}@{CORP_AUDIENCE}"}),
    ("domain-holder-of-a-grant-from-an-access-level", DOMAIN, None, FROM_CORP, {f"{DOMAIN}@{CORP_AUDIENCE}"}),
    ("both-levels-required", DOMAIN, FROM_LAPTOP, FROM_CORP, {f"{DOMAIN}@gcp-access-level:{CORP}+{LAPTOP}"}),
    ("either-level-opens-to-both", DOMAIN, f"{FROM_CORP} || {FROM_LAPTOP}", None,
     {f"{DOMAIN}@{CORP_AUDIENCE}", f"{DOMAIN}@gcp-access-level:{LAPTOP}"}),
    ("outside-every-level-narrows-nobody", DOMAIN, f"!({FROM_CORP})", None, {DOMAIN}),
    ("user-holder-stays-the-user", "user:ana@corp.example", FROM_CORP, None, {"user:ana@corp.example"}),
]


@pytest.mark.parametrize(("holder", "holder_condition", "grant_condition", "expected"),
                         [c[1:] for c in BASIC_ROLE_CASES], ids=[c[0] for c in BASIC_ROLE_CASES])  # fmt: skip
def test_basic_role_holder_is_narrowed_by_access_levels(
    holder: str, holder_condition: str | None, grant_condition: str | None, expected: set[str]
) -> None:
    """A convenience member's holder is narrowed to its callers from the access levels of either binding, as a
    binding to the holder is (https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels,
    https://cloud.google.com/storage/docs/access-control/iam#convenience-values)."""
    assert _via_basic_role(holder, holder_condition=holder_condition, grant_condition=grant_condition) == expected


@pytest.mark.parametrize("expression", [FROM_CORP, f"{FROM_CORP} || {FROM_LAPTOP}", f"!({FROM_CORP})"])
def test_basic_role_holder_gets_the_audience_of_a_direct_binding(expression: str) -> None:
    """The same condition gives the same audience whether the domain is bound to the bucket or holds the basic role
    behind projectViewer:; https://cloud.google.com/storage/docs/access-control/iam#convenience-values"""
    direct = _readers(expression, DOMAIN)
    assert (_via_basic_role(DOMAIN, holder_condition=expression, grant_condition=None), set()) == direct


def test_holder_edge_into_the_convenience_member_is_narrowed() -> None:
    """The membership edge into projectViewer:p leaves from the domain's callers from the access level; https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels"""
    project_iam = policy(binding("roles/viewer", DOMAIN, condition={"title": "t", "expression": FROM_CORP}))
    ev = evaluate_snapshot(org(), project(iam=project_iam), bucket("b"))
    edges = {(e.source.id, e.target.id, bool(e.conditions)) for e in ev.edges if e.target.id == VIEWERS}
    assert edges == {(f"{DOMAIN}@{CORP_AUDIENCE}", VIEWERS, False)}
