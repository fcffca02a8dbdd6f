"""How the layers combine into one outcome for one caller and one action.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html and
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html:

* an explicit Deny in any layer (resource policy, identity policies, permission
  boundary, SCP, RCP) ends it;
* **same account**: an Allow in the resource policy *or* in the caller's identity
  policies suffices (for S3).  A resource policy that names the caller only
  through its account delegates to the identity policies and grants nothing by
  itself.  For KMS key policies and role trust policies the resource policy is
  *required*: it must name the caller itself, or name the account (which enables
  IAM policies, which must then allow);
* **cross account**: the resource policy (or an ACL) *and* the caller's identity
  policies must allow.  For a caller whose identity policies are not in the
  snapshot (a class, another organisation's account) the identity side is
  assumed possible: that account's administrators can grant it;
* a permissions boundary caps identity-based permissions, and resource-based
  ones except where the resource policy names the IAM user itself;
* SCPs cap every permission of principals of member accounts.

An :class:`Outcome` is the combination: a :class:`~.evaluate.Verdict`, the
evidence of every layer that had to allow, and the conditions left undecided.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from seenby.model import Condition, Evidence, EvidenceKind
from seenby.policies.aws.candidates import Candidate, CandidateKind
from seenby.policies.aws.context import RequestContext
from seenby.policies.aws.document import PolicyDocument, PrincipalType, Statement
from seenby.policies.aws.evaluate import (
    Decision,
    Hit,
    Request,
    Verdict,
    action_applies,
    evaluate_policies,
    resource_applies,
)
from seenby.policies.aws.iam import Entity, EntityKind
from seenby.policies.aws.org import Directory

__all__ = [
    "ALLOWED",
    "NOT_ALLOWED",
    "BoundaryMemo",
    "IdentityMemo",
    "IdentityMode",
    "Outcome",
    "any_of",
    "conjoin",
    "disjoin",
    "from_decision",
    "identity_outcome",
    "org_policy_outcome",
    "resource_and_identity",
]


_POLICY_ALONE = (CandidateKind.PUBLIC, CandidateKind.SERVICE, CandidateKind.FEDERATED)


class IdentityMode(StrEnum):
    EVALUATED = "evaluated"  # its identity policies are in the snapshot
    ASSUMED = "assumed"  # another account's administrators decide: assumed able to grant
    NONE = "none"  # anonymous callers and AWS services have no identity policies


@dataclass(frozen=True, kw_only=True, slots=True)
class Outcome:
    verdict: Verdict
    evidence: tuple[Evidence, ...] = ()
    conditions: tuple[Condition, ...] = ()

    @property
    def allows(self) -> bool:
        verdict = self.verdict  # Verdict.allows, inlined: asked for every layer of every request
        return verdict is _ALLOW or verdict is _CONDITIONAL

    def with_conditions(self, extra: Iterable[Condition]) -> Outcome:
        extra = tuple(extra)
        if not extra:
            return self
        verdict = Verdict.CONDITIONAL if self.verdict is Verdict.ALLOW else self.verdict
        return Outcome(verdict=verdict, evidence=self.evidence, conditions=_unique(self.conditions + extra))


_ALLOW, _CONDITIONAL = Verdict.ALLOW, Verdict.CONDITIONAL
ALLOWED = Outcome(verdict=Verdict.ALLOW)
NOT_ALLOWED = Outcome(verdict=Verdict.IMPLICIT_DENY)


def _unique(conditions: Iterable[Condition]) -> tuple[Condition, ...]:
    seen: dict[tuple[str, str], Condition] = {}
    for c in conditions:
        seen.setdefault((c.text, c.reason), c)  # a FrozenJson expression keeps its text
    return tuple(seen.values())


def _distinct(evidence: Iterable[Evidence]) -> tuple[Evidence, ...]:
    """``evidence`` without repeats, in order (one or two items, the usual case, compared without hashing)."""
    items = tuple(evidence)
    if len(items) < 2:
        return items
    if len(items) == 2:
        return items[:1] if items[0] is items[1] or items[0] == items[1] else items
    return tuple(dict.fromkeys(items))


def from_decision(decision: Decision, *, hit: Hit | None = None) -> Outcome:
    """An Outcome quoting the deciding statement (or ``hit``) of one layer's decision."""
    doubts = tuple(h.condition(deny=True) for h in decision.doubts)
    if decision.verdict is Verdict.DENY:
        return Outcome(verdict=Verdict.DENY, evidence=(decision.denies[0].evidence,))
    chosen = hit or (decision.allows[0] if decision.allows else None)
    if chosen is None:
        return Outcome(verdict=Verdict.IMPLICIT_DENY, conditions=doubts)
    conditions = (chosen.condition(),) if chosen.undecided else ()
    verdict = Verdict.CONDITIONAL if conditions or doubts else Verdict.ALLOW
    return Outcome(verdict=verdict, evidence=(chosen.evidence,), conditions=_unique(conditions + doubts))


