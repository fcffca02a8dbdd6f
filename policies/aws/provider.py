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
    s3.py          bucket layers → grants                 trust.py      trust policies → edges

TODO (next steps, see the module docstrings): object ACLs are read for a bounded
number of objects (object_acls.py; access points: access_points.py; IAM admin: admin.py); session
policies and session tags are not modelled; a user's own Deny does not narrow
what it reaches through a group's grant in the graph (the graph cannot say
"except").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
from seenby.policies.aws.access import IdentityMemo
from seenby.policies.aws.access_points import access_point_grants
from seenby.policies.aws.admin import iam_admin_grants
from seenby.policies.aws.bpa import PublicAccessBlock
from seenby.policies.aws.iam import AccountIam, IdentityIndex, iam_role_arn, load_account_iam, s3_bucket_name
from seenby.policies.aws.kms import KeyRing
from seenby.policies.aws.networks import load_networks
from seenby.policies.aws.object_acls import object_acl_gap
from seenby.policies.aws.org import Directory, load_directory
from seenby.policies.aws.population import Population
from seenby.policies.aws.s3 import BucketEvaluator, all_actions, load_bucket
from seenby.policies.aws.services import SERVICE_EVALUATORS, ServiceContext
from seenby.policies.aws.trust import trust_edges
from seenby.registry import AwsAccountRead, S3BucketRead, TypeName
from seenby.snapshot import Snapshot

__all__ = ["evaluate_snapshot"]


def _load_iam(snapshot: Snapshot) -> tuple[dict[str, AccountIam], dict[str, PublicAccessBlock]]:
    iams: dict[str, AccountIam] = {}
    bpa: dict[str, PublicAccessBlock] = {}
    for res in snapshot.of_type(TypeName.AWS_ACCOUNT):
        account = res.account or res.id
        gaad = res.document(AwsAccountRead.AUTHORIZATION_DETAILS)
        if isinstance(gaad, Mapping):
            iams[account] = load_account_iam(account, gaad)
        bpa[account] = PublicAccessBlock.from_read(
            res.read(AwsAccountRead.PUBLIC_ACCESS_BLOCK), source=account, level="account"
        )
    return iams, bpa


def _canonical_accounts(snapshot: Snapshot) -> dict[str, str]:
    """Canonical user id → account, from the owners of buckets whose account is known."""
    out: dict[str, str] = {}
    for res in snapshot.of_type(TypeName.AWS_S3_BUCKET):
        acl = res.document(S3BucketRead.ACL)
        owner = (acl.get("Owner") or {}).get("ID") if isinstance(acl, Mapping) else None
        if owner and res.account:
            out.setdefault(owner, res.account)
    return out


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
    evaluation = Evaluation()
    directory = load_directory(snapshot)
    iams, account_bpa = _load_iam(snapshot)
    population = Population(
        directory, iams, _canonical_accounts(snapshot), now=snapshot.collected_at_dt, networks=load_networks(snapshot)
    )
    keys = KeyRing(snapshot)

    index = IdentityIndex(actions=(*all_actions(), "kms:Decrypt", "kms:GenerateDataKey", "kms:PutKeyPolicy"))
    # sts:AssumeRole holders apart: one allowed on every role must not become a candidate of every bucket
    assume_index = IdentityIndex(actions=("sts:AssumeRole",))
    for iam in iams.values():
        for entity in iam.entities():
            index.add(entity, name_of=s3_bucket_name)
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
    memo = IdentityMemo()
    for iam in iams.values():
        for role in iam.roles.values():
            edges.extend(trust_edges(role, population, directory, assume_index, memo))
    for edge in _prune(edges, directory, lambda e: (e.target.id,)):
        evaluation.add_edge(edge)

    # buckets
    evaluator = BucketEvaluator(population=population, directory=directory, keys=keys, index=index)
    for res in snapshot.of_type(TypeName.AWS_S3_BUCKET):
        account_level = account_bpa.get(res.account or "") or PublicAccessBlock.from_read(
            None, source=res.account or "unknown account", level="account"
        )
        bucket = load_bucket(res, account_level)
        evaluation.datasets[bucket.arn] = bucket.dataset()
        if (gap := object_acl_gap(res, bucket.object_acls)) is not None:
            evaluation.gaps.append(gap)
        grants = evaluator.grants(bucket) + access_point_grants(evaluator, bucket, res)
        for grant in _prune(grants, directory, lambda g: (g.dataset, g.level)):
            evaluation.add_grant(grant)

    # other data stores and identity sources: one module each (policies/aws/services.py)
    context = ServiceContext(
        snapshot=snapshot, directory=directory, population=population, iams=iams, evaluation=evaluation,
        prune=lambda grants: _prune(grants, directory, lambda g: (g.dataset, g.level)),
    )  # fmt: skip
    for evaluate_service in SERVICE_EVALUATORS:
        evaluate_service(context)

    # admin through IAM: whoever can rewrite a principal that reaches a dataset (policies/aws/admin.py)
    for grant in _prune(iam_admin_grants(evaluation, iams, population, directory), directory, lambda g: (g.dataset,)):
        evaluation.add_grant(grant)

    # people behind classes
    for account, iam in iams.items():
        evaluation.set_class_members(f"arn:aws:iam::{account}:root", iam.users)
    for org in directory.organizations.values():
        members = [a for a, o in directory.account_org.items() if o == org.id]
        evaluation.set_class_members(f"aws-org:{org.id}", (u for a in members if a in iams for u in iams[a].users))
    return evaluation
