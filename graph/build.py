"""Build the reachability graph from an :class:`~seenby.model.Evaluation`.

Nodes are principal ids (strings) and dataset-access nodes ``(dataset_id, level)``.
Edges point the way access flows, from who to what:

- ``member-of`` / ``can-assume`` / ``can-impersonate`` / ``permission-set``: principal → principal
- ``grant``: principal → ``(dataset, level)``
- ``re-exposes``: ``(via, read)`` → ``(dataset, read)``: whoever reads ``via`` reads ``dataset``

Each edge keeps its evidence and conditions; where several documents open the same
edge, an unconditional one wins and the others stay as further evidence.  Broad
classes (public, an organisation) are single nodes, never expanded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx

from seenby.model import AccessLevel, Condition, Dataset, Evaluation, Evidence, Principal

__all__ = ["DatasetNode", "EdgeInfo", "ReachGraph", "build_graph"]

DatasetNode = tuple[str, AccessLevel]

GRANT = "grant"
REEXPOSES = "re-exposes"


@dataclass(kw_only=True, slots=True)
class EdgeInfo:
    """What one graph edge means and why it exists."""

    kind: str  # an EdgeKind value, "grant" or "re-exposes"
    evidence: tuple[Evidence, ...]
    conditions: tuple[Condition, ...] = ()
    alternatives: list[tuple[tuple[Evidence, ...], tuple[Condition, ...]]] = field(default_factory=list)

    @property
    def conditional(self) -> bool:
        return bool(self.conditions)

    def merge(self, evidence: tuple[Evidence, ...], conditions: tuple[Condition, ...]) -> None:
        """Another document opens the same edge: keep the least conditional as primary."""
        if self.conditions and not conditions:
            self.alternatives.append((self.evidence, self.conditions))
            self.evidence, self.conditions = evidence, conditions
        else:
            self.alternatives.append((evidence, conditions))


@dataclass(kw_only=True)
class ReachGraph:
    """The graph plus the records it was built from, for labels and counts."""

    graph: nx.DiGraph
    principals: dict[str, Principal]
    datasets: dict[str, Dataset]
    class_people: dict[str, int]
    class_members: dict[str, frozenset[str]]
    account_orgs: dict[str, str]

    def info(self, source: object, target: object) -> EdgeInfo:
        return self.graph.edges[source, target]["info"]

    def principal(self, pid: str) -> Principal:
        return self.principals[pid]


def _add(
    g: nx.DiGraph,
    source: object,
    target: object,
    kind: str,
    evidence: Iterable[Evidence],
    conditions: Iterable[Condition],
) -> None:
    ev, cond = tuple(evidence), tuple(conditions)
    if g.has_edge(source, target):
        g.edges[source, target]["info"].merge(ev, cond)
    else:
        g.add_edge(source, target, info=EdgeInfo(kind=kind, evidence=ev, conditions=cond))


def build_graph(evaluation: Evaluation) -> ReachGraph:
    g = nx.DiGraph()
    g.add_nodes_from(evaluation.principals)
    for edge in evaluation.edges:
        _add(g, edge.source.id, edge.target.id, edge.kind.value, edge.evidence, edge.conditions)
    for grant in evaluation.grants:
        _add(g, grant.principal.id, (grant.dataset, grant.level), GRANT, grant.evidence, grant.conditions)
    for rx in evaluation.reexposures:
        _add(g, (rx.via, AccessLevel.READ), (rx.dataset, AccessLevel.READ), REEXPOSES, rx.evidence, rx.conditions)
    return ReachGraph(
        graph=g,
        principals=dict(evaluation.principals),
        datasets=dict(evaluation.datasets),
        class_people=dict(evaluation.class_people),
        class_members=dict(evaluation.class_members),
        account_orgs=dict(evaluation.account_orgs),
    )
