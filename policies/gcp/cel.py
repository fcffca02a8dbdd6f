"""Partial evaluation of IAM Conditions (CEL) against what a snapshot knows about one resource.

An IAM Condition is a CEL expression over request and resource attributes
(https://cloud.google.com/iam/docs/conditions-overview,
https://cloud.google.com/iam/docs/conditions-attribute-reference).  Each attribute is in one
:class:`~seenby.model.ConditionFamily` of the catalogue (``data/condition_attributes.yaml``),
and a sub-expression is decided by what its family says about the caller:

* RESOURCE (``resource.service``, ``resource.type``, the tag functions when the snapshot holds
  the resource's tags; https://cloud.google.com/iam/docs/conditions-resource-attributes):
  evaluated against the resource the permission is checked on.
* DATA_PART (``resource.name``): the full name of a bucket, dataset or table is known and
  evaluated; an object or table *of* a container is known only by its name prefix
  (``projects/_/buckets/B/objects/``).  A test on that name which some but not every name
  under the prefix can pass (``startsWith(".../objects/logs/")``, ``== ".../objects/a.csv"``)
  is SOME: the grant holds on part of the dataset, for every caller.
* TIME (``request.time``): evaluated at the snapshot's collection time ``at``.  The outcome
  says when the answer changes: the timestamp a comparison names, or, for a schedule
  (``getHours()``, ``getDayOfWeek()`` …), the next change within a week; a schedule that opens
  the grant at some time every week is TRUE (it narrows nobody).
* REQUEST_PROPERTY (``request.host``, ``request.path``, ``destination.*``): chosen by the caller
  for its own request, so it narrows nobody out: TRUE.
* NETWORK: ``request.auth.access_levels`` (the Access Context Manager access levels the request
  meets) is evaluated when the caller stands for callers from given access levels (``levels``,
  :func:`named_access_levels`; :mod:`.conditions` turns each into a network audience); without
  ``levels`` it is UNKNOWN, as are ``origin.ip`` and UNMODELLED attributes (anything else,
  ``api.getAttribute(...)``): the family named in the reason (fail closed).

The parse and every evaluation are cel-python's (``celpy``).  seenby adds only the
four-valued skeleton: ``||``, ``&&``, ``!`` and ``?:`` are combined with Kleene logic
(``true || x`` is true and ``false && x`` is false whatever ``x`` is, which is CEL's own
commutative error absorption) extended by SOME ("true on part of the data"): SOME || x is
SOME unless x is TRUE, SOME && TRUE is SOME, SOME && UNKNOWN is UNKNOWN, !SOME is SOME (the
other part).  Each maximal sub-expression below them (a *leaf*) is handed to celpy only
when every attribute it touches is known.  A leaf that touches an undecided attribute,
raises, or yields a non-boolean is UNKNOWN.  Constructs whose error handling would let an
unknown turn into a value (``has()``, comprehension macros over unknowns) never see an
unknown: the leaf around them is UNKNOWN before celpy runs.  SOME over-reports where two
parts do not overlap (``startsWith(a) && startsWith(b)``): fail closed, never hidden.

Every leaf decided by an attribute is recorded as a :class:`~seenby.model.DecidedCondition`
(key, family, how) in the outcome, so grants can carry it as evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any

from seenby.model import ConditionFamily, DecidedCondition
from seenby.policies.condition_catalogue import gcp_catalogue

__all__ = [
    "DECIDED_ATTRIBUTES",
    "OPAQUE",
    "CelMemo",
    "CelResource",
    "Outcome",
    "Truth",
    "attribute_family",
    "attributes_named",
    "evaluate",
    "named_access_levels",
]

# The attributes this module decides (as the catalogue spells them); each must be in the catalogue.
DECIDED_ATTRIBUTES: frozenset[str] = frozenset(
    {
        "request.time",
        "resource.name",
        "resource.type",
        "resource.service",
        "resource.matchTag",
        "resource.matchTagId",
        "resource.hasTagKey",
        "resource.hasTagKeyId",
        "request.auth.access_levels",
    }
)

ACCESS_LEVELS = "request.auth.access_levels"
# An access level's full name (https://cloud.google.com/access-context-manager/docs/reference/rest/v1/accessPolicies.accessLevels):
# accessPolicies/{policy}/accessLevels/{level}, the level a letter followed by letters, digits or "_".
_ACCESS_LEVEL_NAME = re.compile(r"accessPolicies/[A-Za-z0-9_-]+/accessLevels/[A-Za-z][A-Za-z0-9_]*")


class Truth(StrEnum):
    TRUE = "true"
    FALSE = "false"
    SOME = "some"  # true on part of the data the resource stands for (some objects or tables), for every caller
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True, slots=True)
class Outcome:
    """The value of a condition for one resource, what left it open when UNKNOWN, and what decided it."""

    truth: Truth
    unknown: tuple[str, ...] = ()  # attributes (with their family) or problems that kept it undecided, in order
    decided: tuple[DecidedCondition, ...] = ()  # the attributes that decided leaves, with family and how


def attribute_family(attribute: str) -> ConditionFamily:
    """The catalogue family of an attribute as :func:`_attributes` spells it (``resource.matchTag()``)."""
    return gcp_catalogue().family(attribute.removesuffix("()"))


_STORAGE = "storage.googleapis.com"
_BIGQUERY = "bigquery.googleapis.com"


@dataclass(frozen=True, kw_only=True, slots=True)
class CelResource:
    """The attributes a condition sees for one permission check: the resource's, and the caller's access levels.

    ``name`` is the full resource name; ``name_prefix`` stands for a resource whose name
    is unknown except that it starts with the prefix (an object of a bucket).  ``tags``
    (namespaced key → short value name) and ``tag_ids`` (tagKeys/N → tagValues/M) are
    None when the snapshot does not hold the resource's tags.  ``access_levels``: the
    access levels the request meets, when the check stands for callers from exactly those
    (:meth:`from_levels`); None leaves ``request.auth.access_levels`` unknown.
    """

    service: str | None
    type: str | None
    name: str | None = None
    name_prefix: str | None = None
    tags: tuple[tuple[str, str], ...] | None = None
    tag_ids: tuple[tuple[str, str], ...] | None = None
    access_levels: tuple[str, ...] | None = None

    def from_levels(self, levels: tuple[str, ...]) -> CelResource:
        """The same check, for a caller whose request meets exactly the access levels ``levels``."""
        return replace(self, access_levels=tuple(levels))

    @classmethod
    def bucket(cls, bucket: str) -> CelResource:
        return cls(service=_STORAGE, type=f"{_STORAGE}/Bucket", name=f"projects/_/buckets/{bucket}")

    @classmethod
    def object_of(cls, bucket: str) -> CelResource:
        """Some object of ``bucket``, name unknown."""
        return cls(service=_STORAGE, type=f"{_STORAGE}/Object", name_prefix=f"projects/_/buckets/{bucket}/objects/")

    @classmethod
    def bq_dataset(cls, project: str, dataset: str) -> CelResource:
        return cls(service=_BIGQUERY, type=f"{_BIGQUERY}/Dataset", name=f"projects/{project}/datasets/{dataset}")

    @classmethod
    def bq_table(cls, project: str, dataset: str, table: str | None) -> CelResource:
        """Table ``table`` of the dataset, or some table of it (``table=None``)."""
        base = f"projects/{project}/datasets/{dataset}/tables/"
        if table is None:
            return cls(service=_BIGQUERY, type=f"{_BIGQUERY}/Table", name_prefix=base)
        return cls(service=_BIGQUERY, type=f"{_BIGQUERY}/Table", name=base + table)

    @property
    def nouns(self) -> tuple[str, str]:
        """(singular, plural) of what the resource stands for: ("object", "objects"), ("table", "tables")."""
        kind = (self.type or "resource").rpartition("/")[2].lower()
        return kind, f"{kind}s"

    def describe(self) -> str:
        """The resource in words, for the evidence of a decided condition."""
        if self.name is not None:
            return self.name
        if self.name_prefix is not None:
            return f"{self.nouns[1]} under {self.name_prefix}"
        return "a resource seenby does not model"

    def known(self) -> frozenset[str]:
        """The attributes (as :func:`_attributes` spells them) this resource decides."""
        out = set()
        if self.service is not None:
            out.add("resource.service")
        if self.type is not None:
            out.add("resource.type")
        if self.name is not None:
            out.add("resource.name")
        if self.tags is not None:
            out.update({"resource.matchTag()", "resource.hasTagKey()"})
        if self.tag_ids is not None:
            out.update({"resource.matchTagId()", "resource.hasTagKeyId()"})
        if self.access_levels is not None:
            out.add(ACCESS_LEVELS)
        return frozenset(out)


OPAQUE = CelResource(service=None, type=None)  # a resource seenby does not model: every attribute unknown

# -- attribute names as written (for reasons) ---------------------------------------

_ATTRIBUTE = re.compile(
    r"api\.getAttribute\(\s*['\"]([^'\"]+)['\"]"
    r"|\b((?:request|resource|destination|origin|levels)\.[A-Za-z_]+)"
)


def attributes_named(expression: str) -> tuple[str, ...]:
    """The attributes an expression tests, in order of first use (a textual scan, for display)."""
    found: list[str] = []
    for api_attribute, attribute in _ATTRIBUTE.findall(expression):
        key = f"api.getAttribute('{api_attribute}')" if api_attribute else attribute
        if key not in found:
            found.append(key)
    return tuple(found)


def named_access_levels(expression: str) -> tuple[str, ...]:
    """The access levels an expression names (``accessPolicies/P/accessLevels/L``), in order of first use."""
    return tuple(dict.fromkeys(_ACCESS_LEVEL_NAME.findall(expression)))


# -- celpy (imported on first use: most snapshots hold no condition) ----------------


@cache
def _environment() -> Any:
    import celpy

    return celpy.Environment()


def _tags_of(resource: Any, field: str) -> Mapping[Any, Any]:
    import celpy.celtypes as ct

    return resource[ct.StringType(field)]


def _tag_functions() -> dict[str, Any]:
    import celpy.celtypes as ct

    def match_tag(resource: Any, key: Any, value: Any) -> Any:
        return ct.BoolType(_tags_of(resource, "seenby/tags").get(ct.StringType(key)) == value)

    def match_tag_id(resource: Any, key: Any, value: Any) -> Any:
        return ct.BoolType(_tags_of(resource, "seenby/tag_ids").get(ct.StringType(key)) == value)

    def has_tag_key(resource: Any, key: Any) -> Any:
        return ct.BoolType(ct.StringType(key) in _tags_of(resource, "seenby/tags"))

    def has_tag_key_id(resource: Any, key: Any) -> Any:
        return ct.BoolType(ct.StringType(key) in _tags_of(resource, "seenby/tag_ids"))

    return {
        "matchTag": match_tag,
        "matchTagId": match_tag_id,
        "hasTagKey": has_tag_key,
        "hasTagKeyId": has_tag_key_id,
    }


@lru_cache(maxsize=4096)
def _parse(expression: str) -> Any:
    """celpy's parse tree; raises on a syntax error."""
    return _environment().compile(expression)


