"""The model every stage shares: principals, datasets, grants, edges, coverage gaps.

Policies (``seenby.policies``) turn snapshot documents into these records; the
graph (``seenby.graph``) connects them; the audit turns them into findings.
Records are frozen, keyword-only and validated at construction.

Principal ids use the providers' own spellings (ARNs, IAM member strings such
as ``group:ml@corp.example``).  Classes without a spelling of their own get a
documented seenby id, built by the helpers at the bottom of this module:

=========================  ==========================================  =====================
id                         meaning                                      kind
=========================  ==========================================  =====================
``aws:public``             anyone, anonymous included (``"*"``)         PUBLIC
``aws:authenticated``      any authenticated AWS principal, any account ANY_AUTHENTICATED
``aws:any-service``        any AWS service principal, acting for any    ANY_AUTHENTICATED
                           account (``"*"`` narrowed to services)
``aws-org:o-abc123``       every principal of AWS organisation o-abc123 ORGANIZATION
``aws-ou:o-abc/r-1/ou-2``  every principal of accounts under an OU path ORG_UNIT
``arn:aws:iam::1…:root``   every principal of an AWS account            ACCOUNT
``allUsers``               anyone on the internet (Google)              PUBLIC
``allAuthenticatedUsers``  any Google account                           ANY_AUTHENTICATED
``domain:corp.example``    every account of a Google Workspace domain   DOMAIN
``sso-user:d-123/alice``   an IAM Identity Center (identity store) user USER
``sso-group:d-123/Eng``    an identity store group (by DisplayName)     GROUP
``arn:…:quicksight:…``     a QuickSight user, group or namespace ARN    USER / GROUP
``hmac:GOOG1E…``           a Cloud Storage HMAC key (its access id),    SERVICE_ACCOUNT
                           a credential of the service account it
                           can-impersonate
``superset:URL/role/Gamma``  a Superset role (users are its members)    GROUP
``superset:URL/user/alice``  a Superset user                            USER
``superset:URL/public``    anonymous visitors of a Superset server      PUBLIC
``superset:URL/embedded/…`` guests of an embedded dashboard's host app  PUBLIC
=========================  ==========================================  =====================
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any

__all__ = [
    "AWS_ANY_SERVICE",
    "AWS_AUTHENTICATED",
    "AWS_PUBLIC",
    "GCP_ACCESS_LEVELS_JOINED",
    "GCP_ALL_AUTHENTICATED",
    "GCP_ALL_USERS",
    "AccessLevel",
    "Carries",
    "Condition",
    "ConditionFamily",
    "CoverageGap",
    "Dataset",
    "DatasetKind",
    "DecidedCondition",
    "Edge",
    "EdgeKind",
    "Evaluation",
    "Evidence",
    "EvidenceKind",
    "Flow",
    "FlowKind",
    "FrozenJson",
    "Grant",
    "Principal",
    "PrincipalKind",
    "Provider",
    "ReadOutcome",
    "Reexposure",
    "aws_account_principal",
    "aws_network_principal",
    "aws_org_principal",
    "aws_ou_principal",
    "aws_root_user_principal",
    "aws_service_for_principal",
    "freeze_json",
    "gcp_access_level_principal",
    "network_parts",
]


class Provider(StrEnum):
    AWS = "aws"
    GCP = "gcp"
    SUPERSET = "superset"  # an Apache Superset server (docs/superset.md)


class PrincipalKind(StrEnum):
    USER = "user"
    GROUP = "group"
    ROLE = "role"
    ROLE_SESSION = "role-session"
    SERVICE_ACCOUNT = "service-account"
    SERVICE_PRINCIPAL = "service-principal"
    FEDERATED = "federated"
    CANONICAL_USER = "canonical-user"
    ACCOUNT = "account"
    ORGANIZATION = "organization"
    ORG_UNIT = "org-unit"
    DOMAIN = "domain"
    ANY_AUTHENTICATED = "any-authenticated"
    PUBLIC = "public"
    # callers whose requests come through a network: a VPC endpoint, a VPC, an address range (aws-network:…)
    NETWORK = "network"
    # AWS services acting for an account, organisation or resource (aws:SourceAccount, aws:SourceArn …)
    SERVICE_FOR = "service-for"

    @property
    def is_class(self) -> bool:
        """A broad class stands for many principals and is never expanded into nodes."""
        return self in _CLASS_KINDS

    @property
    def is_person(self) -> bool:
        """Counts towards "people" in an audience."""
        return self is PrincipalKind.USER


_CLASS_KINDS = frozenset(
    {
        PrincipalKind.ACCOUNT,
        PrincipalKind.ORGANIZATION,
        PrincipalKind.ORG_UNIT,
        PrincipalKind.DOMAIN,
        PrincipalKind.ANY_AUTHENTICATED,
        PrincipalKind.PUBLIC,
        PrincipalKind.NETWORK,
        PrincipalKind.SERVICE_FOR,
    }
)


class AccessLevel(StrEnum):
    """What a grant lets its holder do to a dataset. LIST (names, metadata) is not READ (data)."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"
    LIST = "list"


