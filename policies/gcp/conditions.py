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
that left it open, each with its family (a role the catalogue does not know: TRUE on every
resource of the row).

Decided by family (:mod:`.cel`): ``request.time`` at the snapshot's collection time (an
expired grant is gone; one not valid yet is gone and logged); an object or table name
prefix (SOME) makes the level hold on *part* of the dataset, unconditionally, at full
severity, its evidence naming the part; ``resource.type``/``service``/tags from the snapshot;
``request.auth.access_levels`` for a caller outside every access level the condition names and
for callers from each set of them: a level that only callers from some access levels get is
returned for those callers (:attr:`LevelDecision.access_levels`, named by :mod:`.access_levels`).
Every decided attribute is returned with the level (:class:`LevelDecision`) for the grant's
evidence (``Evidence.with_decided``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from seenby.model import AccessLevel, Condition, ConditionFamily, DecidedCondition
from seenby.policies.gcp.cel import (
    ACCESS_LEVELS,
    OPAQUE,
    CelMemo,
    CelResource,
    Outcome,
    Truth,
    attributes_named,
    evaluate,
    named_access_levels,
)
from seenby.policies.gcp.roles import Scope, Target

__all__ = ["LevelDecision", "Site", "decide_levels", "decide_unplaced", "iam_condition"]

_log = logging.getLogger(__name__)

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


@dataclass(frozen=True, kw_only=True, slots=True)
class LevelDecision:
    """Levels a condition opens alike at a site: unconditional (no ``conditions``) or not, and what decided it.

    ``access_levels``: the levels open only to callers whose requests meet these access levels (a network
    audience, :mod:`.access_levels`); empty: to every caller the binding names.
    """

    levels: frozenset[AccessLevel]
    conditions: tuple[Condition, ...] = ()
    decided: tuple[DecidedCondition, ...] = ()
    access_levels: tuple[str, ...] = ()


# At most this many access levels named by one condition are followed (2**N caller variants); more stay undecided.
MAX_ACCESS_LEVELS = 4
_RANK = {Truth.FALSE: 0, Truth.UNKNOWN: 1, Truth.SOME: 2, Truth.TRUE: 3}


def _callers(expression: str) -> list[tuple[str, ...]]:
    """The callers a condition is decided for, by the access levels their requests meet.

    A condition that reads ``request.auth.access_levels`` and names access levels is decided for a caller
    outside every level it names (``()``: anyone can call from elsewhere) and for callers from each set of
    the levels it names, smallest first.  An empty list: decide once, ``request.auth.access_levels``
    unknown (the condition does not read it, names no access level, or names more than
    :data:`MAX_ACCESS_LEVELS`).
    """
    if ACCESS_LEVELS not in expression:
        return []
    named = named_access_levels(expression)
    if not named or len(named) > MAX_ACCESS_LEVELS:
        return []
    subsets: list[tuple[str, ...]] = [()]
    for level in named:
        subsets += [(*subset, level) for subset in subsets]
    return sorted(subsets, key=len)


def _with_network(decided: tuple[DecidedCondition, ...], callers: tuple[str, ...]) -> tuple[DecidedCondition, ...]:
    """``decided`` with its access-level leaves replaced by one record of the audience the callers make."""
    kept = tuple(d for d in decided if d.key != ACCESS_LEVELS)
    if not callers:
        if len(kept) == len(decided):
            return decided
        how = "met by callers from outside every access level it names (anyone can call from elsewhere): narrows nobody"
    else:
        how = f"open only to callers whose requests meet access level {' and '.join(callers)}: that network audience"
    network = DecidedCondition(
        key=ACCESS_LEVELS, family=ConditionFamily.NETWORK, how=how, operator="CEL", values=callers
    )
    return (*kept, network)


def _unknowns(outcomes: list[Outcome]) -> list[str]:
    """What leaves ``outcomes`` undecided, each reason once, in order."""
    unknown: list[str] = []
    for outcome in outcomes:
        unknown.extend(u for u in outcome.unknown if u not in unknown)
    return unknown


def _decisions(outcomes: list[Outcome]) -> tuple[DecidedCondition, ...]:
    return tuple(dict.fromkeys(d for o in outcomes for d in o.decided))


def _any(outcomes: list[Outcome]) -> Outcome:
    """A level reached through any one of its permissions: true if one is, on part if one is, false if all are."""
    for truth in (Truth.TRUE, Truth.SOME):
        winners = [o for o in outcomes if o.truth is truth]
        if winners:
            return Outcome(truth=truth, decided=_decisions(winners))
    if all(o.truth is Truth.FALSE for o in outcomes):
        return Outcome(truth=Truth.FALSE, decided=_decisions(outcomes))
    return Outcome(truth=Truth.UNKNOWN, unknown=tuple(_unknowns(outcomes)), decided=_decisions(outcomes))


def _combine(outcomes: list[Outcome]) -> Outcome:
    """A condition checked on several resources: true if it holds on all, false if on none."""
    truths = {o.truth for o in outcomes}
    if truths == {Truth.TRUE}:
        return Outcome(truth=Truth.TRUE, decided=_decisions(outcomes))
    if truths == {Truth.FALSE}:
        return Outcome(truth=Truth.FALSE, decided=_decisions(outcomes))
    if truths <= {Truth.TRUE, Truth.SOME}:
        return Outcome(truth=Truth.SOME, decided=_decisions(outcomes))
    unknown = _unknowns(outcomes) or ["it holds on some of the resources this access is checked on and not on others"]
    return Outcome(truth=Truth.UNKNOWN, unknown=tuple(unknown), decided=_decisions(outcomes))


def _refined(condition: Condition, outcome: Outcome) -> Condition:
    """The condition kept as written, with what left it open (and its family) in its reason and keys."""
    base = condition.reason.partition(f": {_UNDECIDED}")[0]
    named = [u for u in outcome.unknown if not u.startswith(("not valid CEL", "evaluation error", "not evaluated"))]
    keys = tuple(dict.fromkeys(u.partition(" (")[0] for u in named)) or condition.keys
    return replace(condition, keys=keys, reason=f"{base}: {_UNDECIDED}: depends on {'; '.join(outcome.unknown)}")


def _note_not_yet_valid(condition: Condition, level: AccessLevel, site: Site, outcome: Outcome) -> None:
    """A level a time condition has not opened yet: gone from the grants, noted in the log."""
    for decided in outcome.decided:
        if decided.family is ConditionFamily.TIME and " true from " in decided.how:
            _log.info(
                "%s on %s/%s: no grant at collection time (%s): %s",
                level.value, site.project, site.container, decided.how, condition.text,
            )


def _opened(
    variants: list[tuple[str, ...]], outcome_of: Callable[[tuple[str, ...] | None], Outcome]
) -> list[tuple[tuple[str, ...], Outcome]]:
    """The callers a condition opens something to (:func:`_callers`), each with its outcome, smallest sets first.

    A set of access levels is left out when the condition is false for its callers, or when callers from
    fewer of them already get it as openly (they add nobody).  No variants: decided once, for every caller.
    """
    opened: list[tuple[tuple[str, ...], Outcome]] = []
    for callers in variants or [None]:
        outcome = outcome_of(callers)
        if outcome.truth is Truth.FALSE:
            continue
        if callers and any(set(prior) < set(callers) and _RANK[o.truth] >= _RANK[outcome.truth]
                           for prior, o in opened):  # fmt: skip
            continue  # callers from fewer access levels already hold it as openly: these add nobody
        opened.append((callers or (), outcome))
    return opened


def decide_levels(
    condition: Condition | None,
    levels: frozenset[AccessLevel],
    site: Site,
    *,
    at: datetime | None = None,
    hierarchy_admin: bool = False,
    checks: Mapping[AccessLevel, frozenset[Scope]] | None = None,
    memo: CelMemo | None = None,
) -> list[LevelDecision]:
    """``levels`` grouped by what ``condition`` decides for each at ``site``, at collection time ``at``.

    ``checks`` (the role's permissions, per level, by where each is checked) makes a level
    hold when the condition holds where *one* of its permissions is checked (LIST on a
    dataset: ``tables.list`` on the dataset or ``tables.get`` on a table; ADMIN on a bucket:
    ``buckets.setIamPolicy`` on the bucket or ``objects.setIamPolicy`` on an object): IAM
    checks each permission against the resource it applies to, so a condition can grant a
    subset of a role's permissions by resource type
    (https://cloud.google.com/iam/docs/conditions-resource-attributes).  Every level of an
    unknown role holds only when the condition holds on every resource of its row.

    TRUE → unconditional; SOME → unconditional on part of the dataset (a DATA_PART decided
    condition says which); UNKNOWN → it carries the condition (as written, with a reason naming
    what is unknown and its family); FALSE → the level is left out: the binding does not open
    it there.  No condition: one group, unconditional.  ``at`` None leaves ``request.time`` open.
    ``memo``: the evaluation's :class:`~.cel.CelMemo`, so a condition is decided once per resource.
    A condition on access levels is decided per caller (:func:`_callers`): each smallest set of access
    levels that opens a level (more openly than any smaller set) gives a decision for the callers
    from those levels.
    """
    if condition is None or not levels:
        return [LevelDecision(levels=levels)] if levels else []
    if not isinstance(condition.expression, str):
        return [LevelDecision(levels=levels, conditions=(condition,))]  # no expression to evaluate (kept as written)
    expression = condition.expression
    memo = CelMemo() if memo is None else memo

    def outcome_of(level: AccessLevel, callers: tuple[str, ...] | None) -> Outcome:
        def on(resource: CelResource) -> Outcome:
            return evaluate(expression, resource if callers is None else resource.from_levels(callers), at, memo=memo)

        if checks is not None and checks.get(level):
            return _any([on(site.resource_for(scope)) for scope in sorted(checks[level])])
        return _combine([on(r) for r in site.resources(level, hierarchy_admin=hierarchy_admin)])

    Key = tuple[Condition | None, tuple[DecidedCondition, ...], tuple[str, ...]]
    groups: dict[Key, set[AccessLevel]] = {}
    variants = _callers(expression)
    for level in sorted(levels):
        opened = _opened(variants, lambda callers, level=level: outcome_of(level, callers))
        if not opened:
            _note_not_yet_valid(condition, level, site, outcome_of(level, () if variants else None))
            continue
        for callers, outcome in opened:
            key = None if outcome.truth in (Truth.TRUE, Truth.SOME) else _refined(condition, outcome)
            decided = _with_network(outcome.decided, callers)
            groups.setdefault((key, decided, callers), set()).add(level)
    return [
        LevelDecision(
            levels=frozenset(group), conditions=() if key is None else (key,), decided=decided, access_levels=callers
        )
        for (key, decided, callers), group in groups.items()
    ]


def decide_unplaced(
    condition: Condition | None, *, at: datetime | None, memo: CelMemo | None = None
) -> list[LevelDecision]:
    """A condition on something that is not a dataset (a basic-role binding behind ``projectViewer:``).

    Only what does not depend on a resource is decided (time, request properties, the caller's access levels);
    resource attributes are unknown there.  Decided per caller as :func:`decide_levels` does: one decision for
    each set of access levels whose callers it opens to (:attr:`LevelDecision.access_levels`, named by
    :func:`.access_levels.narrowed`), or one for every caller when it names none.  Empty: the condition is
    false for every caller, nothing is opened; otherwise each decision's conditions left (none when true) and
    what decided it.  ``levels`` is empty.
    """
    if condition is None:
        return [LevelDecision(levels=frozenset())]
    if not isinstance(condition.expression, str):
        return [LevelDecision(levels=frozenset(), conditions=(condition,))]
    expression = condition.expression
    memo = CelMemo() if memo is None else memo

    def outcome_of(callers: tuple[str, ...] | None) -> Outcome:
        return evaluate(expression, OPAQUE if callers is None else OPAQUE.from_levels(callers), at, memo=memo)

    return [
        LevelDecision(
            levels=frozenset(),
            conditions=() if outcome.truth in (Truth.TRUE, Truth.SOME) else (_refined(condition, outcome),),
            decided=_with_network(outcome.decided, callers),
            access_levels=callers,
        )
        for callers, outcome in _opened(_callers(expression), outcome_of)
    ]
