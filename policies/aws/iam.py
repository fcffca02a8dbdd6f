"""IAM principals and their identity-based policies, from GetAccountAuthorizationDetails (GAAD).

Per account: users, groups and roles with their inline policies and attached
managed policies (the *default* version of each, from the GAAD ``Policies``
list), permission boundaries and role trust policies
(https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html).

An attached managed policy whose document is not in the snapshot is recorded in
:attr:`Entity.missing_policies`: seenby cannot say what it allows, and grants
that depend on it are never assumed absent (see :mod:`.access`).

:class:`IdentityIndex` answers "which entities have an Allow that could reach
this bucket / key / role" without trying every statement against every resource:
statements are indexed by the literal name of their resource pattern (a bucket
name, a role ARN), and only wildcard patterns are tested one by one.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from seenby.model import EvidenceKind, Principal, PrincipalKind, Provider
from seenby.policies.aws.document import Effect, ParseMemo, PolicyDocument, parse_policy
from seenby.policies.aws.matching import action_matches, glob_intersects, has_wildcard

__all__ = [
    "AccountIam",
    "Entity",
    "EntityKind",
    "IdentityIndex",
    "iam_role_arn",
    "is_service_linked_role",
    "load_account_iam",
    "s3_bucket_name",
]

_VARIABLE_RE = re.compile(r"\$\{[^}]*\}")
# IAM gives every service-linked role the path /aws-service-role/<service>/, reserved for them
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html)
_SERVICE_LINKED_PATH = ":role/aws-service-role/"


def is_service_linked_role(arn: str | None) -> bool:
    """``arn`` is a service-linked role's (``arn:aws:iam::ACCOUNT:role/aws-service-role/SERVICE/NAME``)."""
    return arn is not None and arn.startswith("arn:") and _SERVICE_LINKED_PATH in arn


class EntityKind(StrEnum):
    USER = "user"
    GROUP = "group"
    ROLE = "role"

    @property
    def principal_kind(self) -> PrincipalKind:
        return {
            EntityKind.USER: PrincipalKind.USER,
            EntityKind.GROUP: PrincipalKind.GROUP,
            EntityKind.ROLE: PrincipalKind.ROLE,
        }[self]


@dataclass(kw_only=True)
class Entity:
    """An IAM user, group or role with every identity policy that is its own."""

    kind: EntityKind
    arn: str
    name: str
    account: str
    unique_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    policies: list[PolicyDocument] = field(default_factory=list)
    missing_policies: list[str] = field(default_factory=list)
    boundary_arn: str | None = None
    boundary: PolicyDocument | None = None
    group_names: list[str] = field(default_factory=list)  # users
    groups: list[Entity] = field(default_factory=list)  # users, resolved
    trust: PolicyDocument | None = None  # roles

    _principal: Principal | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def principal(self) -> Principal:
        """The entity as a graph principal (made once: arn, kind, account and name do not change after loading)."""
        p = self._principal
        if p is None or p.id != self.arn or p.name != self.name or p.account != self.account:
            p = self._principal = Principal(
                id=self.arn, kind=self.kind.principal_kind, provider=Provider.AWS, account=self.account, name=self.name
            )
        return p

    def all_policies(self) -> list[PolicyDocument]:
        """Own policies plus, for a user, its groups' policies (all apply to the user's requests)."""
        out = list(self.policies)
        for g in self.groups:
            out.extend(g.policies)
        return out

    def identity_documents(self) -> list[PolicyDocument]:
        """Every document that decides the entity's identity side: :meth:`all_policies` and its boundary."""
        out = self.all_policies()
        if self.boundary is not None:
            out.append(self.boundary)
        return out

    def all_missing(self) -> list[str]:
        out = list(self.missing_policies)
        for g in self.groups:
            out.extend(g.missing_policies)
        return out


@dataclass(kw_only=True)
class AccountIam:
    account: str
    users: dict[str, Entity] = field(default_factory=dict)
    groups: dict[str, Entity] = field(default_factory=dict)
    roles: dict[str, Entity] = field(default_factory=dict)
    managed: dict[str, PolicyDocument] = field(default_factory=dict)

    def entities(self) -> Iterable[Entity]:
        yield from self.users.values()
        yield from self.groups.values()
        yield from self.roles.values()

    def by_arn(self, arn: str) -> Entity | None:
        return self.users.get(arn) or self.roles.get(arn) or self.groups.get(arn)

    def by_unique_id(self, unique_id: str) -> Entity | None:
        for e in self.entities():
            if e.unique_id == unique_id:
                return e
        return None


def _tags(raw: Any) -> dict[str, str]:
    if not isinstance(raw, list):
        return {}
    return {str(t["Key"]): str(t.get("Value", "")) for t in raw if isinstance(t, Mapping) and "Key" in t}


