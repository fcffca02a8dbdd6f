"""IAM Conditions decided by family: time at collection time, data part, resource, network and unmodelled.

Each case is one binding of roles/storage.objectViewer (or roles/bigquery.dataViewer) to one user,
under one condition, evaluated on a snapshot collected at ``COLLECTED_AT`` (2026-06-01T12:00:00Z).
Semantics: https://cloud.google.com/iam/docs/conditions-attribute-reference (attributes, request.time
functions), https://cloud.google.com/iam/docs/conditions-resource-attributes (resource.name of objects
and tables), https://cloud.google.com/iam/docs/conditions-overview (a binding applies only when its
condition is true for the request).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from seenby.model import AccessLevel, ConditionFamily, Evaluation
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
from tests.gcp.builders import evaluate as evaluate_snapshot

R, L = AccessLevel.READ, AccessLevel.LIST
B = "gs://b"
DS = f"bigquery://{PROJECT}.ds"
WHO = "user:temp@corp.example"
OBJECTS = "projects/_/buckets/b/objects/"
TABLES = f"projects/{PROJECT}/datasets/ds/tables/"
CORP_NETWORK = '"accessPolicies/1/accessLevels/corp" in request.auth.access_levels'

ATTRIBUTES = "https://cloud.google.com/iam/docs/conditions-attribute-reference"
TIME = "https://cloud.google.com/iam/docs/conditions-attribute-reference#request-time"
RESOURCE_NAME = "https://cloud.google.com/iam/docs/conditions-resource-attributes"
ACCESS_LEVELS = "https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels"
OVERVIEW = "https://cloud.google.com/iam/docs/conditions-overview"


@dataclass(frozen=True, kw_only=True)
class FamilyCase:
    """A condition, what it leaves of the user's READ and LIST, and what the grant's evidence records."""

    id: str
    url: str
    expression: str
    read: frozenset[str]  # unconditional READ audience
    conditional_read: frozenset[str] = frozenset()
    list_: frozenset[str] = frozenset()
    decided: tuple[tuple[ConditionFamily, str], ...] = ()  # (family, text the "how" contains) on the READ grant
    on: str = "bucket"
    notes: tuple[str, ...] = ()  # text the conditional READ's reason contains


def fc(**kw: object) -> object:
    for key in ("read", "conditional_read", "list_"):
        kw[key] = frozenset(kw.get(key, ()))  # type: ignore[arg-type]
    return pytest.param(FamilyCase(**kw), id=str(kw["id"]))  # type: ignore[arg-type]


ME = {WHO}
CASES = [
    # -- time: decided at collection time ------------------------------------------------------
    fc(id="time-expired-is-gone", url=TIME, expression='request.time < timestamp("2020-01-01T00:00:00Z")', read=()),
    fc(id="time-not-yet-valid-is-gone", url=TIME, expression='request.time >= timestamp("2030-01-01T00:00:00Z")',
       read=()),
    fc(id="time-valid-until-later-is-unconditional", url=TIME,
       expression='request.time < timestamp("2030-01-01T00:00:00Z")', read=ME, list_=ME,
       decided=((ConditionFamily.TIME, "true at collection time 2026-06-01T12:00:00Z; false from 2030-01-01T00:00:00Z"),
                ),
       ),
    fc(id="time-started-is-unconditional", url=TIME, expression='request.time > timestamp("2025-01-01T00:00:00Z")',
       read=ME, list_=ME, decided=((ConditionFamily.TIME, "true since 2025-01-01T00:00:00Z"),)),
    fc(id="time-timestamp-plus-duration-expired", url=TIME,
       expression='request.time < timestamp("2026-05-01T00:00:00Z") + duration("86400s")', read=()),
    fc(id="time-business-hours-schedule-narrows-nobody", url=TIME,
       expression='request.time.getHours("Europe/Berlin") >= 9 && request.time.getHours("Europe/Berlin") < 17',
       read=ME, list_=ME,  # 14:00 in Berlin at collection; 17:00 there is 15:00 UTC in June
       decided=((ConditionFamily.TIME, "true at collection time 2026-06-01T12:00:00Z; false from 2026-06-01T15:00:00Z"),
                )),
    fc(id="time-negated-schedule-narrows-nobody", url=TIME, expression='!(request.time.getDayOfWeek("UTC") < 5)',
       read=ME, list_=ME, decided=((ConditionFamily.TIME, "a schedule"),)),
    # -- data part: part of the bucket, unconditional, at full severity -----------------------
    fc(id="data-part-object-prefix-is-partial-read", url=RESOURCE_NAME,
       expression=f'resource.name.startsWith("{OBJECTS}logs/")', read=ME,
       decided=((ConditionFamily.DATA_PART, "objects whose names start with logs/"),)),
    fc(id="data-part-one-object", url=RESOURCE_NAME, expression=f'resource.name == "{OBJECTS}report.csv"', read=ME,
       decided=((ConditionFamily.DATA_PART, "the object report.csv"),)),
    fc(id="data-part-suffix", url=RESOURCE_NAME, expression='resource.name.endsWith(".csv")', read=ME,
       decided=((ConditionFamily.DATA_PART, 'objects whose names pass resource.name.endsWith(".csv")'),)),
    fc(id="data-part-everything-but-a-prefix", url=RESOURCE_NAME,
       expression=f'!resource.name.startsWith("{OBJECTS}private/")', read=ME, list_=ME,  # the bucket is not private/
       decided=((ConditionFamily.DATA_PART, "all but (objects whose names start with private/)"),)),
    fc(id="data-part-whole-bucket-prefix", url=RESOURCE_NAME,
       expression='resource.name.startsWith("projects/_/buckets/b")', read=ME, list_=ME,
       decided=((ConditionFamily.DATA_PART, "every object"),)),
    fc(id="data-part-other-bucket-is-gone", url=RESOURCE_NAME,
       expression='resource.name.startsWith("projects/_/buckets/other/")', read=()),
    fc(id="data-part-bigquery-table-prefix", url=RESOURCE_NAME, expression=f'resource.name.startsWith("{TABLES}raw_")',
       read=ME, list_=ME, decided=((ConditionFamily.DATA_PART, "tables whose names start with raw_"),), on="bq"),
    # -- resource: known from the snapshot -----------------------------------------------------
    fc(id="resource-type-object-opens-read-not-list", url=RESOURCE_NAME,
       expression='resource.type == "storage.googleapis.com/Object"', read=ME,
       decided=((ConditionFamily.RESOURCE, 'resource.type == "storage.googleapis.com/Object" is true'),)),
    fc(id="resource-service-other-is-gone", url=RESOURCE_NAME,
       expression='resource.service == "bigquery.googleapis.com"', read=()),
    # -- network: a user under an access level stays itself, noted; origin.* and unmodelled: conditional ----
    fc(id="network-access-level-keeps-the-user", url=ACCESS_LEVELS, expression=CORP_NETWORK, read=ME, list_=ME,
       decided=((ConditionFamily.NETWORK, "open only to callers whose requests meet access level "
                 "accessPolicies/1/accessLevels/corp"),)),
    fc(id="network-outside-an-access-level-narrows-nobody", url=ACCESS_LEVELS, expression=f"!({CORP_NETWORK})",
       read=ME, list_=ME, decided=((ConditionFamily.NETWORK, "narrows nobody"),)),
    fc(id="access-level-attribute-origin-ip-conditional", url=ATTRIBUTES, expression='origin.ip == "203.0.113.7"',
       read=(), conditional_read=ME, notes=("origin.ip (unmodelled)",)),
    fc(id="unmodelled-api-attribute-conditional", url=ATTRIBUTES,
       expression="api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/x'])", read=(),
       conditional_read=ME, notes=("api.getAttribute() (unmodelled)",)),
    # -- request property: chosen by the caller ------------------------------------------------
    fc(id="request-host-narrows-nobody", url=ATTRIBUTES, expression='request.host == "data.corp.example"',
       read=ME, list_=ME, decided=((ConditionFamily.REQUEST_PROPERTY, "chosen by the caller"),)),
    # -- combinations ----------------------------------------------------------------------------
    fc(id="and-data-part-with-expired-time-is-gone", url=OVERVIEW,
       expression=f'resource.name.startsWith("{OBJECTS}logs/") && request.time < timestamp("2020-01-01T00:00:00Z")',
       read=()),
    fc(id="and-data-part-with-valid-time-is-partial", url=OVERVIEW,
       expression=f'resource.name.startsWith("{OBJECTS}logs/") && request.time < timestamp("2030-01-01T00:00:00Z")',
       read=ME, decided=((ConditionFamily.DATA_PART, "objects whose names start with logs/"),
                         (ConditionFamily.TIME, "false from 2030-01-01T00:00:00Z"))),
    fc(id="or-data-part-with-network-is-partial-and-whole-from-there", url=OVERVIEW,
       expression=f'resource.name.startsWith("{OBJECTS}logs/") || {CORP_NETWORK}', read=ME, list_=ME,
       decided=((ConditionFamily.DATA_PART, "objects whose names start with logs/"),
                (ConditionFamily.NETWORK, "accessPolicies/1/accessLevels/corp"))),
    fc(id="and-data-part-with-network-is-partial-from-there", url=OVERVIEW,
       expression=f'resource.name.startsWith("{OBJECTS}logs/") && {CORP_NETWORK}', read=ME,
       decided=((ConditionFamily.DATA_PART, "objects whose names start with logs/"),
                (ConditionFamily.NETWORK, "accessPolicies/1/accessLevels/corp"))),
    fc(id="or-expired-time-with-network-opens-from-there", url=OVERVIEW,
       expression=f'request.time < timestamp("2020-01-01T00:00:00Z") || {CORP_NETWORK}', read=ME, list_=ME,
       decided=((ConditionFamily.NETWORK, "accessPolicies/1/accessLevels/corp"),)),
    fc(id="and-network-with-unmodelled-is-conditional", url=OVERVIEW,
       expression=f"{CORP_NETWORK} && api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['x'])",
       read=(), conditional_read=ME, notes=("api.getAttribute() (unmodelled)",)),
]


def _evaluate(c: FamilyCase) -> tuple[Evaluation, str]:
    condition = {"title": c.id, "expression": c.expression}
    if c.on == "bq":
        iam = policy(binding("roles/bigquery.dataViewer", WHO, condition=condition))
        return evaluate_snapshot(org(), project(iam=iam), bq_dataset("ds"), bq_table("ds", "raw_keys")), DS
    iam = policy(binding("roles/storage.objectViewer", WHO, condition=condition))
    return evaluate_snapshot(org(), project(), bucket("b", iam=iam)), B


@pytest.mark.parametrize("c", CASES)
def test_condition_family_decides_the_audience(c: FamilyCase) -> None:
    """READ and LIST audiences under one condition are what its attributes' families decide (see the case's url)."""
    ev, dataset = _evaluate(c)
    got = (audience(ev, dataset, R), conditional_audience(ev, dataset, R), audience(ev, dataset, L))
    assert got == (set(c.read), set(c.conditional_read), set(c.list_)), c.url


@pytest.mark.parametrize("c", [p for p in CASES if p.values[0].decided])  # type: ignore[attr-defined]
def test_decided_conditions_are_on_the_evidence(c: FamilyCase) -> None:
    """The READ grants' evidence records each decided attribute with its family and how (see the case's url)."""
    ev, dataset = _evaluate(c)
    recorded = [(d.family, d.how) for grant in grants(ev, dataset, R, WHO) for e in grant.evidence for d in e.decided]
    for family, how in c.decided:
        assert any(f is family and how in h for f, h in recorded), (family, how, recorded)


@pytest.mark.parametrize("c", [p for p in CASES if p.values[0].notes])  # type: ignore[attr-defined]
def test_undecided_family_is_named_in_the_reason(c: FamilyCase) -> None:
    """A conditional grant's reason names each attribute left open with its family (see the case's url)."""
    ev, dataset = _evaluate(c)
    [grant] = grants(ev, dataset, R, WHO)
    assert all(note in grant.conditions[0].reason for note in c.notes), grant.conditions[0].reason


def _case(id_: str) -> FamilyCase:
    return next(p.values[0] for p in CASES if p.id == id_)  # type: ignore[attr-defined]


def test_not_yet_valid_grant_is_noted(caplog: pytest.LogCaptureFixture) -> None:
    """A grant whose start time is after collection is gone, and the log says when it opens; https://cloud.google.com/iam/docs/conditions-attribute-reference#request-time"""
    caplog.set_level(logging.INFO, logger="seenby.policies.gcp.conditions")
    _evaluate(_case("time-not-yet-valid-is-gone"))
    assert any("true from 2030-01-01T00:00:00Z" in r.getMessage() for r in caplog.records)


