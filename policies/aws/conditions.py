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
* a key the caller controls (:data:`~.context.CALLER_CHOICE`: a request property, the
  part of the data, how a person signs in, whether a service forwards a signed-in caller's
  credentials, a network for a named principal) is decided
  in the caller's favour: TRUE in an Allow, FALSE in a Deny (the caller avoids it).  This
  over-approximates the audience when one request would have to satisfy contradictory
  statements, which fails closed.  Each such decision is kept as a
  :class:`~seenby.model.DecidedCondition` with its family, for ``seenby why``;
* a wildcard value of a caller-identity key that some members of a class match (S3
  Block Public Access counts it as not fixed) is decided the same way;
* time keys are decided at the snapshot's collection time, noting when the answer changes;
* anything else undecidable offline — an unmodelled key, an operator seenby does
  not model, a policy variable that cannot be resolved — is UNKNOWN with a reason,
  never dropped: it makes the grant conditional.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from seenby.model import ConditionFamily, DecidedCondition
from seenby.policies.aws.context import (
    Absent,
    CallerChoice,
    InternetAddress,
    KeyValue,
    Known,
    OneOf,
    Opaque,
    RequestContext,
    TagSet,
    Unknown,
    key_family,
    substitute_variables,
)
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
    family: ConditionFamily = ConditionFamily.UNMODELLED


@dataclass(frozen=True, kw_only=True, slots=True)
class ConditionOutcome:
    value: Tri
    undecided: tuple[UndecidedPart, ...] = ()
    decided: tuple[DecidedCondition, ...] = ()

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


_CHOICE_HOW: dict[ConditionFamily, tuple[str, str]] = {
    ConditionFamily.REQUEST_PROPERTY: (
        "a property of the caller's own request: any caller can meet it, so it narrows nobody out",
        "a property of the caller's own request: any caller can avoid it, so this Deny removes nobody",
    ),
    ConditionFamily.AUTHENTICATION: (
        "how the caller signed in: a signed-in person can meet it",
        "how the caller signed in: a signed-in person can avoid it, so this Deny removes nobody",
    ),
    ConditionFamily.SERVICE_ROUTE: (
        "whether a service forwards the caller's credentials: a signed-in caller can call through one that does",
        "whether a service forwards the caller's credentials: a signed-in caller can call so as to avoid it, so "
        "this Deny removes nobody",
    ),
    ConditionFamily.NETWORK: (
        "the network ({values}) is not fixed (a wildcard, or an endpoint the snapshot does not show): taken as "
        "matching, since anyone can call through an endpoint or VPC of their own",
        "the network ({values}) is not fixed: a caller can call through a network that avoids it",
    ),
    ConditionFamily.CALLER_IDENTITY: (
        "members of this class set it themselves, or a wildcard value some of them match "
        "(S3 Block Public Access: not a fixed value)",
        "members of this class can avoid it (they set it themselves, or a wildcard value not all match)",
    ),
    ConditionFamily.SERVICE_CONTEXT: (
        "a wildcard value: a service acting for whoever owns a matching resource meets it "
        "(S3 Block Public Access: not a fixed value)",
        "a wildcard value: a service acting for others avoids it",
    ),
}


# families whose wildcard values a class's members can match by naming themselves (or their resources) to fit
_CLASS_CHOSEN = frozenset({ConditionFamily.CALLER_IDENTITY, ConditionFamily.SERVICE_CONTEXT})


@dataclass(frozen=True, slots=True)
class _KeyResult:
    value: Tri
    reason: str = ""
    decided: DecidedCondition | None = None
    family: ConditionFamily = ConditionFamily.UNMODELLED


def _values_text(policy_values: tuple[str, ...]) -> str:
    return ", ".join(policy_values) if len(policy_values) != 1 else policy_values[0]


