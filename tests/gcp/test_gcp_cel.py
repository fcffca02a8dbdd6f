"""IAM Conditions (CEL) decided offline where resource attributes decide them, and kept conditional otherwise.

Semantics: https://cloud.google.com/iam/docs/conditions-overview (a binding applies only when its
condition is true for the request) and https://cloud.google.com/iam/docs/conditions-resource-attributes
(``resource.name`` / ``resource.type`` / ``resource.service`` values for Cloud Storage and BigQuery).
"""

from __future__ import annotations

import celpy
import celpy.celtypes as ct
from hypothesis import given, settings
from hypothesis import strategies as st

from seenby.model import AccessLevel, ConditionFamily
from seenby.policies.gcp.cel import CelResource, Truth, evaluate
from tests.gcp.builders import (
    COLLECTED_AT,
    PROJECT,
    audience,
    binding,
    bq_dataset,
    bq_table,
    bucket,
    conditional_audience,
    grants,
    org,
    policy,
    project,
)
from tests.gcp.builders import (
    evaluate as evaluate_snapshot,
)

R, W, L, A = AccessLevel.READ, AccessLevel.WRITE, AccessLevel.LIST, AccessLevel.ADMIN
KEYS = "gs://corp-keystrokes"
OTHER = "gs://other"
WHO = "user:temp@corp.example"
OBJECTS = "projects/_/buckets/corp-keystrokes/objects/"
UNTIL_2030 = 'request.time < timestamp("2030-01-01T00:00:00Z")'  # true at the builders' collection time (2026)
CORP_NETWORK = '"accessPolicies/1/accessLevels/corp" in request.auth.access_levels'


def _viewer(expression: str) -> dict:
    return binding("roles/storage.objectViewer", WHO, condition={"title": "t", "expression": expression})


def _on_bucket(expression: str, *, role: str = "roles/storage.objectViewer"):
    iam = policy(binding(role, WHO, condition={"title": "t", "expression": expression}))
    return evaluate_snapshot(org(), project(), bucket("corp-keystrokes", iam=iam))


def _on_project(expression: str):
    return evaluate_snapshot(
        org(), project(iam=policy(_viewer(expression))), bucket("corp-keystrokes"), bucket("other")
    )


# -- definite true -----------------------------------------------------------------


def test_true_resource_name_condition_is_unconditional() -> None:
    """A condition true for every object of the bucket (its name prefix) makes READ unconditional; https://cloud.google.com/iam/docs/conditions-resource-attributes"""
    ev = _on_bucket('resource.name.startsWith("projects/_/buckets/corp-keystrokes")')
    assert audience(ev, KEYS, R) == {WHO}


def test_object_type_condition_is_unconditional_for_read() -> None:
    """resource.type == storage.googleapis.com/Object is true whenever object data is read; https://cloud.google.com/iam/docs/conditions-resource-attributes"""
    ev = _on_bucket('resource.type == "storage.googleapis.com/Object"')
    assert audience(ev, KEYS, R) == {WHO}


def test_true_branch_of_or_decides_regardless_of_request() -> None:
    """`known-true || request.time …` is true whatever the request: unconditional; https://cloud.google.com/iam/docs/conditions-overview"""
    ev = _on_bucket(f'resource.service == "storage.googleapis.com" || {UNTIL_2030}')
    assert audience(ev, KEYS, R) == {WHO}


# -- definite false ----------------------------------------------------------------


def test_condition_naming_another_bucket_opens_nothing_here() -> None:
    """resource.name.startsWith('projects/_/buckets/other') on corp-keystrokes is false for it: no grant; https://cloud.google.com/iam/docs/conditions-resource-attributes"""
    ev = _on_bucket('resource.name.startsWith("projects/_/buckets/other")')
    assert grants(ev, KEYS, R, WHO) == []


def test_same_condition_on_the_project_still_opens_the_named_bucket() -> None:
    """The same binding on the project opens `other` (unconditionally) and not corp-keystrokes: nothing is hidden; https://cloud.google.com/iam/docs/conditions-resource-attributes"""
    ev = _on_project('resource.name.startsWith("projects/_/buckets/other")')
    assert (audience(ev, OTHER, R), grants(ev, KEYS, R, WHO)) == ({WHO}, [])


def test_false_branch_of_and_decides_regardless_of_request() -> None:
    """`known-false && request.time …` is false whatever the request: no grant; https://cloud.google.com/iam/docs/conditions-overview"""
    ev = _on_bucket(f'resource.name.startsWith("projects/_/buckets/other") && {UNTIL_2030}')
    assert grants(ev, KEYS, R, WHO) == []


def test_object_condition_does_not_open_listing() -> None:
    """objects.list is checked on the bucket, so an Object-type condition opens no LIST; https://cloud.google.com/iam/docs/conditions-resource-attributes"""
    ev = _on_bucket('resource.type == "storage.googleapis.com/Object"')
    assert grants(ev, KEYS, L, WHO) == []


