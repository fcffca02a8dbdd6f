"""``seenby why --format html``: the explanation as one self-contained page, in the frame of the other pages.

Top to bottom: the question and the answer (and, per evaluated action, its answer and the
layers that decided it), coverage gaps, then per action (grouped by access point) a table of
every layer with its status, summary, the statements or grants that allowed or would deny
(quoted as the provider returned them) and conditions as written, the decisive layers marked;
then each graph path drawn with :func:`~.html_paths.path_graph` and its evidence.  The frame, CSP and
escaping are :func:`~.html_page.render_page`'s; nothing here needs the script.
"""

from __future__ import annotations

from dataclasses import dataclass

from seenby.explain import WITHIN, ActionExplanation, Answer, ExplanationReport, LayerKind, LayerStatus
from seenby.findings import PathStep

from .base import RenderOptions
from .html_history import scan_provenance
from .html_page import Provenance, render_page
from .ordering import ordered_gaps
from .text import clean

__all__ = ["ANSWER_TEXT", "STATUS_TEXT", "render_html"]

ANSWER_TEXT: dict[Answer, str] = {  # the headline of the answer
    Answer.ALLOWED: "Yes",
    Answer.CONDITIONAL: "Conditionally",
    Answer.DENIED: "No: denied",
    Answer.NOT_ALLOWED: "No",
}

STATUS_TEXT: dict[LayerStatus, tuple[str, str]] = {  # (label, tag class)
    LayerStatus.ALLOWS: ("allows", "tag-ok"),
    LayerStatus.CONDITIONAL: ("conditional", "tag-cond"),
    LayerStatus.DENIES: ("denies", "tag-gap"),
    LayerStatus.NO_ALLOW: ("no allow", "tag-noallow"),
    LayerStatus.ASSUMED: ("assumed", "tag-cond"),
    LayerStatus.NOT_APPLICABLE: ("not applicable", "tag-na"),
    LayerStatus.UNKNOWN: ("unknown: not read", "tag-gap"),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class ActionView:
    """One evaluated action, numbered for its anchor, with the layers that decided it."""

    number: int
    action: ActionExplanation
    decisive: tuple[LayerKind, ...]

    @property
    def anchor(self) -> str:
        return f"action-{self.number}"


@dataclass(frozen=True, kw_only=True, slots=True)
class ActionGroup:
    """The actions evaluated directly (``via`` None) or through one access point."""

    via: str | None
    actions: tuple[ActionView, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class PathView:
    number: int
    steps: tuple[PathStep, ...]
    within: bool  # through a class that contains the principal
    conditional: bool


def _groups(actions: tuple[ActionExplanation, ...]) -> list[ActionGroup]:
    """Direct requests first, then each access point's; numbered in that (the page's) order."""
    by_via: dict[str | None, list[ActionExplanation]] = {}
    for a in actions:
        by_via.setdefault(a.via, []).append(a)
    groups: list[ActionGroup] = []
    number = 0
    for via in sorted(by_via, key=lambda v: (v is not None, v or "")):
        views = []
        for a in by_via[via]:
            number += 1
            views.append(ActionView(number=number, action=a, decisive=tuple(x.kind for x in a.layers if x.decisive)))
        groups.append(ActionGroup(via=via, actions=tuple(views)))
    return groups


def _provenance(report: ExplanationReport) -> Provenance:
    if report.provenance is not None:
        return scan_provenance(report.provenance, collector=report.collector, scope=report.scope)
    return Provenance.of_snapshot(
        source=report.snapshot_source, collected_at=report.collected_at, collector=report.collector, scope=report.scope
    )


def render_html(report: ExplanationReport, options: RenderOptions) -> str:
    """Why PRINCIPAL can (or cannot) reach DATASET, as one HTML page."""
    groups = _groups(report.actions)
    paths = [
        PathView(number=n, steps=p, within=bool(p) and p[0].via == WITHIN, conditional=any(s.conditions for s in p))
        for n, p in enumerate(report.paths, 1)
    ]
    return render_page(
        "explain.html.j2",
        title=f"seenby: why {clean(report.principal.label)} → {clean(report.dataset.name)} ({report.level.value})",
        provenance=_provenance(report),
        report=report,
        headline=ANSWER_TEXT[report.answer],
        groups=groups,
        actions=[v for g in groups for v in g.actions],
        allowed=sum(1 for a in report.actions if a.answer is Answer.ALLOWED),
        conditional=sum(1 for a in report.actions if a.answer is Answer.CONDITIONAL),
        paths=paths,
        gaps=ordered_gaps(report.gaps),
        status_text=STATUS_TEXT,
    )
