"""Choosing the snapshot a query answers from: ``--snapshot FILE…``, or ``--at TIME`` / ``--store PATH``.

Every query command (who-can-read, what-can-read, why, …) shares this::

    @time_travel_options          # from seenby.history.options: adds --at TIME and --store PATH
    def command(..., snapshots, at, store):
        chosen = choose_snapshot(snapshots=snapshots, at=at, store=store, containing=dataset_ref)
        chosen.snapshot           # the Snapshot to evaluate
        chosen.provenance         # which scan, collected when, how old (for the answer)

Rules: ``--snapshot`` files are used as given (shards merged) and cannot be combined with
``--at``.  Otherwise the answer comes from the history store (``--store`` or the default
under the user's data directory): the latest scan at or before ``--at`` (default: now)
that contains ``containing``, if given.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from seenby.config import Rules
from seenby.errors import UsageError
from seenby.explain import ExplanationReport
from seenby.findings import AudienceAt, PrincipalAccessReport
from seenby.graph.build import ReachGraph
from seenby.history.graph_index import INDEX_ERRORS as _INDEX_ERRORS
from seenby.history.graph_index import GraphIndex
from seenby.history.index import ScanIndex
from seenby.history.options import store_path
from seenby.history.provenance import Provenance, ScanChoice
from seenby.history.store import HistoryStore, ScanRecord
from seenby.history.times import parse_time, parse_timestamp
from seenby.model import AccessLevel, CoverageGap, Evaluation, Principal
from seenby.snapshot import Snapshot, load_snapshots

__all__ = [
    "Chosen",
    "IndexedScan",
    "choose_recorded",
    "choose_side",
    "choose_snapshot",
    "indexed_audience",
    "indexed_explanation",
    "indexed_principal_access",
    "indexed_scan",
]


@dataclass(frozen=True, kw_only=True)
class Chosen:
    snapshot: Snapshot
    provenance: Provenance
    evaluation: Evaluation | None = None  # when choosing already evaluated the snapshot
    graph: ReachGraph | None = None  # and built its graph


def choose_snapshot(
    *,
    snapshots: tuple[str, ...] = (),
    at: str | None = None,
    store: str | None = None,
    containing: str | None = None,
    now: datetime | None = None,
) -> Chosen:
    """The snapshot to answer from, and where it comes from (see the module docstring)."""
    now = now or datetime.now(UTC)
    if snapshots:
        if at is not None or store is not None:
            raise UsageError("--snapshot answers from files; --at and --store answer from recorded scans: pick one")
        snapshot = load_snapshots(snapshots)
        return Chosen(
            snapshot=snapshot,
            provenance=Provenance(
                collected_at=parse_timestamp(snapshot.collected_at), now=now, source=snapshot.source
            ),
        )
    asked = parse_time(at) if at is not None else None  # a bad --at is exit 2 before the store is opened
    path = store_path(store)
    if at is None and store is None and not path.exists():
        raise UsageError(f"give --snapshot FILE, or record scans first (no history store at {path}; see --store)")
    with HistoryStore.open(path, create=False) as history:
        return choose_recorded(history, at=asked, containing=containing, now=now)


def choose_recorded(
    history: HistoryStore,
    *,
    at: str | datetime | None = None,
    scan_id: int | None = None,
    containing: str | None = None,
    now: datetime | None = None,
    index: ScanIndex | None = None,
) -> Chosen:
    """The recorded scan of an open store that answers, evaluated (from its cached view when there is one).

    ``scan_id``: that scan.  Otherwise the latest at or before ``at`` (a time string as ``--at``
    takes, or a datetime; default now) whose dataset index holds ``containing``, if given, else
    the latest at or before ``at``.  ``index``: a :class:`ScanIndex` of ``history`` to share
    evaluations with other questions.
    """
    now = now or datetime.now(UTC)
    path = str(history.path)
    index = index if index is not None else ScanIndex(history)
    if scan_id is not None:
        return _recorded(index, history.scan(scan_id), path=path, asked=None, now=now, choice=ScanChoice.BY_ID)
    asked = parse_time(at) if isinstance(at, str) else at
    latest = history.scan_at(asked or now)  # also the error when no scan is old enough
    choice = ScanChoice.AT_TIME if asked is not None else ScanChoice.LATEST
    if containing:
        # the latest scan whose dataset index (as the audit's) holds it: a Glue table inside
        # its catalog is found, and a later scan of another account does not hide it
        holding = index.latest_holding(asked or now, containing)
        if holding is not None:
            if holding.scan.id != latest.id and asked is None:
                choice = ScanChoice.LATEST_HOLDING
            return _recorded(index, holding.scan, path=path, asked=asked, now=now, choice=choice)
    return _recorded(index, latest, path=path, asked=asked, now=now, choice=choice)


@dataclass(frozen=True, kw_only=True)
class IndexedScan:
    """A recorded scan chosen from the graph indexes, with its index open (close it when done)."""

    scan: ScanRecord
    graph_index: GraphIndex
    dataset_id: str | None  # the dataset the reference names, when one was asked about
    provenance: Provenance
    header: Snapshot  # the scan's collection time, source, collector and scope; no resources


def indexed_scan(
    history: HistoryStore,
    ref: str | None,
    *,
    at: str | datetime | None = None,
    now: datetime | None = None,
    index: ScanIndex | None = None,
) -> IndexedScan | None:
    """The recorded scan a query answers from, chosen by the graph indexes alone (no snapshot, no view).

    As :func:`choose_recorded` chooses: the latest scan at or before ``at`` whose datasets hold
    the dataset ``ref``, if given, else the latest at or before ``at``.  None when a scan that
    has to be tried has no usable index (never evaluated yet, or damaged), or no scan holds
    ``ref``: the caller then answers from the evaluated view, which writes the index.
    """
    now = now or datetime.now(UTC)
    index = index if index is not None else ScanIndex(history)
    asked = parse_time(at) if isinstance(at, str) else at
    latest = history.scan_at(asked or now)  # also the error when no scan is old enough
    tried: set[bytes] = set()
    for scan in reversed(history.scans()):
        if scan.collected_at > (asked or now):
            continue
        key = index.content_key(scan.id)
        if key in tried:
            continue
        tried.add(key)
        graph_index = index.graph_index(scan)
        if graph_index is None:
            return None
        dataset_id = graph_index.dataset_id(ref) if ref is not None else None
        if ref is not None and dataset_id is None:
            graph_index.close()
            continue
        choice = ScanChoice.AT_TIME if asked is not None else ScanChoice.LATEST
        if scan.id != latest.id and asked is None:
            choice = ScanChoice.LATEST_HOLDING
        provenance = Provenance(
            collected_at=scan.collected_at, now=now, source=scan.source, scan_id=scan.id, store=str(history.path),
            asked_at=asked, chosen_by=choice,
        )  # fmt: skip
        header = history.snapshot_of(scan.id, ())
        return IndexedScan(
            scan=scan, graph_index=graph_index, dataset_id=dataset_id, provenance=provenance, header=header
        )
    return None


def indexed_audience(
    history: HistoryStore,
    ref: str,
    *,
    at: str | datetime | None = None,
    levels: tuple[AccessLevel, ...] = (AccessLevel.READ,),
    rules: Rules | None = None,
    expand_members: bool = False,
    now: datetime | None = None,
    index: ScanIndex | None = None,
) -> AudienceAt | None:
    """who-can-read ``ref`` from the graph indexes of the recorded scans, loading neither snapshot nor view.

    The scan is chosen by :func:`indexed_scan`; None when it cannot answer (the caller then
    answers from the evaluated view, which writes the index for the next time).
    """
    from seenby.queries import who_can_read

    chosen = indexed_scan(history, ref, at=at, now=now, index=index)
    if chosen is None or chosen.dataset_id is None:
        return None
    try:
        graph = chosen.graph_index.subgraph(chosen.dataset_id, levels)
        gaps = _gaps(chosen.graph_index) if graph is not None else None
    finally:
        chosen.graph_index.close()
    if graph is None or gaps is None:
        return None
    header = chosen.header
    report = who_can_read(
        graph, chosen.dataset_id, levels=levels, rules=rules, gaps=gaps, collected_at=header.collected_at,
        snapshot_source=header.source, expand_members=expand_members, collector=header.collector,
        scope=header.scope,
    )  # fmt: skip
    return AudienceAt(report=report, provenance=chosen.provenance)


def indexed_principal_access(
    history: HistoryStore,
    ref: str,
    *,
    at: str | datetime | None = None,
    levels: tuple[AccessLevel, ...],
    rules: Rules | None = None,
    now: datetime | None = None,
    index: ScanIndex | None = None,
) -> PrincipalAccessReport | None:
    """what-can-read ``ref`` from the graph index of the recorded scan at ``at``, loading neither
    snapshot nor view: the principal and the classes that contain it are looked up by id, then
    only the part of the graph downstream of them is read.  Exactly the report of the evaluated
    view (:func:`seenby.queries.what_can_read` runs on that part); None when there is no usable
    index (the caller answers from the view)."""
    from seenby.queries import (
        class_candidates,
        find_principal_in,
        principal_and_classes,
        scope_account_orgs,
        what_can_read,
    )

    chosen = indexed_scan(history, None, at=at, now=now, index=index)
    if chosen is None:
        return None
    gi = chosen.graph_index
    scope = dict(chosen.header.scope)
    try:
        named = gi.principals_named(ref)
        if named is None:
            return None
        principal = find_principal_in(named, ref)  # the view's error when none or several
        account_orgs = gi.account_orgs()
        ou_paths = gi.ou_paths()
        candidates = class_candidates(principal, account_orgs=scope_account_orgs(account_orgs, scope))
        known = gi.principals([principal.id, *candidates], prefix="aws-ou:")
        if known is None:
            return None
        _, classes = principal_and_classes(
            {**known, principal.id: principal}, principal.id, account_orgs=account_orgs, scope=scope,
            ou_paths=ou_paths,
        )  # fmt: skip
        graph = gi.downstream([principal.id, *(c.id for c in classes)])
        gaps = _gaps(gi) if graph is not None else None
    except _INDEX_ERRORS:
        return None
    finally:
        gi.close()
    if graph is None or gaps is None:
        return None
    header = chosen.header
    report = what_can_read(
        graph, principal.id, levels=levels, rules=rules, gaps=gaps, collected_at=header.collected_at,
        snapshot_source=header.source, ou_paths=ou_paths, collector=header.collector, scope=scope,
    )  # fmt: skip
    return replace(report, provenance=chosen.provenance)


def indexed_explanation(
    history: HistoryStore,
    principal_ref: str,
    dataset_ref: str,
    *,
    at: str | datetime | None = None,
    level: AccessLevel,
    rules: Rules | None = None,
    max_paths: int,
    now: datetime | None = None,
    index: ScanIndex | None = None,
) -> ExplanationReport | None:
    """why ``principal_ref`` can reach ``dataset_ref``, from the graph index of the recorded scan that
    holds the dataset: the paths from the part of the graph between the principal (and the classes
    containing it) and the dataset.  The layer-by-layer decisions of an AWS dataset re-decide each
    request with the evaluator: for those the scan's snapshot is read from the store and its AWS
    world built (not the evaluated view).  Exactly the report of the evaluated view; None when
    there is no usable index."""
    from seenby.explain import container_candidates, explain_dataset
    from seenby.policies.aws.world import AwsWorld

    chosen = indexed_scan(history, dataset_ref, at=at, now=now, index=index)
    if chosen is None or chosen.dataset_id is None:
        return None
    gi = chosen.graph_index
    scan_id = chosen.scan.id
    try:
        datasets = gi.datasets([chosen.dataset_id])
        account_orgs = gi.account_orgs()
        gaps = _gaps(gi)
        if datasets is None or gaps is None:
            return None
        looked_up: dict[str, Principal | None] = {}

        def principal_of(pid: str) -> Principal | None:
            if pid not in looked_up:
                found = gi.principals([pid])
                if found is None:
                    raise _Unusable
                looked_up[pid] = found.get(pid)
            return looked_up[pid]

        def graph_for(principal: Principal) -> ReachGraph:
            starts = [principal.id, *container_candidates(principal, account_orgs)]
            graph = gi.between(starts, chosen.dataset_id or "", level)
            if graph is None:
                raise _Unusable
            return graph

        report = explain_dataset(
            datasets[chosen.dataset_id], principal_ref, level, principal_of=principal_of, graph_for=graph_for,
            world=lambda: AwsWorld.build(history.snapshot(scan_id)), gaps=gaps, header=chosen.header, rules=rules,
            max_paths=max_paths,
        )  # fmt: skip
    except (_Unusable, *_INDEX_ERRORS):
        return None
    finally:
        gi.close()
    return replace(report, provenance=chosen.provenance)


class _Unusable(Exception):
    """The index could not answer (damaged): the query is answered from the evaluated view."""


def _gaps(gi: GraphIndex) -> tuple[CoverageGap, ...] | None:
    try:
        return gi.gaps()
    except _INDEX_ERRORS:
        return None


def choose_side(ref: str, *, store: str | None, what: str, now: datetime | None = None) -> Chosen:
    """One side of ``seenby diff``: a snapshot file, a recorded scan ``@ID``, or a time (latest scan at or before)."""
    now = now or datetime.now(UTC)
    if ref.startswith("@"):
        if not ref[1:].isdigit():
            raise UsageError(f"{what}: {ref!r} is not a recorded scan id (@1, @2, …; see `seenby scans`)")
        with HistoryStore.open(store_path(store), create=False) as history:
            return choose_recorded(history, scan_id=int(ref[1:]), now=now)
    if Path(ref).exists():
        return choose_snapshot(snapshots=(ref,), now=now)
    try:
        asked = parse_time(ref, option=what)
    except UsageError:
        raise UsageError(
            f"{what}: {ref!r} is neither a snapshot file, a recorded scan (@ID) nor an ISO date or date-time"
        ) from None
    with HistoryStore.open(store_path(store), create=False) as history:
        return choose_recorded(history, at=asked, now=now)


def _recorded(
    index: ScanIndex, scan: ScanRecord, *, path: str, asked: datetime | None, now: datetime, choice: ScanChoice
) -> Chosen:
    evaluated = index.evaluated(scan)
    snapshot = evaluated.snapshot
    if snapshot.source != index.history.label(scan.id):  # a scan of the same content as one evaluated before
        snapshot = index.history.snapshot_of(scan.id, snapshot.resources)
    return Chosen(
        snapshot=snapshot,
        provenance=Provenance(
            collected_at=scan.collected_at, now=now, source=scan.source, scan_id=scan.id, store=path, asked_at=asked,
            chosen_by=choice,
        ),
        evaluation=evaluated.evaluation,
        graph=evaluated.graph,
    )