def conjoin(*outcomes: Outcome) -> Outcome:
    """Every layer must allow."""
    # one pass, tuples joined (no generators): conjoin runs for every layer of every request
    evidence: tuple[Evidence, ...] = ()
    conditions: tuple[Condition, ...] = ()
    verdict = Verdict.ALLOW
    for o in outcomes:
        if o.verdict is Verdict.DENY:
            return o  # the first explicit Deny, wherever an implicit one stands
        if o.verdict is Verdict.IMPLICIT_DENY:
            verdict = Verdict.IMPLICIT_DENY
        elif verdict is not Verdict.IMPLICIT_DENY:
            evidence += o.evidence
            if o.conditions:
                conditions += o.conditions
            if o.verdict is _CONDITIONAL:
                verdict = Verdict.CONDITIONAL
    if verdict is Verdict.IMPLICIT_DENY:
        return NOT_ALLOWED
    return Outcome(verdict=verdict, evidence=_distinct(evidence), conditions=_unique(conditions) if conditions else ())


def disjoin(*outcomes: Outcome) -> Outcome:
    """Layers of one request: any one allowing suffices (an unconditional one preferred), a Deny wins.

    For alternative requests (several actions that each give a level) use :func:`any_of`.
    """
    for o in outcomes:
        if o.verdict is Verdict.DENY:
            return o
    return _first_allowing(outcomes, NOT_ALLOWED)


def _first_allowing(outcomes: Sequence[Outcome], otherwise: Outcome) -> Outcome:
    """The unconditional Allows of ``outcomes`` as one (their evidence joined), else the first conditional one,
    else ``otherwise``."""
    sure: tuple[Evidence, ...] | None = None
    conditional: Outcome | None = None
    for o in outcomes:
        verdict = o.verdict
        if verdict is _ALLOW:
            sure = o.evidence if sure is None else sure + o.evidence
        elif verdict is _CONDITIONAL and conditional is None:
            conditional = o
    if sure is not None:
        return Outcome(verdict=Verdict.ALLOW, evidence=_distinct(sure))
    return conditional if conditional is not None else otherwise


def any_of(*outcomes: Outcome) -> Outcome:
    """Alternative requests (other actions, other access points): whatever one of them allows.

    Unlike :func:`disjoin`, which combines the layers of *one* request, an explicit Deny
    of one request says nothing of another: a bucket policy that denies
    ``s3:GetObjectVersion`` to everyone still lets its public ``s3:GetObject`` through
    (each API call is evaluated on its own; see the policy evaluation logic page).
    An unconditional Allow is preferred; when nothing allows, the first Deny is kept as
    the explanation.
    """
    chosen = _first_allowing(outcomes, NOT_ALLOWED)
    if chosen is NOT_ALLOWED:
        return next((o for o in outcomes if o.verdict is Verdict.DENY), NOT_ALLOWED)
    return chosen


def _boundary_outcome(entity: Entity, request: Request) -> Outcome:
    if entity.boundary_arn is None:
        return ALLOWED
    if entity.boundary is None:
        return ALLOWED.with_conditions(
            [
                Condition(
                    expression={"PermissionsBoundary": entity.boundary_arn},
                    reason=f"permissions boundary {entity.boundary_arn} of {entity.arn} is not in the snapshot",
                )
            ]
        )
    return from_decision(evaluate_policies([entity.boundary], request))