AUDITED_LEVELS: tuple[AccessLevel, ...] = (AccessLevel.READ, AccessLevel.WRITE, AccessLevel.ADMIN)


class DatasetKind(StrEnum):
    S3_BUCKET = "s3-bucket"
    DYNAMODB_TABLE = "dynamodb-table"
    GLUE_TABLE = "glue-table"
    GCS_BUCKET = "gcs-bucket"
    BIGQUERY_DATASET = "bigquery-dataset"
    BIGQUERY_TABLE = "bigquery-table"
    DASHBOARD = "dashboard"
    SUPERSET_DATASET = "superset-dataset"
    SUPERSET_DASHBOARD = "superset-dashboard"
    SUPERSET_CHART = "superset-chart"
    SUPERSET_DATABASE = "superset-database"  # a connection, as SQL Lab queries it (docs/superset.md)


class EvidenceKind(StrEnum):
    """Which kind of document a piece of evidence quotes."""

    RESOURCE_POLICY = "resource-policy"
    IDENTITY_POLICY = "identity-policy"
    TRUST_POLICY = "trust-policy"
    KEY_POLICY = "key-policy"
    SCP = "service-control-policy"
    RCP = "resource-control-policy"
    PERMISSION_BOUNDARY = "permission-boundary"
    ACL_GRANT = "acl-grant"
    PUBLIC_ACCESS_BLOCK = "public-access-block"
    OWNERSHIP_CONTROLS = "ownership-controls"
    ENCRYPTION = "encryption"
    IAM_BINDING = "iam-binding"
    ACCESS_ENTRY = "access-entry"
    PUBLIC_ACCESS_PREVENTION = "public-access-prevention"
    UNIFORM_ACCESS = "uniform-access"
    AUTHORIZED_VIEW = "authorized-view"
    GROUP_MEMBERSHIP = "group-membership"
    DASHBOARD_LINEAGE = "dashboard-lineage"
    DASHBOARD_PERMISSION = "dashboard-permission"
    ACCOUNT_ASSIGNMENT = "account-assignment"  # IAM Identity Center: a user or group, a permission set, an account
    LAKE_FORMATION_PERMISSION = "lake-formation-permission"  # a ListPermissions entry or a data lake admin
    CATALOG_LOCATION = "catalog-location"  # a Glue table's StorageDescriptor.Location
    HMAC_KEY = "hmac-key"  # a Cloud Storage HMAC key entry (projects.hmacKeys.list item)
    FLOW_CONFIGURATION = "flow-configuration"  # a replication rule, inventory, log, export, transfer (docs/flows.md)
    ROLE_PERMISSION = "role-permission"  # a Superset role's permission, an ownership or an embedding


class EdgeKind(StrEnum):
    """Principal-to-principal edges: ``source`` can act with the access of ``target``."""

    MEMBER_OF = "member-of"
    CAN_ASSUME = "can-assume"
    CAN_IMPERSONATE = "can-impersonate"
    PERMISSION_SET = "permission-set"


