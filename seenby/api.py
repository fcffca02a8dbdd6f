"""seenby's public Python API: load, evaluate once, ask many times, audit, render, read history.

::

    from seenby import api

    snapshot = api.load(["examples/telemetry-incident/snapshot.json"])   # shards are merged
    view = api.evaluate(snapshot)                                        # evaluation + graph, built once
    report = view.who_can_read("corp-employee-telemetry-raw")            # an AudienceReport
    print(api.render(report, "json"))                                    # byte for byte what the CLI writes

    result = view.audit(api.load_rules("rules.yaml"))                    # an AuditResult
    with api.open_history("history.sqlite3") as history:                 # recorded scans
        view = history.evaluate(at="2026-03-01", containing="corp-employee-telemetry-raw")

Every object returned is one of the frozen models the JSON formats are rendered from
(:class:`~seenby.findings.AuditResult`, :class:`~seenby.findings.AudienceReport`,
:class:`~seenby.findings.PrincipalAccessReport`, :class:`~seenby.explain.ExplanationReport`,
…).  The command line is built on this module.  Guide with examples: ``docs/python-api.md``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from importlib import import_module
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from seenby.model import AUDITED_LEVELS, AccessLevel

if TYPE_CHECKING:
    from datetime import date, datetime

    from seenby.config import Rules
    from seenby.explain import ExplanationReport
    from seenby.findings import AudienceReport, AuditResult, PrincipalAccessReport
    from seenby.graph.build import ReachGraph
    from seenby.history.provenance import Provenance
    from seenby.history.select import Chosen
    from seenby.history.store import HistoryStore, ScanRecord
    from seenby.model import Dataset, Evaluation, Principal
    from seenby.policies.aws.world import AwsWorld
    from seenby.reports import OutputFormat, RenderOptions
    from seenby.snapshot import Snapshot

__all__ = [
    "AccessLevel",
    "AudienceReport",
    "AuditResult",
    "Evaluated",
    "ExplanationReport",
    "History",
    "OutputFormat",
    "PrincipalAccessReport",
    "Provenance",
    "RenderOptions",
    "Rules",
    "ScanRecord",
    "Snapshot",
    "evaluate",
    "load",
    "load_rules",
    "open_history",
    "render",
    "render_jsonl",
]

DEFAULT_MAX_PATHS = 20

# The models this module returns, re-exported under their names; imported on first use, so that
# a query answered from a cached view loads only what it needs (a CLI call starts in ~0.1 s).
_HOMES = {
    "AudienceReport": "seenby.findings",
    "AuditResult": "seenby.findings",
    "ExplanationReport": "seenby.explain",
    "OutputFormat": "seenby.reports",
    "PrincipalAccessReport": "seenby.findings",
    "Provenance": "seenby.history.provenance",
    "RenderOptions": "seenby.reports",
    "Rules": "seenby.config",
    "ScanRecord": "seenby.history.store",
    "Snapshot": "seenby.snapshot",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'seenby.api' has no attribute {name!r}")


def load(paths: str | Path | Iterable[str | Path]) -> Snapshot:
    """Load snapshot files (one path, or several shards merged into one snapshot).

    A file that is not a snapshot, or of an unknown major schema version, raises
    :class:`~seenby.errors.InputError` naming the file and the place.
    """
    from seenby.snapshot import load_snapshots

    chosen = [paths] if isinstance(paths, str | Path) else list(paths)
    return load_snapshots(chosen)


def load_rules(path: str | Path) -> Rules:
    """Parse a rules.yaml (declared audiences, waivers, rule settings); errors name the line."""
    from seenby.config import load_rules as parse

    return parse(path)


@dataclass(frozen=True, kw_only=True)
class Evaluated:
    """One snapshot evaluated once: ask it :meth:`who_can_read`, :meth:`what_can_read`, :meth:`why`
    and :meth:`audit` as often as needed, each answered from the same evaluation and graph.

    ``provenance`` is set when the snapshot is a recorded scan (:meth:`History.evaluate`);
    answers then name that scan and its age.  ``rules`` is the default declaration queries
    mark members against (each method also takes ``rules=``).
    """

    snapshot: Snapshot
    evaluation: Evaluation
    graph: ReachGraph
    provenance: Provenance | None = None
    rules: Rules | None = None

    @cached_property
    def aws_world(self) -> AwsWorld:
        """The AWS evaluator's world of this snapshot, built once (on the first :meth:`why`) for every answer."""
        from seenby.policies.aws.world import AwsWorld

        return AwsWorld.build(self.snapshot)

    @property
    def datasets(self) -> dict[str, Dataset]:
        """Every dataset the evaluation found, by id."""
        return self.graph.datasets

    @property
    def principals(self) -> dict[str, Principal]:
        """Every principal of the graph, by id."""
        return self.graph.principals

    def with_rules(self, rules: Rules | None) -> Evaluated:
        """The same evaluation, marking members against ``rules`` by default."""
        return replace(self, rules=rules)

    def dataset(self, ref: str) -> Dataset:
        """A dataset by id or unique name (``UsageError`` when unknown or ambiguous)."""
        from seenby.queries import find_dataset

        return find_dataset(self.graph, ref)

    def who_can_read(
        self,
        dataset: str,
        *,
        levels: Iterable[AccessLevel] = (AccessLevel.READ,),
        rules: Rules | None = None,
        expand_members: bool = False,
    ) -> AudienceReport:
        """The effective audience of ``dataset`` (an id or unique name), each member with its path."""
        from seenby.queries import who_can_read

        snapshot = self.snapshot
        return who_can_read(
            self.graph,
            dataset,
            levels=tuple(levels),
            rules=self._rules(rules),
            gaps=self.evaluation.gaps,
            collected_at=snapshot.collected_at,
            snapshot_source=snapshot.source,
            expand_members=expand_members,
            collector=snapshot.collector,
            scope=snapshot.scope,
        )

    def what_can_read(
        self,
        principal: str,
        *,
        levels: Iterable[AccessLevel] = AUDITED_LEVELS,
        rules: Rules | None = None,
    ) -> PrincipalAccessReport:
        """Every dataset ``principal`` reaches: through its groups, roles, and the classes containing it."""
        from seenby.queries import account_ou_paths, what_can_read

        snapshot = self.snapshot
        report = what_can_read(
            self.graph,
            principal,
            levels=tuple(levels),
            rules=self._rules(rules),
            gaps=self.evaluation.gaps,
            collected_at=snapshot.collected_at,
            snapshot_source=snapshot.source,
            ou_paths=account_ou_paths(snapshot),
            collector=snapshot.collector,
            scope=snapshot.scope,
        )
        return replace(report, provenance=self.provenance) if self._recorded else report

    def why(
        self,
        principal: str,
        dataset: str,
        *,
        level: AccessLevel = AccessLevel.READ,
        rules: Rules | None = None,
        max_paths: int = DEFAULT_MAX_PATHS,
    ) -> ExplanationReport:
        """Why ``principal`` can (or cannot) reach ``dataset`` at ``level``: layers and every path."""
        from seenby.explain import explain

        report = explain(
            self.snapshot, self.evaluation, self.graph, principal, dataset, level, rules=self._rules(rules),
            max_paths=max_paths, aws_world=self.aws_world,
        )  # fmt: skip
        return replace(report, provenance=self.provenance) if self._recorded else report

    def audit(self, rules: Rules, *, whole_scan: bool = True, today: date | None = None) -> AuditResult:
        """Findings against ``rules``.  ``whole_scan`` (a scan meant to hold every declared dataset)
        adds SB013 for a declaration that matches nothing; a plan's partial view leaves it off."""
        from seenby.audit import audit_evaluation

        return audit_evaluation(
            self.evaluation, rules, snapshot=self.snapshot, today=today, graph=self.graph, whole_scan=whole_scan
        )

    def at(self, report: AudienceReport) -> Any:
        """``report`` with this view's provenance (an ``AudienceAt``), or ``report`` itself for files.

        Render the result: JSON then carries ``snapshot.scan`` and tables a provenance line.
        """
        from seenby.findings import AudienceAt

        return AudienceAt(report=report, provenance=self.provenance) if self._recorded else report

    @property
    def _recorded(self) -> bool:
        return self.provenance is not None and self.provenance.scan_id is not None

    def _rules(self, rules: Rules | None) -> Rules | None:
        return rules if rules is not None else self.rules