def _activation(resource: CelResource, at: datetime | None = None) -> dict[str, Any]:
    import celpy.celtypes as ct

    def as_map(pairs: Iterable[tuple[str, str]]) -> Any:
        return ct.MapType({ct.StringType(k): ct.StringType(v) for k, v in pairs})

    fields: dict[Any, Any] = {}
    for key, value in (("service", resource.service), ("type", resource.type), ("name", resource.name)):
        if value is not None:
            fields[ct.StringType(key)] = ct.StringType(value)
    # Not CEL identifiers: reachable only through the tag functions (an index is UNKNOWN).
    if resource.tags is not None:
        fields[ct.StringType("seenby/tags")] = as_map(resource.tags)
    if resource.tag_ids is not None:
        fields[ct.StringType("seenby/tag_ids")] = as_map(resource.tag_ids)
    activation: dict[str, Any] = {"resource": ct.MapType(fields)}
    request: dict[Any, Any] = {}
    if at is not None:
        request[ct.StringType("time")] = ct.TimestampType(at)
    if resource.access_levels is not None:
        named = ct.ListType([ct.StringType(level) for level in resource.access_levels])
        request[ct.StringType("auth")] = ct.MapType({ct.StringType("access_levels"): named})
    if request:
        activation["request"] = ct.MapType(request)
    return activation