class ReadOutcome(StrEnum):
    """What happened when a scanner asked for a document.

    ``ABSENT`` means the provider said there is none (NoSuchBucketPolicy).  ``DENIED``
    and ``ERROR`` mean we do not know: they are coverage gaps, never "no policy".
    """

    OK = "ok"
    ABSENT = "absent"
    DENIED = "denied"
    ERROR = "error"

    @property
    def is_gap(self) -> bool:
        return self in (ReadOutcome.DENIED, ReadOutcome.ERROR)


class FrozenJson(Mapping[str, Any]):
    """An immutable, hashable JSON object (policy excerpts kept as evidence)."""

    __slots__ = ("_data", "_hash", "_text")

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = dict(data)
        self._hash: int | None = None
        self._text: str | None = None

    @property
    def text(self) -> str:
        """The object as canonical JSON (sorted keys), written once: the object never changes."""
        text = self._text
        if text is None:
            text = self._text = json.dumps(thaw_json(self), sort_keys=True)
        return text

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(sorted(self._data.items(), key=lambda kv: kv[0])))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if type(other) is FrozenJson:
            return other is self or self._data == other._data  # no copies of either side
        return isinstance(other, Mapping) and dict(self._data) == dict(other)

    def __repr__(self) -> str:
        return f"FrozenJson({self._data!r})"


_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})
_FROZEN_LEAVES = _JSON_SCALARS | {FrozenJson}  # values freeze_json returns as they are


def freeze_json(value: Any) -> Any:
    """Return a hashable, immutable copy of a JSON value (objects become :class:`FrozenJson`)."""
    kind = type(value)
    if kind in _JSON_SCALARS or kind is FrozenJson:
        return value  # the common cases first: the Mapping check below is an ABC check, and slow
    # scalar members are taken as they are here rather than through a call each (most members are scalars)
    if kind is dict or isinstance(value, Mapping):
        data = {
            (k if type(k) is str else str(k)): v if type(v) in _FROZEN_LEAVES else freeze_json(v)
            for k, v in value.items()
        }
        frozen = FrozenJson.__new__(FrozenJson)  # adopts ``data``, a fresh dict, instead of copying it again
        frozen._data, frozen._hash, frozen._text = data, None, None
        return frozen
    if isinstance(value, list | tuple):
        return tuple(v if type(v) in _FROZEN_LEAVES else freeze_json(v) for v in value)
    return value


