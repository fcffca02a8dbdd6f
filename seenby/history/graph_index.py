"""An evaluated scan's graph as an indexed file: who-can-read loads only the part it walks.

The evaluated view (:mod:`seenby.history.view_cache`) restores the whole graph: a few
seconds for an organisation of 100,000 people.  who-can-read needs much less: the nodes
upstream of one dataset (a reverse search), the member-of edges above them (to decide
whether a member is declared), their principals, and the people counts of the classes
among them.  This index holds the graph edge by edge in SQLite, keyed both ways, so a
who-can-read of a recorded scan reads those rows only and answers exactly as the whole
graph would (:func:`GraphIndex.subgraph` keeps every node's edges in their original order,
so the same shortest explaining paths are chosen).

Format ``seenby.graph-index/2``, next to the view it belongs to, named by the same content
and evaluator key.  Each object (principal, dataset, edge data, class members) is a pickle
stored with its sha256; a row is unpickled only when its digest matches, and only from a
file that is the current user's and grants nothing to group or others (as the view).
Anything else reads as "no index": the query falls back to the evaluated view.  Written to
a temporary file in the same directory, then renamed: readers see no half-written index.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import networkx as nx

from seenby.gcpolicy import bulk_allocation
from seenby.graph.build import EdgeInfo, GraphEdgeKind, ReachGraph, edge_entries
from seenby.history.pickling import dumps
from seenby.model import AccessLevel, CoverageGap, Dataset, Evaluation, Principal

__all__ = ["INDEX_ERRORS", "INDEX_FORMAT", "GraphIndex", "write_index"]

INDEX_FORMAT = "seenby.graph-index/3"  # 2: the flows; 3: principal names, OU paths (what-can-read, why)
_BATCH = 500  # node ids per IN (...) query

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE nodes (nid INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, name TEXT, digest BLOB, obj BLOB);
CREATE TABLE datasets (id TEXT PRIMARY KEY, name TEXT NOT NULL, digest BLOB NOT NULL, obj BLOB NOT NULL);
CREATE TABLE edges (seq INTEGER PRIMARY KEY, src INTEGER NOT NULL, dst INTEGER NOT NULL, kind TEXT NOT NULL,
                    digest BLOB NOT NULL, info BLOB NOT NULL);
CREATE TABLE classes (id TEXT PRIMARY KEY, people INTEGER, digest BLOB, members BLOB);
CREATE TABLE blobs (key TEXT PRIMARY KEY, digest BLOB NOT NULL, obj BLOB NOT NULL);
"""
_INDEXES = """
CREATE INDEX edges_dst ON edges (dst, seq);
CREATE INDEX edges_src ON edges (src, seq);
CREATE INDEX datasets_name ON datasets (name);
CREATE INDEX nodes_name ON nodes (name);
"""


def _node_key(node: object) -> str:
    """A graph node as text: a principal id, or ``["dataset id", "level"]`` for a dataset node."""
    if isinstance(node, tuple):
        return json.dumps([node[0], node[1].value])
    return str(node)


def _node_of(key: str) -> object:
    if key.startswith('["'):
        dataset_id, level = json.loads(key)
        return (dataset_id, AccessLevel(level))
    return key


def _pack(obj: object) -> tuple[bytes, bytes]:
    blob = dumps(obj)
    return hashlib.sha256(blob).digest(), blob


def _unpack(digest: bytes | None, blob: bytes | None) -> Any:
    if blob is None or digest is None or hashlib.sha256(blob).digest() != bytes(digest):
        raise _Damaged
    return pickle.loads(blob)


class _Damaged(Exception):
    """A row whose digest does not match: the index is not used."""


# what reading a damaged or foreign index raises: the query is then answered from the evaluated view
INDEX_ERRORS = (_Damaged, sqlite3.Error, pickle.UnpicklingError, EOFError, AttributeError, ImportError)


