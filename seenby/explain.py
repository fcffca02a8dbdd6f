"""``seenby why``: why a principal can (or cannot) reach a dataset, provider-neutral.

Two complementary answers make an :class:`ExplanationReport`:

* **graph paths** (:func:`graph_paths`): every simple path in the reachability
  graph from the principal to the dataset, shortest first and bounded, each step
  with the evidence of its edge — so "why can the organisation read this" shows
  both the bucket-policy grant and the role it can assume.  A principal that is
  a member of a broader class (an IAM role inside organisation ``o-x``) also gets
  the paths of those classes, marked ``within``;
* **layers** (AWS only, :mod:`seenby.policies.aws.explain`): the evaluator's own
  decision for each action of the level, broken down layer by layer (identity
  policies, bucket policy, ACL, Object Ownership, Block Public Access, SCP, RCP,
  permissions boundary, KMS key policy, access points), naming the statements
  that allowed and those that would have denied.

The models here are rendered by ``seenby.reports.explain``; they never print
themselves.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import networkx as nx

from seenby.config import Rules
from seenby.errors import UsageError
from seenby.findings import PathStep, StepKind, Via
from seenby.graph.audience import enclosing_classes
from seenby.graph.build import ReachGraph
from seenby.graph.paths import path_steps
from seenby.history.provenance import Provenance
from seenby.model import (
    AccessLevel,
    Condition,
    CoverageGap,
    Dataset,
    DatasetKind,
    Evaluation,
    Evidence,
    Principal,
    PrincipalKind,
    Provider,
)
from seenby.policies.aws.world import AwsWorld
from seenby.snapshot import Snapshot

__all__ = [
    "MAX_PATHS",
    "WITHIN",
    "ActionExplanation",
    "Answer",
    "ExplanationReport",
    "Layer",
    "LayerKind",
    "LayerStatus",
    "container_candidates",
    "explain",
    "explain_dataset",
    "graph_paths",
    "paths_answer",
]

WITHIN = Via.WITHIN  # the via of a step from a principal to a class that contains it
MAX_PATHS = 20


class Answer(StrEnum):
    """The overall answer to "can PRINCIPAL reach DATASET at LEVEL"."""

    ALLOWED = "allowed"
    CONDITIONAL = "conditional"  # only if a condition seenby cannot decide offline holds
    DENIED = "denied"  # an explicit Deny decides
    NOT_ALLOWED = "not-allowed"  # nothing allows (implicit deny)

    @property
    def allows(self) -> bool:
        return self in (Answer.ALLOWED, Answer.CONDITIONAL)


class LayerKind(StrEnum):
    """One layer of an AWS decision, in the order they are shown."""

    IDENTITY = "identity-policies"
    PERMISSION_BOUNDARY = "permission-boundary"
    RESOURCE_POLICY = "resource-policy"
    ACCESS_POINT = "access-point"
    ACL = "acl"
    OBJECT_OWNERSHIP = "object-ownership"
    BLOCK_PUBLIC_ACCESS = "block-public-access"
    SCP = "service-control-policies"
    RCP = "resource-control-policies"
    KMS_KEY_POLICY = "kms-key-policy"


class LayerStatus(StrEnum):
    """What one layer says about one request."""

    ALLOWS = "allows"
    CONDITIONAL = "conditional"  # allows only if a condition holds
    DENIES = "denies"  # an explicit Deny, or a setting that removes access
    NO_ALLOW = "no-allow"  # nothing in this layer allows (implicit deny)
    ASSUMED = "assumed"  # not in the snapshot by nature (another account's IAM): assumed able to allow
    NOT_APPLICABLE = "not-applicable"
    UNKNOWN = "unknown"  # a coverage gap: the document could not be read


@dataclass(frozen=True, kw_only=True, slots=True)
class Layer:
    """One layer's say: its status, the statements that allowed, those that would have denied."""

    kind: LayerKind
    status: LayerStatus
    summary: str
    allowing: tuple[Evidence, ...] = ()
    denying: tuple[Evidence, ...] = ()  # explicit Denies that applied or might have, partial Denies
    conditions: tuple[Condition, ...] = ()
    decisive: bool = False  # this layer is why the request is denied / not allowed


