"""IAM Conditions (CEL) → :class:`~seenby.model.Condition`, decided where the snapshot can.

A binding's condition is evaluated by :mod:`.cel` against the resource attributes of the
dataset each grant lands on (https://cloud.google.com/iam/docs/conditions-overview,
https://cloud.google.com/iam/docs/conditions-resource-attributes), per access level,
because each level is checked on a different resource:

=================  ==========================================================
grant              resources the permission is checked on
=================  ==========================================================
bucket READ/WRITE  some object of the bucket (``storage.objects.get/create``)
bucket LIST        the bucket (``storage.objects.list``)
bucket ADMIN       the bucket or some object (``buckets.setIamPolicy``, ``objects.setIamPolicy``)
dataset READ/WRITE some table of the dataset (``tables.getData/updateData``)
dataset LIST       the dataset or some table (``tables.list``, ``tables.get``)
dataset ADMIN      the dataset (``datasets.update/setIamPolicy``)
table (any level)  the table; ADMIN also (or) its dataset
=================  ==========================================================

plus, for ADMIN through ``resourcemanager.*.setIamPolicy`` on an ancestor, that
ancestor (a resource seenby does not model: every attribute unknown).

A level is reached through *any one* of its permissions, each checked on its own resource
("or" in the table).  Fail closed: a level is unconditional only when the condition is TRUE
on the resource of one of the role's permissions that give it, gone only when it is FALSE on
every one, and otherwise stays conditional with the expression as written and the attributes
that left it open (a role the catalogue does not know: TRUE on every resource of the row).  A condition on an object
name prefix therefore keeps a *conditional* READ on the bucket ("objects whose names
match"), never an unconditional one and never none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from seenby.model import AccessLevel, Condition
from seenby.policies.gcp.cel import OPAQUE, CelResource, Outcome, Truth, attributes_named, evaluate
from seenby.policies.gcp.roles import Scope, Target

__all__ = ["Site", "decide_levels", "iam_condition"]

_UNDECIDED = "not decided offline"


def iam_condition(condition: Mapping[str, Any] | None, *, where: str) -> Condition | None:
    """The condition of a binding (``{"expression", "title", "description"}``), or None."""
    if not condition:
        return None
    expression = str(condition.get("expression") or "")
    title = condition.get("title")
    reason = f"IAM Condition on {where}"
    if title:
        reason += f" ({title})"
    reason += f": {_UNDECIDED}; access depends on the request"
    return Condition(
        expression=expression or dict(condition), keys=attributes_named(expression), reason=reason
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Site:
    """The dataset a grant lands on, as IAM Conditions name it."""

    target: Target
    project: str  # BigQuery project; unused for buckets (``projects/_``)
    container: str  # the bucket or the BigQuery dataset
    table: str | None = None

    @classmethod
    def bucket(cls, bucket: str) -> Site:
        return cls(target=Target.BUCKET, project="_", container=bucket)

    @classmethod
    def bq_dataset(cls, project: str, dataset: str) -> Site:
        return cls(target=Target.BQ_DATASET, project=project, container=dataset)

    @classmethod
    def bq_table(cls, project: str, dataset: str, table: str) -> Site:
        return cls(target=Target.BQ_TABLE, project=project, container=dataset, table=table)

    def resources(self, level: AccessLevel, *, hierarchy_admin: bool = False) -> tuple[CelResource, ...]:
        """The resources a permission giving ``level`` here is checked on (table in the module docstring)."""
        if self.target is Target.BUCKET:
            bucket, some_object = CelResource.bucket(self.container), CelResource.object_of(self.container)
            found = {
                AccessLevel.READ: (some_object,),
                AccessLevel.WRITE: (some_object,),
                AccessLevel.LIST: (bucket,),
                AccessLevel.ADMIN: (bucket, some_object),
            }[level]
        else:
            dataset = CelResource.bq_dataset(self.project, self.container)
            table = CelResource.bq_table(self.project, self.container, self.table)
            if self.target is Target.BQ_TABLE:
                found = (table, dataset) if level is AccessLevel.ADMIN else (table,)
            else:
                found = {
                    AccessLevel.READ: (table,),
                    AccessLevel.WRITE: (table,),
                    AccessLevel.LIST: (dataset, table),
                    AccessLevel.ADMIN: (dataset,),
                }[level]
        if level is AccessLevel.ADMIN and hierarchy_admin:
            found = (*found, OPAQUE)
        return found


    def resource_for(self, scope: Scope) -> CelResource:
        """The resource a permission checked at ``scope`` is evaluated on, here."""
        if scope is Scope.ANCESTOR:
            return OPAQUE
        if self.target is Target.BUCKET:
            some_object = scope is Scope.OBJECT
            return CelResource.object_of(self.container) if some_object else CelResource.bucket(self.container)
        if scope is Scope.DATASET:
            return CelResource.bq_dataset(self.project, self.container)
        return CelResource.bq_table(self.project, self.container, self.table)


def _unknowns(outcomes: list[Outcome]) -> list[str]:
    """What leaves ``outcomes`` undecided, each reason once, in order."""
    unknown: list[str] = []
    for outcome in outcomes:
        unknown.extend(u for u in outcome.unknown if u not in unknown)
    return unknown


def _any(outcomes: list[Outcome]) -> Outcome:
    """A level reached through any one of its permissions: true if one is, false if all are."""
    truths = {o.truth for o in outcomes}
    if Truth.TRUE in truths:
        return Outcome(truth=Truth.TRUE)
    if truths == {Truth.FALSE}:
        return Outcome(truth=Truth.FALSE)
    return Outcome(truth=Truth.UNKNOWN, unknown=tuple(_unknowns(outcomes)))


def _combine(outcomes: list[Outcome]) -> Outcome:
    """A condition checked on several resources: true if it holds on all, false if on none."""
    truths = {o.truth for o in outcomes}
    if truths == {Truth.TRUE}:
        return Outcome(truth=Truth.TRUE)
    if truths == {Truth.FALSE}:
        return Outcome(truth=Truth.FALSE)
    unknown = _unknowns(outcomes) or ["it holds on some of the resources this access is checked on and not on others"]
    return Outcome(truth=Truth.UNKNOWN, unknown=tuple(unknown))


def _refined(condition: Condition, outcome: Outcome) -> Condition:
    """The condition kept as written, with what left it open in its reason and keys."""
    base = condition.reason.partition(f": {_UNDECIDED}")[0]
    named = [u for u in outcome.unknown if not u.startswith(("not valid CEL", "evaluation error", "not evaluated"))]
    keys = tuple(dict.fromkeys(u.partition(" (")[0] for u in named)) or condition.keys
    return replace(condition, keys=keys, reason=f"{base}: {_UNDECIDED}: depends on {'; '.join(outcome.unknown)}")


def decide_levels(
    condition: Condition | None,
    levels: frozenset[AccessLevel],
    site: Site,
    *,
    hierarchy_admin: bool = False,
    checks: Mapping[AccessLevel, frozenset[Scope]] | None = None,
) -> list[tuple[frozenset[AccessLevel], tuple[Condition, ...]]]:
    """``levels`` grouped by what ``condition`` decides for each at ``site``.

    ``checks`` (the role's permissions, per level, by where each is checked) makes a level
    hold when the condition holds where *one* of its permissions is checked (LIST on a
    dataset: ``tables.list`` on the dataset or ``tables.get`` on a table; ADMIN on a bucket:
    ``buckets.setIamPolicy`` on the bucket or ``objects.setIamPolicy`` on an object): IAM
    checks each permission against the resource it applies to, so a condition can grant a
    subset of a role's permissions by resource type
    (https://cloud.google.com/iam/docs/conditions-resource-attributes).  Every level of an
    unknown role holds only when the condition holds on every resource of its row.

    TRUE → the group carries no condition; UNKNOWN → it carries the condition (as written,
    with a reason naming what is unknown); FALSE → the level is left out: the binding does
    not open it there.  No condition: one group, unconditional.
    """
    if condition is None or not levels:
        return [(levels, ())] if levels else []
    if not isinstance(condition.expression, str):
        return [(levels, (condition,))]  # no expression to evaluate (kept as written)
    groups: dict[Condition | None, set[AccessLevel]] = {}
    for level in sorted(levels):
        if checks is not None and checks.get(level):
            outcome = _any(
                [evaluate(condition.expression, site.resource_for(scope)) for scope in sorted(checks[level])]
            )
        else:
            outcome = _combine(
                [evaluate(condition.expression, r) for r in site.resources(level, hierarchy_admin=hierarchy_admin)]
            )
        if outcome.truth is Truth.FALSE:
            continue
        key = None if outcome.truth is Truth.TRUE else _refined(condition, outcome)
        groups.setdefault(key, set()).add(level)
    return [(frozenset(group), () if key is None else (key,)) for key, group in groups.items()]