def identity_outcome(
    entity: Entity, request: Request, *, own_allows_only: bool = False, boundaries: BoundaryMemo | None = None
) -> Outcome:
    """What ``entity``'s identity policies (and its boundary) say about ``request``.

    Denies of a user's groups apply to the user.  ``own_allows_only``: count only
    Allows of the entity's own policies (a user allowed only through a group is
    reached through its MEMBER_OF edge instead).  ``boundaries``: a :class:`BoundaryMemo`
    that decides the boundary (the same outcome, shared with other entities and resources).
    """
    all_docs = entity.all_policies()
    decision = evaluate_policies(all_docs, request)
    if decision.verdict is Verdict.DENY:
        return from_decision(decision)
    if own_allows_only and decision.allows:
        own = {id(d) for d in entity.policies}
        kept = tuple(h for h in decision.allows if id(h.document) in own)
        verdict = decision.verdict if kept else Verdict.IMPLICIT_DENY
        if kept and kept[0].undecided:
            verdict = Verdict.CONDITIONAL
        decision = Decision(verdict=verdict, allows=kept, doubts=decision.doubts)
    outcome = from_decision(decision)
    missing = entity.missing_policies if own_allows_only else entity.all_missing()
    if not outcome.allows and missing:
        outcome = Outcome(
            verdict=Verdict.CONDITIONAL,
            evidence=(
                Evidence(
                    kind=EvidenceKind.IDENTITY_POLICY,
                    source=entity.arn,
                    location="AttachedManagedPolicies",
                    excerpt=list(missing),
                    note="attached managed policies whose documents are not in the snapshot",
                ),
            ),
            conditions=(
                Condition(
                    expression={"AttachedManagedPolicies": list(missing)},
                    reason=f"managed policies {', '.join(missing)} attached to {entity.arn} are not in the snapshot",
                ),
            ),
        )
    if not outcome.allows:
        return outcome
    boundary = boundaries.outcome(entity, request) if boundaries is not None else _boundary_outcome(entity, request)
    return conjoin(outcome, boundary)


class IdentityMemo:
    """:func:`identity_outcome`, decided once for all resources an entity's statements treat alike.

    A statement decides a request only when its Action element applies, and depends on the
    resource only through its Resource element (:func:`~.evaluate.resource_applies`); a
    Resource of ``*`` treats every resource alike.  The evidence quotes statements, never the
    resource, so the outcome is the same for every resource with the same answers: it is kept
    under (entity, action, context, those answers).  ``boundaries`` decides the entities' permissions
    boundaries (shared by the roles that have the same one).
    """

    def __init__(self, boundaries: BoundaryMemo | None = None) -> None:
        self.boundaries = boundaries if boundaries is not None else BoundaryMemo()
        self._statements: dict[tuple[int, str], tuple[Entity, tuple[Statement, ...]]] = {}
        self._outcomes: dict[tuple[object, ...], tuple[Entity, RequestContext, Outcome]] = {}

    def _by_resource(self, entity: Entity, action: str) -> tuple[Statement, ...]:
        """One statement for each Resource element (not ``*``) of a statement applying to ``action``.

        The entity's identity policies and boundary, as :func:`identity_outcome` reads them.
        """
        key = (id(entity), action)
        hit = self._statements.get(key)
        if hit is not None and hit[0] is entity:
            return hit[1]
        docs = entity.identity_documents()
        chosen: dict[tuple[object, ...], Statement] = {}
        for doc in docs:
            for st in doc.statements:
                if st.resources is not None and st.resources != ("*",) and action_applies(st, action):
                    chosen.setdefault((st.resources, st.not_resource, st.effect), st)
        statements = tuple(chosen.values())
        self._statements[key] = (entity, statements)
        return statements

    def outcome(self, entity: Entity, request: Request, own_allows_only: bool) -> Outcome:
        ctx = request.context
        statements = self._by_resource(entity, request.action)
        signature = tuple(resource_applies(st, request.resource, ctx) for st in statements)
        key = (id(entity), own_allows_only, request.action, id(ctx), signature)
        hit = self._outcomes.get(key)
        if hit is not None and hit[0] is entity and hit[1] is ctx:
            return hit[2]
        outcome = identity_outcome(entity, request, own_allows_only=own_allows_only, boundaries=self.boundaries)
        self._outcomes[key] = (entity, ctx, outcome)
        return outcome


