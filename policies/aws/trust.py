"""Role trust policies → CAN_ASSUME edges.

https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html:

* the trust policy must allow the caller itself (``sts:AssumeRole``;
  ``sts:AssumeRoleWithWebIdentity`` / ``sts:AssumeRoleWithSAML`` for federated
  providers).  As for KMS key policies, an identity-policy Allow alone is not
  enough in the same account;
* a trust naming an account (``"AWS": "111122223333"`` or its ``:root``)
  delegates to that account's IAM
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts).
  For another account, whose IAM seenby does not see, the edge leaves the
  account node (its administrators are assumed able to allow).  For the role's
  own account, whose IAM is in the snapshot, the edges leave the users, groups
  and roles whose identity policies (group policies reach a user through its
  MEMBER_OF edge, as for S3 grants), permissions boundary and SCPs allow
  ``sts:AssumeRole`` on the role: only those found by the identity index are
  evaluated.  The account's root user cannot assume a role, so the account node
  itself gets no edge.  When the account's IAM is not known the edge leaves the
  account node ("someone of that account", fail closed);
* a same-account principal named directly needs no identity Allow, but an
  explicit Deny of ``sts:AssumeRole`` in its identity policies removes the edge
  (kept simple: the role ARN is the resource, session policies are not modelled);
* ``{"AWS": "*"}`` (or another account) gives, in every account whose IAM is in the
  snapshot, edges from the principals whose identity policies allow
  ``sts:AssumeRole`` on the role; narrowed by ``aws:PrincipalOrgID``, the
  organisation's node gets an edge too only while
  some account of the organisation has its IAM outside the snapshot (fail
  closed): otherwise its members able to assume are all there, and the audit
  rates them organisation-wide when together they cover it
  (:mod:`seenby.graph.organisation`).  Without a condition the edge leaves
  ``aws:authenticated`` (an anonymous caller cannot call STS AssumeRole);
* SCPs of the caller's organisation and RCPs of the role's account cap every assumption action modelled here:
  RCPs apply to AWS STS (``sts:`` actions), on the role, which is the resource the request authorizes
  (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html#rcp-supported-services),
  with the role's ``aws:ResourceAccount`` and ``aws:ResourceOrgID``.  An RCP denying callers outside the
  organisation (the data-perimeter example with ``aws:PrincipalOrgID``) removes the edges of outsiders; one that
  lets callers in only through a network narrows each edge to its callers through it, as a trust condition on a
  network does (:meth:`~.population.Population.with_networks`), and so does an SCP confining the caller's
  organisation to a network (:mod:`.perimeter`).  Not for
  a service-linked role: RCPs do not affect a service's ability to assume one, nor calls made by one
  (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html#actions-not-restricted-by-rcps),
  nor a role of the management account.  Organisation policies not in the snapshot are assumed to allow (their
  read is a coverage gap), as for every resource (:func:`~.resource_policy.org_caps`);
* conditions that cannot be decided offline stay on the edge.
"""

from __future__ import annotations

from seenby.model import AWS_PUBLIC, Edge, EdgeKind
from seenby.policies.aws.access import IdentityMode, any_of, conjoin, resource_and_identity
from seenby.policies.aws.candidates import (
    Candidate,
    CandidateKind,
    match_principal,
    noted,
    without_redundant_variants,
)
from seenby.policies.aws.conditions import Tri
from seenby.policies.aws.context import RequestContext
from seenby.policies.aws.document import Effect, PolicyDocument, PrincipalType
from seenby.policies.aws.evaluate import Request
from seenby.policies.aws.iam import Entity, EntityKind, IdentityIndex, is_service_linked_role
from seenby.policies.aws.memo import AwsMemo
from seenby.policies.aws.org import Directory
from seenby.policies.aws.perimeter import Perimeters, rcp_documents
from seenby.policies.aws.population import Population, unique, web_identity_keys
from seenby.policies.aws.resource_policy import caller_identity, org_caps, resource_account_keys

__all__ = ["trust_edges"]

_ASSUME = "sts:AssumeRole"
_FEDERATED_ACTIONS = ("sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML")


def _opens_to_anyone(trust: PolicyDocument, c: Candidate) -> bool:
    """A trust Allow naming public web identity provider ``c`` fixes none of its audience or subject keys: anyone
    who can sign in there may assume the role, which S3 Block Public Access's definition counts as public."""
    keys = {k.lower() for k in web_identity_keys(c.arn or "")}
    if not keys:
        return False
    return any(
        st.effect is Effect.ALLOW
        and match_principal(st, c).value is Tri.TRUE
        and not any(key.lower() in keys for block in st.condition.values() for key in block)
        for st in trust.statements
    )


def _opens_beyond_named(trust: PolicyDocument) -> bool:
    """Some Allow of the trust names "*" or an account (narrowed or not by conditions): the callers are whoever
    of those accounts their own IAM lets assume the role."""
    broad = (PrincipalType.ANY, PrincipalType.ACCOUNT)
    return any(
        st.effect is Effect.ALLOW and any(r.type in broad for r in st.principals or ()) for st in trust.statements
    )


def _resolved_class(c: Candidate, directory: Directory, resolved: frozenset[str]) -> bool:
    """``c`` stands for the principals of an organisation whose every account's IAM is in the snapshot: those able
    to assume the role are candidates of their own, so the class adds nobody and its edge would let in principals
    that cannot assume the role.  The audit rates the actual assumers organisation-wide when together they cover
    the organisation (:mod:`seenby.graph.organisation`).  An OU's class keeps its edge: the graph does not know
    which accounts an OU holds, so the audit could not rate its assumers OU-wide (a known gap)."""
    if c.kind is not CandidateKind.ORGANIZATION or not resolved:
        return False
    org = directory.organizations.get(c.org_id or "")
    return org is not None and org.accounts_complete and bool(org.accounts) and org.accounts <= resolved


