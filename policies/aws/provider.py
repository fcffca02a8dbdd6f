"""The AWS evaluator: snapshot documents in, datasets, principals, grants and edges out.

Entry point :func:`evaluate_snapshot` (registered in :mod:`seenby.policies`).
Reads that were denied or failed are not turned into gaps here
(:func:`seenby.policies.gaps.collect_gaps` does that for every provider); they are
never read as "no policy" either: each module says what an unknown layer does
(an unknown bucket policy adds no grant but its gap is reported; unknown Block
Public Access or key policies keep grants, made conditional).

Module map::

    document.py    parse/normalise policy JSON            matching.py   wildcards
    context.py     what is known about a caller           conditions.py Condition operators, tri-valued
    candidates.py  candidates, Principal matching         evaluate.py   one layer → Decision
    population.py  building candidates                    access.py     layers → Outcome
    iam.py         GAAD, identity index                   org.py        organisation, SCPs, RCPs
    bpa.py         Block Public Access, "public"           kms.py        keys, SSE-KMS
    s3.py          bucket layers (S3's hooks)             trust.py      trust policies → edges
    world.py       one snapshot's AWS world, built once   memo.py       the one memo of an evaluation
    resource_policy.py  the one evaluation core: candidates, identity, org caps, grants loop
    services.py    registered types: buckets.py, dynamodb.py, identitycenter.py, quicksight.py, glue.py

TODO (next steps, see the module docstrings): object ACLs are read for a bounded
number of objects (object_acls.py; access points: access_points.py; IAM admin: admin.py); session
policies and session tags are not modelled; a user's own Deny does not narrow
what it reaches through a group's grant in the graph (the graph cannot say
"except").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seenby.model import (
    AWS_ANY_SERVICE,
    Edge,
    EdgeKind,
    Evaluation,
    Evidence,
    EvidenceKind,
    Principal,
    PrincipalKind,
)
from seenby.policies.aws.admin import iam_admin_grants
from seenby.policies.aws.iam import IdentityIndex, iam_role_arn
from seenby.policies.aws.org import Directory
from seenby.policies.aws.services import SERVICE_EVALUATORS, ServiceContext
from seenby.policies.aws.trust import trust_edges
from seenby.policies.aws.world import AwsWorld
from seenby.snapshot import Snapshot

__all__ = ["evaluate_snapshot", "evaluate_world"]


def _broad_keys(p: Principal, directory: Directory) -> set[str]:
    """The class keys ``p`` is contained in, itself included (public ⊇ authenticated ⊇ org ⊇ account)."""
    if p.kind is PrincipalKind.PUBLIC:
        return {"public"}
    if p.id == AWS_ANY_SERVICE.id:
        return {"any-service"}
    if p.kind is PrincipalKind.ANY_AUTHENTICATED:
        return {"authenticated"}
    if p.kind is PrincipalKind.ORGANIZATION:
        return {f"org:{p.id.split(':', 1)[1]}"}
    if p.kind is PrincipalKind.ORG_UNIT:
        return {f"ou:{p.id}"}
    if p.kind is PrincipalKind.ACCOUNT:
        return {f"account:{p.account}"}
    return set()


def _containers(p: Principal, directory: Directory) -> set[str]:
    """Keys of the broader classes that contain every principal of class ``p``."""
    if p.kind is PrincipalKind.NETWORK:
        # callers through a network a policy names: a grant to anyone says as much
        return {"public"}
    if p.kind is PrincipalKind.SERVICE_FOR:
        return {"public", "any-service"}
    if p.id.startswith("aws-root-user:"):
        # the root user is one of its account's principals
        out = {"public", "authenticated", f"account:{p.account}"}
        org = directory.org_of(p.account)
        if org is not None:
            out.add(f"org:{org.id}")
        return out
    if p.id == AWS_ANY_SERVICE.id:
        # a grant to any authenticated principal under no more conditions says as much
        return {"public", "authenticated"}
    if p.kind is PrincipalKind.ANY_AUTHENTICATED:
        return {"public"}
    if p.kind is PrincipalKind.ORGANIZATION:
        return {"public", "authenticated"}
    if p.kind is PrincipalKind.ORG_UNIT:
        org = p.id.split(":", 1)[1].split("/", 1)[0]
        return {"public", "authenticated", f"org:{org}"}
    if p.kind is PrincipalKind.ACCOUNT:
        out = {"public", "authenticated"}
        org = directory.org_of(p.account)
        if org is not None:
            out.add(f"org:{org.id}")
        return out
    return set()


def _condition_texts(item: Any) -> frozenset[str]:
    return frozenset(c.text + c.reason for c in item.conditions)


def _prune(items: list[Any], directory: Directory, key_of: Callable[[Any], tuple[str, ...]]) -> list[Any]:
    """Drop class grants/edges implied by a broader class on the same target under no more conditions."""
    broad: dict[tuple[str, ...], list[tuple[str, frozenset[str]]]] = {}
    for item in items:
        p = item.source if isinstance(item, Edge) else item.principal
        keys = _broad_keys(p, directory)
        if keys:
            conditions = _condition_texts(item)
            broad.setdefault(key_of(item), []).extend((k, conditions) for k in keys)
    if not broad:
        return items
    out = []
    for item in items:
        wider = broad.get(key_of(item))
        if wider:
            p = item.source if isinstance(item, Edge) else item.principal
            containers = _containers(p, directory)
            if any(k in containers for k, _ in wider):
                conditions = _condition_texts(item)
                if any(k in containers and cond <= conditions for k, cond in wider):
                    continue
        out.append(item)
    return out


def evaluate_snapshot(snapshot: Snapshot) -> Evaluation:
    """Evaluate every AWS resource of ``snapshot``."""
    return evaluate_world(AwsWorld.build(snapshot))


def evaluate_world(world: AwsWorld) -> Evaluation:
    """Evaluate every AWS resource of ``world``'s snapshot."""
    evaluation = Evaluation()
    directory, iams, population = world.directory, world.iams, world.population

    # sts:AssumeRole holders apart: one allowed on every role must not become a candidate of every bucket
    assume_index = IdentityIndex(actions=("sts:AssumeRole",))
    for iam in iams.values():
        for entity in iam.entities():
            assume_index.add(entity, name_of=iam_role_arn)
            evaluation.add_principal(entity.principal)

    # membership
    for iam in iams.values():
        for user in iam.users.values():
            for group in user.groups:
                evaluation.add_edge(
                    Edge(
                        source=user.principal,
                        target=group.principal,
                        kind=EdgeKind.MEMBER_OF,
                        evidence=(
                            Evidence(
                                kind=EvidenceKind.GROUP_MEMBERSHIP,
                                source=user.arn,
                                location="GroupList",
                                excerpt=group.name,
                            ),
                        ),
                    )
                )

    # trust
    edges: list[Edge] = []
    for iam in iams.values():
        for role in iam.roles.values():
            edges.extend(trust_edges(role, population, directory, assume_index, world.memo))
    for edge in _prune(edges, directory, lambda e: (e.target.id,)):
        evaluation.add_edge(edge)

    # data stores and identity sources, S3 first: one module each (policies/aws/services.py)
    context = ServiceContext(
        world=world, evaluation=evaluation,
        prune=lambda grants: _prune(grants, directory, lambda g: (g.dataset, g.level)),
    )  # fmt: skip
    for evaluate_service in SERVICE_EVALUATORS:
        evaluate_service(context)

    # admin through IAM: whoever can rewrite a principal that reaches a dataset (policies/aws/admin.py)
    admin = iam_admin_grants(evaluation, iams, population, directory, world.memo)
    for grant in _prune(admin, directory, lambda g: (g.dataset,)):
        evaluation.add_grant(grant)

    # people behind classes
    for account, iam in iams.items():
        evaluation.set_class_members(f"arn:aws:iam::{account}:root", iam.users)
    for org in directory.organizations.values():
        members = [a for a, o in directory.account_org.items() if o == org.id]
        evaluation.set_class_members(f"aws-org:{org.id}", (u for a in members if a in iams for u in iams[a].users))
    return evaluation