class BoundaryMemo:
    """The permissions-boundary layer, decided once for all requests it treats alike.

    A boundary is evaluated alone and without a caller (:func:`_boundary_outcome`), so its outcome
    depends only on the document, the action, the request context and, through
    :func:`~.evaluate.resource_applies`, the answers of its Resource elements for the resource.  Only a
    Condition block and a policy variable in a Resource element read the context (:mod:`.evaluate`):
    when no statement applying to the action has either, the context is left out of the key.  The
    evidence quotes statements, never the resource or the entity, so roles sharing one boundary document
    share its outcomes: they are kept under (document, action, context if read, those answers).  A
    boundary missing from the snapshot names the entity and is not kept.
    """

    def __init__(self) -> None:
        self._statements: dict[tuple[int, str], tuple[PolicyDocument, tuple[Statement, ...], bool]] = {}
        self._outcomes: dict[tuple[object, ...], tuple[PolicyDocument, RequestContext | None, Outcome]] = {}

    def _shape(self, boundary: PolicyDocument, action: str) -> tuple[tuple[Statement, ...], bool]:
        """One statement for each Resource element (not ``*``) of a boundary statement applying to ``action``,
        and whether any of those statements reads the request context."""
        key = (id(boundary), action)
        hit = self._statements.get(key)
        if hit is not None and hit[0] is boundary:
            return hit[1], hit[2]
        applying = boundary.statements_for(action)
        chosen: dict[tuple[object, ...], Statement] = {}
        for st in applying:
            if st.resources is not None and st.resources != ("*",):
                chosen.setdefault((st.resources, st.not_resource, st.effect), st)
        statements = tuple(chosen.values())
        reads_context = any(st.condition or st.resource_variables for st in applying)
        self._statements[key] = (boundary, statements, reads_context)
        return statements, reads_context

    def outcome(self, entity: Entity, request: Request) -> Outcome:
        """:func:`_boundary_outcome` of ``entity`` for ``request``."""
        boundary = entity.boundary
        if entity.boundary_arn is None or boundary is None:
            return _boundary_outcome(entity, request)
        statements, reads_context = self._shape(boundary, request.action)
        ctx = request.context if reads_context else None
        signature = tuple(resource_applies(st, request.resource, request.context) for st in statements)
        key = (id(boundary), request.action, id(ctx), signature)
        hit = self._outcomes.get(key)
        if hit is not None and hit[0] is boundary and hit[1] is ctx:
            return hit[2]
        outcome = _boundary_outcome(entity, request)
        self._outcomes[key] = (boundary, ctx, outcome)
        return outcome


def _names_itself(hit: Hit, candidate: Candidate) -> bool:
    refs = hit.statement.principals or ()
    return any(r.type is PrincipalType.ARN and r.value == candidate.arn for r in refs)


