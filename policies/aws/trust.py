"""Role trust policies → CAN_ASSUME edges.

https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html:

* the trust policy must allow the caller itself (``sts:AssumeRole``;
  ``sts:AssumeRoleWithWebIdentity`` / ``sts:AssumeRoleWithSAML`` for federated
  providers).  As for KMS key policies, an identity-policy Allow alone is not
  enough in the same account;
* a trust naming an account (``"AWS": "111122223333"`` or its ``:root``)
  delegates to that account: the edge leaves the account node, and for the
  role's own account the caller's identity policies must also allow;
* a same-account principal named directly needs no identity Allow, but an
  explicit Deny of ``sts:AssumeRole`` in its identity policies removes the edge
  (kept simple: the role ARN is the resource, session policies are not modelled);
* ``{"AWS": "*"}`` with ``aws:PrincipalOrgID`` gives an edge from the
  organisation node; without a condition, from ``aws:authenticated`` (an
  anonymous caller cannot call STS AssumeRole);
* conditions that cannot be decided offline stay on the edge.
"""

from __future__ import annotations

from seenby.model import Edge, EdgeKind
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
from seenby.policies.aws.candidates import Candidate, CandidateKind
from seenby.policies.aws.evaluate import Request
from seenby.policies.aws.iam import Entity
from seenby.policies.aws.org import Directory
from seenby.policies.aws.population import Population, unique

__all__ = ["trust_edges"]

_ASSUME = "sts:AssumeRole"
_FEDERATED_ACTIONS = ("sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML")


def _identity(population: Population, c: Candidate, request: Request) -> tuple[Outcome, IdentityMode]:
    entity = population.entity_of.get(c.key)
    if entity is not None:
        return identity_outcome(entity, request), IdentityMode.EVALUATED
    if c.kind in (CandidateKind.SERVICE, CandidateKind.FEDERATED, CandidateKind.PUBLIC):
        return NOT_ALLOWED, IdentityMode.NONE
    return ALLOWED, IdentityMode.ASSUMED


def trust_edges(role: Entity, population: Population, directory: Directory) -> list[Edge]:
    """CAN_ASSUME edges into ``role`` from every candidate its trust policy lets in."""
    if role.trust is None:
        return []
    candidates: list[Candidate] = [population.authenticated(), population.account(role.account)]
    org = directory.org_of(role.account)
    if org is not None:
        candidates.append(population.organization(org.id))
    candidates.extend(population.named_in(role.trust))
    edges: list[Edge] = []
    target = role.principal
    for c in unique(candidates):
        if c.key == target.id:
            continue
        actions = _FEDERATED_ACTIONS if c.kind is CandidateKind.FEDERATED else (_ASSUME,)
        outcomes = []
        for action in actions:
            request = Request(action=action, resource=role.arn, context=c.context)
            identity, mode = _identity(population, c, request)
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
                org_id = c.principal.id.split(":", 1)[1] if c.kind is CandidateKind.ORGANIZATION else None
                cap = org_policy_outcome(directory, c.account, request, None, org_id=org_id)
                outcome = conjoin(outcome, cap)
            outcomes.append(outcome)
        best = any_of(*outcomes)
        if not best.allows or not best.evidence:
            continue
        edges.append(
            Edge(
                source=c.principal,
                target=target,
                kind=EdgeKind.CAN_ASSUME,
                evidence=best.evidence,
                conditions=best.conditions,
            )
        )
    return edges