def _run(node: Any, resource: CelResource, at: datetime | None = None) -> Any:
    """celpy's value of the sub-tree ``node`` for ``resource`` (at time ``at``); an exception when it fails."""
    env = _environment()
    result = env.program(node, functions=_tag_functions()).evaluate(_activation(resource, at))
    if isinstance(result, BaseException):
        raise result
    return result


def _constant_string(node: Any) -> str | None:
    """The value of a sub-tree that is a constant string (it reads no attribute), or None."""
    if _attributes(node):
        return None
    try:
        value = _run(node, OPAQUE)
    except Exception:
        return None
    return str(value) if isinstance(value, str) else None  # celpy's + may return a plain str


# -- the three-valued skeleton ------------------------------------------------------

# Nodes that only wrap their one child (precedence levels, parentheses).
_PASS_THROUGH = frozenset(
    {
        "expr",
        "conditionalor",
        "conditionaland",
        "relation",
        "addition",
        "multiplication",
        "unary",
        "member",
        "primary",
        "paren_expr",
    }
)


def _kids(node: Any) -> list[Any]:
    return [child for child in node.children if child is not None]


def _is_tree(node: Any) -> bool:
    return hasattr(node, "data") and hasattr(node, "children")


def _bare_ident(node: Any) -> str | None:
    """``member → primary → ident X`` → X."""
    while _is_tree(node) and node.data in ("member", "primary"):
        kids = _kids(node)
        if len(kids) != 1:
            return None
        node = kids[0]
    if _is_tree(node) and node.data == "ident":
        return str(node.children[0])
    return None


