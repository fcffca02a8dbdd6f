"""Datasets guarded by one resource policy plus the callers' identity policies.

DynamoDB tables and the Glue Data Catalog work like an S3 bucket without ACLs or
Block Public Access: the same evaluation logic applies
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html):
in the resource's own account an Allow in the resource policy *or* the caller's identity
policies suffices; across accounts both must allow; a resource policy naming an account
delegates to that account's identity policies; explicit Deny anywhere wins; SCPs cap the
caller, RCPs (where the service supports them) cap everyone acting on the resource.
Each layer is :mod:`.access`; nothing here decides a statement itself.

An unknown resource policy (a denied or failed read) adds no grant; its gap is reported
by :func:`seenby.policies.gaps.collect_gaps` against the dataset, never read as "no policy".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from seenby.model import AccessLevel, Evidence, EvidenceKind, Grant
from seenby.policies.aws.access import (
    ALLOWED,
    NOT_ALLOWED,
    IdentityMode,
    Outcome,
    any_of,
    conjoin,
    identity_outcome,
    org_policy_outcome,
    resource_and_identity,
)
from seenby.policies.aws.candidates import Candidate, CandidateKind, noted, without_redundant_variants
from seenby.policies.aws.context import KeyValue, Known
from seenby.policies.aws.document import PolicyDocument, Statement, addresses_services
from seenby.policies.aws.evaluate import Request
from seenby.policies.aws.group_members import GroupMembers
from seenby.policies.aws.iam import IdentityIndex
from seenby.policies.aws.org import Directory
from seenby.policies.aws.population import Population, unique

__all__ = ["GuardedResource", "ResourcePolicyEvaluator"]


@dataclass(frozen=True, kw_only=True)
class GuardedResource:
    """One resource: the ARN requested, its account, its policy (None: none, or unknown) and index lookup keys."""

    arn: str
    account: str | None
    policy: PolicyDocument | None
    index_name: str  # the literal name the identity index files statements under
    targets: tuple[str, ...]  # ARN globs an identity statement must reach


class ResourcePolicyEvaluator:
    """Grants on :class:`GuardedResource` records, for the actions of each level.

    ``anonymous``: the service accepts unsigned requests (DynamoDB and Glue do not, so
    a ``"*"`` principal there reaches any authenticated AWS principal, never anyone).
    ``rcps_apply``: the service is one resource control policies cover.
    ``public_note``: a note for evidence quoting a statement the service itself calls public.
    """

    def __init__(
        self,
        *,
        population: Population,
        directory: Directory,
        index: IdentityIndex,
        levels: Mapping[AccessLevel, Sequence[str]],
        rcps_apply: bool,
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
        self.group_members = GroupMembers(population)

    def candidates(self, res: GuardedResource) -> list[Candidate]:
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
        for entity in self.index.holders(res.index_name, res.targets):
            out.append(pop.entity(entity))
            out.extend(pop.entity(g) for g in entity.groups)
        return pop.with_networks(unique(out), (res.policy,), res.account)

    def resource_keys(self, res: GuardedResource) -> dict[str, KeyValue]:
        keys: dict[str, KeyValue] = {}
        if res.account:
            keys["aws:ResourceAccount"] = Known((res.account,))
            org = self.directory.org_of(res.account)
            if org is not None:
                keys["aws:ResourceOrgID"] = Known((org.id,))
        return keys

    def identity(self, c: Candidate, request: Request, resource_account: str | None) -> tuple[Outcome, IdentityMode]:
        entity = self.population.entity_of.get(c.key)
        if entity is not None:
            own_only = c.kind is CandidateKind.USER
            return identity_outcome(entity, request, own_allows_only=own_only), IdentityMode.EVALUATED
        if c.kind in (CandidateKind.PUBLIC, CandidateKind.SERVICE, CandidateKind.FEDERATED):
            return NOT_ALLOWED, IdentityMode.NONE
        if c.kind is CandidateKind.ACCOUNT and c.account == resource_account:
            return NOT_ALLOWED, IdentityMode.NONE  # the account's named principals are candidates of their own
        return ALLOWED, IdentityMode.ASSUMED

    def outcome(self, res: GuardedResource, c: Candidate, action: str, resource: str | None = None) -> Outcome:
        """Every layer for ``c`` doing ``action`` on ``resource`` (default: the resource's ARN)."""
        context = c.context.merged(self.resource_keys(res))
        request = Request(action=action, resource=resource or res.arn, context=context)
        identity, mode = self.identity(c, request, res.account)
        outcome = resource_and_identity(
            candidate=c, resource_account=res.account, resource_docs=[res.policy] if res.policy else [],
            request=request, identity=identity, mode=mode, entity=self.population.entity_of.get(c.key),
        )  # fmt: skip
        if not outcome.allows:
            return outcome
        org_id = c.principal.id.split(":", 1)[1] if c.kind is CandidateKind.ORGANIZATION else None
        caps = [org_policy_outcome(self.directory, c.account, request, None, org_id=org_id)]
        if self.rcps_apply:
            caps.append(org_policy_outcome(self.directory, res.account, request, c, resource_policies=True))
        return conjoin(outcome, *caps)

    def _noted(self, res: GuardedResource, evidence: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
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

    def grants(self, res: GuardedResource, dataset: str) -> list[Grant]:
        granted: list[tuple[Candidate, Grant]] = []
        for c in self.candidates(res):
            for level, actions in self.levels.items():
                best = any_of(*(self.outcome(res, c, a) for a in actions))
                if not best.allows:
                    continue
                evidence = best.evidence or (
                    Evidence(kind=EvidenceKind.RESOURCE_POLICY, source=res.arn, location="(no statement)"),
                )
                grant = Grant(principal=c.principal, dataset=dataset, level=level,
                              evidence=noted(c, self._noted(res, evidence)), conditions=best.conditions)  # fmt: skip
                if c.kind is CandidateKind.GROUP:
                    members = self.group_members.grant(c, grant, self._requests(res, actions), (res.policy,))
                    granted.extend((c, g) for g in members)
                else:
                    granted.append((c, grant))
        return without_redundant_variants(granted)

    def _requests(self, res: GuardedResource, actions: Iterable[str]) -> Callable[[Candidate], list[Request]]:
        """The requests of ``actions`` on ``res`` as a given caller makes them."""
        keys = self.resource_keys(res)
        return lambda c: [Request(action=a, resource=res.arn, context=c.context.merged(keys)) for a in actions]