def _managed_policies(
    raw: list[Any], source_account: str, parsed: ParseMemo | None = None
) -> dict[str, PolicyDocument]:
    out: dict[str, PolicyDocument] = {}
    for p in raw:
        arn = p.get("Arn")
        if not arn:
            continue
        name = p.get("PolicyName") or arn.rsplit("/", 1)[-1]
        versions = p.get("PolicyVersionList") or []
        default = next((v for v in versions if v.get("IsDefaultVersion")), None)
        if default is None and p.get("DefaultVersionId"):
            default = next((v for v in versions if v.get("VersionId") == p["DefaultVersionId"]), None)
        if default is None or default.get("Document") is None:
            continue
        out[arn] = parse_policy(
            default["Document"], source=arn, kind=EvidenceKind.IDENTITY_POLICY, name=name, parsed=parsed
        )
    return out


def _entity(
    kind: EntityKind,
    raw: Mapping[str, Any],
    account: str,
    managed: Mapping[str, PolicyDocument],
    boundaries: dict[str, PolicyDocument],
    parsed: ParseMemo | None = None,
) -> Entity:
    """One user, group or role; ``boundaries``: the account's boundary documents made so far, by policy ARN
    (one document for every entity a managed policy bounds, as one is for every entity it is attached to)."""
    name_key, id_key, inline_key = {
        EntityKind.USER: ("UserName", "UserId", "UserPolicyList"),
        EntityKind.GROUP: ("GroupName", "GroupId", "GroupPolicyList"),
        EntityKind.ROLE: ("RoleName", "RoleId", "RolePolicyList"),
    }[kind]
    arn = raw["Arn"]
    entity = Entity(
        kind=kind,
        arn=arn,
        name=raw.get(name_key) or arn.rsplit("/", 1)[-1],
        account=account,
        unique_id=raw.get(id_key),
        tags=_tags(raw.get("Tags")),
    )
    for inline in raw.get(inline_key) or []:
        entity.policies.append(
            parse_policy(
                inline.get("PolicyDocument"),
                source=arn,
                kind=EvidenceKind.IDENTITY_POLICY,
                name=inline.get("PolicyName") or "inline",
                parsed=parsed,
            )
        )
    for attached in raw.get("AttachedManagedPolicies") or []:
        policy_arn = attached.get("PolicyArn")
        if policy_arn in managed:
            entity.policies.append(managed[policy_arn])
        elif policy_arn:
            entity.missing_policies.append(policy_arn)
    boundary = raw.get("PermissionsBoundary") or {}
    if boundary.get("PermissionsBoundaryArn"):
        entity.boundary_arn = boundary["PermissionsBoundaryArn"]
        doc = managed.get(entity.boundary_arn)
        if doc is not None:
            made = boundaries.get(entity.boundary_arn)
            if made is None:
                made = boundaries[entity.boundary_arn] = PolicyDocument(
                    source=doc.source,
                    kind=EvidenceKind.PERMISSION_BOUNDARY,
                    statements=doc.statements,
                    name=doc.name,
                    raw=doc.raw,
                )
            entity.boundary = made
    if kind is EntityKind.USER:
        entity.group_names = [str(g) for g in raw.get("GroupList") or []]
    if kind is EntityKind.ROLE and raw.get("AssumeRolePolicyDocument") is not None:
        entity.trust = parse_policy(
            raw["AssumeRolePolicyDocument"], source=arn, kind=EvidenceKind.TRUST_POLICY, require_principal=True,
            parsed=parsed,
        )
    return entity


def load_account_iam(account: str, document: Mapping[str, Any], parsed: ParseMemo | None = None) -> AccountIam:
    """Build one account's IAM from its GAAD document; ``parsed``: statements parsed before (of every account's
    GAAD, :func:`~.document.parse_policy`), shared by the statements written alike."""
    iam = AccountIam(account=account)
    iam.managed = _managed_policies(document.get("Policies") or [], account, parsed)
    boundaries: dict[str, PolicyDocument] = {}
    for raw in document.get("GroupDetailList") or []:
        e = _entity(EntityKind.GROUP, raw, account, iam.managed, boundaries, parsed)
        iam.groups[e.arn] = e
    by_group_name = {g.name: g for g in iam.groups.values()}
    for raw in document.get("UserDetailList") or []:
        e = _entity(EntityKind.USER, raw, account, iam.managed, boundaries, parsed)
        e.groups = [by_group_name[n] for n in e.group_names if n in by_group_name]
        iam.users[e.arn] = e
    for raw in document.get("RoleDetailList") or []:
        e = _entity(EntityKind.ROLE, raw, account, iam.managed, boundaries, parsed)
        iam.roles[e.arn] = e
    return iam