def resource_and_identity(
    *,
    candidate: Candidate,
    resource_account: str | None,
    resource_docs: Sequence[PolicyDocument],
    request: Request,
    identity: Outcome,
    mode: IdentityMode,
    entity: Entity | None = None,
    extra_resource_allows: Sequence[Outcome] = (),
    resource_required: bool = False,
    boundaries: BoundaryMemo | None = None,
) -> Outcome:
    """Combine a resource-based layer with the caller's identity side (see the module docstring).

    ``extra_resource_allows`` are other resource-side grants (S3 ACL grants).
    ``resource_required``: the resource policy must allow the caller itself or
    delegate to its account (KMS key policies, role trust policies).  ``boundaries``: the snapshot's
    :class:`BoundaryMemo`, which decides ``entity``'s permissions boundary once per resource it treats alike.
    """
    decision = evaluate_policies(resource_docs, request, candidate)
    if decision.verdict is Verdict.DENY:
        return from_decision(decision)
    if identity.verdict is Verdict.DENY:
        return identity
    doubts = tuple(h.condition(deny=True) for h in decision.doubts)
    direct = next((h for h in decision.allows if not h.via_account), None)
    delegated = next((h for h in decision.allows if h.via_account), None)
    if candidate.kind is CandidateKind.GROUP and direct is not None:
        # a group is never a caller: a Principal matching it reaches its members as themselves
        delegated, direct = delegated or direct, None
    direct_o = from_decision(decision, hit=direct) if direct else NOT_ALLOWED
    delegated_o = from_decision(decision, hit=delegated) if delegated else NOT_ALLOWED
    same_account = candidate.account is not None and candidate.account == resource_account
    identity_side = identity if mode is not IdentityMode.NONE else NOT_ALLOWED
    if same_account:
        if entity is not None and entity.boundary_arn and direct is not None:
            # an Allow naming a user or a role *session* itself is not capped; one naming the role is
            # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html)
            itself = _names_itself(direct, candidate)
            capped = not itself or (entity.kind is EntityKind.ROLE and candidate.arn == entity.arn)
            if capped:
                memo = boundaries if boundaries is not None else BoundaryMemo()
                direct_o = conjoin(direct_o, memo.outcome(entity, request))
        if resource_required:
            result = disjoin(direct_o, conjoin(delegated_o, identity_side))
        else:
            result = disjoin(direct_o, *extra_resource_allows, identity_side)
    else:
        resource_side = disjoin(direct_o, delegated_o, *extra_resource_allows)
        if mode is IdentityMode.NONE:
            # anonymous callers and AWS services act on the resource policy alone
            result = resource_side if candidate.kind in _POLICY_ALONE else NOT_ALLOWED
        else:
            result = conjoin(resource_side, identity_side)
    return result.with_conditions(doubts) if result.allows else result


def org_policy_outcome(
    directory: Directory,
    account: str | None,
    request: Request,
    candidate: Candidate | None,
    *,
    org_id: str | None = None,
    resource_policies: bool = False,
) -> Outcome:
    """SCPs (or, with ``resource_policies``, RCPs) of ``account``'s organisation for ``request``.

    Deny anywhere on the path ends it; for SCPs some Allow is needed at every level
    (RCPs only deny: RCPFullAWSAccess is attached everywhere and cannot be detached,
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_evaluation.html).  The
    management account is exempt.  With an unknown path only the root level is
    checked.  ``org_id`` without ``account`` stands for "some account of that
    organisation": a root-level Deny then makes the outcome conditional, since
    the management account is not affected.
    """
    org = directory.org_of(account) if account is not None else directory.organizations.get(org_id or "")
    if org is None or not org.policies_known or (account is not None and account == org.management_account):
        return ALLOWED
    table = org.rcps if resource_policies else org.scps
    if not table:
        return ALLOWED
    chain = org.chain(account) if account is not None else None
    levels = chain if chain is not None else [org.root_id] if org.root_id else []
    outcomes: list[Outcome] = []
    for target in levels:
        docs = table.get(target, [])
        decision = evaluate_policies(docs, request, candidate if resource_policies else None)
        if decision.verdict is Verdict.DENY:
            if account is None:
                deny = from_decision(decision)
                return Outcome(
                    verdict=Verdict.CONDITIONAL,
                    evidence=deny.evidence,
                    conditions=(
                        Condition(
                            expression=decision.denies[0].statement.raw,
                            reason=f"{decision.denies[0].evidence.summary} denies this to member accounts of "
                            f"{org.id}; only the management account's principals keep it",
                        ),
                    ),
                )
            return from_decision(decision)
        if resource_policies:
            # RCPFullAWSAccess is attached at every level and cannot be detached: RCPs only deny
            doubts = tuple(h.condition(deny=True) for h in decision.doubts)
            outcomes.append(ALLOWED.with_conditions(doubts) if doubts else ALLOWED)
            continue
        if not docs:
            continue  # nothing attached at this level that we know of
        outcome = from_decision(decision)
        if not outcome.allows:
            return NOT_ALLOWED if account is not None else outcome
        outcomes.append(Outcome(verdict=outcome.verdict, conditions=outcome.conditions))
    return conjoin(ALLOWED, *outcomes)