def _choice(
    operator: str, key: str, family: ConditionFamily, policy_values: tuple[str, ...], allow: bool
) -> _KeyResult:
    """The caller picks the value: TRUE in an Allow, FALSE in a Deny, and how that was decided."""
    values = _values_text(policy_values)
    if family is ConditionFamily.DATA_PART:
        how = (
            f"covers only part of the data: where {operator} {key} {values}"
            if allow
            else f"denies only part of the data (where {operator} {key} {values}); the rest stays reachable"
        )
    else:
        allow_how, deny_how = _CHOICE_HOW.get(family, _CHOICE_HOW[ConditionFamily.REQUEST_PROPERTY])
        how = (allow_how if allow else deny_how).format(values=values)
    decided = DecidedCondition(key=key, family=family, how=how, operator=operator)
    return _KeyResult(Tri.TRUE if allow else Tri.FALSE, decided=decided, family=family)


def _internet(op: _Operator, operator: str, key: str, policy_values: tuple[str, ...]) -> _KeyResult:
    """An address outside every range the policies name: inside only a range that covers every address."""
    if op.family is not _Family.IP:
        return _KeyResult(Tri.UNKNOWN, f"{operator} does not compare addresses", family=ConditionFamily.NETWORK)
    try:
        everything = [p for p in policy_values if ipaddress.ip_network(p, strict=False).prefixlen == 0]
    except ValueError:
        return _KeyResult(Tri.UNKNOWN, "a value is not an IP address or CIDR", family=ConditionFamily.NETWORK)
    inside = bool(everything)
    result = Tri.FALSE if inside == op.negated else Tri.TRUE
    decided = None
    if everything:
        decided = DecidedCondition(
            key=key, family=ConditionFamily.NETWORK, operator=operator,
            how=f"{everything[0]} is every address: it narrows nothing",
        )  # fmt: skip
    return _KeyResult(result, decided=decided, family=ConditionFamily.NETWORK)


def _time_note(operator: str, key: str, now: str, policy_values: tuple[str, ...], result: Tri) -> DecidedCondition:
    state = "holds" if result is Tri.TRUE else "does not hold"
    return DecidedCondition(
        key=key, family=ConditionFamily.TIME, operator=operator,
        how=f"{state} at the snapshot's collection time ({now}); the answer changes at {_values_text(policy_values)}",
    )  # fmt: skip