def _delegates_to_own_account(trust: PolicyDocument, own: Candidate) -> bool:
    """Some Allow of the trust policy names the role's own account (delegation to its IAM)."""
    return any(st.effect is Effect.ALLOW and match_principal(st, own).via_account for st in trust.statements)


def _holders(
    role: Entity, population: Population, index: IdentityIndex, accounts: frozenset[str] | None = None
) -> list[Candidate]:
    """The users, groups and roles whose own policies may allow sts:AssumeRole on the role: of the role's own
    account, or of ``accounts``."""
    out: list[Candidate] = []
    for entity in index.holders(role.arn, (role.arn,)):
        if entity.account != role.account and (accounts is None or entity.account not in accounts):
            continue
        out.append(population.entity(entity))
        if entity.kind is EntityKind.USER:
            out.extend(population.entity(g) for g in entity.groups)
    return out


def _on_role(memo: AwsMemo, directory: Directory, c: Candidate, role: Entity) -> RequestContext:
    """``c``'s context with the keys of the role's account, as the role account's RCPs see the request (made once
    for each caller and account)."""
    cache_key = ("role-trust", c.key, id(c.context), role.account)
    hit = memo.contexts.get(cache_key)
    if hit is not None and hit[0] is c.context:
        return hit[1]
    merged = c.context.merged(resource_account_keys(directory, role.account))
    memo.contexts[cache_key] = (c.context, merged)
    return merged


def trust_edges(
    role: Entity,
    population: Population,
    directory: Directory,
    index: IdentityIndex | None = None,
    memo: AwsMemo | None = None,
) -> list[Edge]:
    """CAN_ASSUME edges into ``role`` from every candidate its trust policy lets in.

    ``index``: who holds ``sts:AssumeRole`` in identity policies (:class:`~.iam.IdentityIndex`); without it,
    or when the role's account IAM is not in ``population``, a delegation to the own account is an edge from
    the account node.  ``memo``: the snapshot's :class:`~.memo.AwsMemo`, whose identity and organisation-policy
    outcomes the calls for every role share with the resource types (an entity allowed on ``*`` is decided once).
    """
    memo = memo if memo is not None else AwsMemo.of(directory)
    if role.trust is None:
        return []
    rcps_apply = not is_service_linked_role(role.arn)  # its trust policy is beyond RCPs
    own = population.account(role.account)
    candidates: list[Candidate] = [population.authenticated(), own]
    org = directory.org_of(role.account)
    if org is not None:
        candidates.append(population.organization(org.id))
    candidates.extend(population.named_in(role.trust))
    candidates.extend(population.variants(role.trust))
    own_iam = role.account if index is not None and role.account in population.iams else None
    if index is not None and own_iam is not None and _delegates_to_own_account(role.trust, own):
        candidates.extend(_holders(role, population, index))
    # "*" or another account, narrowed by conditions or not: in every account whose IAM the snapshot holds, the
    # callers are the principals whose identity policies allow sts:AssumeRole on the role (as in the own account)
    resolved = frozenset(population.iams) if index is not None and _opens_beyond_named(role.trust) else frozenset()
    if resolved:
        candidates.extend(_holders(role, population, index, resolved))
    edges: list[tuple[Candidate, Edge]] = []
    target = role.principal
    unnamed = {own_iam, *resolved}
    # the networks the trust, the role account's RCPs and each caller's SCPs name: callers through them are
    # candidates of their own (:mod:`.perimeter`)
    rcps = rcp_documents(memo, directory, role.account) if rcps_apply else ()
    perimeters = Perimeters(memo, directory)
    for c in population.with_networks(unique(candidates), (role.trust, *rcps), role.account, perimeters.of_caller):
        if c.key == target.id or _resolved_class(c, directory, resolved):
            continue
        actions = _FEDERATED_ACTIONS if c.kind is CandidateKind.FEDERATED else (_ASSUME,)
        outcomes = []
        for action in actions:
            request = Request(action=action, resource=role.arn, context=c.context)
            # a user of the role's own account is allowed by its own policies here, by its groups' through them;
            # an unnamed principal of an account whose IAM is known adds nobody: those its IAM allows are candidates
            identity, mode = caller_identity(
                population, memo, c, request, unnamed=unnamed, users_own_allows_only=c.account == own_iam
            )
            if c.kind is CandidateKind.FEDERATED:
                mode = IdentityMode.NONE
            outcome = resource_and_identity(
                candidate=c,
                resource_account=role.account,
                resource_docs=[role.trust],
                request=request,
                identity=identity,
                mode=mode,
                entity=None,
                resource_required=True,
            )
            if outcome.allows:
                on_role = Request(action=action, resource=role.arn, context=_on_role(memo, directory, c, role))
                caps = org_caps(
                    memo, directory, c, request, role.account, rcps_apply=rcps_apply, resource_request=on_role
                )
                outcome = conjoin(outcome, caps)
            outcomes.append(outcome)
        best = any_of(*outcomes)
        if not best.allows or not best.evidence:
            continue
        source, evidence = c.principal, noted(c, best.evidence)
        if c.kind is CandidateKind.FEDERATED and _opens_to_anyone(role.trust, c):
            source = AWS_PUBLIC
            evidence = (evidence[0].with_note(f"anyone who can sign in to {c.arn} (no audience or subject fixed)"),
                        *evidence[1:])  # fmt: skip
        edges.append(
            (
                c,
                Edge(
                    source=source,
                    target=target,
                    kind=EdgeKind.CAN_ASSUME,
                    evidence=evidence,
                    conditions=best.conditions,
                ),
            )
        )
    return without_redundant_variants(edges)
