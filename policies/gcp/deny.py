"""IAM deny policies: checked before allow policies, on the attachment point and everything below it.

Semantics, each with its Google page:

* A deny policy is attached to an organisation, folder or project and applies to it and
  to every resource below it (https://cloud.google.com/iam/docs/deny-overview#inheritance).
* IAM checks deny policies before allow policies: a denied permission is refused whatever
  an allow policy grants (https://cloud.google.com/iam/docs/deny-overview#policy-eval).
* A rule denies ``deniedPermissions`` minus ``exceptionPermissions`` to
  ``deniedPrincipals`` minus ``exceptionPrincipals``; a group denies its members, and an
  exception exempts the principal even when a denied group holds it
  (https://cloud.google.com/iam/docs/deny-overview#deny-rules).
* Principals use the v2 identifiers (``principal://goog/subject/E``,
  ``principalSet://goog/group/G``, ``principalSet://goog/public:all``, service accounts as
  ``principal://iam.googleapis.com/projects/-/serviceAccounts/E``), normalised here with
  the allow-policy members (:func:`members.member_principal`)
  (https://cloud.google.com/iam/docs/principal-identifiers).
* Permissions use the v2 form ``storage.googleapis.com/objects.get``, ``*`` wildcards
  allowed (https://cloud.google.com/iam/docs/deny-permissions-support).
* ``denialCondition``: the rule applies only when it is true.  It "can use CEL functions that
  evaluate resource tags. Other functions and operators are not supported"
  (https://cloud.google.com/iam/docs/reference/rest/v2/policies#DenyRule,
  https://cloud.google.com/iam/docs/deny-overview#conditions): ``resource.matchTag``,
  ``resource.matchTagId``, ``resource.hasTagKey``, ``resource.hasTagKeyId``
  (https://cloud.google.com/iam/docs/tags-access-control#conditions).  It is evaluated by
  :mod:`.cel` (:func:`denial`): decided true, the rule denies as if it had no condition;
  decided false (``false``, ``!true`` …), the rule denies nobody; otherwise — a tag function,
  since the snapshot holds no resource tags, or anything deny policies do not support — the rule
  *might not apply*, so it removes nobody: each grant it would deny is kept, conditional, with
  the condition as written (fail closed).

How seenby applies a rule to a grant (principal P, dataset, level) whose evidence is a
role binding or a dataset access entry: the role's permissions minus the denied ones
must no longer give the level; P must be covered by a denied principal (the same id,
``public:all``, or a group the snapshot's Cloud Identity memberships put P in); an
exception that is P, or a group holding P, exempts P.  When P is a group or a class and
is denied, the exception principals that may be inside it keep the access: the grant
moves to them, with a note.  When P is a group that is not denied but holds denied
members (directly or through nested groups, per the memberships read), the group's
grant is split among its members: each member not denied keeps it (a nested group with
no denied member keeps it whole), its evidence the group's binding with a note naming
the rule and the group; the denied members lose it (or keep it under the rule's
denialCondition).  The group node then holds no such grant, so membership edges cannot
carry a denied member to the data.  A group whose memberships were not read keeps its
grant: no member of it is known to be denied.  Fail closed (over-reports, never hides): grants from
legacy ACLs and from roles the catalogue does not know are not narrowed, nor are
members inside a granted class (a denied group whose members read through ``domain:``).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from seenby.model import (
    Condition,
    DatasetKind,
    Evaluation,
    EvidenceKind,
    Grant,
    Principal,
    PrincipalKind,
    network_parts,
)
from seenby.policies.gcp.cel import OPAQUE, Truth, attributes_named, evaluate
from seenby.policies.gcp.conditions import iam_condition
from seenby.policies.gcp.hierarchy import Hierarchy
from seenby.policies.gcp.members import member_principal
from seenby.policies.gcp.roles import Attachment, RoleCatalog, Target, levels_for
from seenby.registry import GcpGroupRead, GcpNodeRead, TypeName
from seenby.snapshot import Snapshot

__all__ = [
    "DENIAL_FUNCTIONS",
    "DENY_POLICIES_READ",
    "DenyRule",
    "Memberships",
    "apply_deny_policies",
    "denial",
    "deny_rules",
    "v1_permission",
]

DENY_POLICIES_READ = GcpNodeRead.DENY_POLICIES
_TARGETS = {
    DatasetKind.GCS_BUCKET: Target.BUCKET,
    DatasetKind.BIGQUERY_DATASET: Target.BQ_DATASET,
    DatasetKind.BIGQUERY_TABLE: Target.BQ_TABLE,
}
_SERVICE_PREFIX = {"cloudresourcemanager": "resourcemanager"}
_PUBLIC_ALL = "principalSet://goog/public:all"
_CUSTOMER = "principalSet://goog/cloudIdentityCustomerId/"


def customer_domains(snapshot: Snapshot) -> dict[str, frozenset[str]]:
    """Workspace / Cloud Identity customer id → the domains the snapshot ties to it.

    An organisation's ``directoryCustomerId`` is its customer, and its ``displayName`` that
    customer's primary domain (https://cloud.google.com/resource-manager/reference/rest/v3/organizations).
    Secondary domains are not in the snapshot.
    """
    found: dict[str, set[str]] = {}
    for resource in snapshot.of_type(TypeName.GCP_ORGANIZATION):
        metadata = resource.document(GcpNodeRead.METADATA)
        if not isinstance(metadata, Mapping):
            continue
        customer, domain = metadata.get("directoryCustomerId"), metadata.get("displayName")
        if customer and domain:
            found.setdefault(str(customer), set()).add(str(domain).strip().lower())
    return {customer: frozenset(domains) for customer, domains in found.items()}


def v1_permission(v2: str) -> str:
    """``storage.googleapis.com/objects.get`` → ``storage.objects.get`` (a pattern when it has ``*``)."""
    service, sep, rest = v2.partition("/")
    if not sep:
        return v2
    prefix = service.split(".", 1)[0]
    return f"{_SERVICE_PREFIX.get(prefix, prefix)}.{rest}"


class Memberships:
    """Who is in which group, transitively, from the snapshot's Cloud Identity memberships."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._direct: dict[str, set[str]] = {}  # member id -> groups it is a direct member of
        self._members: dict[str, dict[str, Principal]] = {}  # group id -> its direct members, in order
        self._read: set[str] = set()  # groups whose memberships were read
        for resource in snapshot.of_type(TypeName.GCP_GROUP):
            group = member_principal(f"group:{resource.id.removeprefix('group:')}").id
            document = resource.document(GcpGroupRead.MEMBERSHIPS)
            if not isinstance(document, Mapping):
                continue
            self._read.add(group)
            for membership in document.get("memberships") or ():
                if not isinstance(membership, Mapping):
                    continue
                key = (membership.get("preferredMemberKey") or {}).get("id")
                if key:
                    kind = str(membership.get("type") or "")
                    prefix = {"GROUP": "group", "SERVICE_ACCOUNT": "serviceAccount"}.get(kind, "user")
                    member = member_principal(f"{prefix}:{key}")
                    self._direct.setdefault(member.id, set()).add(group)
                    self._members.setdefault(group, {})[member.id] = member
        self._closure: dict[str, frozenset[str]] = {}
        self._inside: dict[str, tuple[Principal, ...]] = {}

    def groups_of(self, principal: str) -> frozenset[str]:
        """Every group ``principal`` is in, directly or through nested groups."""
        if principal not in self._closure:
            seen: set[str] = set()
            stack = list(self._direct.get(principal, ()))
            while stack:
                group = stack.pop()
                if group not in seen:
                    seen.add(group)
                    stack.extend(self._direct.get(group, ()))
            self._closure[principal] = frozenset(seen)
        return self._closure[principal]

    def known(self, group: str) -> bool:
        return group in self._read

    def members(self, group: str) -> tuple[Principal, ...]:
        """The direct members of ``group`` (empty when its memberships were not read)."""
        return tuple(self._members.get(group, {}).values())

    def inside(self, group: str) -> tuple[Principal, ...]:
        """Every member of ``group``, directly or through nested groups (those read)."""
        if group not in self._inside:
            seen: dict[str, Principal] = {}
            stack = [group]
            while stack:
                for member in self._members.get(stack.pop(), {}).values():
                    if member.id not in seen:
                        seen[member.id] = member
                        stack.append(member.id)
            self._inside[group] = tuple(seen.values())
        return self._inside[group]