def _dotted(node: Any) -> str | None:
    """``a.b.c`` (a chain of field selections on an identifier) → "a.b.c"; anything else → None."""
    node = _unwrap(node)
    ident = _bare_ident(node)
    if ident is not None:
        return ident
    if _is_tree(node) and node.data == "member_dot":
        base = _dotted(node.children[0])
        return f"{base}.{node.children[1]}" if base is not None else None
    return None


_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})  # CEL's comprehension macros


def _attributes(node: Any) -> set[str]:
    """Every variable a sub-tree reads: ``resource.name``, ``request.auth.access_levels``, ``resource.matchTag()``.

    A field chain is named in full; a method called on an attribute (``request.time.getHours()``,
    ``resource.name.startsWith()``) names the attribute; a function of ``resource``/``api``
    (``resource.matchTag()``, ``api.getAttribute()``) names the function.
    """
    found: set[str] = set()

    def walk(n: Any) -> None:
        if not _is_tree(n):
            return
        if n.data == "member_dot":
            path = _dotted(n)
            if path is not None:
                found.add(path)
                return
        if n.data == "member_dot_arg" and str(n.children[1]) in _MACROS and len(_kids(n)) == 3:
            args = _kids(_kids(n)[2])
            bound = _bare_ident(_unwrap(args[0])) if args else None
            if bound is not None:  # x.exists(v, p): v is the macro's own variable, not an attribute
                walk(n.children[0])
                found.update(a for arg in args[1:] for a in _attributes(arg) if a != bound)
                return
        if n.data == "member_dot_arg":
            root = _bare_ident(n.children[0])
            if root is not None:
                found.add(f"{root}.{n.children[1]}()")
                for child in n.children[2:]:
                    walk(child)
                return
        if n.data == "ident":
            found.add(str(n.children[0]))
            return
        if n.data in ("dot_ident", "dot_ident_arg"):
            found.add(f".{n.children[0]}")
        for child in n.children:
            walk(child)

    walk(node)
    return found


def _unwrap(node: Any) -> Any:
    """Skip the wrappers of a single child (precedence levels, parentheses)."""
    while _is_tree(node) and node.data in _PASS_THROUGH and len(_kids(node)) == 1 and _is_tree(_kids(node)[0]):
        node = _kids(node)[0]
    return node


def _is_resource_name(node: Any) -> bool:
    return _dotted(node) == "resource.name"


@dataclass(frozen=True, kw_only=True, slots=True)
class _Leaf:
    """One leaf being decided: its tree, its text as written, the resource and the collection time."""

    node: Any
    text: str
    resource: CelResource
    at: datetime | None


def _decided(leaf: _Leaf, key: str, how: str) -> DecidedCondition:
    return DecidedCondition(key=key, family=attribute_family(key), how=how, operator="CEL")


# -- data part: a name known only by its prefix ------------------------------------


