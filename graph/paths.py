"""The one path builder: nodes of the reachability graph in, :class:`~seenby.findings.PathStep` records out.

who-can-read and the audit (:mod:`.audience`), what-can-read (:mod:`seenby.queries`) and
``why`` (:mod:`seenby.explain`) all describe a path this way: each step names its node, its
label and the edge (:class:`~seenby.findings.Via`) it leaves by, with that edge's evidence and
conditions; the last step is the dataset.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from seenby.findings import PathStep, StepKind, Via
from seenby.graph.build import GraphEdgeKind, ReachGraph

__all__ = ["node_label", "path_steps", "step_via"]


def node_label(rg: ReachGraph, node: object) -> str:
    """A dataset node's dataset name, a principal's label, or the node itself."""
    if isinstance(node, tuple):
        ds = rg.datasets.get(node[0])
        return ds.name if ds else str(node[0])
    p = rg.principals.get(node)  # type: ignore[call-overload]
    return p.label if p else str(node)


def step_via(kind: GraphEdgeKind, target: object) -> Via:
    """The :class:`Via` of an edge of ``kind`` into ``target`` (a grant carries the level of its dataset node)."""
    return Via.grant(target[1]) if kind is GraphEdgeKind.GRANT else Via(kind.value)  # type: ignore[index]


def path_steps(rg: ReachGraph, nodes: Sequence[object]) -> tuple[PathStep, ...]:
    """The steps of the path through ``nodes`` (a principal or dataset node first, a dataset node last)."""
    steps: list[PathStep] = []
    for a, b in pairwise(nodes):
        info = rg.info(a, b)
        steps.append(
            PathStep(
                node=str(a[0]) if isinstance(a, tuple) else str(a),
                kind=StepKind.DATASET if isinstance(a, tuple) else StepKind.PRINCIPAL,
                label=node_label(rg, a), via=step_via(info.kind, b), evidence=info.evidence,
                conditions=info.conditions,
            )
        )  # fmt: skip
    last = nodes[-1]
    steps.append(PathStep(node=str(last[0]), kind=StepKind.DATASET, label=node_label(rg, last)))  # type: ignore[index]
    return tuple(steps)