@dataclass(frozen=True, kw_only=True, slots=True)
class DenyRule:
    """One ``denyRule`` of one deny policy attached to ``node``."""

    node: str
    policy: str
    index: int
    denied: tuple[Principal, ...]
    exceptions: tuple[Principal, ...]
    permissions: tuple[str, ...]  # v1 names or patterns
    exception_permissions: tuple[str, ...]
    condition: Condition | None
    excerpt: Mapping[str, Any]

    def denies_permission(self, permission: str) -> bool:
        def hit(patterns: Iterable[str]) -> bool:
            return any(fnmatch.fnmatchcase(permission, p) for p in patterns)

        return hit(self.permissions) and not hit(self.exception_permissions)

    @property
    def where(self) -> str:
        return f"deny policy {self.policy} rules[{self.index}] (attached to {self.node})"


def _principal(identifier: str) -> Principal:
    if identifier.strip() == _PUBLIC_ALL:
        return member_principal("allUsers")
    return member_principal(identifier)


def deny_rules(node: str, document: Any) -> list[DenyRule]:
    """The rules of a node's ``deny_policies`` document (``{"policies": [...]}``)."""
    rules: list[DenyRule] = []
    policies = document.get("policies") if isinstance(document, Mapping) else None
    for policy in policies or ():
        if not isinstance(policy, Mapping):
            continue
        name = str(policy.get("displayName") or policy.get("name") or "?")
        for index, entry in enumerate(policy.get("rules") or ()):
            rule = entry.get("denyRule") if isinstance(entry, Mapping) else None
            if not isinstance(rule, Mapping):
                continue
            truth, condition = denial(rule.get("denialCondition"), where=f"deny policy {name} rules[{index}]")
            if truth is Truth.FALSE:
                continue  # never true: the rule denies nobody
            rules.append(
                DenyRule(
                    node=node,
                    policy=name,
                    index=index,
                    denied=tuple(_principal(str(p)) for p in rule.get("deniedPrincipals") or ()),
                    exceptions=tuple(_principal(str(p)) for p in rule.get("exceptionPrincipals") or ()),
                    permissions=tuple(v1_permission(str(p)) for p in rule.get("deniedPermissions") or ()),
                    exception_permissions=tuple(v1_permission(str(p)) for p in rule.get("exceptionPermissions") or ()),
                    condition=condition,
                    excerpt=rule,
                )
            )
    return rules