def thaw_json(value: Any) -> Any:
    """Inverse of :func:`freeze_json`: plain dicts and lists, for JSON output."""
    if isinstance(value, Mapping):
        return {k: thaw_json(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw_json(v) for v in value]
    return value


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


@dataclass(frozen=True, kw_only=True, slots=True)
class Principal:
    """Anyone or anything that can be granted access; classes included."""

    id: str
    kind: PrincipalKind
    provider: Provider | None = None
    account: str | None = None  # AWS account id or GCP project, where the principal lives
    name: str | None = None  # a human-friendly name, when it differs from the id

    def __post_init__(self) -> None:
        _require(bool(self.id), "a principal needs an id")
        _require(isinstance(self.kind, PrincipalKind), f"principal {self.id}: kind must be a PrincipalKind")

    @property
    def label(self) -> str:
        return self.name or self.id


AWS_PUBLIC = Principal(id="aws:public", kind=PrincipalKind.PUBLIC, provider=Provider.AWS, name="anyone (AWS *)")
AWS_AUTHENTICATED = Principal(
    id="aws:authenticated",
    kind=PrincipalKind.ANY_AUTHENTICATED,
    provider=Provider.AWS,
    name="any authenticated AWS principal",
)
AWS_ANY_SERVICE = Principal(
    id="aws:any-service",
    kind=PrincipalKind.ANY_AUTHENTICATED,
    provider=Provider.AWS,
    name="any AWS service principal, acting for any account",
)
GCP_ALL_USERS = Principal(id="allUsers", kind=PrincipalKind.PUBLIC, provider=Provider.GCP)
GCP_ALL_AUTHENTICATED = Principal(
    id="allAuthenticatedUsers", kind=PrincipalKind.ANY_AUTHENTICATED, provider=Provider.GCP
)


def aws_account_principal(account_id: str, partition: str = "aws") -> Principal:
    return Principal(
        id=f"arn:{partition}:iam::{account_id}:root",
        kind=PrincipalKind.ACCOUNT,
        provider=Provider.AWS,
        account=account_id,
        name=f"account {account_id}",
    )


def aws_org_principal(org_id: str) -> Principal:
    return Principal(
        id=f"aws-org:{org_id}", kind=PrincipalKind.ORGANIZATION, provider=Provider.AWS, name=f"organisation {org_id}"
    )


def aws_network_principal(
    network: str, *, account: str | None = None, name: str | None = None, within: Principal | None = None
) -> Principal:
    """Callers whose requests come through ``network``: ``vpce-…``, ``vpc-…``, an address range, or a
    ``vpce-account:…``/``vpce-org:…`` scope; ``account`` owns the network when the snapshot knows it.

    ``within``: only the principals of that class (an organisation, an OU, an account) calling through the
    network: the id is ``CLASS@aws-network:NETWORK`` (:data:`NETWORK_WITHIN`), contained in both."""
    label = name or f"callers through {network}"
    if within is None:
        return Principal(
            id=f"aws-network:{network}", kind=PrincipalKind.NETWORK, provider=Provider.AWS, account=account, name=label
        )  # fmt: skip
    return Principal(
        id=f"{within.id}{NETWORK_WITHIN}aws-network:{network}", kind=PrincipalKind.NETWORK, provider=Provider.AWS,
        account=account, name=f"{within.label}, {label.removeprefix('callers ')}",
    )  # fmt: skip


NETWORK_WITHIN = "@"
"""Separates a class from a network in the id of the principals of that class calling through that network."""


_NETWORK_PREFIXES = ("aws-network:", "gcp-access-level:")


def network_parts(principal_id: str) -> tuple[str, str] | None:
    """(class id, network id) of a ``CLASS@aws-network:…`` or ``CLASS@gcp-access-level:…`` principal id, else
    None."""
    for prefix in _NETWORK_PREFIXES:
        head, sep, tail = principal_id.rpartition(NETWORK_WITHIN + prefix)
        if sep and head:
            return head, prefix + tail
    return None


GCP_ACCESS_LEVELS_JOINED = "+"
"""Joins the access levels of ``gcp-access-level:A+B`` (callers whose requests meet both A and B).  Access level
names hold only letters, digits, ``_``, ``-`` and ``/``."""


def gcp_access_level_principal(levels: tuple[str, ...], *, within: Principal | None = None) -> Principal:
    """Callers whose requests meet the Access Context Manager access levels ``levels``
    (``accessPolicies/P/accessLevels/L``): ``gcp-access-level:L1+L2``.

    ``within``: only the principals of that class (a Workspace domain, a workforce pool) calling from there:
    ``CLASS@gcp-access-level:…`` (:data:`NETWORK_WITHIN`), contained in both."""
    network = "gcp-access-level:" + GCP_ACCESS_LEVELS_JOINED.join(levels)
    label = f"callers from access level {' and '.join(levels)}"
    if within is None:
        return Principal(id=network, kind=PrincipalKind.NETWORK, provider=Provider.GCP, name=label)
    return Principal(
        id=f"{within.id}{NETWORK_WITHIN}{network}", kind=PrincipalKind.NETWORK, provider=Provider.GCP,
        name=f"{within.label}, {label.removeprefix('callers ')}",
    )  # fmt: skip


def aws_service_for_principal(subject: str, *, account: str | None = None) -> Principal:
    """AWS services acting for ``subject``: an account id, an organisation or OU path, or a resource ARN."""
    return Principal(
        id=f"aws-service-for:{subject}", kind=PrincipalKind.SERVICE_FOR, provider=Provider.AWS, account=account,
        name=f"AWS services acting for {subject}",
    )  # fmt: skip


def aws_root_user_principal(account: str) -> Principal:
    """The root user of ``account`` alone (``arn:aws:iam::ACCOUNT:root`` in a Principal element means every
    principal of the account; in ``NotPrincipal`` and ``aws:PrincipalArn`` it names this user)."""
    return Principal(
        id=f"aws-root-user:{account}", kind=PrincipalKind.USER, provider=Provider.AWS, account=account,
        name=f"root user of account {account}",
    )  # fmt: skip


def aws_ou_principal(org_path: str) -> Principal:
    return Principal(id=f"aws-ou:{org_path}", kind=PrincipalKind.ORG_UNIT, provider=Provider.AWS, name=org_path)


@dataclass(frozen=True, kw_only=True, slots=True)
class Dataset:
    """A bucket, table, BigQuery dataset or dashboard that holds or shows data."""

    id: str  # ARN, gs://bucket, bigquery://project.dataset[.table], dashboard ARN
    kind: DatasetKind
    provider: Provider
    name: str
    account: str | None = None  # AWS account id or GCP project id
    location: str | None = None
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        _require(bool(self.id), "a dataset needs an id")
        _require(isinstance(self.kind, DatasetKind), f"dataset {self.id}: kind must be a DatasetKind")
        object.__setattr__(self, "tags", MappingProxyType(dict(self.tags)))


class ConditionFamily(StrEnum):
    """What a condition key (or CEL attribute) says about a request, which decides how it narrows an audience.

    The catalogue (``seenby.policies.condition_catalogue``) puts every key seenby meets in one family:

    * CALLER_IDENTITY: who the caller is (``aws:PrincipalArn``, ``aws:PrincipalOrgID``); decided per candidate.
    * NETWORK: where the request comes from (``aws:SourceIp``, ``aws:SourceVpce``); a fixed value narrows the
      audience to a network audience, ``0.0.0.0/0`` narrows nothing.
    * SERVICE_CONTEXT: on whose behalf a service calls (``aws:SourceArn``, ``aws:SourceAccount``); absent on
      every request that is not a service acting for someone.
    * REQUEST_PROPERTY: what any caller chooses about its own request (``aws:SecureTransport``,
      ``aws:Referer``, ``s3:x-amz-acl``); narrows nobody out, and a Deny on it removes nobody.
    * TIME: the time of the request (``aws:CurrentTime``, CEL ``request.time``); decided at collection time.
    * AUTHENTICATION: how the caller signed in (``aws:MultiFactorAuthPresent``); absent on anonymous requests,
      a person can satisfy it.
    * SERVICE_ROUTE: whether an AWS service forwards an IAM principal's credentials (forward access sessions:
      ``aws:ViaAWSService``, ``aws:CalledVia*``); an anonymous request is never forwarded (``aws:ViaAWSService``
      false, ``aws:CalledVia*`` absent), a signed-in principal chooses to call directly or through a service.
    * DATA_PART: which part of the data is reached (``s3:prefix``, ``s3:ExistingObjectTag/*``, CEL
      ``resource.name``); the grant covers part of the dataset, a finding at full severity.
    * RESOURCE: a property of the resource reached (``aws:ResourceAccount``); known from the snapshot.
    * UNMODELLED: anything else; the grant stays conditional (fail closed).
    """

    CALLER_IDENTITY = "caller-identity"
    NETWORK = "network"
    SERVICE_CONTEXT = "service-context"
    REQUEST_PROPERTY = "request-property"
    TIME = "time"
    AUTHENTICATION = "authentication"
    SERVICE_ROUTE = "service-route"
    DATA_PART = "data-part"
    RESOURCE = "resource"
    UNMODELLED = "unmodelled"


@dataclass(frozen=True, kw_only=True, slots=True)
class DecidedCondition:
    """One key of a condition that seenby decided, the family it belongs to, and how it was decided.

    ``key`` is the condition key or CEL attribute (``aws:SecureTransport``, ``request.time``);
    ``operator`` the IAM operator, or ``CEL``; ``how`` says in words what decided it ("any caller can
    send its request over TLS", "true at collection time 2026-01-01T00:00:00Z; false from 2027-01-01").
    """

    key: str
    family: ConditionFamily
    how: str
    operator: str = ""
    # what it was decided for, for the evaluators' own use (the access levels of a network audience); not output
    values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require(isinstance(self.family, ConditionFamily), "a decided condition's family must be a ConditionFamily")
        object.__setattr__(self, "values", tuple(self.values))

    @property
    def text(self) -> str:
        op = f"{self.operator} " if self.operator else ""
        return f"{op}{self.key} ({self.family.value}): {self.how}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "family": self.family.value, "how": self.how}
        if self.operator:
            out["operator"] = self.operator
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class Evidence:
    """The exact piece of a document that opens (or narrows) access.

    ``source`` is the id of the resource the document belongs to (a bucket ARN, a
    role ARN, ``projects/p``); ``location`` is where in the document
    (``Statement[2]``, ``Grants[0]``, ``bindings[1]``); ``excerpt`` is that piece
    exactly as written, frozen.
    """

    kind: EvidenceKind
    source: str
    location: str
    excerpt: Any = None
    sid: str | None = None
    note: str | None = None
    # the condition keys of this piece that seenby decided, with their family and how (see ConditionFamily)
    decided: tuple[DecidedCondition, ...] = ()

    def __post_init__(self) -> None:
        _require(isinstance(self.kind, EvidenceKind), "evidence kind must be an EvidenceKind")
        # most evidence quotes an excerpt frozen already (a statement's raw copy): nothing to set then
        if type(self.excerpt) not in _FROZEN_LEAVES:
            object.__setattr__(self, "excerpt", freeze_json(self.excerpt))
        if type(self.decided) is not tuple:
            object.__setattr__(self, "decided", tuple(self.decided))

    def with_decided(self, decided: tuple[DecidedCondition, ...]) -> Evidence:
        """The same evidence with ``decided`` conditions added (each once)."""
        if not decided:
            return self
        return replace(self, decided=tuple(dict.fromkeys((*self.decided, *decided))))

    def with_note(self, note: str) -> Evidence:
        """The same evidence with ``note`` added to its own (``; ``-separated)."""
        return replace(self, note=f"{self.note}; {note}" if self.note else note)

    @property
    def summary(self) -> str:
        sid = f" (Sid {self.sid})" if self.sid else ""
        return f"{self.kind.value} of {self.source} {self.location}{sid}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind.value, "source": self.source, "location": self.location}
        if self.sid is not None:
            out["sid"] = self.sid
        if self.excerpt is not None:
            out["excerpt"] = thaw_json(self.excerpt)
        if self.note:
            out["note"] = self.note
        if self.decided:
            out["decided_conditions"] = [d.to_json() for d in self.decided]
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class Condition:
    """A condition the offline evaluator could not decide; it makes a grant conditional.

    ``expression`` is the condition as written (an IAM Condition block, a CEL
    expression); ``keys`` names what would decide it (``aws:SourceIp``).
    """

    expression: Any
    keys: tuple[str, ...] = ()
    reason: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "expression", freeze_json(self.expression))
        object.__setattr__(self, "keys", tuple(self.keys))

    @property
    def text(self) -> str:
        """The expression as written: a string as it is, JSON as canonical JSON (kept on the frozen object)."""
        expr = self.expression
        if isinstance(expr, str):
            return expr
        return expr.text if type(expr) is FrozenJson else json.dumps(thaw_json(expr), sort_keys=True)

    def to_json(self) -> dict[str, Any]:
        return {"expression": thaw_json(self.expression), "keys": list(self.keys), "reason": self.reason}