def evaluate(
    snapshot: Snapshot,
    *,
    rules: Rules | None = None,
    provenance: Provenance | None = None,
    evaluation: Evaluation | None = None,
) -> Evaluated:
    """Evaluate ``snapshot`` once (policies, then the reachability graph).

    ``evaluation``: an evaluation of this very snapshot made earlier (only its graph is built).
    """
    from seenby.graph.build import build_graph
    from seenby.policies import evaluate as evaluate_policies

    done = evaluation if evaluation is not None else evaluate_policies(snapshot)
    return Evaluated(snapshot=snapshot, evaluation=done, graph=build_graph(done), provenance=provenance, rules=rules)


# ── rendering ────────────────────────────────────────────────────────────────────


def _query_name(subject: object) -> str | None:
    """The query command whose renderers take ``subject`` (each model imported only when needed)."""
    from seenby.findings import AudienceAt

    if isinstance(subject, AudienceAt):
        return "who-can-read"
    from seenby.findings import PrincipalAccessReport

    if isinstance(subject, PrincipalAccessReport):
        return "what-can-read"
    from seenby.history_results import ExposureTimeline, SnapshotDiff

    if isinstance(subject, ExposureTimeline):
        return "exposure"
    return "diff" if isinstance(subject, SnapshotDiff) else None