def _part_leaf(leaf: _Leaf, prefix: str) -> Outcome:
    """A leaf over a name known only to start with ``prefix`` (and to be longer than it).

    ``startsWith(s)``, ``== s`` and ``!= s`` for a constant ``s`` are decided TRUE or FALSE
    where every name under the prefix agrees; where some names pass, the leaf is SOME
    (the part: "objects whose names start with logs/", "the object a.csv").  Any other
    test of the name alone (``endsWith``, ``matches``) is SOME too: it selects part of the
    data, whoever the caller.
    """
    one, many = leaf.resource.nouns
    node = _unwrap(leaf.node)
    kids = _kids(node)

    def some(part: str) -> Outcome:
        return Outcome(truth=Truth.SOME, decided=(_decided(leaf, "resource.name", part),))

    def whole(truth: Truth, how: str) -> Outcome:
        return Outcome(truth=truth, decided=(_decided(leaf, "resource.name", how),))

    if node.data == "member_dot_arg" and str(node.children[1]) == "startsWith" and _is_resource_name(kids[0]):
        args = _kids(kids[2]) if len(kids) == 3 else []
        wanted = _constant_string(args[0]) if len(args) == 1 else None
        if wanted is not None:
            if prefix.startswith(wanted):
                return whole(Truth.TRUE, f"every {one} (names under {prefix} start with {wanted})")
            if not wanted.startswith(prefix):
                return whole(Truth.FALSE, f"no {one} (names under {prefix} never start with {wanted})")
            return some(f"{many} whose names start with {wanted[len(prefix):]}")
    if node.data == "relation" and len(kids) == 2 and kids[0].data in ("relation_eq", "relation_ne"):
        left, right = _kids(kids[0])[0], kids[1]
        other = right if _is_resource_name(left) else left if _is_resource_name(right) else None
        wanted = _constant_string(other) if other is not None else None
        if wanted is not None:
            equal = kids[0].data == "relation_eq"
            if wanted.startswith(prefix) and len(wanted) > len(prefix):
                name = wanted[len(prefix):]
                return some(f"the {one} {name}" if equal else f"every {one} but {name}")
            verdict = Truth.FALSE if equal else Truth.TRUE
            return whole(verdict, f"{'no' if equal else 'every'} {one} (no name under {prefix} is {wanted})")
    return _name_test(leaf, prefix, some(f"{many} whose names pass {leaf.text}"))


def _name_test(leaf: _Leaf, prefix: str, part: Outcome) -> Outcome:
    """Any other test of a prefix-only name: SOME when celpy evaluates it to a boolean on a name under the prefix.

    An unknown function or a non-boolean stays UNKNOWN (the evaluator cannot tell what it selects).
    """
    import celpy.celtypes as ct

    sample = replace(leaf.resource, name=f"{prefix}seenby-sample", name_prefix=None)
    try:
        value = _run(leaf.node, sample)
    except Exception as error:
        return Outcome(truth=Truth.UNKNOWN, unknown=(f"evaluation error: {_first_line(error)}",))
    if not isinstance(value, ct.BoolType):
        return Outcome(truth=Truth.UNKNOWN, unknown=(f"a sub-expression is not a boolean ({type(value).__name__})",))
    return part


def _negated(outcome: Outcome) -> Outcome:
    flipped = {Truth.TRUE: Truth.FALSE, Truth.FALSE: Truth.TRUE}.get(outcome.truth, outcome.truth)
    decided = outcome.decided
    if outcome.truth is Truth.SOME:  # the other part of the data
        decided = tuple(
            DecidedCondition(key=d.key, family=d.family, how=f"all but ({d.how})", operator=d.operator)
            if d.family is ConditionFamily.DATA_PART
            else d
            for d in decided
        )
    return Outcome(truth=flipped, unknown=outcome.unknown, decided=decided)


# -- time: decided at the collection time ------------------------------------------

_SCHEDULE_STEP = timedelta(minutes=15)
_SCHEDULE_SPAN = timedelta(days=7)
_COMPARISONS = frozenset({"relation_lt", "relation_le", "relation_gt", "relation_ge", "relation_eq", "relation_ne"})


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time_value(leaf: _Leaf, when: datetime) -> Truth:
    import celpy.celtypes as ct

    try:
        value = _run(leaf.node, leaf.resource, when)
    except Exception:
        return Truth.UNKNOWN
    if not isinstance(value, ct.BoolType):
        return Truth.UNKNOWN
    return Truth.TRUE if value else Truth.FALSE


def _named_instant(node: Any) -> datetime | None:
    """T of ``request.time OP T`` (either side) where T is a constant timestamp; else None."""
    node = _unwrap(node)
    kids = _kids(node)
    if not (_is_tree(node) and node.data == "relation" and len(kids) == 2 and kids[0].data in _COMPARISONS):
        return None
    left, right = _kids(kids[0])[0], kids[1]
    other = right if _dotted(left) == "request.time" else left if _dotted(right) == "request.time" else None
    if other is None or _attributes(other):
        return None
    try:
        value = _run(other, OPAQUE)
    except Exception:
        return None
    return value if isinstance(value, datetime) else None


_SCHEDULE = "a schedule"


