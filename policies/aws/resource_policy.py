"""The one AWS evaluation core: datasets guarded by a resource policy plus the callers' identity policies.

Every AWS data store is evaluated here
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html):
in the resource's own account an Allow in the resource policy *or* the caller's identity
policies suffices; across accounts both must allow; a resource policy naming an account
delegates to that account's identity policies; explicit Deny anywhere wins; SCPs cap the
caller, RCPs (where the service supports them) cap everyone acting on the resource.
Each layer is :mod:`.access`; nothing here decides a statement itself.

:class:`ResourcePolicyEvaluator` is the core: the candidates every resource has (the broad
classes, the principals its policy names, the holders of identity statements that reach it),
the identity side, the organisation caps and the grants loop.  A resource type with layers of
its own overrides hooks, as S3 does (:class:`.s3.BucketEvaluator`: ACLs and object ACLs, Block
Public Access, the KMS key, access points):

* :meth:`~ResourcePolicyEvaluator.prepare` turns the resource into what the other hooks read;
* :meth:`~ResourcePolicyEvaluator.candidates`, :meth:`~ResourcePolicyEvaluator.resource_keys`;
* :meth:`~ResourcePolicyEvaluator.may_be_granted` (skip callers no layer can allow);
* :meth:`~ResourcePolicyEvaluator.decider` (the outcomes of one level's actions for a caller);
* :meth:`~ResourcePolicyEvaluator.requests` (as the group-member check replays them).

Each service's own definition of "public" is its ``public_note`` (DynamoDB's) or its own
layer (S3's Block Public Access).  An unknown resource policy (a denied or failed read)
adds no grant; its gap is reported by :func:`seenby.policies.gaps.collect_gaps` against the
dataset, never read as "no policy".
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from seenby.model import AccessLevel, Evidence, EvidenceKind, Grant
from seenby.policies.aws.access import (
    ALLOWED,
    NOT_ALLOWED,
    IdentityMode,
    Outcome,
    any_of,
    conjoin,
    org_policy_outcome,
    resource_and_identity,
)
from seenby.policies.aws.candidates import Candidate, CandidateKind, noted, without_redundant_variants
from seenby.policies.aws.context import KeyValue, Known, RequestContext
from seenby.policies.aws.document import PolicyDocument, Statement, addresses_services
from seenby.policies.aws.evaluate import Request
from seenby.policies.aws.group_members import GroupMembers
from seenby.policies.aws.iam import Entity, IdentityIndex, is_service_linked_role
from seenby.policies.aws.memo import AwsMemo
from seenby.policies.aws.org import Directory
from seenby.policies.aws.perimeter import Perimeters, rcp_documents
from seenby.policies.aws.population import Population, unique

__all__ = [
    "Decider",
    "Guarded",
    "GuardedResource",
    "ResourcePolicyEvaluator",
    "caller_identity",
    "org_caps",
    "resource_account_keys",
]


class Guarded(Protocol):
    """What the core reads of a prepared resource."""

    @property
    def arn(self) -> str: ...

    @property
    def account(self) -> str | None: ...

    @property
    def policy(self) -> PolicyDocument | None: ...


@dataclass(frozen=True, kw_only=True)
class GuardedResource:
    """One resource: the ARN requested, its account, its policy (None: none, or unknown) and index lookup keys."""

    arn: str
    account: str | None
    policy: PolicyDocument | None
    index_name: str  # the literal name the identity index files statements under
    targets: tuple[str, ...]  # ARN globs an identity statement must reach


R = TypeVar("R")  # the resource as the caller hands it over
P = TypeVar("P", bound=Guarded)  # the resource as the hooks read it (prepare's result)

# The outcomes of one level's actions for one caller: (level, actions) -> outcomes.
Decider = Callable[[AccessLevel, Sequence[Any]], list[Outcome]]


def caller_identity(
    population: Population,
    memo: AwsMemo,
    c: Candidate,
    request: Request,
    *,
    unnamed: Container[str | None],
    users_own_allows_only: bool = True,
) -> tuple[Outcome, IdentityMode]:
    """The caller's identity side, and how it was decided (evaluated, assumed for another account, none).

    An IAM principal in the snapshot is evaluated (a user counts only its own policies' Allows when
    ``users_own_allows_only``: its groups' reach it through its MEMBER_OF edge).  Anonymous callers, services and
    federated principals have no identity policies.  ``unnamed``: the accounts whose IAM principals able to act are
    candidates of their own, so an unnamed principal of one adds nobody; any other account's administrators are
    assumed able to allow (fail closed).  Every AWS evaluation (the resource types, role trust, IAM admin) asks here.
    """
    entity = population.entity_of.get(c.key)
    if entity is not None:
        if request.context is not c.context and memo.reads_no_context(entity, request.action):
            # nothing the entity's statements for the action read is in the context: decided once under the
            # caller's own context for every resource, whatever keys each resource adds
            request = Request(action=request.action, resource=request.resource, context=c.context)
        own_only = users_own_allows_only and c.kind is CandidateKind.USER
        return memo.identities.outcome(entity, request, own_only), IdentityMode.EVALUATED
    if c.kind in (CandidateKind.PUBLIC, CandidateKind.SERVICE, CandidateKind.FEDERATED):
        return NOT_ALLOWED, IdentityMode.NONE
    if c.kind is CandidateKind.ACCOUNT and c.account in unnamed:
        return NOT_ALLOWED, IdentityMode.NONE
    return ALLOWED, IdentityMode.ASSUMED


def resource_account_keys(directory: Directory, account: str | None) -> dict[str, KeyValue]:
    """The request keys that say whose resource it is (``aws:ResourceAccount``, ``aws:ResourceOrgID``,
    ``aws:ResourceOrgPaths``)."""
    keys: dict[str, KeyValue] = {}
    if account:
        keys["aws:ResourceAccount"] = Known((account,))
        org = directory.org_of(account)
        if org is not None:
            keys["aws:ResourceOrgID"] = Known((org.id,))
            keys["aws:ResourceOrgPaths"] = directory.org_paths_value(account)
    return keys


def org_caps(
    memo: AwsMemo,
    directory: Directory,
    c: Candidate,
    request: Request,
    resource_account: str | None,
    *,
    rcps_apply: bool,
    resource_request: Request | None = None,
) -> Outcome:
    """SCPs of the caller's organisation for ``request`` and, with ``rcps_apply``, RCPs of the resource's account
    for ``resource_request`` (default: ``request``; through an S3 access point, the bucket's side of it; for a role
    trust, the assumption with the role's account keys).

    RCPs never cap a call made by a service-linked role
    (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html#actions-not-restricted-by-rcps).
    The one place organisation policies cap an AWS request; each outcome is kept in ``memo`` under what it depends
    on (:class:`~.memo.OrgPolicyShape`)."""
    org_id = c.org_id
    rcps_apply = rcps_apply and not is_service_linked_role(c.role_arn or c.arn)
    shape = memo.org_shape
    if rcps_apply and resource_request is not None and not shape.caller_free:
        # the RCPs see another request than the caller's SCPs: the SCPs' outcome is shared, the RCPs' decided here
        scps = org_caps(memo, directory, c, request, resource_account, rcps_apply=False)
        rcps = org_policy_outcome(directory, resource_account, resource_request, c, resource_policies=True)
        return conjoin(scps, rcps)
    cache_key: tuple[object, ...] | None = None
    if shape.caller_free:
        # the outcome depends on the caller's account alone
        cache_key = (rcps_apply, c.account, org_id, request.action, resource_account)
        shared = memo.org_caps_by_account.get(cache_key)
        if shared is not None:
            return shared
    elif shape.resource_free:
        # no SCP or RCP statement names a resource: the outcome is the same on every resource
        cache_key = (rcps_apply, c.key, id(request.context), request.action, resource_account)
        hit = memo.org_caps.get(cache_key)
        if hit is not None and hit[0] is request.context:
            return hit[1]
    caps = [org_policy_outcome(directory, c.account, request, None, org_id=org_id)]
    if rcps_apply:
        caps.append(
            org_policy_outcome(directory, resource_account, resource_request or request, c, resource_policies=True)
        )
    outcome = conjoin(*caps)
    if shape.caller_free:
        memo.org_caps_by_account[cache_key] = outcome
    elif cache_key is not None:
        memo.org_caps[cache_key] = (request.context, outcome)
    return outcome


class ResourcePolicyEvaluator(Generic[R, P]):
    """Grants on one resource type, for the actions of each level.

    ``anonymous``: the service accepts unsigned requests (DynamoDB and Glue do not, so
    a ``"*"`` principal there reaches any authenticated AWS principal, never anyone).
    ``rcps_apply``: the service is one resource control policies cover.
    ``public_note``: a note for evidence quoting a statement the service itself calls public.
    ``kind``: names the type in the shared memo (its resource keys differ from other types').
    """

    kind = "resource-policy"

    def __init__(
        self,
        *,
        population: Population,
        directory: Directory,
        index: IdentityIndex,
        levels: Mapping[AccessLevel, Sequence[Any]],
        rcps_apply: bool,
        memo: AwsMemo,
        anonymous: bool = False,
        public_note: Callable[[Statement], str | None] | None = None,
    ) -> None:
        self.population = population
        self.directory = directory
        self.index = index
        self.levels = levels
        self.rcps_apply = rcps_apply
        self.anonymous = anonymous
        self.public_note = public_note
        self.memo = memo
        self.group_members = GroupMembers(population, memo.identities)

    # -- hooks (overridden per resource type) -------------------------------------------------

    def prepare(self, res: R) -> P:
        """What the other hooks read of ``res`` (a :class:`GuardedResource` is read as it is)."""
        return res  # type: ignore[return-value]

    def candidates(self, res: P) -> list[Candidate]:
        out = self.class_candidates(res)
        out.extend(self.holder_candidates(self.index.holders(res.index_name, res.targets)))  # type: ignore[attr-defined]
        # the networks the resource policy, the RCPs of its account and each caller's SCPs name (:mod:`.perimeter`)
        rcps = rcp_documents(self.memo, self.directory, res.account) if self.rcps_apply else ()
        perimeters = Perimeters(self.memo, self.directory)
        return self.population.with_networks(unique(out), (res.policy, *rcps), res.account, perimeters.of_caller)

    def resource_keys(self, res: Guarded) -> dict[str, KeyValue]:
        return self.account_keys(res.account)

    def may_be_granted(self, res: P, c: Candidate) -> bool:
        return True

    def decider(self, res: P, c: Candidate) -> Decider:
        return lambda level, actions: [self.outcome(res, c, a) for a in actions]

    def requests(self, res: P, actions: Iterable[Any]) -> Callable[[Candidate], list[Request]]:
        """The requests of ``actions`` on ``res`` as a given caller makes them."""
        return lambda c: [Request(action=a, resource=res.arn, context=self.context(c, res)) for a in actions]

    # -- the core ------------------------------------------------------------------------------

    def class_candidates(self, res: P) -> list[Candidate]:
        """The broad classes (anyone, any authenticated principal, any service, the organisation, the account) and
        the principals and service variants the resource policy names."""
        pop = self.population
        out: list[Candidate] = [pop.public()] if self.anonymous else []
        out.append(pop.authenticated())
        if addresses_services(res.policy):
            out.append(pop.any_service())
        org = self.directory.org_of(res.account)
        if org is not None:
            out.append(pop.organization(org.id))
        if res.account:
            out.append(pop.account(res.account))
        out.extend(pop.named_in(res.policy))
        out.extend(pop.variants(res.policy))
        return pop.resolve_organizations(out, res.account, res.policy)

    def holder_candidates(self, holders: Iterable[Entity]) -> list[Candidate]:
        """IAM principals holding identity statements that may reach the resource, each with its groups."""
        pop = self.population
        out: list[Candidate] = []
        for entity in holders:
            out.append(pop.entity(entity))
            out.extend(pop.entity(g) for g in entity.groups)
        return out

    def account_keys(self, account: str | None) -> dict[str, KeyValue]:
        """The request keys that say whose resource it is (:func:`resource_account_keys`)."""
        return resource_account_keys(self.directory, account)

    def context_scope(self, res: Guarded) -> object:
        """What :meth:`resource_keys` depends on: the resource's account, unless a type's hook says more."""
        return res.account

    def context(self, c: Candidate, res: Guarded) -> RequestContext:
        """``c``'s context with the resource's keys (which depend only on :meth:`context_scope`), made once."""
        scope = self.context_scope(res)
        cache_key = (self.kind, c.key, id(c.context), scope)
        hit = self.memo.contexts.get(cache_key)
        if hit is not None and hit[0] is c.context:
            return hit[1]
        keys = self.memo.resource_keys.get((self.kind, scope))
        if keys is None:
            keys = self.memo.resource_keys[(self.kind, scope)] = self.resource_keys(res)
        merged = c.context.merged(keys)
        self.memo.contexts[cache_key] = (c.context, merged)
        return merged

    def identity(self, c: Candidate, request: Request, resource_account: str | None) -> tuple[Outcome, IdentityMode]:
        """The caller's identity side, and how it was decided (evaluated, assumed for another account, none)."""
        if c.kind is CandidateKind.ORGANIZATION and self.population.organization_resolved(
            c.principal.id.split(":", 1)[1], resource_account
        ):
            # every other account's IAM is known: the organisation's members are candidates of their own
            return NOT_ALLOWED, IdentityMode.EVALUATED
        return caller_identity(self.population, self.memo, c, request, unnamed=(resource_account,))

    def org_caps(
        self, c: Candidate, request: Request, resource_account: str | None, *, resource_request: Request | None = None
    ) -> Outcome:
        """SCPs of the caller's organisation and, where they apply, RCPs of the resource's (:func:`org_caps`)."""
        return org_caps(
            self.memo, self.directory, c, request, resource_account, rcps_apply=self.rcps_apply,
            resource_request=resource_request,
        )  # fmt: skip

    def outcome(self, res: P, c: Candidate, action: str, resource: str | None = None) -> Outcome:
        """Every layer for ``c`` doing ``action`` on ``resource`` (default: the resource's ARN)."""
        request = Request(action=action, resource=resource or res.arn, context=self.context(c, res))
        identity, mode = self.identity(c, request, res.account)
        outcome = resource_and_identity(
            candidate=c, resource_account=res.account, resource_docs=[res.policy] if res.policy else [],
            request=request, identity=identity, mode=mode, entity=self.population.entity_of.get(c.key),
            boundaries=self.memo.boundaries,
        )  # fmt: skip
        if not outcome.allows:
            return outcome
        return conjoin(outcome, self.org_caps(c, request, res.account))

    def _noted(self, res: P, evidence: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
        if self.public_note is None or res.policy is None:
            return evidence
        notes = {
            s.location: note for s in res.policy.statements if (note := self.public_note(s)) is not None
        }
        out = []
        for e in evidence:
            loc = e.location.rsplit(":", 1)[-1]
            if e.kind is EvidenceKind.RESOURCE_POLICY and e.source == res.policy.source and loc in notes:
                e = e.with_note(notes[loc])
            out.append(e)
        return tuple(out)

    def grants(self, resource: R, dataset: str | None = None) -> list[Grant]:
        """Every candidate's grants on ``resource``, as dataset ``dataset`` (default: the resource's ARN)."""
        res = self.prepare(resource)
        dataset = dataset or res.arn
        granted: list[tuple[Candidate, Grant]] = []
        for c in self.candidates(res):
            if not self.may_be_granted(res, c):
                continue
            decide = self.decider(res, c)
            for level, actions in self.levels.items():
                best = any_of(*decide(level, actions))
                if not best.allows:
                    continue
                evidence = best.evidence or (
                    Evidence(kind=EvidenceKind.RESOURCE_POLICY, source=res.arn, location="(no statement)"),
                )
                grant = Grant(principal=c.principal, dataset=dataset, level=level,
                              evidence=noted(c, self._noted(res, evidence)), conditions=best.conditions)  # fmt: skip
                if c.kind is CandidateKind.GROUP:
                    members = self.group_members.grant(c, grant, self.requests(res, actions), (res.policy,))
                    granted.extend((c, g) for g in members)
                else:
                    granted.append((c, grant))
        return without_redundant_variants(granted)
