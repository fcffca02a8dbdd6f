"""Partial evaluation of IAM Conditions (CEL) against what a snapshot knows about one resource.

An IAM Condition is a CEL expression over request and resource attributes
(https://cloud.google.com/iam/docs/conditions-overview).  Offline, seenby knows only the
*resource* attributes of the dataset a grant lands on
(https://cloud.google.com/iam/docs/conditions-resource-attributes): ``resource.service``,
``resource.type`` and ``resource.name`` — the full name for a bucket, BigQuery dataset or
table, and only the prefix (``projects/_/buckets/B/objects/``) for "some object of the
bucket" or "some table of the dataset".  ``resource.matchTag``/``matchTagId``/
``hasTagKey``/``hasTagKeyId`` are known only when the resource carries its tags.
Everything else — ``request.time``, ``request.auth.*``, ``origin.ip``, ``destination.*``,
``api.getAttribute(...)``, ``levels`` — is unknown.

The parse and every evaluation are cel-python's (``celpy``).  seenby adds only the
three-valued skeleton: ``||``, ``&&``, ``!`` and ``?:`` are combined with Kleene logic
(``true || x`` is true and ``false && x`` is false whatever ``x`` is, which is CEL's own
commutative error absorption), and each maximal sub-expression below them (a *leaf*) is
handed to celpy only when every attribute it touches is known.  A leaf that touches an
unknown attribute, raises, or yields a non-boolean is UNKNOWN.  So the outcome is
TRUE or FALSE only when it is the same for every request, and UNKNOWN otherwise: fail
closed.  Constructs whose error handling would let an unknown turn into a value
(``has()``, comprehension macros over unknowns) never see an unknown: the leaf around
them is UNKNOWN before celpy runs.

Object and table names are known only by prefix; ``resource.name.startsWith(s)``,
``resource.name == s`` and ``resource.name != s`` are decided from the prefix where
they can be (``startsWith("projects/_/buckets/other")`` is false for every object of
bucket ``corp``); any other use of a prefix-only name is UNKNOWN.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any

__all__ = ["OPAQUE", "CelResource", "Outcome", "Truth", "attributes_named", "evaluate"]


class Truth(StrEnum):
    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True, slots=True)
class Outcome:
    """The value of a condition for one resource, and what left it open when UNKNOWN."""

    truth: Truth
    unknown: tuple[str, ...] = ()  # attributes or problems that kept it undecided, in order


_STORAGE = "storage.googleapis.com"
_BIGQUERY = "bigquery.googleapis.com"


@dataclass(frozen=True, kw_only=True, slots=True)
class CelResource:
    """The resource attributes a condition sees for one permission check.

    ``name`` is the full resource name; ``name_prefix`` stands for a resource whose name
    is unknown except that it starts with the prefix (an object of a bucket).  ``tags``
    (namespaced key → short value name) and ``tag_ids`` (tagKeys/N → tagValues/M) are
    None when the snapshot does not hold the resource's tags.
    """

    service: str | None
    type: str | None
    name: str | None = None
    name_prefix: str | None = None
    tags: tuple[tuple[str, str], ...] | None = None
    tag_ids: tuple[tuple[str, str], ...] | None = None

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


def _activation(resource: CelResource) -> dict[str, Any]:
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
    return {"resource": ct.MapType(fields)}


def _run(node: Any, resource: CelResource) -> Any:
    """celpy's value of the sub-tree ``node`` for ``resource``; an exception when it fails."""
    env = _environment()
    result = env.program(node, functions=_tag_functions()).evaluate(_activation(resource))
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


def _attributes(node: Any) -> set[str]:
    """Every variable a sub-tree reads: ``resource.name``, ``request.time``, ``resource.matchTag()``, ``x``."""
    found: set[str] = set()

    def walk(n: Any) -> None:
        if not _is_tree(n):
            return
        if n.data in ("member_dot", "member_dot_arg"):
            root = _bare_ident(n.children[0])
            if root is not None:
                found.add(f"{root}.{n.children[1]}" + ("()" if n.data == "member_dot_arg" else ""))
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
    node = _unwrap(node)
    return (
        _is_tree(node)
        and node.data == "member_dot"
        and _bare_ident(node.children[0]) == "resource"
        and str(node.children[1]) == "name"
    )