def _time_leaf(leaf: _Leaf, at: datetime) -> Outcome:
    """A leaf whose only undecided attribute is ``request.time``: its value at ``at``, and when that changes.

    ``request.time OP T`` names the instant T where the answer changes; any other use
    (``getHours()``, ``getDayOfWeek()`` …) is a schedule, which :func:`evaluate` follows over
    the week after ``at``.
    """
    now = _time_value(leaf, at)
    if now is Truth.UNKNOWN:
        return Outcome(truth=Truth.UNKNOWN, unknown=("request.time (evaluation error at collection time)",))
    stamp = _stamp(at)
    instant = _named_instant(leaf.node)
    if instant is None:
        return Outcome(truth=now, decided=(_decided(leaf, "request.time", f"{now.value} at {stamp} ({_SCHEDULE})"),))
    if instant > at:
        later = _time_value(leaf, instant + timedelta(seconds=1))
        changes = f"{later.value} from {_stamp(instant)}"
        if later is now:
            changes = f"still {now.value} after {_stamp(instant)}"
    else:
        before = _time_value(leaf, instant - timedelta(seconds=1))
        changes = f"{now.value} since {_stamp(instant)}" + (f" ({before.value} before)" if before is not now else "")
    how = f"{now.value} at collection time {stamp}; {changes}"
    return Outcome(truth=now, decided=(_decided(leaf, "request.time", how),))


_RANK = {Truth.FALSE: 0, Truth.UNKNOWN: 1, Truth.SOME: 2, Truth.TRUE: 3}


def _leaves(node: Any) -> Iterable[Any]:
    """The leaves :func:`_decide` hands to :func:`_leaf`, in the same walk."""
    kids = _kids(node)
    branches = (node.data == "expr" and len(kids) == 3) or (
        node.data in ("conditionalor", "conditionaland") and len(kids) == 2
    )
    if branches:
        for kid in kids:
            yield from _leaves(kid)
    elif node.data == "unary" and len(kids) == 2 and _is_tree(kids[0]) and kids[0].data == "unary_not":
        yield from _leaves(kids[1])
    elif len(kids) == 1 and _is_tree(kids[0]) and node.data in _PASS_THROUGH:
        yield from _leaves(kids[0])
    else:
        yield node


def _schedule_instants(expression: str, at: datetime) -> tuple[datetime, ...]:
    """The sample instants of the week after ``at`` at which some time leaf of ``expression`` changes value.

    Deciding the tree only there gives the same widest answer and first change as every sample,
    at a cost independent of the resource (a time leaf that also reads the resource: every sample).
    """
    steps = []
    step = at + _SCHEDULE_STEP
    while step <= at + _SCHEDULE_SPAN:
        steps.append(step)
        step += _SCHEDULE_STEP
    timed = [leaf for leaf in _leaves(_parse(expression)) if "request.time" in _attributes(leaf)]
    if any(a.startswith("resource.") or a == ACCESS_LEVELS for leaf in timed for a in _attributes(leaf)):
        return tuple(steps)
    sampled = [_Leaf(node=leaf, text="", resource=OPAQUE, at=None) for leaf in timed]
    previous = tuple(_time_value(leaf, at) for leaf in sampled)
    changes = []
    for step in steps:
        values = tuple(_time_value(leaf, step) for leaf in sampled)
        if values != previous:
            changes.append(step)
            previous = values
    return tuple(changes)


def _over_the_week(
    tree: Any, resource: CelResource, at: datetime, source: str, first: Outcome, memo: CelMemo
) -> Outcome:
    """A condition with a schedule: open when it opens at some time in the week after ``at`` (fail closed).

    The outcome is the widest one over the week (sampled every 15 minutes); its evidence says
    what it was at collection time and when that first changes.
    """
    widest, change = first, None
    instants = memo.instants.get((source, at))
    if instants is None:
        instants = memo.instants[source, at] = _schedule_instants(source, at)
    for step in instants:
        outcome = _decide(tree, resource, step, source, memo)
        if change is None and outcome.truth is not first.truth:
            change = (step, outcome.truth)
        if _RANK[outcome.truth] > _RANK[widest.truth]:
            widest = outcome
    stamp = _stamp(at)
    if change is None:
        how = f"{first.truth.value} at collection time {stamp}; unchanged in the week after it ({_SCHEDULE})"
    else:
        how = (
            f"{first.truth.value} at collection time {stamp}; {change[1].value} from {_stamp(change[0])} "
            f"({_SCHEDULE}: the widest answer over a week is kept)"
        )
    kept = [d for d in widest.decided if not (d.family is ConditionFamily.TIME and _SCHEDULE in d.how)]
    timed = DecidedCondition(key="request.time", family=ConditionFamily.TIME, how=how, operator="CEL")
    return Outcome(truth=widest.truth, unknown=widest.unknown, decided=(*kept, timed))