def write_index(
    path: Path, evaluation: Evaluation, graph: ReachGraph, *, key: dict[str, str], ou_paths: dict[str, str]
) -> bool:
    """Write the index of ``graph`` at ``path``, owner-only and atomically; False when it cannot be written.

    ``ou_paths``: each AWS account's OU path in the snapshot's organisation tree
    (:func:`seenby.queries.account_ou_paths`), which what-can-read places a principal with.
    """
    try:
        fd, temp = tempfile.mkstemp(prefix=".index-", dir=path.parent)
        os.close(fd)
    except OSError:
        return False
    try:
        db = sqlite3.connect(temp, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
            db.executescript(_SCHEMA)
            db.execute("BEGIN")
            db.executemany("INSERT INTO meta VALUES (?, ?)", [("format", INDEX_FORMAT), *key.items()])
            nids: dict[object, int] = {}
            rows = []
            for node in graph.graph.nodes:
                nids[node] = len(nids) + 1
                principal = graph.principals.get(node) if not isinstance(node, tuple) else None
                digest, blob = _pack(principal) if principal is not None else (None, None)
                name = principal.name if principal is not None else None
                rows.append((nids[node], _node_key(node), name, digest, blob))
            db.executemany("INSERT INTO nodes VALUES (?, ?, ?, ?, ?)", rows)
            db.executemany(
                "INSERT INTO datasets VALUES (?, ?, ?, ?)",
                ((d.id, d.name, *_pack(d)) for d in graph.datasets.values()),
            )
            order = _insertion_order(evaluation)
            if len(order) != graph.graph.number_of_edges():
                raise _Damaged  # not the graph of this evaluation: write no index
            edges = graph.graph.edges
            db.executemany(
                "INSERT INTO edges VALUES (?, ?, ?, ?, ?, ?)",
                (
                    (seq, nids[s], nids[t], edges[s, t]["info"].kind.value, *_pack(edges[s, t]["info"]))
                    for seq, (s, t) in enumerate(order)
                ),
            )
            classes = set(graph.class_people) | set(graph.class_members)
            db.executemany(
                "INSERT INTO classes VALUES (?, ?, ?, ?)",
                (
                    (c, graph.class_people.get(c), *(_pack(graph.class_members[c]) if c in graph.class_members
                                                     else (None, None)))
                    for c in sorted(classes)
                ),
            )  # fmt: skip
            db.executemany(
                "INSERT INTO blobs VALUES (?, ?, ?)",
                [("gaps", *_pack(tuple(evaluation.gaps))), ("account_orgs", *_pack(dict(graph.account_orgs))),
                 ("flows", *_pack(tuple(graph.flows))), ("ou_paths", *_pack(dict(ou_paths)))],
            )
            db.execute("COMMIT")
            db.executescript(_INDEXES)
        finally:
            db.close()
        os.chmod(temp, 0o600)
        os.replace(temp, path)
        return True
    except (OSError, sqlite3.Error, pickle.PicklingError, TypeError, AttributeError, KeyError, _Damaged):
        Path(temp).unlink(missing_ok=True)
        return False


def _insertion_order(evaluation: Evaluation) -> list[tuple[object, object]]:
    """The graph's edges in the order :func:`seenby.graph.build.build_graph` adds them (first appearance),
    which decides each node's neighbour order, and with it which shortest path a search takes."""
    return list(dict.fromkeys((source, target) for source, target, *_ in edge_entries(evaluation)))


class GraphIndex:
    """An open graph index (read only)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    @classmethod
    def open(cls, path: Path, *, key: dict[str, str], private: Any) -> GraphIndex | None:
        """The index at ``path`` when it is owner-only (``private(path)``) and names ``key``; None otherwise."""
        try:
            if not private(path):
                return None
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        except (OSError, sqlite3.Error):
            return None
        if meta.get("format") != INDEX_FORMAT or any(meta.get(k) != v for k, v in key.items()):
            db.close()
            return None
        return cls(db)

    def close(self) -> None:
        self._db.close()

    def dataset_id(self, ref: str) -> str | None:
        """The dataset ``ref`` names (its id, else the one dataset named ``ref`` or whose id ends with it)."""
        if self._db.execute("SELECT 1 FROM datasets WHERE id = ?", (ref,)).fetchone():
            return ref
        rows = self._db.execute(
            "SELECT id FROM datasets WHERE name = ? OR substr(id, -length(?)) = ? LIMIT 2", (ref, ref, ref)
        ).fetchall()
        return rows[0][0] if len(rows) == 1 else None

    def gaps(self) -> tuple[CoverageGap, ...]:
        return tuple(self._blob("gaps"))

    def _blob(self, key: str) -> Any:
        row = self._db.execute("SELECT digest, obj FROM blobs WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise _Damaged
        return _unpack(*row)

    def _rows_in(self, query: str, values: Iterable[object], *extra: object) -> Iterator[tuple[Any, ...]]:
        """The rows of ``query``, whose ``{marks}`` is an ``IN (...)`` list, for ``values`` in batches of
        :data:`_BATCH` (``extra`` parameters follow each batch's)."""
        chosen = list(values)
        for i in range(0, len(chosen), _BATCH):
            part = chosen[i : i + _BATCH]
            yield from self._db.execute(query.format(marks=",".join("?" * len(part))), (*part, *extra))

    def _nodes(self, nids: Iterable[int]) -> dict[int, tuple[str, Any]]:
        rows = self._rows_in("SELECT nid, key, digest, obj FROM nodes WHERE nid IN ({marks})", nids)
        return {nid: (key, _unpack(digest, blob) if blob is not None else None) for nid, key, digest, blob in rows}

    def _edges(
        self, column: str, nids: list[int], kind: GraphEdgeKind | None = None
    ) -> list[tuple[int, int, int, str]]:
        """Edges whose ``column`` (src or dst) is one of ``nids``: (seq, src, dst, kind), not yet unpickled."""
        query = f"SELECT seq, src, dst, kind FROM edges WHERE {column} IN ({{marks}})"
        if kind is None:
            return list(self._rows_in(query, nids))
        return list(self._rows_in(query + " AND kind = ?", nids, kind.value))

    def subgraph(self, dataset_id: str, levels: Iterable[AccessLevel]) -> ReachGraph | None:
        """The part of the graph who-can-read walks for ``dataset_id`` at ``levels``; None if the index is damaged.

        Every node upstream of the dataset's level nodes with all its incoming edges, the
        member-of edges above those nodes (transitively), their principals, the datasets
        on the way, and the classes' people counts and members.
        """
        try:
            with bulk_allocation():
                return self._subgraph(dataset_id, tuple(levels))
        except INDEX_ERRORS:
            return None

    def _subgraph(self, dataset_id: str, levels: tuple[AccessLevel, ...]) -> ReachGraph:
        start = self._nids(_node_key((dataset_id, level)) for level in levels)
        # reverse search: every predecessor, every incoming edge
        upstream, edges = self._closure(start, "dst")
        # member-of edges above them: whether a member is declared
        above, member_of = self._closure(list(upstream), "src", kind=GraphEdgeKind.MEMBER_OF)
        edges.update(member_of)
        return self._assemble(above, edges, {dataset_id})

    def downstream(self, starts: Iterable[str]) -> ReachGraph | None:
        """The part of the graph what-can-read walks from ``starts`` (principal ids); None if the index is damaged.

        Every node reachable from a start with all its outgoing edges, in their original
        order: the breadth-first searches of :func:`seenby.queries.what_can_read` take the same
        steps as on the whole graph (a principal's member-of edges, which decide whether it is
        declared, are outgoing edges too).
        """
        try:
            with bulk_allocation():
                nids = self._nids(starts)
                reached, edges = self._closure(nids, "src")
                return self._assemble(reached, edges, set())
        except INDEX_ERRORS:
            return None

    def between(self, starts: Iterable[str], dataset_id: str, level: AccessLevel) -> ReachGraph | None:
        """The part of the graph ``why`` searches for paths from ``starts`` to ``(dataset_id, level)``.

        networkx's shortest simple paths (a bidirectional breadth-first search, then Yen's
        deviations) only expands successors of nodes reached from a start and predecessors of
        nodes that reach the target.  So the graph returned holds every node reachable from a
        start with all its outgoing edges and every node upstream of the target with all its
        incoming edges, each node's neighbours in their original order: the search takes exactly
        the steps it takes on the whole graph and lists the same paths in the same order.  Only
        the nodes on some path (reached from a start *and* reaching the target) and the starts
        are real: their principals, datasets and edge evidence are read; every other node is a
        stand-in (its negated row number) that shapes the search and is on no path.  None if
        the index is damaged.
        """
        try:
            with bulk_allocation():
                start = self._nids(starts)
                forward, edges = self._closure(start, "src")
                backward, upstream_edges = self._closure(self._nids([_node_key((dataset_id, level))]), "dst")
                edges.update(upstream_edges)
                on_paths = forward & backward
                return self._assemble(forward | backward, edges, {dataset_id}, real=on_paths | set(start))
        except INDEX_ERRORS:
            return None

    def principals(self, ids: Iterable[str], *, prefix: str | None = None) -> dict[str, Principal] | None:
        """The graph's principals among ``ids`` (and every one whose id starts with ``prefix``), by id;
        None if the index is damaged."""
        rows: list[tuple[Any, ...]] = []
        try:
            rows += self._rows_in(
                "SELECT key, digest, obj FROM nodes WHERE obj IS NOT NULL AND key IN ({marks})", dict.fromkeys(ids)
            )
            if prefix:
                rows += self._db.execute(
                    "SELECT key, digest, obj FROM nodes WHERE obj IS NOT NULL AND substr(key, 1, ?) = ?",
                    (len(prefix), prefix),
                ).fetchall()
            return {key: _unpack(digest, blob) for key, digest, blob in rows}
        except INDEX_ERRORS:
            return None

    def principals_named(self, ref: str) -> dict[str, Principal] | None:
        """Every principal ``ref`` may name, as :func:`seenby.queries.find_principal` reads a reference:
        the one whose id is ``ref``, else those whose name is ``ref`` or whose id ends with it."""
        exact = self.principals([ref])
        if exact is None or exact:
            return exact
        try:
            rows = self._db.execute(
                "SELECT key, digest, obj FROM nodes WHERE obj IS NOT NULL AND "
                "(name = ? OR (? = '' OR substr(key, -length(?)) = ?))",
                (ref, ref, ref, ref),
            ).fetchall()
            return {key: _unpack(digest, blob) for key, digest, blob in rows}
        except INDEX_ERRORS:
            return None

    def ou_paths(self) -> dict[str, str]:
        """Each AWS account's OU path in the scan's organisation tree (raises when damaged)."""
        return dict(self._blob("ou_paths"))

    def account_orgs(self) -> dict[str, str]:
        """Each AWS account's organisation, as the graph holds it (raises when damaged)."""
        return dict(self._blob("account_orgs"))

    def _nids(self, keys: Iterable[str]) -> list[int]:
        return [r[0] for r in self._rows_in("SELECT nid FROM nodes WHERE key IN ({marks})", dict.fromkeys(keys))]

    def _closure(
        self, start: list[int], column: str, kind: GraphEdgeKind | None = None
    ) -> tuple[set[int], dict[int, tuple[int, int]]]:
        """Nodes reachable from ``start`` following edges (of ``kind`` only, if given) away from ``column``
        ("src": forward, "dst": backward), with every such edge whose ``column`` is one of them:
        (nodes, seq -> (src, dst))."""
        reached: set[int] = set(start)
        edges: dict[int, tuple[int, int]] = {}
        frontier = list(start)
        while frontier:
            found = self._edges(column, frontier, kind)
            frontier = []
            for seq, src, dst, _ in found:
                edges[seq] = (src, dst)
                other = dst if column == "src" else src
                if other not in reached:
                    reached.add(other)
                    frontier.append(other)
        return reached, edges

    def _assemble(
        self, nids: set[int], edges: dict[int, tuple[int, int]], dataset_ids: set[str], real: set[int] | None = None
    ) -> ReachGraph:
        """A :class:`ReachGraph` of nodes ``nids`` and ``edges`` (added in their original order), with the
        principals, the datasets on the way and ``dataset_ids``, the flows and both ends of each, and
        the classes' people counts and members.

        ``real``: only these nodes are read (the others are stand-ins: their negated row numbers),
        and only the edges between two of them carry their evidence.
        """
        nodes = self._nodes(nids if real is None else real)
        if real is not None:
            nodes.update({nid: ("", None) for nid in nids - real})
        infos: dict[int, EdgeInfo] = {}
        chosen = sorted(edges) if real is None else sorted(q for q, (a, b) in edges.items() if a in real and b in real)
        for seq, digest, blob in self._rows_in("SELECT seq, digest, info FROM edges WHERE seq IN ({marks})", chosen):
            infos[seq] = _unpack(digest, blob)
        g = nx.DiGraph()
        principals: dict[str, Principal] = {}
        named: dict[int, object] = {}
        for nid in sorted(nids):
            key, principal = nodes[nid]
            node = named[nid] = _node_of(key) if key else -nid
            g.add_node(node)
            if principal is not None:
                principals[str(node)] = principal
        g.add_edges_from(
            (named[src], named[dst], {"info": infos[seq]} if seq in infos else {})
            for seq, (src, dst) in sorted(edges.items())
        )  # in the order of the whole graph: each node's neighbours in their original order
        on_the_way = (_node_of(k) for k, _ in nodes.values() if k)
        dataset_ids = set(dataset_ids) | {str(node[0]) for node in on_the_way if isinstance(node, tuple)}
        # a copy inherits its source's declaration: the flows, and both ends of each, go with the answer
        flows = self._blob("flows")
        dataset_ids |= {end for f in flows for end in (f.source, f.destination)}
        datasets = self._datasets(dataset_ids)
        class_people: dict[str, int] = {}
        class_members: dict[str, frozenset[str]] = {}
        for cid, people, digest, blob in self._rows_in(
            "SELECT id, people, digest, members FROM classes WHERE id IN ({marks})", principals
        ):
            if people is not None:
                class_people[cid] = people
            if blob is not None:
                class_members[cid] = _unpack(digest, blob)
        return ReachGraph(
            graph=g, principals=principals, datasets=datasets, class_people=class_people,
            class_members=class_members, account_orgs=self._blob("account_orgs"), flows=flows,
        )  # fmt: skip

    def datasets(self, ids: Iterable[str]) -> dict[str, Dataset] | None:
        """The datasets among ``ids``, by id; None if the index is damaged."""
        try:
            return self._datasets(set(ids))
        except INDEX_ERRORS:
            return None

    def _datasets(self, ids: set[str]) -> dict[str, Dataset]:
        rows = self._rows_in("SELECT id, digest, obj FROM datasets WHERE id IN ({marks})", sorted(ids))
        return {did: _unpack(digest, blob) for did, digest, blob in rows}