@dataclass(frozen=True, kw_only=True, slots=True)
class Grant:
    """``principal`` may act on ``dataset`` at ``level``, because of ``evidence``.

    Empty ``conditions`` means unconditional.  Evidence lists every layer that had
    to allow (bucket policy statement, KMS key policy statement, …).
    """

    principal: Principal
    dataset: str
    level: AccessLevel
    evidence: tuple[Evidence, ...]
    conditions: tuple[Condition, ...] = ()

    def __post_init__(self) -> None:
        _require(isinstance(self.level, AccessLevel), "grant level must be an AccessLevel")
        _require(len(self.evidence) > 0, f"grant {self.principal.id} -> {self.dataset}: evidence is required")
        object.__setattr__(self, "evidence", tuple(self.evidence))
        object.__setattr__(self, "conditions", tuple(self.conditions))

    @property
    def conditional(self) -> bool:
        return bool(self.conditions)

    def moved_to(self, principal: Principal, note: str) -> Grant:
        """The same grant held by ``principal`` instead, its first evidence noting why."""
        return replace(self, principal=principal, evidence=(self.evidence[0].with_note(note), *self.evidence[1:]))


@dataclass(frozen=True, kw_only=True, slots=True)
class Edge:
    """``source`` can act with the access of ``target`` (membership, role assumption, impersonation)."""

    source: Principal
    target: Principal
    kind: EdgeKind
    evidence: tuple[Evidence, ...]
    conditions: tuple[Condition, ...] = ()

    def __post_init__(self) -> None:
        _require(isinstance(self.kind, EdgeKind), "edge kind must be an EdgeKind")
        _require(self.source.id != self.target.id, f"edge {self.source.id} -> itself")
        object.__setattr__(self, "evidence", tuple(self.evidence))
        object.__setattr__(self, "conditions", tuple(self.conditions))