@dataclass(frozen=True, kw_only=True, slots=True)
class ActionExplanation:
    """The evaluator's decision on one action, for one caller, with every layer."""

    action: str
    resource: str
    caller: Principal  # who the request is evaluated as (the principal itself, or one of its groups)
    answer: Answer
    layers: tuple[Layer, ...]
    evidence: tuple[Evidence, ...] = ()  # every statement that had to allow
    conditions: tuple[Condition, ...] = ()
    reason: str = ""
    via: str | None = None  # an access point ARN, when the request goes through one


@dataclass(frozen=True, kw_only=True)
class ExplanationReport:
    """Why ``principal`` can or cannot reach ``dataset`` at ``level``."""

    principal: Principal
    dataset: Dataset
    level: AccessLevel
    answer: Answer
    paths: tuple[tuple[PathStep, ...], ...]
    actions: tuple[ActionExplanation, ...] = ()
    paths_truncated: bool = False
    notes: tuple[str, ...] = ()
    gaps: tuple[CoverageGap, ...] = ()
    collected_at: str = ""
    snapshot_source: str | None = None
    classification: str | None = None
    declared: tuple[str, ...] = field(default_factory=tuple)
    provenance: Provenance | None = None  # the recorded scan answered from (why --at/--store), and its age
    collector: Mapping[str, Any] = field(default_factory=dict)  # the snapshot's: who collected it, how
    scope: Mapping[str, Any] = field(default_factory=dict)  # the snapshot's: which accounts/projects it covers


# -- graph paths ---------------------------------------------------------------------------


def _containers(principal: Principal, rg: ReachGraph) -> list[str]:
    """Class nodes of the graph that contain ``principal`` (narrowest first)."""
    return [c for c in container_candidates(principal, rg.account_orgs) if c in rg.graph]


def container_candidates(principal: Principal, account_orgs: Mapping[str, str]) -> list[str]:
    """The ids of the classes that contain ``principal`` (narrowest first), in the graph or not:
    the starts of :func:`graph_paths` besides the principal, those the graph holds."""
    out = list(enclosing_classes(principal, account_orgs))
    if principal.provider is Provider.AWS and principal.kind not in (PrincipalKind.PUBLIC,):
        if principal.kind is not PrincipalKind.ANY_AUTHENTICATED:
            out.append("aws:authenticated")
        out.append("aws:public")
    elif principal.provider is Provider.GCP and principal.kind is not PrincipalKind.PUBLIC:
        if principal.kind is not PrincipalKind.ANY_AUTHENTICATED:
            out.append("allAuthenticatedUsers")
        out.append("allUsers")
    return [c for c in dict.fromkeys(out) if c != principal.id]


def graph_paths(
    rg: ReachGraph, principal: Principal, dataset_id: str, level: AccessLevel, *, limit: int = MAX_PATHS
) -> tuple[tuple[tuple[PathStep, ...], ...], bool]:
    """Up to ``limit`` simple paths from ``principal`` to ``(dataset_id, level)``, shortest first.

    Paths of the classes that contain the principal follow its own, their first
    step marked :data:`WITHIN`.  Returns the paths and whether more exist.
    """
    target = (dataset_id, level)
    if target not in rg.graph:
        return (), False
    out: list[tuple[PathStep, ...]] = []
    truncated = False
    starts: list[tuple[str, str | None]] = [(principal.id, None)]
    starts += [(c, c) for c in _containers(principal, rg)]
    for start, container in starts:
        if start not in rg.graph:
            continue
        try:
            found = list(itertools.islice(nx.shortest_simple_paths(rg.graph, start, target), limit - len(out) + 1))
        except nx.NetworkXNoPath:
            continue
        if len(found) > limit - len(out):
            found, truncated = found[: limit - len(out)], True
        for nodes in found:
            steps = path_steps(rg, nodes)
            if container is not None:
                head = PathStep(
                    node=principal.id, kind=StepKind.PRINCIPAL, label=principal.label, via=WITHIN,
                )  # fmt: skip
                steps = (head, *steps)
            out.append(steps)
        if len(out) >= limit:
            truncated = truncated or start != starts[-1][0]
            break
    return tuple(out), truncated


def paths_answer(paths: tuple[tuple[PathStep, ...], ...]) -> Answer:
    """ALLOWED when some path has no condition, CONDITIONAL when all have one, NOT_ALLOWED without a path."""
    if not paths:
        return Answer.NOT_ALLOWED
    if any(not any(s.conditions for s in p) for p in paths):
        return Answer.ALLOWED
    return Answer.CONDITIONAL


# -- the query -----------------------------------------------------------------------------