# The functions a denialCondition may call (https://cloud.google.com/iam/docs/reference/rest/v2/policies#DenyRule:
# "CEL functions that evaluate resource tags. Other functions and operators are not supported").
DENIAL_FUNCTIONS = frozenset(
    {"resource.matchTag", "resource.matchTagId", "resource.hasTagKey", "resource.hasTagKeyId"}
)


def denial(document: Any, *, where: str) -> tuple[Truth, Condition | None]:
    """What a rule's ``denialCondition`` decides: TRUE (or no condition: it always applies), FALSE (never), or
    UNKNOWN with the condition to carry on each grant the rule might deny (its reason says why it is open).

    Evaluated on a resource whose tags the snapshot does not hold (:data:`~.cel.OPAQUE`): a tag function is
    unknown, so only what does not depend on it is decided.  An expression that reads anything but the tag
    functions is not one Google accepts; it is never decided either way.
    """
    condition = iam_condition(document, where=where)
    if condition is None:
        return Truth.TRUE, None
    expression = condition.expression
    unsupported = [a for a in attributes_named(expression) if a not in DENIAL_FUNCTIONS] if isinstance(
        expression, str) else ["a condition without an expression"]  # fmt: skip
    if unsupported:
        reason = (
            f"denied by {where} only when its denialCondition holds; it reads {', '.join(unsupported)}, which "
            "deny policies do not support (only resource tag functions): not decided"
        )
        return Truth.UNKNOWN, replace(condition, reason=reason)
    assert isinstance(expression, str)
    truth = evaluate(expression, OPAQUE, None).truth
    if truth in (Truth.TRUE, Truth.FALSE):
        return truth, None
    reason = f"denied by {where} only when its denialCondition holds (resource tags are not in the snapshot)"
    return Truth.UNKNOWN, replace(condition, reason=reason)