# -- unknown: stays conditional ----------------------------------------------------


def test_access_level_keeps_a_user_with_a_note() -> None:
    """A specific principal under an access level stays itself, unconditional, its evidence naming the access level
    it must call from; https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels"""
    ev = _on_bucket(CORP_NETWORK)
    [grant] = grants(ev, KEYS, R, WHO)
    assert (grant.conditions, grant.evidence[0].note) == (
        (), "only when calling from access level accessPolicies/1/accessLevels/corp")
    assert [d.family for d in grant.evidence[0].decided] == [ConditionFamily.NETWORK]


def test_access_level_with_an_undecided_attribute_stays_conditional() -> None:
    """Callers from the access level still depend on an attribute not decided offline: conditional, attribute named; https://cloud.google.com/iam/docs/conditions-attribute-reference"""
    expression = f"{CORP_NETWORK} && resource.matchTag('123/env', 'prod')"
    ev = _on_bucket(expression)
    [grant] = grants(ev, KEYS, R, WHO)
    [condition] = grant.conditions
    assert (condition.expression, condition.keys) == (expression, ("resource.matchTag()",))


def test_syntax_error_stays_conditional() -> None:
    """An expression that does not parse is kept as a conditional grant, never dropped; https://cloud.google.com/iam/docs/conditions-overview"""
    ev = _on_bucket('resource.name.startsWith("projects/_/buckets/other"')
    [grant] = grants(ev, KEYS, R, WHO)
    assert "not valid CEL" in grant.conditions[0].reason


def test_unsupported_function_stays_conditional() -> None:
    """A function the evaluator does not know leaves the grant conditional; https://cloud.google.com/iam/docs/conditions-overview"""
    ev = _on_bucket('resource.name.noSuchFunction("x")')
    assert conditional_audience(ev, KEYS, R) == {WHO}


def test_api_attribute_stays_conditional() -> None:
    """api.getAttribute(...) is a request attribute: conditional; https://cloud.google.com/iam/docs/conditions-attribute-reference"""
    ev = _on_bucket("api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/x'])")
    assert conditional_audience(ev, KEYS, R) == {WHO}


def test_tags_unknown_without_tags_in_the_snapshot() -> None:
    """resource.matchTag is unknown when the snapshot holds no tags: conditional; https://cloud.google.com/iam/docs/tags-access-control"""
    ev = _on_bucket("resource.matchTag('123/env', 'prod')")
    assert conditional_audience(ev, KEYS, R) == {WHO}


def test_has_on_request_attribute_is_not_decided() -> None:
    """has(request.auth) must not read an absent request as 'false': conditional; https://cloud.google.com/iam/docs/conditions-overview"""
    ev = _on_bucket("!has(request.auth)")
    assert conditional_audience(ev, KEYS, R) == {WHO}


def test_tags_decide_when_the_resource_carries_them() -> None:
    """With the resource's tags known, matchTag is decided; https://cloud.google.com/iam/docs/tags-access-control"""
    tagged = CelResource(service="storage.googleapis.com", type="storage.googleapis.com/Bucket",
                         name="projects/_/buckets/b", tags=(("123/env", "prod"),))
    assert evaluate("resource.matchTag('123/env', 'dev')", tagged).truth is Truth.FALSE


# -- BigQuery ----------------------------------------------------------------------

DS = f"bigquery://{PROJECT}.ds"


def _bq(expression: str):
    entry = {"role": "roles/bigquery.dataViewer", "userByEmail": "c@corp.example",
             "condition": {"title": "t", "expression": expression}}
    return evaluate_snapshot(org(), project(), bq_dataset("ds", entry), bq_table("ds", "t"), bq_table("ds", "u"))


def test_bigquery_table_name_opens_that_table_only() -> None:
    """resource.name == projects/P/datasets/D/tables/T opens T unconditionally and not its sibling; https://cloud.google.com/iam/docs/conditions-resource-attributes"""
    ev = _bq(f'resource.name == "projects/{PROJECT}/datasets/ds/tables/t"')
    assert (audience(ev, f"{DS}.t", R), grants(ev, f"{DS}.u", R)) == ({"user:c@corp.example"}, [])


def test_bigquery_table_name_makes_dataset_read_partial() -> None:
    """On the dataset the same condition covers one table: an unconditional READ of part of it; https://cloud.google.com/iam/docs/conditions-resource-attributes"""
    ev = _bq(f'resource.name == "projects/{PROJECT}/datasets/ds/tables/t"')
    assert audience(ev, DS, R) == {"user:c@corp.example"}


def test_bigquery_other_dataset_condition_opens_nothing() -> None:
    """A project binding naming another dataset opens nothing on this one; https://cloud.google.com/iam/docs/conditions-resource-attributes"""
    iam = policy(binding("roles/bigquery.dataViewer", WHO, condition={
        "title": "t", "expression": f'resource.name.startsWith("projects/{PROJECT}/datasets/other")'}))
    ev = evaluate_snapshot(org(), project(iam=iam), bq_dataset("ds"), bq_dataset("other"))
    assert (grants(ev, DS, R, WHO), audience(ev, f"bigquery://{PROJECT}.other", R)) == ([], {WHO})


