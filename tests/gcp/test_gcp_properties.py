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


UNDECIDED = "resource.matchTag('123/env', 'prod')"  # the snapshot holds no tags: not decided offline
CORP = "accessPolicies/1/accessLevels/corp"
FROM_CORP = f"'{CORP}' in request.auth.access_levels"


def _bucket(bindings, acl, default_acl, *, uniform: bool, pap: str, conditional: str | None = None):
    condition = {"title": "t", "expression": conditional} if conditional else None
    iam = policy(*(binding(r, m, condition=condition) for r, m in bindings))
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
    conditional = _bucket(bindings, None, None, uniform=True, pap="inherited", conditional=UNDECIDED)
    assert _audience(conditional) == _audience(plain)
    assert all(g.conditional for g in conditional.grants)


@settings(max_examples=60, deadline=None)
@given(BINDINGS, st.sampled_from(["inherited", "enforced"]))
def test_access_level_narrows_each_member_to_its_callers_from_there(bindings, pap) -> None:
    """An access-level condition keeps every (member, level), each member narrowed to its callers from that access
    level (allUsers → gcp-access-level:L, a domain → domain:…@gcp-access-level:L, anyone else itself) and never
    anyone beyond; https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels"""
    network = f"gcp-access-level:{CORP}"

    def from_corp(member: str) -> str:
        if member in ("allUsers", "allAuthenticatedUsers"):
            return network
        return f"{member}@{network}" if member.startswith("domain:") else member

    plain = _bucket(bindings, None, None, uniform=True, pap=pap)
    narrowed = _bucket(bindings, None, None, uniform=True, pap=pap, conditional=FROM_CORP)
    assert _audience(narrowed) == {(from_corp(p), level) for p, level in _audience(plain)}
    assert not any(g.conditional for g in narrowed.grants)