@dataclass(kw_only=True)
class IdentityIndex:
    """Which entities hold an identity Allow that could reach a resource, for a set of actions.

    Built once over every account; :meth:`holders` costs the literal hits plus the
    wildcard patterns, not entities × resources.
    """

    actions: tuple[str, ...]
    exact: dict[str, set[str]] = field(default_factory=dict)  # resource name -> entity arns
    wild: list[tuple[str, str]] = field(default_factory=list)  # (resource pattern, entity arn)
    entities: dict[str, Entity] = field(default_factory=dict)
    # ``wild`` indexed for :meth:`holders`: literal prefix (up to the first wildcard) ->
    # pattern -> entity arns; brought up to date when ``wild`` has grown.
    _wild_index: dict[str, dict[str, set[str]]] = field(default_factory=dict, repr=False)
    _wild_indexed: int = field(default=0, repr=False)
    _wild_keys: list[str] = field(default_factory=list, repr=False)
    _wild_lengths: tuple[int, ...] = field(default=(), repr=False)  # the lengths of those prefixes, ascending
    # whether an Action element (patterns, NotAction) applies to some action of ``actions``
    _matches: dict[tuple[tuple[str, ...], bool], bool] = field(default_factory=dict, repr=False)

    def add(self, entity: Entity, *, name_of: Any) -> None:
        """Index ``entity``'s Allow statements; ``name_of(pattern)`` gives the literal resource name or None.

        An entity with attached policies whose documents are missing may allow
        anything: it is indexed as reaching every resource (fail closed).
        """
        if entity.missing_policies:
            self.entities[entity.arn] = entity
            self.wild.append(("*", entity.arn))
        for doc in entity.policies:
            for st in doc.statements:
                if st.effect is not Effect.ALLOW:
                    continue
                element = (st.actions, st.not_action)
                matched = self._matches.get(element)
                if matched is None:
                    matched = self._matches[element] = any(
                        any(action_matches(p, a) for p in st.actions) != st.not_action for a in self.actions
                    )
                if not matched:
                    continue
                self.entities[entity.arn] = entity
                if st.not_resource or st.resources is None:
                    self.wild.append(("*", entity.arn))
                    continue
                for pattern in st.resources:
                    name = name_of(pattern)
                    if name is None:
                        self.wild.append((pattern, entity.arn))
                    else:
                        self.exact.setdefault(name, set()).add(entity.arn)

    def _index_wild(self) -> None:
        for pattern, arn in self.wild[self._wild_indexed :]:
            pattern = _VARIABLE_RE.sub("*", pattern)
            self._wild_index.setdefault(_literal_prefix(pattern), {}).setdefault(pattern, set()).add(arn)
        self._wild_indexed = len(self.wild)
        self._wild_keys = sorted(self._wild_index)
        self._wild_lengths = tuple(sorted({len(k) for k in self._wild_keys}))

    def _wild_patterns(self, target: str) -> Iterable[tuple[str, set[str]]]:
        """Wildcard patterns that may intersect glob ``target``: their literal starts are prefix-compatible.

        A string matching both globs starts with both literal prefixes, so one is a prefix of
        the other: either the pattern's is a prefix of the target's (looked up directly), or the
        target's is a proper prefix of the pattern's (a range of the sorted keys).
        """
        head = _literal_prefix(target)
        for k in self._wild_lengths:  # only the lengths some literal prefix has
            if k > len(head):
                break
            group = self._wild_index.get(head[:k])
            if group:
                yield from group.items()
        keys = self._wild_keys
        i = bisect.bisect_right(keys, head)
        while i < len(keys) and keys[i].startswith(head):
            yield from self._wild_index[keys[i]].items()
            i += 1

    def holders(self, name: str, targets: Iterable[str]) -> list[Entity]:
        """Entities that may be allowed on resource ``name`` (any of the ARN globs ``targets``).

        Only wildcard patterns whose literal start fits a target's are tried, each once for
        every entity that holds it (not entities × resources).
        """
        if self._wild_indexed != len(self.wild):
            self._index_wild()
        arns = set(self.exact.get(name, ()))
        for target in targets:
            for pattern, holders in self._wild_patterns(target):
                if holders <= arns:
                    continue
                if glob_intersects(pattern, target):
                    arns |= holders
        return [self.entities[a] for a in sorted(arns)]


def _literal_prefix(glob: str) -> str:
    """The part of ``glob`` before its first wildcard."""
    cut = min((i for i in (glob.find("*"), glob.find("?")) if i >= 0), default=len(glob))
    return glob[:cut]


def s3_bucket_name(pattern: str) -> str | None:
    """The literal bucket name of an S3 resource pattern, or None when it has wildcards or is not S3."""
    prefix = "arn:aws:s3:::"
    if not pattern.startswith(prefix) or "${" in pattern:
        return None
    name = pattern[len(prefix) :].split("/", 1)[0]
    return None if has_wildcard(name) else name


def iam_role_arn(pattern: str) -> str | None:
    """The literal role ARN of a ``sts:AssumeRole`` resource pattern, or None when it has wildcards or is no role."""
    if "${" in pattern or has_wildcard(pattern) or pattern.count(":") < 5:
        return None
    return pattern if pattern.split(":", 5)[5].startswith("role/") and pattern.split(":")[2] == "iam" else None