def test_partial_grant_is_not_conditional() -> None:
    """A grant on objects under a prefix carries no condition: it is judged at full severity; https://cloud.google.com/iam/docs/conditions-resource-attributes"""
    ev, _ = _evaluate(_case("data-part-object-prefix-is-partial-read"))
    [grant] = grants(ev, B, R, WHO)
    assert (grant.conditional, grant.conditions) == (False, ())


def test_tags_decide_as_resource_family() -> None:
    """With the resource's tags known, matchTag is decided and recorded as a resource attribute; https://cloud.google.com/iam/docs/tags-access-control"""
    tagged = CelResource(service="storage.googleapis.com", type="storage.googleapis.com/Bucket",
                         name="projects/_/buckets/b", tags=(("123/env", "prod"),))
    outcome = evaluate("resource.matchTag('123/env', 'prod')", tagged, COLLECTED_AT)
    assert (outcome.truth, [d.family for d in outcome.decided]) == (Truth.TRUE, [ConditionFamily.RESOURCE])


def test_request_time_without_collection_time_stays_open() -> None:
    """Without a collection time, request.time is not decided (fail closed); https://cloud.google.com/iam/docs/conditions-attribute-reference#request-time"""
    outcome = evaluate('request.time < timestamp("2020-01-01T00:00:00Z")', CelResource.object_of("b"))
    assert outcome.truth is Truth.UNKNOWN
