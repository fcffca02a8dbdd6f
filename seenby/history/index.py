"""Which datasets a recorded scan holds, by the same dataset index the audit uses.

A dataset is not always a resource of its own in a snapshot: a Glue table is part of its
catalog's reads, and other container resources (a BigQuery dataset's tables, a QuickSight
account's dashboards) may hold several.  Looking a dataset up among a scan's *resource*
ids misses those; the evaluation's ``datasets`` (what ``seenby audit`` audits) does not.

:class:`ScanIndex` evaluates each distinct scan content once (two scans whose resource
states are all equal share one evaluation) and answers "does this scan hold the dataset"
and "which is the latest scan at or before T that holds it".  The evaluated view (the
evaluation and its graph) is also cached next to the store by content
(:mod:`seenby.history.view_cache`), so a later process does not evaluate the scan again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from seenby.graph.build import ReachGraph, build_graph
from seenby.history.graph_index import GraphIndex
from seenby.history.store import HistoryStore, ScanRecord, canonical_json
from seenby.history.view_cache import CachedView, ViewCache
from seenby.model import Dataset, Evaluation
from seenby.policies import evaluate
from seenby.queries import account_ou_paths
from seenby.snapshot import Snapshot

__all__ = ["EvaluatedScan", "ScanIndex", "ViewCaching", "match_dataset"]


class ViewCaching(StrEnum):
    """How a :class:`ScanIndex` uses the evaluated views cached next to the store."""

    READ_WRITE = "read-write"  # load a scan's view when cached, else evaluate and write it (queries)
    READ = "read"  # load cached views, write none (exposure: one view per scan of a long history is too much disk)
    OFF = "off"  # always evaluate


def match_dataset(datasets: Mapping[str, Dataset], ref: str) -> Dataset | None:
    """The dataset ``ref`` names in ``datasets``: its exact id, else the one dataset whose name is
    ``ref`` or whose id ends with it (as ``seenby.queries.find_dataset`` reads a reference)."""
    if ref in datasets:
        return datasets[ref]
    named = [d for d in datasets.values() if d.name == ref or d.id.endswith(ref)]
    return named[0] if len(named) == 1 else None


@dataclass(frozen=True, kw_only=True)
class EvaluatedScan:
    """One recorded scan, rebuilt and evaluated, with its reachability graph."""

    scan: ScanRecord
    snapshot: Snapshot
    evaluation: Evaluation
    graph: ReachGraph

    def holds(self, ref: str) -> Dataset | None:
        return match_dataset(self.evaluation.datasets, ref)


class ScanIndex:
    """Evaluations of the scans of one open store, cached by scan content."""

    def __init__(self, history: HistoryStore, *, caching: ViewCaching = ViewCaching.READ_WRITE) -> None:
        self.history = history
        self._by_content: dict[bytes, tuple[Snapshot, Evaluation, ReachGraph]] = {}
        self._views = ViewCache(history.path) if caching is not ViewCaching.OFF else None
        self._write = caching is ViewCaching.READ_WRITE
        self._content_keys: dict[int, bytes] = {}

    def content_key(self, scan_id: int) -> bytes:
        """Equal for two scans whose resources are all in the same states (computed once per scan)."""
        key = self._content_keys.get(scan_id)
        if key is None:
            states = self.history.state_hashes(scan_id)
            key = self._content_keys[scan_id] = hashlib.sha256(b"".join(h for _, h in sorted(states.items()))).digest()
        return key

    def evaluated(self, scan: ScanRecord) -> EvaluatedScan:
        """``scan`` evaluated; its ``snapshot`` is the scan's own only for the first scan of a content
        (later ones with the same resource states share it: use ``scan`` for their metadata)."""
        key = self.content_key(scan.id)
        if key not in self._by_content:
            self._by_content[key] = self._view(scan)
        snapshot, evaluation, graph = self._by_content[key]
        return EvaluatedScan(scan=scan, snapshot=snapshot, evaluation=evaluation, graph=graph)

    def _view(self, scan: ScanRecord) -> tuple[Snapshot, Evaluation, ReachGraph]:
        """The scan's snapshot, evaluation and graph: from the view cache, else evaluated (and cached)."""
        if self._views is None:
            snapshot = self.history.snapshot(scan.id)
            evaluation = evaluate(snapshot)
            return snapshot, evaluation, build_graph(evaluation)
        content = self.view_key(scan)
        cached = self._views.load(content)
        if cached is not None:
            snapshot = self.history.snapshot_of(scan.id, cached.resources)
            if self._write and not self._views.has_index(content):  # a view cached before its index
                self._views.save_index(content, cached.evaluation, cached.graph, ou_paths=account_ou_paths(snapshot))
            return snapshot, cached.evaluation, cached.graph
        snapshot = self.history.snapshot(scan.id)
        evaluation = evaluate(snapshot)
        graph = build_graph(evaluation)
        if self._write and self._views.save(
            content, CachedView(resources=snapshot.resources, evaluation=evaluation, graph=graph)
        ):
            self._views.save_index(content, evaluation, graph, ou_paths=account_ou_paths(snapshot))
        return snapshot, evaluation, graph

    def view_key(self, scan: ScanRecord) -> str:
        """The name of ``scan``'s evaluated view and graph index: its content and scope, hashed."""
        # the evaluator also reads the scope (an account's organisation), so it is part of the key
        return hashlib.sha256(self.content_key(scan.id) + canonical_json(dict(scan.scope))).hexdigest()

    def graph_index(self, scan: ScanRecord) -> GraphIndex | None:
        """``scan``'s graph index, when its view was cached with one (who-can-read without the view)."""
        return self._views.graph_index(self.view_key(scan)) if self._views is not None else None

    def latest_holding(self, at: datetime, ref: str) -> EvaluatedScan | None:
        """The latest scan collected at or before ``at`` whose dataset index holds ``ref``; None if none does.

        Scans are tried newest first; a scan that shares its content with one already
        tried costs nothing more.
        """
        tried: set[bytes] = set()
        for scan in reversed(self.history.scans()):
            if scan.collected_at > at:
                continue
            key = self.content_key(scan.id)
            if key in tried:
                continue
            tried.add(key)
            found = self.evaluated(scan)
            if found.holds(ref) is not None:
                return found
        return None
