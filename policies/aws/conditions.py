"""Evaluate an IAM ``Condition`` block against a request context, tri-valued.

Semantics (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html):

* operators are ANDed, keys within an operator are ANDed, the values of one key
  are ORed;
* a key missing from the request makes a positive operator FALSE and a negated
  one (``StringNotEquals``, ``NotIpAddress``, ``ArnNotLike`` …) TRUE; ``…IfExists``
  makes a missing key TRUE; ``Null`` tests presence;
* ``ForAnyValue:`` is TRUE when some request value matches (FALSE for no values),
  ``ForAllValues:`` when every request value matches (TRUE for no values);
* anything undecidable offline — an unknown request key, an operator seenby does
  not model, a policy variable that cannot be resolved, a class of principals
  that might or might not match a wildcard — is UNKNOWN with a reason, never
  dropped: it makes the grant conditional.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from seenby.policies.aws.context import Absent, KeyValue, Known, Opaque, RequestContext, Unknown, substitute_variables
from seenby.policies.aws.matching import glob_covers, glob_intersects, has_wildcard, wildcard_match

__all__ = [
    "ConditionOutcome",
    "Tri",
    "UndecidedPart",
    "evaluate_condition",
    "tri_all",
    "tri_any",
]


class Tri(StrEnum):
    """Three-valued truth: a condition may be undecidable offline."""

    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"

    def negate(self) -> Tri:
        return {Tri.TRUE: Tri.FALSE, Tri.FALSE: Tri.TRUE}.get(self, Tri.UNKNOWN)


def tri_all(values: Iterable[Tri]) -> Tri:
    result = Tri.TRUE
    for v in values:
        if v is Tri.FALSE:
            return Tri.FALSE
        if v is Tri.UNKNOWN:
            result = Tri.UNKNOWN
    return result


def tri_any(values: Iterable[Tri]) -> Tri:
    result = Tri.FALSE
    for v in values:
        if v is Tri.TRUE:
            return Tri.TRUE
        if v is Tri.UNKNOWN:
            result = Tri.UNKNOWN
    return result


@dataclass(frozen=True, kw_only=True, slots=True)
class UndecidedPart:
    """One operator/key pair of a condition that could not be decided, and why."""

    operator: str
    key: str
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ConditionOutcome:
    value: Tri
    undecided: tuple[UndecidedPart, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.key for p in self.undecided))

    @property
    def reason(self) -> str:
        return "; ".join(f"{p.operator} {p.key}: {p.reason}" for p in self.undecided)


class _Family(StrEnum):
    STRING = "string"
    STRING_IGNORE_CASE = "string-ignore-case"
    STRING_LIKE = "string-like"
    NUMERIC = "numeric"
    DATE = "date"
    BOOL = "bool"
    BINARY = "binary"
    IP = "ip"
    ARN = "arn"
    NULL = "null"


@dataclass(frozen=True, slots=True)
class _Operator:
    family: _Family
    negated: bool
    compare: str = "eq"  # eq, lt, le, gt, ge for numeric and date


def _operators() -> dict[str, _Operator]:
    ops = {
        "StringEquals": _Operator(_Family.STRING, False),
        "StringNotEquals": _Operator(_Family.STRING, True),
        "StringEqualsIgnoreCase": _Operator(_Family.STRING_IGNORE_CASE, False),
        "StringNotEqualsIgnoreCase": _Operator(_Family.STRING_IGNORE_CASE, True),
        "StringLike": _Operator(_Family.STRING_LIKE, False),
        "StringNotLike": _Operator(_Family.STRING_LIKE, True),
        "Bool": _Operator(_Family.BOOL, False),
        "BinaryEquals": _Operator(_Family.BINARY, False),
        "IpAddress": _Operator(_Family.IP, False),
        "NotIpAddress": _Operator(_Family.IP, True),
        "ArnEquals": _Operator(_Family.ARN, False),
        "ArnLike": _Operator(_Family.ARN, False),
        "ArnNotEquals": _Operator(_Family.ARN, True),
        "ArnNotLike": _Operator(_Family.ARN, True),
        "Null": _Operator(_Family.NULL, False),
    }
    for family, prefix in ((_Family.NUMERIC, "Numeric"), (_Family.DATE, "Date")):
        ops[f"{prefix}Equals"] = _Operator(family, False, "eq")
        ops[f"{prefix}NotEquals"] = _Operator(family, True, "eq")
        ops[f"{prefix}LessThan"] = _Operator(family, False, "lt")
        ops[f"{prefix}LessThanEquals"] = _Operator(family, False, "le")
        ops[f"{prefix}GreaterThan"] = _Operator(family, False, "gt")
        ops[f"{prefix}GreaterThanEquals"] = _Operator(family, False, "ge")
    return {k.lower(): v for k, v in ops.items()}


_OPERATORS = _operators()
_OPERATOR_RE = re.compile(
    r"^(?:(?P<set>ForAnyValue|ForAllValues):)?(?P<base>.+?)(?P<ifexists>IfExists)?$", re.IGNORECASE
)


class _Undecidable(Exception):
    """A comparison that cannot be made (a malformed number, date or CIDR)."""


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise _Undecidable(f"{text!r} is not a number") from None


def _date(text: str) -> datetime:
    try:
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            return datetime.fromtimestamp(float(text), tz=UTC)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise _Undecidable(f"{text!r} is not a date") from None


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "eq": lambda a, b: a == b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


def _arn_match(pattern: str, value: str) -> bool:
    """ArnEquals/ArnLike: each of the six colon-separated parts is matched separately, with wildcards."""
    p_parts = pattern.split(":", 5)
    v_parts = value.split(":", 5)
    if len(p_parts) != len(v_parts):
        return pattern == "*"
    return all(wildcard_match(p, v) for p, v in zip(p_parts, v_parts, strict=True))


def _match_one(op: _Operator, value: str, policy_value: str) -> bool:
    """The positive form of ``op`` for one request value and one policy value."""
    family = op.family
    if family is _Family.STRING:
        return value == policy_value
    if family is _Family.STRING_IGNORE_CASE:
        return value.lower() == policy_value.lower()
    if family is _Family.STRING_LIKE:
        return wildcard_match(policy_value, value)
    if family is _Family.ARN:
        return _arn_match(policy_value, value)
    if family is _Family.BOOL:
        return value.lower() == policy_value.lower()
    if family is _Family.BINARY:
        return value == policy_value
    if family is _Family.NUMERIC:
        return _COMPARE[op.compare](_number(value), _number(policy_value))
    if family is _Family.DATE:
        return _COMPARE[op.compare](_date(value).timestamp(), _date(policy_value).timestamp())
    if family is _Family.IP:
        try:
            return ipaddress.ip_address(value.split("/")[0]) in ipaddress.ip_network(policy_value, strict=False)
        except ValueError:
            raise _Undecidable(f"{policy_value!r} is not an IP address or CIDR") from None
    raise _Undecidable(f"operator family {family} has no comparison")


def _literal_prefix(pattern: str) -> str:
    return re.split(r"[*?]", pattern, maxsplit=1)[0]


def _opaque_match(op: _Operator, opaque: Opaque, policy_value: str) -> Tri:
    """Positive match of "some value matching the opaque glob, none of the literals named" against one value."""
    glob = opaque.glob
    if opaque.excludes is not None:
        if (
            not glob_intersects(policy_value, glob)
            if has_wildcard(policy_value)
            else not wildcard_match(glob, policy_value)
        ):
            return Tri.FALSE
        if any(_literal_prefix(policy_value).startswith(x) for x in opaque.excludes):
            return Tri.FALSE
        return Tri.UNKNOWN
    if op.family in (_Family.STRING_LIKE, _Family.ARN) and has_wildcard(policy_value):
        if glob_covers(policy_value, glob):
            return Tri.TRUE
        if not glob_intersects(policy_value, glob):
            return Tri.FALSE
        prefix, own = _literal_prefix(policy_value), _literal_prefix(glob)
        if opaque.prefixes_owned and prefix.startswith(own) and len(prefix) > len(own):
            return Tri.FALSE  # that narrower prefix is a candidate of its own
        parts = policy_value.split(":")
        if opaque.accounts_owned and len(parts) > 4 and re.fullmatch(r"\d{12}", parts[4]):
            return Tri.FALSE  # that account is a candidate of its own
        return Tri.UNKNOWN
    if op.family in (_Family.STRING, _Family.STRING_IGNORE_CASE, _Family.STRING_LIKE, _Family.ARN):
        if not has_wildcard(glob):
            return Tri.TRUE if _match_one(op, glob, policy_value) else Tri.FALSE
        return Tri.FALSE  # a literal the class cannot equal: it is a candidate of its own
    return Tri.UNKNOWN


def _present(
    op: _Operator,
    qualifier: str | None,
    values: tuple[str, ...] | None,
    opaque: Opaque | None,
    policy_values: tuple[str, ...],
) -> Tri:
    """Outcome for a key present in the request (``values`` known, or an ``opaque`` class value)."""

    def positive(value: str | None) -> Tri:
        if value is None:
            assert opaque is not None
            return tri_any(_opaque_match(op, opaque, p) for p in policy_values)
        return Tri.TRUE if any(_match_one(op, value, p) for p in policy_values) else Tri.FALSE

    def per_value(value: str | None) -> Tri:
        m = positive(value)
        return m.negate() if op.negated else m

    items: tuple[str | None, ...] = values if values is not None else (None,)
    if qualifier == "forallvalues":
        return tri_all(per_value(v) for v in items)
    if qualifier == "foranyvalue":
        return tri_any(per_value(v) for v in items)
    # no set qualifier: a positive operator matches if any value matches; a negated one if none does
    m = tri_any(positive(v) for v in items)
    return m.negate() if op.negated else m


def _absent(op: _Operator, qualifier: str | None, if_exists: bool) -> Tri:
    if if_exists or qualifier == "forallvalues":
        return Tri.TRUE
    if qualifier == "foranyvalue":
        return Tri.FALSE
    return Tri.TRUE if op.negated else Tri.FALSE


def _null(value: KeyValue, policy_values: tuple[str, ...]) -> Tri:
    def one(expect_absent: bool) -> Tri:
        if isinstance(value, Absent) or (isinstance(value, Known) and not value.values):
            return Tri.TRUE if expect_absent else Tri.FALSE
        if isinstance(value, Known):
            return Tri.FALSE if expect_absent else Tri.TRUE
        if isinstance(value, Opaque) and not value.may_be_absent:
            return Tri.FALSE if expect_absent else Tri.TRUE
        return Tri.UNKNOWN

    return tri_any(one(p.lower() == "true") for p in policy_values)


def _evaluate_key(operator: str, key: str, policy_values: tuple[str, ...], context: RequestContext) -> tuple[Tri, str]:
    m = _OPERATOR_RE.match(operator)
    op = _OPERATORS.get(m["base"].lower()) if m else None
    if m is None or op is None:
        return Tri.UNKNOWN, f"condition operator {operator} is not modelled by seenby"
    qualifier = m["set"].lower() if m["set"] else None
    if_exists = bool(m["ifexists"])
    if op.family is _Family.NULL and (qualifier or if_exists):
        return Tri.UNKNOWN, f"condition operator {operator} is not a valid form of Null"
    value = context.get(key)
    if isinstance(value, Unknown):
        return Tri.UNKNOWN, value.reason
    if op.family is _Family.NULL:
        result = _null(value, policy_values)
        return result, "" if result is not Tri.UNKNOWN else "whether the key is present is not known"
    resolved: list[str] = []
    unresolved: list[str] = []
    for p in policy_values:
        text, missing = substitute_variables(p, context)
        resolved.append(text)
        unresolved.extend(missing)
    if isinstance(value, Absent) or (isinstance(value, Known) and not value.values):
        return _absent(op, qualifier, if_exists), ""
    if unresolved:
        return Tri.UNKNOWN, f"policy variable {', '.join(sorted(set(unresolved)))} cannot be resolved offline"
    try:
        if isinstance(value, Known):
            return _present(op, qualifier, value.values, None, tuple(resolved)), ""
        assert isinstance(value, Opaque)
        present = _present(op, qualifier, None, value, tuple(resolved))
        if value.may_be_absent and present is not _absent(op, qualifier, if_exists):
            return Tri.UNKNOWN, "this class of principals may or may not carry the key"
        if present is Tri.UNKNOWN:
            return present, "this class of principals may or may not match the value"
        return present, ""
    except _Undecidable as exc:
        return Tri.UNKNOWN, str(exc)


def evaluate_condition(
    condition: Mapping[str, Mapping[str, tuple[str, ...]]], context: RequestContext
) -> ConditionOutcome:
    """Evaluate a normalised Condition block (see :mod:`seenby.policies.aws.document`)."""
    results: list[Tri] = []
    undecided: list[UndecidedPart] = []
    for operator, keys in condition.items():
        for key, policy_values in keys.items():
            result, reason = _evaluate_key(operator, key, policy_values, context)
            if result is Tri.FALSE:
                return ConditionOutcome(value=Tri.FALSE)
            if result is Tri.UNKNOWN:
                undecided.append(UndecidedPart(operator=operator, key=key, reason=reason))
            results.append(result)
    value = tri_all(results)
    return ConditionOutcome(value=value, undecided=tuple(undecided) if value is Tri.UNKNOWN else ())