def render(subject: object, fmt: OutputFormat | str = "table", options: RenderOptions | None = None) -> str:
    """Render any answer in ``fmt`` (table, json, markdown, sarif, junit, html, tsv), as the CLI does.

    ``subject`` is an :class:`AuditResult`, an :class:`AudienceReport` (or the ``AudienceAt`` of
    :meth:`Evaluated.at`), a :class:`PrincipalAccessReport`, an :class:`ExplanationReport`, an
    exposure timeline or a diff.  A format the subject has no rendering in raises ``UsageError``.
    """
    from seenby.explain import ExplanationReport
    from seenby.findings import AudienceReport, AuditResult
    from seenby.reports import RenderOptions, render_audience, render_explanation, render_findings, render_query

    chosen = options if options is not None else RenderOptions()
    if isinstance(subject, AuditResult):
        return render_findings(subject, fmt, chosen)
    if isinstance(subject, AudienceReport):
        return render_audience(subject, fmt, chosen)
    if isinstance(subject, ExplanationReport):
        return render_explanation(subject, str(fmt), chosen)
    name = _query_name(subject)
    if name is None:
        raise TypeError(f"seenby cannot render a {type(subject).__name__}")
    return render_query(name, subject, fmt, chosen)


def render_jsonl(subjects: Iterable[object]) -> Iterator[str]:
    """Each subject's JSON document on one line (JSON lines), in order: for many answers at once."""
    for subject in subjects:
        yield json.dumps(json.loads(render(subject, "json")), ensure_ascii=False, separators=(",", ":"))


# ── the history store ────────────────────────────────────────────────────────────