@dataclass(frozen=True, kw_only=True, slots=True)
class Reexposure:
    """Whoever can read ``via`` can read the data of ``dataset`` through it.

    A BigQuery authorized view (``via`` is the view's table or dataset), a
    dashboard that queries its source with its own credentials.
    """

    via: str
    dataset: str
    evidence: tuple[Evidence, ...]
    conditions: tuple[Condition, ...] = ()

    def __post_init__(self) -> None:
        _require(self.via != self.dataset, f"re-exposure of {self.dataset} through itself")
        object.__setattr__(self, "evidence", tuple(self.evidence))
        object.__setattr__(self, "conditions", tuple(self.conditions))


class FlowKind(StrEnum):
    """How data leaves one dataset for another (docs/flows.md)."""

    S3_REPLICATION = "s3-replication"
    S3_INVENTORY = "s3-inventory"
    S3_ACCESS_LOGS = "s3-access-logs"
    DYNAMODB_EXPORT = "dynamodb-export"
    DYNAMODB_REPLICA = "dynamodb-replica"
    BIGQUERY_CLONE = "bigquery-clone"
    BIGQUERY_SNAPSHOT = "bigquery-snapshot"
    BIGQUERY_TRANSFER = "bigquery-transfer"
    STORAGE_TRANSFER = "storage-transfer"


