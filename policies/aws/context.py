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
  ``s3:ResourceAccount``): known from the resource being reached; a resource's tags
  (``aws:ResourceTag/*``, ``s3:BucketTag/*``) are a :class:`TagSet` entry under the key prefix
  (``aws:ResourceTag/*``), which gives each tag key its value: a tag the resource does not carry
  is ABSENT, and where S3 evaluates the keys only once ABAC is enabled on the bucket and the
  snapshot does not say whether it is, a tag it carries is :class:`OneOf` (absent, or its value);
* **request keys**: properties of one request.  What a key's value is, when the
  candidate does not set it, follows the key's family in the condition-key
  catalogue (:mod:`seenby.policies.condition_catalogue`):

  - request properties the caller chooses (``aws:SecureTransport``, ``aws:Referer``,
    ``s3:x-amz-acl`` …) and the part of the data a request reaches (``s3:prefix``,
    ``s3:ExistingObjectTag/*``) are :data:`CALLER_CHOICE`: the caller picks whatever
    value gets it in;
  - authentication keys (``aws:MultiFactorAuthPresent``) are ABSENT on anonymous
    requests and :data:`CALLER_CHOICE` for a signed-in caller;
  - service-route keys (forward access sessions: ``aws:ViaAWSService``, ``aws:CalledVia*``):
    an anonymous request is never one a service makes with an IAM principal's credentials,
    so ``aws:ViaAWSService`` is ``false`` (the key is always in the request context) and
    ``aws:CalledVia*`` are ABSENT; a signed-in caller chooses (:data:`CALLER_CHOICE`) to call
    directly or through a service;
  - time keys (``aws:CurrentTime``, ``aws:EpochTime``) are the snapshot's collection time;
  - service-context keys (``aws:SourceArn``, ``aws:SourceAccount`` …) are ABSENT unless
    the candidate is a service acting for someone (``on_behalf``);
  - network keys (``aws:SourceIp``, ``aws:SourceVpce`` …): a candidate calls from the
    internet, so ``aws:SourceIp`` is :data:`INTERNET_ADDRESS` and the VPC keys are ABSENT;
    the networks a policy names are candidates of their own (:mod:`.population` sets
    their keys);
  - anything else (an unmodelled key) is UNKNOWN: a statement that depends on it gives a
    *conditional* grant naming it.

A key ending in ``/*`` in a context's values gives the value of every key with that prefix the
context does not set itself (a :class:`TagSet` computes it per tag key).

A value is one of :class:`Known` (these exact values), :data:`ABSENT` (the key is
not in the request), :class:`Opaque` (some value matching a glob that equals none
of the literals policies name — how a class of principals such as "another
account of organisation o-x" looks: every literal a policy names becomes a
candidate of its own, so the class stands for everyone else), :data:`CALLER_CHOICE`
(whatever value, or none, the caller prefers), :data:`INTERNET_ADDRESS` (an address
outside every range a policy names) or :class:`Unknown`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cache
from types import MappingProxyType

from seenby.model import ConditionFamily
from seenby.policies.condition_catalogue import aws_catalogue

__all__ = [
    "ABSENT",
    "CALLER_CHOICE",
    "INTERNET_ADDRESS",
    "Absent",
    "CallerChoice",
    "InternetAddress",
    "KeyValue",
    "Known",
    "OneOf",
    "Opaque",
    "RequestContext",
    "TagSet",
    "Unknown",
    "access_point_tag_keys",
    "bucket_tag_keys",
    "key_family",
    "other_services_resource_keys",
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


@dataclass(frozen=True, slots=True)
class CallerChoice:
    """Whatever value (or none) the caller prefers: it satisfies an Allow on the key and avoids a Deny."""


CALLER_CHOICE = CallerChoice()


@dataclass(frozen=True, slots=True)
class InternetAddress:
    """A caller's public address outside every address range a policy names (those are candidates of their own)."""


INTERNET_ADDRESS = InternetAddress()

@dataclass(frozen=True, slots=True)
class OneOf:
    """One of ``options``, which one the snapshot does not say (``reason``): decided where every option gives
    the same answer, otherwise undecided with ``reason``."""

    options: tuple[Known | Absent, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class TagSet:
    """A resource's tags, behind a key prefix (``aws:ResourceTag/*``): each tag key's value.

    ``evaluated``: the service sets the keys (True), never does (False: every key is absent), or the snapshot
    does not say (None: a tag the resource carries is :class:`OneOf` absent or its value, ``unsure`` saying
    why).  Tag keys compare case-insensitively, as condition keys do.
    """

    tags: tuple[tuple[str, str], ...]
    evaluated: bool | None = True
    unsure: str = ""

    def value(self, tag: str) -> Known | Absent | OneOf:
        found = next((v for k, v in self.tags if k.lower() == tag.lower()), None)
        if found is None or self.evaluated is False:
            return ABSENT
        if self.evaluated:
            return Known((found,))
        return OneOf(options=(ABSENT, Known((found,))), reason=self.unsure)


KeyValue = Known | Absent | Opaque | Unknown | CallerChoice | InternetAddress | OneOf | TagSet


_BUCKET_TAG_PREFIXES = ("aws:ResourceTag/*", "s3:BucketTag/*")


def bucket_tag_keys(tags: Mapping[str, str] | None, *, abac: bool | None = None) -> dict[str, KeyValue]:
    """The tag keys of a request to an S3 general purpose bucket (or its objects) that carries ``tags``.

    S3 evaluates ``aws:ResourceTag/*`` and ``s3:BucketTag/*`` against the bucket's tags, for bucket and
    object requests alike, *only once ABAC is enabled on the bucket*; ABAC is off by default
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/buckets-tagging.html,
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/buckets-tagging-enable-abac.html).  ``abac`` is the
    bucket's status as GetBucketAbac gave it (``AbacStatus.Status``,
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketAbac.html): enabled, every tag key is the
    bucket's tag (absent when it carries none); disabled, every tag key is absent.  None (the scan did not read
    it, because no policy tests the tags, or the read failed or gave no status): a tag the bucket carries is
    absent-or-its-value, and a tag it does not carry is absent either way.  ``tags`` None (the tags read
    failed): nothing is set, the keys stay undecided.
    """
    if tags is None:
        return {}
    # the same for every bucket alike in tags and status (requests share their keys), so it names none: the grant
    # it makes conditional is the bucket's own
    unsure = (
        "S3 evaluates a bucket's tags only when ABAC is enabled on the bucket, and the snapshot does not say whether "
        "it is on this one (GetBucketAbac)"
    )
    tag_set = TagSet(tags=tuple(sorted(tags.items())), evaluated=abac, unsure="" if abac is not None else unsure)
    return {prefix: tag_set for prefix in _BUCKET_TAG_PREFIXES}


def access_point_tag_keys() -> dict[str, KeyValue]:
    """Through an access point ``aws:ResourceTag/*`` is the access point's tags, which the scan does not read
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-tagging.html); ``s3:BucketTag/*``
    stays the bucket's."""
    return {"aws:ResourceTag/*": Unknown("through an access point aws:ResourceTag is the access point's tags, "
                                         "which the scan does not read")}  # fmt: skip


@cache
def other_services_resource_keys(service: str) -> dict[str, KeyValue]:
    """ABSENT for every resource key of the catalogue that belongs to a service other than ``service``.

    A service-specific condition key is in the request context only of requests to its own service (its
    actions list it in the Service Authorization Reference,
    https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html),
    and a key missing from the request context matches no positive operator
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
    ``kms:KeySpec`` on a request to S3, ``s3:BucketTag/*`` on a request to KMS are absent.  Global (``aws:``)
    keys are left alone.
    """
    return {
        e.key: ABSENT
        for e in aws_catalogue().entries
        if e.family is ConditionFamily.RESOURCE and (not e.is_prefix or e.key.endswith("/*"))
        and e.key.partition(":")[0].lower() not in ("aws", service.lower())
    }  # fmt: skip


@cache
def key_family(key: str) -> ConditionFamily:
    """The catalogue family of condition key ``key`` (case-insensitive; UNMODELLED when not listed)."""
    return aws_catalogue().family(key.lower())


_INTERNET_NETWORK_KEYS = {"aws:sourceip": INTERNET_ADDRESS}
# An anonymous request is made directly, never by a service with an IAM principal's credentials
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html): aws:ViaAWSService, always in
# the request context, is false; aws:CalledVia* are present only on forwarded requests
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-viaawsservice).
_ANONYMOUS_ROUTE_KEYS: Mapping[str, KeyValue] = MappingProxyType({"aws:viaawsservice": Known(("false",))})

_REQUEST_REASON = "a property of each request, not known offline"


@dataclass(frozen=True, kw_only=True, slots=True)
class RequestContext:
    """The condition-key values of one (archetypal) request; keys compare case-insensitively.

    ``principal_tags`` is None when the caller's tags are not known; a mapping when
    they are (a missing tag is then ABSENT).  ``tags_chosen``: the caller stands for a
    class whose members tag themselves as they like (CALLER_CHOICE).  ``now``: the
    snapshot's collection time, which decides time keys.  ``on_behalf``: a service acting
    for someone (service-context keys are present).
    """

    values: Mapping[str, KeyValue] = field(default_factory=dict)
    principal_tags: Mapping[str, str] | None = None
    anonymous: bool = False
    tags_chosen: bool = False
    now: datetime | None = None
    on_behalf: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType({k.lower(): v for k, v in self.values.items()}))
        if self.principal_tags is not None:
            tags = {k.lower(): v for k, v in self.principal_tags.items()}
            object.__setattr__(self, "principal_tags", MappingProxyType(tags))

    def get(self, key: str) -> KeyValue:
        k = key.lower()
        if k in self.values:
            return self.values[k]
        prefix, slash, rest = k.partition("/")
        if slash and f"{prefix}/*" in self.values:
            every = self.values[f"{prefix}/*"]
            return every.value(rest) if isinstance(every, TagSet) else every
        if k.startswith("aws:principaltag/"):
            if self.anonymous:
                return ABSENT
            if self.principal_tags is None:
                if self.tags_chosen:
                    return CALLER_CHOICE
                return Unknown("the caller's principal tags are not known")
            tag = k.split("/", 1)[1]
            return Known((self.principal_tags[tag],)) if tag in self.principal_tags else ABSENT
        return self._by_family(k)

    def _by_family(self, k: str) -> KeyValue:
        """The value of a key the candidate does not set, by the key's family (see the module docstring)."""
        family = key_family(k)
        if family in (ConditionFamily.REQUEST_PROPERTY, ConditionFamily.DATA_PART):
            return CALLER_CHOICE
        if family is ConditionFamily.AUTHENTICATION:
            return ABSENT if self.anonymous else CALLER_CHOICE
        if family is ConditionFamily.SERVICE_ROUTE:
            return _ANONYMOUS_ROUTE_KEYS.get(k, ABSENT) if self.anonymous else CALLER_CHOICE
        if family is ConditionFamily.TIME:
            if self.now is None:
                return Unknown("the snapshot's collection time is not known")
            if k == "aws:epochtime":
                return Known((str(int(self.now.timestamp())),))
            return Known((self.now.strftime("%Y-%m-%dT%H:%M:%SZ"),))
        if family is ConditionFamily.CALLER_IDENTITY:
            # a key about the caller the candidate does not set: absent on anonymous requests, set as they like by
            # the members of a class (a source identity, a federated provider); unknown for one principal
            if self.anonymous:
                return ABSENT
            if self.tags_chosen:
                return CALLER_CHOICE
            return Unknown("a property of the caller that the snapshot does not record")
        if family is ConditionFamily.SERVICE_CONTEXT:
            if not self.on_behalf:
                return ABSENT
            return Unknown("on whose behalf the service acts is a property of each request")
        if family is ConditionFamily.NETWORK:
            return _INTERNET_NETWORK_KEYS.get(k, ABSENT)
        if family is ConditionFamily.UNMODELLED:
            return Unknown("the key is not in seenby's condition-key catalogue, so it is not decided")
        return Unknown(_REQUEST_REASON)

    def merged(self, extra: Mapping[str, KeyValue]) -> RequestContext:
        """This context plus ``extra`` keys (resource keys of the resource being reached)."""
        values = dict(self.values)
        values.update({k.lower(): v for k, v in extra.items()})
        # every key is lower-case and the principal tags are this context's (lowered already): the copy is made
        # without ``__post_init__``, which would lower them all again (a context is merged per caller and bucket)
        out = object.__new__(RequestContext)
        for name in _CONTEXT_FIELDS:
            object.__setattr__(out, name, getattr(self, name))
        object.__setattr__(out, "values", MappingProxyType(values))
        return out

    def resolve(self, key: str) -> str | None:
        """The single known value of ``key``, for a policy variable; None if it cannot be resolved."""
        value = self.get(key)
        if isinstance(value, Known) and len(value.values) == 1:
            return value.values[0]
        return None


_CONTEXT_FIELDS = tuple(f.name for f in fields(RequestContext))

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