class History:
    """An open history store (:func:`open_history`): its scans, each evaluated on demand.

    The evaluated view of a scan is cached in the store by content (see docs/history.md),
    so asking a recorded scan again does not evaluate it again.
    """

    def __init__(self, store: HistoryStore) -> None:
        from seenby.history.index import ScanIndex

        self.store = store
        self._index = ScanIndex(store)  # evaluations shared by every question to this store

    @property
    def path(self) -> Path:
        return self.store.path

    def scans(self) -> list[ScanRecord]:
        """The recorded scans, oldest first."""
        return self.store.scans()

    def snapshot(self, scan_id: int) -> Snapshot:
        """Exactly the snapshot recorded as scan ``scan_id``."""
        return self.store.snapshot(scan_id)

    def evaluate(
        self,
        *,
        at: str | datetime | None = None,
        scan_id: int | None = None,
        containing: str | None = None,
        rules: Rules | None = None,
        now: datetime | None = None,
    ) -> Evaluated:
        """The recorded scan that answers, evaluated: scan ``scan_id``; else the latest at or before
        ``at`` (default: the latest) that holds ``containing``, if given (docs/history.md)."""
        from seenby.history.select import choose_recorded

        chosen = choose_recorded(
            self.store, at=at, scan_id=scan_id, containing=containing, now=now, index=self._index
        )
        return _evaluated(chosen, rules)

    def who_can_read(
        self,
        dataset: str,
        *,
        at: str | datetime | None = None,
        levels: Iterable[AccessLevel] = (AccessLevel.READ,),
        rules: Rules | None = None,
        expand_members: bool = False,
        now: datetime | None = None,
    ) -> Any:
        """who-can-read ``dataset`` as of ``at`` (an ``AudienceAt``: the report and the scan it comes from).

        Answered from the scan's graph index when it has one (only the part of the graph
        upstream of the dataset is read: instant on a large organisation), else from the
        evaluated scan, which writes that index for the next question.
        """
        from seenby.history.select import indexed_audience

        chosen = tuple(levels)
        found = indexed_audience(
            self.store, dataset, at=at, levels=chosen, rules=rules, expand_members=expand_members, now=now,
            index=self._index,
        )  # fmt: skip
        if found is not None:
            return found
        view = self.evaluate(at=at, containing=dataset, rules=rules, now=now)
        return view.at(view.who_can_read(dataset, levels=chosen, expand_members=expand_members))

    def what_can_read(
        self,
        principal: str,
        *,
        at: str | datetime | None = None,
        levels: Iterable[AccessLevel] = AUDITED_LEVELS,
        rules: Rules | None = None,
        now: datetime | None = None,
    ) -> PrincipalAccessReport:
        """what-can-read ``principal`` as of ``at`` (the latest scan at or before it), naming that scan.

        Answered from the scan's graph index when it has one (only the part of the graph
        downstream of the principal and its classes is read), else from the evaluated scan,
        which writes that index for the next question.  The same report either way.
        """
        from seenby.history.select import indexed_principal_access

        chosen = tuple(levels)
        found = indexed_principal_access(
            self.store, principal, at=at, levels=chosen, rules=rules, now=now, index=self._index
        )
        if found is not None:
            return found
        return self.evaluate(at=at, rules=rules, now=now).what_can_read(principal, levels=chosen)

    def why(
        self,
        principal: str,
        dataset: str,
        *,
        at: str | datetime | None = None,
        level: AccessLevel = AccessLevel.READ,
        rules: Rules | None = None,
        max_paths: int = DEFAULT_MAX_PATHS,
        now: datetime | None = None,
    ) -> ExplanationReport:
        """why ``principal`` can (or cannot) reach ``dataset`` as of ``at`` (the latest scan at or before
        it that holds the dataset), naming that scan.

        The paths come from the scan's graph index when it has one; an AWS dataset's layer-by-layer
        decisions re-decide each request with the evaluator over the scan's snapshot, read from the
        store.  Without an index: from the evaluated scan, which writes it.  The same report either way.
        """
        from seenby.history.select import indexed_explanation

        found = indexed_explanation(
            self.store, principal, dataset, at=at, level=level, rules=rules, max_paths=max_paths, now=now,
            index=self._index,
        )  # fmt: skip
        if found is not None:
            return found
        view = self.evaluate(at=at, containing=dataset, rules=rules, now=now)
        return view.why(principal, dataset, level=level, max_paths=max_paths)

    def record(self, snapshot: Snapshot, *, source: str | None = None) -> tuple[ScanRecord, bool]:
        """Record ``snapshot`` as a scan; the bool is False when the same content was recorded already."""
        return self.store.record(snapshot, source=source)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> History:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_history(path: str | Path | None = None, *, create: bool = False) -> History:
    """Open the history store at ``path`` (default: the user's, as ``--store`` defaults; ``"demo"``:
    the demo's).  A missing store is an error unless ``create``."""
    from seenby.history.options import store_path
    from seenby.history.store import HistoryStore

    return History(HistoryStore.open(store_path(None if path is None else str(path)), create=create))


def _evaluated(chosen: Chosen, rules: Rules | None) -> Evaluated:
    """A :class:`seenby.history.select.Chosen` as an :class:`Evaluated`, reusing what choosing evaluated."""
    if chosen.graph is not None and chosen.evaluation is not None:
        return Evaluated(
            snapshot=chosen.snapshot,
            evaluation=chosen.evaluation,
            graph=chosen.graph,
            provenance=chosen.provenance,
            rules=rules,
        )
    return evaluate(chosen.snapshot, rules=rules, provenance=chosen.provenance, evaluation=chosen.evaluation)


def view_of(chosen: Chosen, rules: Rules | None) -> Evaluated:
    """The :class:`Evaluated` of a snapshot chosen by ``seenby.history.select`` (the CLI's queries)."""
    return _evaluated(chosen, rules)