class Carries(StrEnum):
    """What a flow carries to its destination."""

    ALL = "all"  # every object or row
    PART = "part"  # the objects a prefix or tag filter selects
    METADATA = "metadata"  # keys, sizes, requesters: not the data itself

    @property
    def level(self) -> AccessLevel:
        """The level of the source its destination's readers reach: its data, or only what listing shows."""
        return AccessLevel.LIST if self is Carries.METADATA else AccessLevel.READ


@dataclass(frozen=True, kw_only=True, slots=True)
class Flow:
    """``source``'s data (or metadata) is copied into ``destination``: whoever reads the copy reads the source.

    ``destination`` is a dataset id (it may be outside the snapshot: then the flow is a
    coverage gap of ``source``); ``scope`` says which part flows (a prefix, tags) when
    ``carries`` is ``PART``.
    """

    source: str
    destination: str
    kind: FlowKind
    carries: Carries
    evidence: tuple[Evidence, ...]
    scope: str | None = None
    destination_account: str | None = None

    def __post_init__(self) -> None:
        _require(isinstance(self.kind, FlowKind), "flow kind must be a FlowKind")
        _require(isinstance(self.carries, Carries), "flow carries must be a Carries")
        _require(self.source != self.destination, f"flow of {self.source} into itself")
        _require(len(self.evidence) > 0, f"flow {self.source} -> {self.destination}: evidence is required")
        object.__setattr__(self, "evidence", tuple(self.evidence))

    @property
    def summary(self) -> str:
        """What flows, in words: ``s3-replication of all the data``."""
        what = {Carries.ALL: "all the data", Carries.PART: "part of the data", Carries.METADATA: "metadata only"}
        scope = f" ({self.scope})" if self.scope else ""
        return f"{self.kind.value} of {what[self.carries]}{scope}"

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "destination": self.destination,
            "kind": self.kind.value,
            "carries": self.carries.value,
            "scope": self.scope,
            "destination_account": self.destination_account,
            "evidence": [e.to_json() for e in self.evidence],
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class CoverageGap:
    """A read that was denied or failed: we do not know what that document says."""

    resource: str
    resource_type: str
    read: str
    api: str
    outcome: ReadOutcome
    error_code: str | None = None
    message: str | None = None
    datasets: tuple[str, ...] = ()  # datasets whose audience this unknown document could change
    account: str | None = None

    def __post_init__(self) -> None:
        _require(self.outcome.is_gap, f"{self.resource} {self.read}: outcome {self.outcome} is not a gap")
        object.__setattr__(self, "datasets", tuple(self.datasets))

    def to_json(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "resource_type": self.resource_type,
            "read": self.read,
            "api": self.api,
            "outcome": self.outcome.value,
            "error_code": self.error_code,
            "message": self.message,
            "datasets": list(self.datasets),
            "account": self.account,
        }


