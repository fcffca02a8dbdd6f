"""Invariants over random buckets: protections never widen an audience, conditions never drop one."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from seenby.model import Evaluation
from tests.gcp.builders import PROJECT, binding, bucket, evaluate, org, policy, project

MEMBERS = st.sampled_from(
    ["allUsers", "allAuthenticatedUsers", "domain:corp.example", "group:g@corp.example", f"projectViewer:{PROJECT}"]
)
ROLES = st.sampled_from(
    ["roles/storage.objectViewer", "roles/storage.objectAdmin", "roles/storage.legacyBucketOwner",
     "roles/storage.legacyObjectReader", "roles/storage.admin"]
)
ENTITIES = st.sampled_from(["allUsers", "allAuthenticatedUsers", "domain-corp.example", "project-viewers-2001"])
ACL = st.lists(st.fixed_dictionaries({"entity": ENTITIES, "role": st.sampled_from(["READER", "WRITER", "OWNER"])}),
               max_size=3)
BINDINGS = st.lists(st.tuples(ROLES, MEMBERS), max_size=4)


def _audience(ev: Evaluation) -> set[tuple[str, str]]:
    return {(g.principal.id, g.level.value) for g in ev.grants}


def _bucket(bindings, acl, default_acl, *, uniform: bool, pap: str, conditional: bool = False):
    condition = {"title": "t", "expression": "'accessPolicies/1/accessLevels/corp' in request.auth.access_levels"}
    iam = policy(*(binding(r, m, condition=condition if conditional else None) for r, m in bindings))
    return evaluate(org(), project(), bucket("b", iam=iam, uniform=uniform, pap=pap, acl=acl, default_acl=default_acl))


@settings(max_examples=60, deadline=None)
@given(BINDINGS, ACL, ACL, st.booleans())
def test_prevention_never_widens(bindings, acl, default_acl, uniform) -> None:
    """Enforcing public access prevention only ever removes (principal, level) pairs; https://cloud.google.com/storage/docs/public-access-prevention"""
    open_ = _audience(_bucket(bindings, acl, default_acl, uniform=uniform, pap="inherited"))
    closed = _audience(_bucket(bindings, acl, default_acl, uniform=uniform, pap="enforced"))
    assert closed <= open_


@settings(max_examples=60, deadline=None)
@given(BINDINGS, ACL, ACL)
def test_uniform_access_never_widens(bindings, acl, default_acl) -> None:
    """Turning uniform bucket-level access on only ever removes access (ACLs switch off); https://cloud.google.com/storage/docs/uniform-bucket-level-access"""
    fine = _audience(_bucket(bindings, acl, default_acl, uniform=False, pap="inherited"))
    uniform = _audience(_bucket(bindings, acl, default_acl, uniform=True, pap="inherited"))
    assert uniform <= fine


@settings(max_examples=60, deadline=None)
@given(BINDINGS)
def test_conditions_never_drop_a_grant(bindings) -> None:
    """Adding an IAM Condition to every binding keeps every (principal, level), now conditional; https://cloud.google.com/iam/docs/conditions-overview"""
    plain = _bucket(bindings, None, None, uniform=True, pap="inherited")
    conditional = _bucket(bindings, None, None, uniform=True, pap="inherited", conditional=True)
    assert _audience(conditional) == _audience(plain)
    assert all(g.conditional for g in conditional.grants)