def _evaluate_key(
    operator: str, key: str, policy_values: tuple[str, ...], context: RequestContext, allow: bool
) -> _KeyResult:
    family = key_family(key)
    m = _OPERATOR_RE.match(operator)
    op = _OPERATORS.get(m["base"].lower()) if m else None
    if m is None or op is None:
        return _KeyResult(Tri.UNKNOWN, f"condition operator {operator} is not modelled by seenby", family=family)
    qualifier = m["set"].lower() if m["set"] else None
    if_exists = bool(m["ifexists"])
    if op.family is _Family.NULL and (qualifier or if_exists):
        return _KeyResult(Tri.UNKNOWN, f"condition operator {operator} is not a valid form of Null", family=family)
    value = context.get(key)
    if isinstance(value, OneOf):
        return _one_of(operator, key, policy_values, context, allow, value)
    if isinstance(value, TagSet):  # a prefix entry read as a key of its own (``aws:ResourceTag/*`` in a policy)
        return _KeyResult(Tri.UNKNOWN, f"{key} names no tag key", family=family)
    if isinstance(value, Unknown):
        return _KeyResult(Tri.UNKNOWN, value.reason, family=family)
    if isinstance(value, CallerChoice):
        return _choice(operator, key, family, policy_values, allow)
    if family is ConditionFamily.NETWORK and not isinstance(value, Known) and any(map(has_wildcard, policy_values)):
        # a wildcard endpoint or VPC id is not a fixed value (S3 Block Public Access): anyone can create an
        # endpoint or VPC of their own and call through it
        return _choice(operator, key, family, policy_values, allow)
    if isinstance(value, InternetAddress):
        return _internet(op, operator, key, policy_values)
    if op.family is _Family.NULL:
        result = _null(value, policy_values)
        if result is Tri.UNKNOWN:
            return _KeyResult(result, "whether the key is present is not known", family=family)
        return _KeyResult(result, family=family)
    resolved: list[str] = []
    unresolved: list[str] = []
    for p in policy_values:
        text, missing = substitute_variables(p, context)
        resolved.append(text)
        unresolved.extend(missing)
    if isinstance(value, Absent) or (isinstance(value, Known) and not value.values):
        return _KeyResult(_absent(op, qualifier, if_exists), family=family)
    if unresolved:
        reason = f"policy variable {', '.join(sorted(set(unresolved)))} cannot be resolved offline"
        return _KeyResult(Tri.UNKNOWN, reason, family=family)
    try:
        if isinstance(value, Known):
            result = _present(op, qualifier, value.values, None, tuple(resolved))
            if family is ConditionFamily.TIME and result is not Tri.UNKNOWN:
                return _KeyResult(result, decided=_time_note(operator, key, value.values[0], policy_values, result))
            return _KeyResult(result, family=family)
        assert isinstance(value, Opaque)
        present = _present(op, qualifier, None, value, tuple(resolved))
        if value.may_be_absent and present is not _absent(op, qualifier, if_exists):
            reason = "this class of principals may or may not carry the key"
        elif present is Tri.UNKNOWN:
            reason = "this class of principals may or may not match the value"
        else:
            return _KeyResult(present, family=family)
        if family in _CLASS_CHOSEN and any(has_wildcard(v) for v in resolved):
            # a wildcard value some members of the class match (S3 Block Public Access: not a fixed value):
            # the audience holds those that do
            return _choice(operator, key, family, policy_values, allow)
        return _KeyResult(Tri.UNKNOWN, reason, family=family)
    except _Undecidable as exc:
        return _KeyResult(Tri.UNKNOWN, str(exc), family=family)


def _one_of(
    operator: str, key: str, policy_values: tuple[str, ...], context: RequestContext, allow: bool, value: OneOf
) -> _KeyResult:
    """A key whose value is one of several the snapshot cannot tell apart: decided when each gives the same answer."""
    results = [_evaluate_key(operator, key, policy_values, context.merged({key: option}), allow) for option in
               value.options]  # fmt: skip
    family = key_family(key)
    if any(r.value is Tri.UNKNOWN for r in results) or len({r.value for r in results}) > 1:
        return _KeyResult(Tri.UNKNOWN, value.reason, family=family)
    answer = results[0].value
    decided = DecidedCondition(
        key=key, family=family, operator=operator,
        how=f"{answer.value} whether the key is set or not ({value.reason}): the same answer either way",
    )  # fmt: skip
    return _KeyResult(answer, decided=decided, family=family)


def evaluate_condition(
    condition: Mapping[str, Mapping[str, tuple[str, ...]]], context: RequestContext, *, allow: bool = True
) -> ConditionOutcome:
    """Evaluate a normalised Condition block (see :mod:`seenby.policies.aws.document`).

    ``allow``: the statement is an Allow (the caller wants the condition to hold); for a Deny the
    caller wants it not to, which decides the keys the caller controls.
    """
    results: list[Tri] = []
    undecided: list[UndecidedPart] = []
    decided: list[DecidedCondition] = []
    for operator, keys in condition.items():
        for key, policy_values in keys.items():
            r = _evaluate_key(operator, key, policy_values, context, allow)
            if r.value is Tri.FALSE:
                return ConditionOutcome(value=Tri.FALSE, decided=(r.decided,) if r.decided else ())
            if r.value is Tri.UNKNOWN:
                undecided.append(UndecidedPart(operator=operator, key=key, reason=r.reason, family=r.family))
            if r.decided is not None:
                decided.append(r.decided)
            results.append(r.value)
    value = tri_all(results)
    return ConditionOutcome(
        value=value, undecided=tuple(undecided) if value is Tri.UNKNOWN else (), decided=tuple(decided)
    )
