"""Build the reachability graph from an :class:`~seenby.model.Evaluation`.

Nodes are principal ids (strings) and dataset-access nodes ``(dataset_id, level)``.
Edges point the way access flows, from who to what:

- ``member-of`` / ``can-assume`` / ``can-impersonate`` / ``permission-set``: principal → principal
- ``grant``: principal → ``(dataset, level)``
- ``re-exposes``: ``(via, read)`` → ``(dataset, read)``: whoever reads ``via`` reads ``dataset``
- ``flows-to``: ``(copy, read)`` → ``(source, level)``: whoever reads a copy reaches the source's
  data (``read``) or its metadata (``list``), per what the flow carries (:func:`flow_edges`)

Each edge's kind is a :class:`GraphEdgeKind` (its value is the name above).

Each edge keeps its evidence and conditions; where several documents open the same
edge, an unconditional one wins and the others stay as further evidence.  Broad
classes (public, an organisation) are single nodes, never expanded.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import networkx as nx

from seenby.gcpolicy import bulk_work
from seenby.model import AccessLevel, Carries, Condition, Dataset, EdgeKind, Evaluation, Evidence, Flow, Principal

__all__ = ["DatasetNode", "EdgeInfo", "GraphEdgeKind", "ReachGraph", "build_graph", "flow_edges"]


class DatasetNode(NamedTuple):
    """A dataset at one access level: the graph node grants and re-exposures lead to (a tuple, so plain
    ``(dataset, level)`` pairs find it too)."""

    dataset: str
    level: AccessLevel


class GraphEdgeKind(StrEnum):
    """What one graph edge is: a principal edge (:class:`~seenby.model.EdgeKind`, same values), a grant into a
    dataset node, a re-exposure or a flow.  The values are the names the graph index stores."""

    MEMBER_OF = EdgeKind.MEMBER_OF.value
    CAN_ASSUME = EdgeKind.CAN_ASSUME.value
    CAN_IMPERSONATE = EdgeKind.CAN_IMPERSONATE.value
    PERMISSION_SET = EdgeKind.PERMISSION_SET.value
    GRANT = "grant"  # principal → DatasetNode; its level is the node's (a path step says grant:LEVEL)
    RE_EXPOSES = "re-exposes"
    FLOWS_TO = "flows-to"

    @staticmethod
    def of(kind: EdgeKind) -> GraphEdgeKind:
        """The graph edge of a principal-to-principal edge."""
        return _OF_EDGE_KIND[kind]


_OF_EDGE_KIND = {kind: GraphEdgeKind(kind.value) for kind in EdgeKind}


@dataclass(kw_only=True, slots=True)
class EdgeInfo:
    """What one graph edge means and why it exists."""

    kind: GraphEdgeKind
    evidence: tuple[Evidence, ...]
    conditions: tuple[Condition, ...] = ()
    # further documents that open the same edge (their evidence and conditions), in the order found
    alternatives: tuple[tuple[tuple[Evidence, ...], tuple[Condition, ...]], ...] = ()

    @property
    def conditional(self) -> bool:
        return bool(self.conditions)

    def merge(self, evidence: tuple[Evidence, ...], conditions: tuple[Condition, ...]) -> None:
        """Another document opens the same edge: keep the least conditional as primary."""
        if self.conditions and not conditions:
            self.alternatives = (*self.alternatives, (self.evidence, self.conditions))
            self.evidence, self.conditions = evidence, conditions
        else:
            self.alternatives = (*self.alternatives, (evidence, conditions))


@dataclass(kw_only=True)
class ReachGraph:
    """The graph plus the records it was built from, for labels and counts."""

    graph: nx.DiGraph
    principals: dict[str, Principal]
    datasets: dict[str, Dataset]
    class_people: dict[str, int]
    class_members: dict[str, frozenset[str]]
    account_orgs: dict[str, str]
    flows: tuple[Flow, ...] = ()  # copies between datasets (docs/flows.md): for declarations copies inherit

    @property
    def predecessors(self) -> Mapping[object, Mapping[object, dict[str, EdgeInfo]]]:
        """node → {predecessor: edge data}: the DiGraph's own predecessor table, for searches.

        Read only.  It is the dict networkx keeps (``_pred``) rather than the ``pred`` view,
        whose per-node wrapper costs four times as much in the audience searches.
        """
        return self.graph._pred  # type: ignore[no-any-return]

    @property
    def successors(self) -> Mapping[object, Mapping[object, dict[str, EdgeInfo]]]:
        """node → {successor: edge data}, as :attr:`predecessors` (read only)."""
        return self.graph._succ  # type: ignore[no-any-return]

    def info(self, source: object, target: object) -> EdgeInfo:
        return self.graph.edges[source, target]["info"]

    def principal(self, pid: str) -> Principal:
        return self.principals[pid]


def flow_edges(flow: Flow) -> list[tuple[DatasetNode, DatasetNode]]:
    """The graph edges of one flow (docs/flows.md): the copy's readers reach the source at the level it carries;
    a copy of the data also lets whoever lists the copy list the source."""
    edges = [(DatasetNode(flow.destination, AccessLevel.READ), DatasetNode(flow.source, flow.carries.level))]
    if flow.carries is not Carries.METADATA:
        edges.append((DatasetNode(flow.destination, AccessLevel.LIST), DatasetNode(flow.source, AccessLevel.LIST)))
    return edges


def edge_entries(
    evaluation: Evaluation,
) -> Iterator[tuple[object, object, GraphEdgeKind, tuple[Evidence, ...], tuple[Condition, ...]]]:
    """Every edge ``evaluation`` opens, as (source, target, kind, evidence, conditions), in the order the graph adds
    them: membership and assumption edges, grants, re-exposures, flows.  The one place that order is defined (the
    history's graph index replays it)."""
    grant, reexposes, flows_to = GraphEdgeKind.GRANT, GraphEdgeKind.RE_EXPOSES, GraphEdgeKind.FLOWS_TO
    for edge in evaluation.edges:
        yield edge.source.id, edge.target.id, GraphEdgeKind.of(edge.kind), edge.evidence, edge.conditions
    for g in evaluation.grants:
        yield g.principal.id, DatasetNode(g.dataset, g.level), grant, g.evidence, g.conditions
    for rx in evaluation.reexposures:
        yield (DatasetNode(rx.via, AccessLevel.READ), DatasetNode(rx.dataset, AccessLevel.READ), reexposes, rx.evidence,
               rx.conditions)  # fmt: skip
    for flow in evaluation.flows:
        for copy, source in flow_edges(flow):
            yield copy, source, flows_to, (flow.evidence[0].with_note(flow.summary), *flow.evidence[1:]), ()


@bulk_work
def build_graph(evaluation: Evaluation) -> ReachGraph:
    """The graph of ``evaluation``: its principals, then every edge in the order it first appears (so adjacency
    order, and with it every shortest explaining path, is as if added one by one), a repeated edge merged into
    the first (:meth:`EdgeInfo.merge`).

    One pass fills the DiGraph's own tables (``_node``, ``_succ``, ``_pred``) as ``add_edges_from`` would,
    without its per-edge checks and copies; tests/core/test_graph_build.py holds it to a graph built with
    networkx's own calls.
    """
    g = nx.DiGraph()
    g.add_nodes_from(evaluation.principals)
    nodes, succ, pred = g._node, g._succ, g._pred
    for source, target, kind, evidence, conditions in edge_entries(evaluation):
        out = succ.get(source)
        if out is None:
            out = succ[source] = {}
            pred[source], nodes[source] = {}, {}
        data = out.get(target)
        if data is None:
            if target not in succ:
                succ[target], pred[target], nodes[target] = {}, {}, {}
            info = EdgeInfo(kind=kind, evidence=tuple(evidence), conditions=tuple(conditions))
            out[target] = pred[target][source] = {"info": info}
        else:
            data["info"].merge(tuple(evidence), tuple(conditions))
    return ReachGraph(
        graph=g,
        principals=dict(evaluation.principals),
        datasets=dict(evaluation.datasets),
        class_people=dict(evaluation.class_people),
        class_members=dict(evaluation.class_members),
        account_orgs=dict(evaluation.account_orgs),
        flows=tuple(evaluation.flows),
    )