def _combine(answers: list[Answer]) -> Answer:
    for wanted in (Answer.ALLOWED, Answer.CONDITIONAL, Answer.DENIED):
        if wanted in answers:
            return wanted
    return Answer.NOT_ALLOWED


def explain(
    snapshot: Snapshot,
    evaluation: Evaluation,
    rg: ReachGraph,
    principal_ref: str,
    dataset_ref: str,
    level: AccessLevel = AccessLevel.READ,
    *,
    rules: Rules | None = None,
    max_paths: int = MAX_PATHS,
    aws_world: AwsWorld | None = None,
) -> ExplanationReport:
    """Why ``principal_ref`` can (or cannot) reach ``dataset_ref`` at ``level``.

    For an S3 bucket the evaluator's decision is broken down layer by layer for the
    principal (and, for an IAM user, for each of its groups); for every dataset the
    graph paths from the principal are listed with their evidence.
    """
    from seenby.queries import find_dataset

    dataset = find_dataset(rg, dataset_ref)
    # the world the audit evaluated with: built once per snapshot by the caller that asks many times
    return explain_dataset(
        dataset, principal_ref, level, principal_of=rg.principals.get, graph_for=lambda _: rg,
        world=lambda: aws_world if aws_world is not None else AwsWorld.build(snapshot), gaps=evaluation.gaps,
        header=snapshot, rules=rules, max_paths=max_paths,
    )  # fmt: skip


def explain_dataset(
    dataset: Dataset,
    principal_ref: str,
    level: AccessLevel,
    *,
    principal_of: Callable[[str], Principal | None],
    graph_for: Callable[[Principal], ReachGraph],
    world: Callable[[], AwsWorld],
    gaps: Iterable[CoverageGap],
    header: Snapshot,
    rules: Rules | None = None,
    max_paths: int = MAX_PATHS,
) -> ExplanationReport:
    """:func:`explain` for ``dataset``, from whatever holds the graph: ``principal_of`` (a graph principal
    by id, or None), ``graph_for`` (a graph holding every path from a principal and the classes that
    contain it to the dataset: the whole graph, or the part a graph index reads), ``world`` (the
    snapshot's AWS world, built only for an AWS dataset) and ``header`` (the snapshot, for its
    collection time, source, collector and scope; its resources are not read)."""
    notes: list[str] = []
    actions: tuple[ActionExplanation, ...] = ()
    principal = principal_of(principal_ref)
    if dataset.provider is Provider.AWS:
        from seenby.policies.aws.explain import explain_bucket, resolve_candidates, unknown_reference

        aws = world()
        candidates = resolve_candidates(aws, principal_ref)
        unknown = unknown_reference(aws, principal_ref)
        if unknown:
            notes.append(unknown)
        if candidates:
            principal = principal_of(candidates[0].principal.id) or candidates[0].principal
            if dataset.kind is DatasetKind.S3_BUCKET:
                actions = explain_bucket(aws, candidates, dataset.id, level)
            else:
                notes.append(f"layer-by-layer decisions cover S3 buckets; {dataset.kind.value} is explained by paths")
    else:
        notes.append("layer-by-layer decisions are AWS-only; for Google Cloud the paths name each binding")
    if principal is None:
        raise UsageError(
            f"no principal {principal_ref!r} in the snapshot (give an ARN, aws-org:o-…, aws:public, "
            "aws:authenticated, arn:aws:iam::ACCOUNT:root, or an IAM member such as user:x@corp.example)"
        )
    paths, truncated = graph_paths(graph_for(principal), principal, dataset.id, level, limit=max_paths)
    if any(p and p[0].via == WITHIN for p in paths):
        notes.append(
            "paths marked 'within' go through a class that contains the principal: they hold for it unless its "
            "own policies deny (the layers evaluate it as itself)"
        )
    if truncated:
        notes.append(f"only the {max_paths} shortest paths are shown")
    answer = _combine([a.answer for a in actions] + [paths_answer(paths)])
    decl = rules.declaration_for(dataset) if rules else None
    return ExplanationReport(
        principal=principal, dataset=dataset, level=level, answer=answer, paths=paths, actions=actions,
        paths_truncated=truncated, notes=tuple(notes),
        gaps=tuple(g for g in gaps if dataset.id in g.datasets), collected_at=header.collected_at,
        snapshot_source=header.source, classification=decl.classification if decl else None,
        declared=decl.audience.for_level(level, dataset) if decl else (), collector=dict(header.collector),
        scope=dict(header.scope),
    )  # fmt: skip