# -- property: never hides a grant -------------------------------------------------

_PREFIXES = [
    "projects/_/buckets/corp-keystrokes",
    "projects/_/buckets/corp",
    "projects/_/buckets/other",
    OBJECTS,
    f"{OBJECTS}public/",
]
_NAMES = [f"{OBJECTS}public/a.csv", "projects/_/buckets/other/objects/a.csv", "projects/_/buckets/corp-keystrokes"]
_LEAVES = st.sampled_from(
    [f'resource.name.startsWith("{p}")' for p in _PREFIXES]
    + [f'resource.name == "{n}"' for n in _NAMES]
    + [
        'resource.name.endsWith(".csv")',
        'resource.type == "storage.googleapis.com/Object"',
        'resource.type == "storage.googleapis.com/Bucket"',
        'resource.service == "storage.googleapis.com"',
        UNTIL_2030,
        "true",
        "false",
    ]
)
EXPRESSIONS = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda ab: f"({ab[0]} && {ab[1]})"),
        st.tuples(inner, inner).map(lambda ab: f"({ab[0]} || {ab[1]})"),
        inner.map(lambda a: f"!({a})"),
        st.tuples(inner, inner, inner).map(lambda abc: f"({abc[0]} ? {abc[1]} : {abc[2]})"),
    ),
    max_leaves=6,
)
# Concrete requests: every object name the leaves distinguish, the bucket itself, at the collection time.
_OBJECT_NAMES = [f"{OBJECTS}public/a.csv", f"{OBJECTS}public/b", f"{OBJECTS}private/c.csv", f"{OBJECTS}d"]
_TIMES = [COLLECTED_AT.strftime("%Y-%m-%dT%H:%M:%SZ")]
_ENV = celpy.Environment()


def _concrete(expression: str, name: str, type_: str, time: str) -> bool:
    """celpy's own value with every attribute given (an error is 'not granted', as IAM treats it)."""
    program = _ENV.program(_ENV.compile(expression))
    activation = {
        "resource": ct.MapType({ct.StringType("name"): ct.StringType(name),
                                ct.StringType("type"): ct.StringType(f"storage.googleapis.com/{type_}"),
                                ct.StringType("service"): ct.StringType("storage.googleapis.com")}),
        "request": ct.MapType({ct.StringType("time"): ct.TimestampType(time)}),
    }
    try:
        result = program.evaluate(activation)
    except Exception:
        return False
    return isinstance(result, ct.BoolType) and bool(result)


def _checks(level: AccessLevel, *, uniform: bool) -> list[list[tuple[str, str]]]:
    """The resources each permission of roles/storage.admin giving ``level`` is checked on."""
    bucket_ = [("projects/_/buckets/corp-keystrokes", "Bucket")]
    objects = [(n, "Object") for n in _OBJECT_NAMES]
    # ADMIN: storage.buckets.setIamPolicy on the bucket, or (object ACLs in effect only without
    # uniform bucket-level access) storage.objects.setIamPolicy on an object.
    return {R: [objects], W: [objects], L: [bucket_], A: [bucket_] if uniform else [bucket_, objects]}[level]


@settings(max_examples=80, deadline=None)
@given(EXPRESSIONS, st.booleans())
def test_evaluation_never_removes_a_grant_not_definitely_false(expression: str, uniform: bool) -> None:
    """A level is dropped only if false wherever checked, whole only if true where one permission is; https://cloud.google.com/iam/docs/conditions-resource-attributes

    IAM checks each permission on the resource it applies to, so a condition can grant a
    subset of a role's permissions by resource type (the page above): ADMIN on a bucket is
    reached through ``storage.buckets.setIamPolicy`` (checked on the bucket) *or*
    ``storage.objects.setIamPolicy`` (checked on an object), and holds for sure when the
    condition holds for every request on either.
    """
    iam = policy(binding("roles/storage.admin", WHO, condition={"title": "t", "expression": expression}))
    ev = evaluate_snapshot(org(), project(), bucket("corp-keystrokes", iam=iam, uniform=uniform))
    for level in (R, W, L, A):
        found = grants(ev, KEYS, level, WHO)
        values = [[_concrete(expression, n, t, time) for n, t in requests for time in _TIMES]
                  for requests in _checks(level, uniform=uniform)]
        if not found:
            assert not any(v for scope in values for v in scope), (level, expression)
        whole = [g for g in found if not g.conditional and not _partial(g)]
        if whole:
            assert any(all(scope) for scope in values), (level, expression)


def _partial(grant) -> bool:
    """A grant on part of the data (a DATA_PART decided condition) may over-report where parts do not overlap."""
    return any(d.family is ConditionFamily.DATA_PART for e in grant.evidence for d in e.decided)