@dataclass(kw_only=True)
class Evaluation:
    """Everything the policies layer derived from a snapshot; the graph's input.

    Mutable while providers contribute to it; :meth:`add_principal` keeps the
    first, most specific record for an id.
    """

    principals: dict[str, Principal] = field(default_factory=dict)
    datasets: dict[str, Dataset] = field(default_factory=dict)
    grants: list[Grant] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    reexposures: list[Reexposure] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)  # copies of one dataset into another (docs/flows.md)
    gaps: list[CoverageGap] = field(default_factory=list)
    # Number of people a class principal stands for, where directory data says.
    class_people: dict[str, int] = field(default_factory=dict)
    # The principal ids of the people a class stands for, where known (so counts can be deduplicated).
    class_members: dict[str, frozenset[str]] = field(default_factory=dict)
    # AWS account id -> organisation id, for the accounts the snapshot's organisation lists.
    account_orgs: dict[str, str] = field(default_factory=dict)

    def set_class_members(self, class_id: str, members: Iterable[str]) -> None:
        """Record who a class stands for; its people count follows."""
        self.class_members[class_id] = frozenset(members)
        self.class_people[class_id] = len(self.class_members[class_id])

    def add_principal(self, principal: Principal) -> Principal:
        return self.principals.setdefault(principal.id, principal)

    def add_grant(self, grant: Grant) -> None:
        self.add_principal(grant.principal)
        self.grants.append(grant)

    def add_edge(self, edge: Edge) -> None:
        self.add_principal(edge.source)
        self.add_principal(edge.target)
        self.edges.append(edge)

    def extend(self, other: Evaluation) -> None:
        for p in other.principals.values():
            self.add_principal(p)
        self.datasets.update(other.datasets)
        self.grants.extend(other.grants)
        self.edges.extend(other.edges)
        self.reexposures.extend(other.reexposures)
        self.flows.extend(other.flows)
        self.gaps.extend(other.gaps)
        for k, v in other.class_people.items():
            self.class_people[k] = max(v, self.class_people.get(k, 0))
        for k, members in other.class_members.items():
            self.class_members[k] = self.class_members.get(k, frozenset()) | members
            self.class_people[k] = len(self.class_members[k])
        self.account_orgs.update(other.account_orgs)
