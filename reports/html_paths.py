"""HTML path graphs: each explaining path laid out here, in Python, and drawn as inline SVG by the
``path_graph`` macro of ``templates/macros.html.j2`` (docs/html-report.md says why).
"""

from __future__ import annotations

from dataclasses import dataclass

from seenby.findings import PathStep, StepKind
from seenby.model import Dataset, Evidence, Principal

from .text import clean, condition_text, edge_label, shorten

__all__ = [
    "GraphEdge",
    "GraphHop",
    "GraphNode",
    "PathGraph",
    "path_graph",
    "path_line",
]


_FONT_PX = 12.0


_CHAR_PX = 7.3  # advance of one character of a 12px monospace font, with a little slack


_EDGE_CHAR_PX = 6.2  # the 10.5px monospace font of edge labels


_NODE_H = 46.0


_NODE_MIN_W, _NODE_MAX_W = 110.0, 330.0


_EDGE_MIN_W, _EDGE_MAX_W = 96.0, 300.0


_PAD = 6.0


_NODE_LABEL_MAX = int((_NODE_MAX_W - 20) / _CHAR_PX)


_EDGE_LABEL_MAX = int((_EDGE_MAX_W - 16) / _EDGE_CHAR_PX)


_KIND_HINTS = (  # display only: what an intermediate step most likely is, from its id
    (":group/", "group"),
    ("group:", "group"),
    (":assumed-role/", "role session"),
    (":role/", "role"),
    ("serviceAccount:", "service account"),
    (":user/", "user"),
    ("user:", "user"),
)


_DATASET_HINTS = (  # display only: what an intermediate dataset step is, from its id (docs/superset.md)
    ("superset://", "/dashboard/", "superset dashboard"),
    ("superset://", "/dataset/", "superset dataset"),
    ("superset://", "/chart/", "superset chart"),
    ("superset://", "/database/", "superset connection"),
)


@dataclass(frozen=True, kw_only=True, slots=True)
class GraphNode:
    x: float
    width: float
    label: str  # as drawn (shortened)
    title: str  # the full id, shown on hover and in the evidence list
    kind: str  # "organization", "group", "role", "dataset", …
    css: str  # class for colouring: broad, principal, dataset


@dataclass(frozen=True, kw_only=True, slots=True)
class GraphEdge:
    x1: float
    x2: float
    number: int  # the evidence list item that explains this hop
    label: str  # edge kind: read, can-assume, member-of, re-exposes
    note: str  # where the statement or binding is: Statement[0]
    sid: str  # its Sid, when it has one
    conditional: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class GraphHop:
    """One edge of the path with all its evidence and conditions, for the list below the drawing."""

    number: int
    source: str
    target: str
    label: str
    evidence: tuple[Evidence, ...]
    conditions: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class PathGraph:
    """One explaining path, laid out left to right: principal → group → role → dataset."""

    width: float
    height: float
    node_y: float
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    hops: tuple[GraphHop, ...]
    text: str  # the same path as one line of text (the SVG's accessible name)


def _step_kind(step: PathStep, index: int, first: Principal | None, dataset: Dataset | None) -> tuple[str, str]:
    if step.kind is StepKind.DATASET:
        if dataset is not None and step.node == dataset.id:
            return dataset.kind.value, "dataset"
        hints = (h for prefix, part, h in _DATASET_HINTS if step.node.startswith(prefix) and part in step.node)
        return next(hints, "dataset / view"), "dataset"
    if index == 0 and first is not None:
        return first.kind.value, "broad" if first.kind.is_class else "principal"
    for needle, hint in _KIND_HINTS:
        if needle in step.node:
            return hint, "principal"
    return "principal", "principal"


def _evidence_note(evidence: tuple[Evidence, ...]) -> tuple[str, str]:
    """Where the first statement or binding of a hop is, and its Sid (``+N`` when the hop has more)."""
    if not evidence:
        return "", ""
    first = evidence[0]
    more = f" +{len(evidence) - 1}" if len(evidence) > 1 else ""
    return clean(first.location) + more, (f"Sid {clean(first.sid)}" if first.sid else "")


def path_graph(path: tuple[PathStep, ...], *, principal: Principal | None = None,
               dataset: Dataset | None = None) -> PathGraph:
    """Lay out ``path`` as boxes joined by labelled arrows; sizes come from the label lengths.

    Text is measured as monospace (the drawing's font), so no browser is needed to lay it out.
    """
    nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    hops: list[GraphHop] = []
    x = _PAD
    for i, step in enumerate(path):
        full = clean(step.label or step.node)
        label = shorten(full, _NODE_LABEL_MAX)
        kind, css = _step_kind(step, i, principal, dataset)
        width = min(_NODE_MAX_W, max(_NODE_MIN_W, max(len(label), len(kind)) * _CHAR_PX + 20))
        title = clean(step.node) if step.node != (step.label or step.node) else full
        nodes.append(GraphNode(x=x, width=width, label=label, title=f"{full} ({title})" if title != full else full,
                               kind=kind, css=css))
        x += width
        if step.via is None:
            break
        number = len(edges) + 1
        label_text = clean(edge_label(step.via)) + (" ?" if step.conditions else "")
        location, sid = (shorten(part, _EDGE_LABEL_MAX) for part in _evidence_note(step.evidence))
        longest = max(len(label_text) + 4, len(location), len(sid))
        gap = min(_EDGE_MAX_W, max(_EDGE_MIN_W, longest * _EDGE_CHAR_PX + 20))
        edges.append(GraphEdge(x1=x, x2=x + gap, number=number, label=label_text, note=location, sid=sid,
                               conditional=bool(step.conditions)))
        target = path[i + 1] if i + 1 < len(path) else step
        hops.append(GraphHop(number=number, source=full, target=clean(target.label or target.node),
                             label=clean(edge_label(step.via)), evidence=step.evidence,
                             conditions=tuple(condition_text(c) for c in step.conditions)))
        x += gap
    height = _NODE_H + 2 * _PAD + 14 + 8  # room for the kind caption above each box and a Sid below
    return PathGraph(width=round(x + _PAD, 1), height=height, node_y=_PAD + 14, nodes=tuple(nodes),
                     edges=tuple(edges), hops=tuple(hops), text=path_line(path))


def path_line(path: tuple[PathStep, ...]) -> str:
    parts: list[str] = []
    for step in path:
        parts.append(clean(step.label or step.node))
        if step.via:
            parts.append(f"—{clean(edge_label(step.via))}{'?' if step.conditions else ''}→")
    return " ".join(parts)