# -- leaves ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, eq=False)
class CelMemo:
    """What one evaluation of a snapshot has worked out about its conditions, made with it and dropped with it.

    Every entry is a pure function of its key, so sharing it within the evaluation is exact:

    * ``outcomes``: a whole condition's :class:`Outcome`, by (expression, resource, instant): a binding
      inherited by every bucket of a project is decided once per distinct resource;
    * ``leaves``: leaf outcomes, keyed by the leaf as written and only what it depends on: a time leaf's
      value at an instant is the same for every resource, a resource leaf's the same at every instant.
      Following a schedule over a week re-decides the tree at each instant its time leaves change, for
      every resource; this keeps that to lookups;
    * ``instants``: those instants, by (expression, collection time).

    Nothing is kept at module level: a memo filled while evaluating one snapshot never outlives it.
    """

    outcomes: dict[tuple[str, CelResource, datetime | None], Outcome] = field(default_factory=dict)
    leaves: dict[tuple[str, CelResource | None, datetime | None], Outcome] = field(default_factory=dict)
    instants: dict[tuple[str, datetime], tuple[datetime, ...]] = field(default_factory=dict)


def _leaf(node: Any, resource: CelResource, at: datetime | None, source: str, memo: CelMemo) -> Outcome:
    text = _text(node, source)
    attributes = _attributes(node)
    reads_resource = any(a.startswith("resource.") or a == ACCESS_LEVELS for a in attributes)
    reads_time = "request.time" in attributes
    key = (text, resource if reads_resource else None, at if reads_time else None)
    if text == "the condition" or not attributes:
        return _leaf_outcome(node, text, attributes, resource, at)  # no stable text, or a constant: not cached
    hit = memo.leaves.get(key)
    if hit is None:
        hit = memo.leaves[key] = _leaf_outcome(node, text, attributes, resource, at)
    return hit


def _leaf_outcome(node: Any, text: str, attributes: set[str], resource: CelResource, at: datetime | None) -> Outcome:
    import celpy.celtypes as ct

    leaf = _Leaf(node=node, text=text, resource=resource, at=at)
    missing = attributes - resource.known()
    if missing == {"resource.name"} and resource.name_prefix is not None:
        return _part_leaf(leaf, resource.name_prefix)
    families = {a: attribute_family(a) for a in missing}
    if missing and all(f is ConditionFamily.REQUEST_PROPERTY for f in families.values()):
        how = "chosen by the caller for its own request: narrows nobody"
        return Outcome(truth=Truth.TRUE, decided=tuple(_decided(leaf, a, how) for a in sorted(missing)))
    timed = at is not None and "request.time" in missing
    undecided = missing - {"request.time"} if timed else missing
    if undecided:
        return Outcome(truth=Truth.UNKNOWN, unknown=tuple(f"{a} ({families[a].value})" for a in sorted(undecided)))
    if timed and at is not None:
        return _time_leaf(leaf, at)
    try:
        value = _run(node, resource)
    except Exception as error:  # celpy raises its own and Python's errors: both leave it undecided
        return Outcome(truth=Truth.UNKNOWN, unknown=(f"evaluation error: {_first_line(error)}",))
    if not isinstance(value, ct.BoolType):
        return Outcome(truth=Truth.UNKNOWN, unknown=(f"a sub-expression is not a boolean ({type(value).__name__})",))
    truth = Truth.TRUE if value else Truth.FALSE
    decided = tuple(
        _decided(leaf, a, f"{leaf.text} is {truth.value} for {resource.describe()}")
        for a in sorted(attributes)
        if a.startswith("resource.")
    )
    if ACCESS_LEVELS in attributes and resource.access_levels is not None:
        met = ", ".join(resource.access_levels) or "no access level a condition names"
        decided += (_decided(leaf, ACCESS_LEVELS, f"{leaf.text} is {truth.value} for callers from {met}"),)
    return Outcome(truth=truth, decided=decided)


def _text(node: Any, source: str) -> str:
    """The leaf as written (positions from the parser), or a placeholder."""
    meta = getattr(node, "meta", None)
    start, end = getattr(meta, "start_pos", None), getattr(meta, "end_pos", None)
    if isinstance(start, int) and isinstance(end, int) and end > start:
        return source[start:end].strip()
    return "the condition"


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _merge(outcomes: Iterable[Outcome]) -> tuple[str, ...]:
    out: list[str] = []
    for outcome in outcomes:
        out.extend(u for u in outcome.unknown if u not in out)
    return tuple(out)


