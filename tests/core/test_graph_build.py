"""build_graph fills networkx's tables in one pass: the graph equals one built with networkx's own calls."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
from hypothesis import given, settings

from seenby.graph.build import EdgeInfo, build_graph, edge_entries
from seenby.model import Evaluation
from seenby.policies import evaluate
from seenby.snapshot import load_snapshot
from tests.core.test_audience_search import _edges, _evaluation, _grants, _reexposures

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "telemetry-incident" / "snapshot.json"


def _with_networkx(evaluation: Evaluation) -> nx.DiGraph:
    """The straightforward graph: merge repeated edges, then add_nodes_from and add_edges_from."""
    infos: dict[tuple[object, object], EdgeInfo] = {}
    for source, target, kind, evidence, conditions in edge_entries(evaluation):
        if (source, target) in infos:
            infos[source, target].merge(tuple(evidence), tuple(conditions))
        else:
            infos[source, target] = EdgeInfo(kind=kind, evidence=tuple(evidence), conditions=tuple(conditions))
    g = nx.DiGraph()
    g.add_nodes_from(evaluation.principals)
    g.add_edges_from((s, t, {"info": info}) for (s, t), info in infos.items())
    return g


def _tables(g: nx.DiGraph) -> tuple[list[object], list[tuple[object, list[object], list[object]]], list[object]]:
    """Nodes in order, each node's successors and predecessors in order, every edge's data."""
    adjacency = [(n, list(g.succ[n]), list(g.pred[n])) for n in g.nodes]
    return list(g.nodes(data=True)), adjacency, list(g.edges(data=True))


def test_example_organisation_graph_equals_the_networkx_built_one() -> None:
    """The example organisation's graph: same nodes, same adjacency order, same edge evidence and conditions."""
    evaluation = evaluate(load_snapshot(EXAMPLE))

    built = build_graph(evaluation).graph

    assert _tables(built) == _tables(_with_networkx(evaluation))


@settings(max_examples=100, deadline=None)
@given(edges=_edges, grants=_grants, reexposures=_reexposures)
def test_random_graphs_equal_the_networkx_built_ones(edges, grants, reexposures) -> None:
    """Random evaluations (repeated grants merged, conditional ones among them): the same tables."""
    evaluation = _evaluation(edges, grants, reexposures)

    assert _tables(build_graph(evaluation).graph) == _tables(_with_networkx(evaluation))