def _prefix_leaf(node: Any, prefix: str) -> Truth:
    """A leaf over a name known only to start with ``prefix`` (and to be longer than it).

    Decided: ``resource.name.startsWith(s)``, ``resource.name == s``, ``resource.name != s``
    (either side), for a constant string ``s``.  Anything else is UNKNOWN.
    """
    node = _unwrap(node)
    kids = _kids(node)
    if node.data == "member_dot_arg" and str(node.children[1]) == "startsWith" and _is_resource_name(kids[0]):
        args = _kids(kids[2]) if len(kids) == 3 else []
        wanted = _constant_string(args[0]) if len(args) == 1 else None
        if wanted is None:
            return Truth.UNKNOWN
        if prefix.startswith(wanted):
            return Truth.TRUE  # every name under the prefix starts with it
        return Truth.UNKNOWN if wanted.startswith(prefix) else Truth.FALSE
    if node.data == "relation" and len(kids) == 2 and kids[0].data in ("relation_eq", "relation_ne"):
        left, right = _kids(kids[0])[0], kids[1]
        other = right if _is_resource_name(left) else left if _is_resource_name(right) else None
        wanted = _constant_string(other) if other is not None else None
        if wanted is None:
            return Truth.UNKNOWN
        if wanted.startswith(prefix) and len(wanted) > len(prefix):
            return Truth.UNKNOWN  # that one object (or table) may be the one asked for
        return Truth.FALSE if kids[0].data == "relation_eq" else Truth.TRUE
    return Truth.UNKNOWN


def _leaf(node: Any, resource: CelResource) -> Outcome:
    import celpy.celtypes as ct

    unknown = _attributes(node) - resource.known()
    if unknown == {"resource.name"} and resource.name_prefix is not None:
        truth = _prefix_leaf(node, resource.name_prefix)
        if truth is Truth.UNKNOWN:
            return Outcome(truth=truth, unknown=(f"resource.name (names under {resource.name_prefix})",))
        return Outcome(truth=truth)
    if unknown:
        return Outcome(truth=Truth.UNKNOWN, unknown=tuple(sorted(unknown)))
    try:
        value = _run(node, resource)
    except Exception as error:  # celpy raises its own and Python's errors: both leave it undecided
        return Outcome(truth=Truth.UNKNOWN, unknown=(f"evaluation error: {_first_line(error)}",))
    if not isinstance(value, ct.BoolType):
        return Outcome(truth=Truth.UNKNOWN, unknown=(f"a sub-expression is not a boolean ({type(value).__name__})",))
    return Outcome(truth=Truth.TRUE if value else Truth.FALSE)


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _merge(outcomes: Iterable[Outcome]) -> tuple[str, ...]:
    out: list[str] = []
    for outcome in outcomes:
        out.extend(u for u in outcome.unknown if u not in out)
    return tuple(out)


def _decide(node: Any, resource: CelResource) -> Outcome:
    kids = _kids(node)
    data = node.data
    if data == "expr" and len(kids) == 3:
        condition = _decide(kids[0], resource)
        if condition.truth is Truth.TRUE:
            return _decide(kids[1], resource)
        if condition.truth is Truth.FALSE:
            return _decide(kids[2], resource)
        return condition  # an undecided or failing condition: the whole is undecided
    if data in ("conditionalor", "conditionaland") and len(kids) == 2:
        dominant = Truth.TRUE if data == "conditionalor" else Truth.FALSE
        sides = [_decide(kid, resource) for kid in kids]
        if any(side.truth is dominant for side in sides):
            return Outcome(truth=dominant)
        if all(side.truth is not Truth.UNKNOWN for side in sides):
            return Outcome(truth=Truth.FALSE if dominant is Truth.TRUE else Truth.TRUE)
        return Outcome(truth=Truth.UNKNOWN, unknown=_merge(sides))
    if data == "unary" and len(kids) == 2 and _is_tree(kids[0]) and kids[0].data == "unary_not":
        inner = _decide(kids[1], resource)
        flipped = {Truth.TRUE: Truth.FALSE, Truth.FALSE: Truth.TRUE}.get(inner.truth, Truth.UNKNOWN)
        return Outcome(truth=flipped, unknown=inner.unknown)
    if len(kids) == 1 and _is_tree(kids[0]) and data in _PASS_THROUGH:
        return _decide(kids[0], resource)
    return _leaf(node, resource)


@lru_cache(maxsize=65536)
def evaluate(expression: str, resource: CelResource) -> Outcome:
    """TRUE or FALSE when ``expression`` has that value for every request on ``resource``; else UNKNOWN."""
    try:
        tree = _parse(expression)
    except Exception as error:
        where = f" at line {error.line}, column {error.column}" if getattr(error, "line", None) else ""
        return Outcome(truth=Truth.UNKNOWN, unknown=(f"not valid CEL{where}",))
    try:
        return _decide(tree, resource)
    except Exception as error:  # an unexpected tree shape: undecided, never dropped
        return Outcome(truth=Truth.UNKNOWN, unknown=(f"not evaluated: {_first_line(error)}",))