def _decisions(outcomes: Iterable[Outcome]) -> tuple[DecidedCondition, ...]:
    return tuple(dict.fromkeys(d for outcome in outcomes for d in outcome.decided))


def _or(sides: list[Outcome]) -> Outcome:
    """Kleene "or", with SOME between UNKNOWN and TRUE: the part holds whatever the rest says."""
    for truth in (Truth.TRUE, Truth.SOME):
        winners = [side for side in sides if side.truth is truth]
        if winners:
            return Outcome(truth=truth, decided=_decisions(winners))
    if all(side.truth is Truth.FALSE for side in sides):
        return Outcome(truth=Truth.FALSE, decided=_decisions(sides))
    return Outcome(truth=Truth.UNKNOWN, unknown=_merge(sides), decided=_decisions(sides))


def _and(sides: list[Outcome]) -> Outcome:
    """Kleene "and": FALSE dominates, then UNKNOWN; SOME && TRUE is SOME."""
    losers = [side for side in sides if side.truth is Truth.FALSE]
    if losers:
        return Outcome(truth=Truth.FALSE, decided=_decisions(losers))
    if any(side.truth is Truth.UNKNOWN for side in sides):
        return Outcome(truth=Truth.UNKNOWN, unknown=_merge(sides), decided=_decisions(sides))
    truth = Truth.SOME if any(side.truth is Truth.SOME for side in sides) else Truth.TRUE
    return Outcome(truth=truth, decided=_decisions(sides))


def _decide(node: Any, resource: CelResource, at: datetime | None, source: str, memo: CelMemo) -> Outcome:
    kids = _kids(node)
    data = node.data
    if data == "expr" and len(kids) == 3:
        condition = _decide(kids[0], resource, at, source, memo)
        if condition.truth is Truth.TRUE:
            return _decide(kids[1], resource, at, source, memo)
        if condition.truth is Truth.FALSE:
            return _decide(kids[2], resource, at, source, memo)
        if condition.truth is Truth.SOME:  # one branch on the part, the other on the rest
            branches = [_decide(kid, resource, at, source, memo) for kid in kids[1:]]
            either = _or(branches)
            if either.truth is Truth.TRUE and not all(b.truth is Truth.TRUE for b in branches):
                either = Outcome(truth=Truth.SOME, decided=either.decided)
            return Outcome(truth=either.truth, unknown=either.unknown, decided=_decisions([condition, either]))
        return condition  # an undecided or failing condition: the whole is undecided
    if data in ("conditionalor", "conditionaland") and len(kids) == 2:
        sides = [_decide(kid, resource, at, source, memo) for kid in kids]
        return _or(sides) if data == "conditionalor" else _and(sides)
    if data == "unary" and len(kids) == 2 and _is_tree(kids[0]) and kids[0].data == "unary_not":
        return _negated(_decide(kids[1], resource, at, source, memo))
    if len(kids) == 1 and _is_tree(kids[0]) and data in _PASS_THROUGH:
        return _decide(kids[0], resource, at, source, memo)
    return _leaf(node, resource, at, source, memo)


def evaluate(
    expression: str, resource: CelResource, at: datetime | None = None, *, memo: CelMemo | None = None
) -> Outcome:
    """The value of ``expression`` on ``resource`` for every request at collection time ``at``.

    TRUE or FALSE when every request has that value; SOME when it is true on part of the data
    ``resource`` stands for (whoever asks); UNKNOWN otherwise.  ``at`` None leaves
    ``request.time`` undecided.  ``memo``: the evaluation's :class:`CelMemo` (None: one for this call).
    """
    memo = CelMemo() if memo is None else memo
    key = (expression, resource, at)
    found = memo.outcomes.get(key)
    if found is None:
        found = memo.outcomes[key] = _evaluate(expression, resource, at, memo)
    return found


def _evaluate(expression: str, resource: CelResource, at: datetime | None, memo: CelMemo) -> Outcome:
    try:
        tree = _parse(expression)
    except Exception as error:
        where = f" at line {error.line}, column {error.column}" if getattr(error, "line", None) else ""
        return Outcome(truth=Truth.UNKNOWN, unknown=(f"not valid CEL{where}",))
    try:
        first = _decide(tree, resource, at, expression, memo)
        if at is not None and any(_SCHEDULE in d.how for d in first.decided if d.family is ConditionFamily.TIME):
            return _over_the_week(tree, resource, at, expression, first, memo)
        return first
    except Exception as error:  # an unexpected tree shape: undecided, never dropped
        return Outcome(truth=Truth.UNKNOWN, unknown=(f"not evaluated: {_first_line(error)}",))