class _Applier:
    def __init__(self, snapshot: Snapshot, out: Evaluation, hierarchy: Hierarchy, catalog: RoleCatalog) -> None:
        self.out = out
        self.hierarchy = hierarchy
        self.catalog = catalog
        self.snapshot = snapshot
        self.customers = customer_domains(snapshot)
        self.rules = {
            node.id: deny_rules(node.id, node.resource.document(DENY_POLICIES_READ))
            for node in hierarchy.nodes.values()
        }
        self._chains: dict[str, list[DenyRule]] = {}

    @cached_property
    def memberships(self) -> Memberships:
        """Who is in which group: read only when some rule is applied (most snapshots have no deny policy)."""
        return Memberships(self.snapshot)

    def rules_for(self, project: str | None) -> list[DenyRule]:
        if not project:
            return []
        found = self._chains.get(project)
        if found is None:  # the same for every dataset of the project
            chain = self.hierarchy.chain(project)
            found = self._chains[project] = [rule for node in chain for rule in self.rules.get(node.id, ())]
        return found

    # -- membership --------------------------------------------------------------

    def covered(self, principal: Principal, by: Principal) -> bool:
        """``by`` (a denied or exception principal) stands for ``principal``."""
        parts = network_parts(principal.id) if principal.kind is PrincipalKind.NETWORK else None
        if parts is not None and by.id != principal.id:
            # a class's callers from an access level (domain:x@gcp-access-level:…) are in the class
            return self.covered(member_principal(parts[0]), by)
        if by.id.startswith(_CUSTOMER) and by.id != principal.id:
            # Every identity of a Cloud Identity / Workspace customer: the users and domain classes
            # of the domains the snapshot ties to it (https://cloud.google.com/iam/docs/principal-identifiers).
            domains = self.customers.get(by.id.removeprefix(_CUSTOMER), frozenset())
            if principal.kind is PrincipalKind.USER:
                return principal.id.rpartition("@")[2] in domains
            if principal.kind is PrincipalKind.DOMAIN:
                return principal.id.removeprefix("domain:") in domains
            return False
        return by.id == principal.id or by.id == "allUsers" or by.id in self.memberships.groups_of(principal.id)

    def untied_customers(self, rule: DenyRule) -> list[str]:
        """The customers ``rule`` denies that the snapshot ties to no domain."""
        named = [p.id for p in rule.denied if p.id.startswith(_CUSTOMER)]
        return [pid for pid in named if pid.removeprefix(_CUSTOMER) not in self.customers]

    def may_contain(self, principal: Principal, inner: Principal) -> bool:
        """``inner`` may be one of the principals ``principal`` stands for."""
        if principal.kind in (PrincipalKind.USER, PrincipalKind.SERVICE_ACCOUNT, PrincipalKind.FEDERATED):
            return False
        if principal.kind is PrincipalKind.DOMAIN:
            return inner.id.rpartition("@")[2] == principal.id.removeprefix("domain:")
        if principal.kind is PrincipalKind.GROUP and self.memberships.known(principal.id):
            return principal.id in self.memberships.groups_of(inner.id)
        return True  # public, any authenticated, a group not read: it may hold anyone

    # -- levels ------------------------------------------------------------------

    def _denied_level(self, grant: Grant, rule: DenyRule) -> bool:
        evidence = grant.evidence[0]
        dataset = self.out.datasets.get(grant.dataset)
        target = _TARGETS.get(dataset.kind) if dataset is not None else None
        role = evidence.excerpt.get("role") if isinstance(evidence.excerpt, Mapping) else None
        permissions = self.catalog.permissions(str(role)) if role else None
        if target is None or permissions is None:
            return False  # a role we cannot see inside: not narrowed (fail closed)
        if evidence.source == grant.dataset:
            attachment = Attachment.RESOURCE
        elif evidence.kind is EvidenceKind.ACCESS_ENTRY:
            attachment = Attachment.PARENT_DATASET
        else:
            attachment = Attachment.HIERARCHY
        remaining = frozenset(p for p in permissions if not rule.denies_permission(p))
        return grant.level not in levels_for(remaining, target, attachment)

    # -- rules -------------------------------------------------------------------

    def denies(self, principal: Principal, rule: DenyRule) -> bool:
        """``rule`` names ``principal`` (or a group holding it) and no exception exempts it."""
        return any(self.covered(principal, denied) for denied in rule.denied) and not any(
            self.covered(principal, exception) for exception in rule.exceptions
        )

    def denied_inside(self, group: Principal, rule: DenyRule) -> list[str]:
        """The members of ``group`` (through nested groups too) that ``rule`` denies, in id order."""
        if group.kind is not PrincipalKind.GROUP or not self.memberships.known(group.id):
            return []
        return sorted(m.id for m in self.memberships.inside(group.id) if self.denies(m, rule))

    def apply_rule(self, grant: Grant, rule: DenyRule) -> list[Grant]:
        principal = grant.principal
        if not any(self.covered(principal, denied) for denied in rule.denied):
            denied = self.denied_inside(principal, rule)
            if denied:
                return self.split(grant, rule, principal, denied, ())
            untied = self.untied_customers(rule)
            if untied and principal.kind in (PrincipalKind.USER, PrincipalKind.GROUP, PrincipalKind.DOMAIN):
                note = (
                    f"{rule.where} denies {', '.join(untied)}; the snapshot holds no organisation with that "
                    f"directoryCustomerId, so whether {principal.id} is one of its identities is unknown: "
                    "the grant is kept"
                )
                return [grant.moved_to(principal, note)]
            return [grant]
        if any(self.covered(principal, exception) for exception in rule.exceptions):
            return [grant]  # an exception principal: exempt
        if rule.condition is not None:
            return [replace(grant, conditions=(*grant.conditions, rule.condition))]
        kept = []
        for exception in rule.exceptions:
            if self.may_contain(principal, exception):
                note = (
                    f"{rule.where} denies {principal.id}; {exception.id} is an exception principal and reaches "
                    f"the data through {principal.id}"
                )
                kept.append(grant.moved_to(exception, note))
        return kept

    def split(
        self, grant: Grant, rule: DenyRule, group: Principal, denied: list[str], chain: tuple[str, ...]
    ) -> list[Grant]:
        """A grant to ``group``, some of whose members ``rule`` denies: the grant goes to each member instead.

        The denied members lose it (or keep it under the rule's denialCondition); a nested group
        holding a denied member is split the same way; every other member, nested groups included,
        keeps the group's grant, its evidence naming the group and the rule.  The group's own node
        no longer holds the grant, so membership edges cannot carry a denied member to the data.
        """
        chain = (*chain, group.id)
        via = " in ".join(reversed(chain))
        out: list[Grant] = []
        for member in self.memberships.members(group.id):
            if member.id in chain:
                continue  # a membership cycle: the group's members are already here
            note = (
                f"{rule.where} denies {', '.join(denied)}, inside {chain[0]}: the grant to {chain[0]} is split "
                f"among its members; {member.id} is in {via}"
            )
            moved = grant.moved_to(member, note)
            if self.denied_inside(member, rule):
                out.extend(self.split(moved, rule, member, denied, chain))
            else:
                out.extend(self.apply_rule(moved, rule))  # denied, exempt, or kept as it is
        return out

    def apply(self, grant: Grant) -> list[Grant]:
        if grant.evidence[0].kind not in (EvidenceKind.IAM_BINDING, EvidenceKind.ACCESS_ENTRY):
            return [grant]
        dataset = self.out.datasets.get(grant.dataset)
        current = [grant]
        for rule in self.rules_for(dataset.account if dataset is not None else None):
            if self._denied_level(grant, rule):
                current = [g for c in current for g in self.apply_rule(c, rule)]
        return current


def apply_deny_policies(snapshot: Snapshot, out: Evaluation, hierarchy: Hierarchy, catalog: RoleCatalog) -> None:
    """Narrow ``out.grants`` by every deny policy of the snapshot's hierarchy (in place)."""
    applier = _Applier(snapshot, out, hierarchy, catalog)
    if not any(applier.rules.values()):
        return
    grants = [g for grant in out.grants for g in applier.apply(grant)]
    for grant in grants:
        out.add_principal(grant.principal)
    out.grants[:] = grants
