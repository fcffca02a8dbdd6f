"""The graph's vocabulary is typed: dataset nodes, the edge a path step leaves by (with its level), rule ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from seenby.audit import audit_evaluation
from seenby.config import load_rules
from seenby.demo.example_org import build
from seenby.findings import PathStep, RuleId, StepKind, Via
from seenby.graph.build import DatasetNode, GraphEdgeKind, build_graph
from seenby.model import AccessLevel, EdgeKind
from seenby.policies import evaluate
from seenby.queries import who_can_read

ROOT = Path(__file__).resolve().parents[2]


def test_a_grant_via_carries_its_level():
    """Via.grant(level) is the grant edge of that level, and only grant edges have a level."""
    assert [Via.grant(level).level for level in AccessLevel] == list(AccessLevel)
    assert Via.MEMBER_OF.level is None


def test_path_steps_read_back_as_via():
    """A path step given its edge as written in JSON ("grant:read") holds the Via member."""
    step = PathStep(node="arn:aws:iam::111122223333:role/r", kind=StepKind.PRINCIPAL, label="r", via="grant:read")

    assert step.via is Via.GRANT_READ


def test_an_unknown_edge_is_refused():
    """A step cannot name an edge the graph does not have."""
    with pytest.raises(ValueError):
        PathStep(node="x", kind=StepKind.PRINCIPAL, label="x", via="grant-ish")


def test_grants_lead_to_dataset_nodes():
    """Every grant edge of the example organisation ends at a DatasetNode (dataset, level)."""
    rg = build_graph(evaluate(build()))

    targets = [t for _, t, d in rg.graph.edges(data=True) if d["info"].kind is GraphEdgeKind.GRANT]

    assert targets and all(isinstance(t, DatasetNode) and isinstance(t.level, AccessLevel) for t in targets)


def test_every_graph_edge_has_a_typed_kind():
    """Each edge of the example organisation's graph is a GraphEdgeKind member, and each kind leads where it should:
    a grant or re-exposure into a DatasetNode, a principal edge between principals."""
    rg = build_graph(evaluate(build()))

    kinds = {(d["info"].kind, isinstance(t, DatasetNode)) for _, t, d in rg.graph.edges(data=True)}

    assert all(type(kind) is GraphEdgeKind for kind, _ in kinds)
    assert {kind for kind, _ in kinds} >= {GraphEdgeKind.GRANT, GraphEdgeKind.MEMBER_OF, GraphEdgeKind.CAN_ASSUME}
    assert all(into_dataset == (kind in _INTO_DATASETS) for kind, into_dataset in kinds)


_INTO_DATASETS = {GraphEdgeKind.GRANT, GraphEdgeKind.RE_EXPOSES, GraphEdgeKind.FLOWS_TO}


def test_principal_edges_keep_their_names_in_the_graph():
    """A principal edge's graph kind has the EdgeKind's value (what the graph index stores and paths print)."""
    assert [GraphEdgeKind.of(kind).value for kind in EdgeKind] == [kind.value for kind in EdgeKind]


def test_every_path_of_who_can_read_names_its_edges():
    """Each step of every who-can-read path but the last leaves by a Via; the last is the dataset."""
    report = who_can_read(build_graph(evaluate(build())), "corp-employee-telemetry-raw")

    paths = [m.path for m in report.members]

    assert paths and all(isinstance(s.via, Via) for p in paths for s in p[:-1])
    assert all(p[-1].via is None and p[-1].kind is StepKind.DATASET for p in paths)


def test_finding_rule_ids_are_rule_ids():
    """Every finding of the example organisation's audit names its rule as a RuleId."""
    snapshot = build()
    evaluation = evaluate(snapshot)

    result = audit_evaluation(evaluation, load_rules(ROOT / "rules.yaml"), snapshot=snapshot)

    assert result.findings and all(isinstance(f.rule_id, RuleId) for f in result.findings)
