"""What is known, offline, about the caller of a request: the request context.

Condition keys fall in three groups
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html):

* **principal keys** (``aws:PrincipalArn``, ``aws:PrincipalAccount``,
  ``aws:PrincipalOrgID``, ``aws:PrincipalOrgPaths``, ``aws:PrincipalTag/*``,
  ``aws:userid``, ``aws:username``, ``aws:PrincipalType``,
  ``aws:PrincipalIsAWSService``, ``aws:PrincipalServiceName``,
  ``kms:CallerAccount``): known for a named principal from the snapshot
  (IAM authorization details, the organisation), absent for an anonymous caller;
* **resource keys** (``aws:ResourceAccount``, ``aws:ResourceOrgID``,
  ``s3:ResourceAccount``): known from the resource being reached;
* **request keys** (``aws:SourceIp``, ``aws:SourceVpce``, ``aws:SecureTransport``,
  ``aws:MultiFactorAuthPresent``, ``aws:CurrentTime``, ``kms:ViaService``, every
  service key …): properties of one request, UNKNOWN offline.  A statement that
  depends on them gives a *conditional* grant naming them.

A value is one of :class:`Known` (these exact values), :data:`ABSENT` (the key is
not in the request), :class:`Opaque` (some value matching a glob that equals none
of the literals policies name — how a class of principals such as "another
account of organisation o-x" looks: every literal a policy names becomes a
candidate of its own, so the class stands for everyone else) or :class:`Unknown`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

__all__ = [
    "ABSENT",
    "Absent",
    "KeyValue",
    "Known",
    "Opaque",
    "RequestContext",
    "Unknown",
    "substitute_variables",
]


@dataclass(frozen=True, slots=True)
class Known:
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Absent:
    pass


ABSENT = Absent()


@dataclass(frozen=True, slots=True)
class Opaque:
    """Some value matching ``glob``, none of the literals a policy names; ``may_be_absent`` if it may be missing.

    ``prefixes_owned``: a wildcard pattern more specific than ``glob`` (a longer
    literal prefix, such as an OU path under the organisation) belongs to a
    candidate of its own, so the class does not match it.  ``accounts_owned``: an
    ARN pattern naming a literal account belongs to that account's candidate.
    """

    glob: str = "*"
    may_be_absent: bool = False
    prefixes_owned: bool = False
    accounts_owned: bool = False
    # When set, the value is only known *not* to be (or start with) one of these; other literals are UNKNOWN.
    excludes: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Unknown:
    reason: str


KeyValue = Known | Absent | Opaque | Unknown

_REQUEST_REASON = "a property of each request, not known offline"


@dataclass(frozen=True, kw_only=True, slots=True)
class RequestContext:
    """The condition-key values of one (archetypal) request; keys compare case-insensitively.

    ``principal_tags`` is None when the caller's tags are not known (a class of
    principals); a mapping when they are (a missing tag is then ABSENT).
    """

    values: Mapping[str, KeyValue] = field(default_factory=dict)
    principal_tags: Mapping[str, str] | None = None
    anonymous: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType({k.lower(): v for k, v in self.values.items()}))
        if self.principal_tags is not None:
            tags = {k.lower(): v for k, v in self.principal_tags.items()}
            object.__setattr__(self, "principal_tags", MappingProxyType(tags))

    def get(self, key: str) -> KeyValue:
        k = key.lower()
        if k in self.values:
            return self.values[k]
        if k.startswith("aws:principaltag/"):
            if self.anonymous:
                return ABSENT
            if self.principal_tags is None:
                return Unknown("the caller's principal tags are not known for this class of principals")
            tag = k.split("/", 1)[1]
            return Known((self.principal_tags[tag],)) if tag in self.principal_tags else ABSENT
        return Unknown(_REQUEST_REASON)

    def merged(self, extra: Mapping[str, KeyValue]) -> RequestContext:
        """This context plus ``extra`` keys (resource keys of the resource being reached)."""
        values = dict(self.values)
        values.update({k.lower(): v for k, v in extra.items()})
        return replace(self, values=values)

    def resolve(self, key: str) -> str | None:
        """The single known value of ``key``, for a policy variable; None if it cannot be resolved."""
        value = self.get(key)
        if isinstance(value, Known) and len(value.values) == 1:
            return value.values[0]
        return None


_VARIABLE_RE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


def substitute_variables(text: str, context: RequestContext) -> tuple[str, tuple[str, ...]]:
    """Replace ``${key}`` policy variables with the caller's values.

    Returns the text and the keys that could not be resolved; those are replaced
    by ``*`` (so a pattern still says "some value"), and the caller treats the
    comparison as UNKNOWN.  ``${*}``, ``${?}``, ``${$}`` are the literal characters;
    ``${key, 'default'}`` uses the default when the key is absent
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
    """
    if "${" not in text:
        return text, ()
    unresolved: list[str] = []

    def repl(m: re.Match[str]) -> str:
        body = m.group(1).strip()
        if body in _ESCAPES:
            return _ESCAPES[body]  # in a pattern an escaped * or ? still acts as a wildcard: over-matches
        key, default = body, None
        if "," in body:
            key, default_part = body.split(",", 1)
            key = key.strip()
            default = default_part.strip().strip("'")
        value = context.resolve(key)
        if value is not None:
            return value
        if default is not None and isinstance(context.get(key), Absent):
            return default
        unresolved.append(key)
        return "*"

    out = _VARIABLE_RE.sub(repl, text)
    return out, tuple(unresolved)
