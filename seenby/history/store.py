"""The history store: recorded scans, content-addressed, in one owner-only SQLite file.

Every read of every resource is stored once as a document keyed by the sha256 of its
canonical JSON (keys sorted, no spaces); a resource state is the list of its read
documents, also content-addressed; a scan is the ordered list of its resource states.
An unchanged bucket costs one small row per scan.  :meth:`HistoryStore.snapshot`
rebuilds exactly the snapshot that was recorded.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seenby.errors import StoreError
from seenby.history.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION
from seenby.history.times import format_time, parse_timestamp
from seenby.snapshot import Read, Resource, Snapshot

__all__ = ["HistoryStore", "ScanRecord", "StoreCounts", "canonical_json", "document_hash"]


def canonical_json(value: Any) -> bytes:
    """The one byte form a document is hashed and stored in: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def document_hash(read: Read) -> bytes:
    """The sha256 of the canonical JSON of one read (outcome, api, document, error code, message)."""
    return hashlib.sha256(canonical_json(read.to_json())).digest()


@dataclass(frozen=True, kw_only=True, slots=True)
class ScanRecord:
    """One recorded scan (the snapshot itself comes from :meth:`HistoryStore.snapshot`)."""

    id: int
    collected_at: datetime
    recorded_at: str
    collector: Mapping[str, Any]
    scope: Mapping[str, Any]
    source: str | None
    resources: int

    @property
    def ref(self) -> str:
        """``@3``: how a scan is named on the command line."""
        return f"@{self.id}"

    @property
    def when(self) -> str:
        return format_time(self.collected_at)

    def describe(self) -> str:
        """``scan @3 (2026-03-01T09:00:00Z)``."""
        return f"scan {self.ref} ({self.when})"


@dataclass(frozen=True, kw_only=True, slots=True)
class StoreCounts:
    """Row counts, to see deduplication at work."""

    scans: int
    documents: int
    resources: int
    states: int
    state_reads: int
    scan_resources: int


def _identity(r: Resource) -> dict[str, Any]:
    return {"type": r.type, "id": r.id, "name": r.name, "account": r.account, "region": r.region, "parent": r.parent}


class HistoryStore:
    """An open history store.  Use :meth:`open`; close with :meth:`close` or as a context manager."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self.path = path

    # ── opening ────────────────────────────────────────────────────────────────

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True) -> HistoryStore:
        """Open (and with ``create``, make) the store at ``path``: owner-only, schema up to date.

        A file that is not SQLite, a SQLite file that is not a seenby store, or a store
        written by a newer seenby is a :class:`~seenby.errors.StoreError` (exit 2).
        """
        p = Path(path).expanduser()
        if not p.exists():
            if not create:
                raise StoreError(
                    "no history store here (record scans with `seenby scan aws --record` or `seenby record`)",
                    file=str(p),
                )
            _create_private(p)
        elif p.is_dir():
            raise StoreError("is a directory, not a history store file", file=str(p))
        else:
            _make_private(p)
        try:
            db = sqlite3.connect(p, isolation_level=None, timeout=30)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open: {exc}", file=str(p)) from None
        store = cls(db, p)
        try:
            store._check_and_migrate(create=create)
        except sqlite3.DatabaseError as exc:
            db.close()
            raise StoreError(f"not a readable history store ({exc})", file=str(p)) from None
        except BaseException:
            db.close()
            raise
        return store

    def _check_and_migrate(self, *, create: bool) -> None:
        db = self._db
        # one statement, so one read transaction: a writer creating the store concurrently is
        # seen either before or after its schema transaction, never half-way
        app_id, version, tables = db.execute(
            "SELECT a.application_id, v.user_version, (SELECT count(*) FROM sqlite_master)"
            " FROM pragma_application_id() AS a, pragma_user_version() AS v"
        ).fetchone()
        if app_id != APPLICATION_ID and (tables or version):
            raise StoreError("a SQLite database, but not a seenby history store", file=str(self.path))
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"history store schema {version} is newer than this seenby reads ({SCHEMA_VERSION}); upgrade seenby",
                file=str(self.path),
            )
        db.execute("PRAGMA foreign_keys = ON")
        if version == SCHEMA_VERSION:
            return
        if not create and version == 0:
            raise StoreError("an empty file, not a history store", file=str(self.path))
        with self._transaction():
            # Another writer may have created or upgraded the store between the check above and
            # this lock (BEGIN IMMEDIATE): the version that counts is the one read under the lock.
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"history store schema {version} is newer than this seenby reads ({SCHEMA_VERSION}); "
                    "upgrade seenby",
                    file=str(self.path),
                )
            for step in range(version, SCHEMA_VERSION):
                MIGRATIONS[step](db)
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ── recording ──────────────────────────────────────────────────────────────

    def record(self, snapshot: Snapshot, *, source: str | None = None) -> tuple[ScanRecord, bool]:
        """Record ``snapshot`` as one scan; returns the scan and whether it is new.

        The same snapshot recorded twice (same time, same content) is one scan.  Everything
        is written in one transaction: an error leaves the store as it was.
        """
        collected = parse_timestamp(snapshot.collected_at)
        meta = {
            "collected_at": snapshot.collected_at,
            "schema_version": snapshot.schema_version,
            "collector": dict(snapshot.collector),
            "scope": dict(snapshot.scope),
        }
        with self._transaction():
            state_ids: list[int] = []
            content = hashlib.sha256(canonical_json(meta))
            for resource in snapshot.resources:
                state_id, state_hash = self._state(resource)
                state_ids.append(state_id)
                content.update(state_hash)
            digest = content.digest()
            existing = self._db.execute(
                "SELECT id FROM scans WHERE collected_us = ? AND content_hash = ?", (_micros(collected), digest)
            ).fetchone()
            if existing:
                return self.scan(existing[0]), False
            cursor = self._db.execute(
                "INSERT INTO scans (collected_at, collected_us, recorded_at, schema_version, collector, scope, source,"
                " content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    snapshot.collected_at,
                    _micros(collected),
                    format_time(datetime.now(UTC)),
                    snapshot.schema_version,
                    canonical_json(meta["collector"]).decode(),
                    canonical_json(meta["scope"]).decode(),
                    source if source is not None else snapshot.source,
                    digest,
                ),
            )
            scan_id = int(cursor.lastrowid or 0)
            self._db.executemany(
                "INSERT INTO scan_resources (scan_id, position, state_id) VALUES (?, ?, ?)",
                ((scan_id, i, s) for i, s in enumerate(state_ids)),
            )
        return self.scan(scan_id), True

    def _id(self, table: str, key_column: str, key: Any, insert: str, values: tuple[Any, ...]) -> int:
        row = self._db.execute(f"SELECT id FROM {table} WHERE {key_column} = ?", (key,)).fetchone()
        if row:
            return int(row[0])
        return int(self._db.execute(insert, values).lastrowid or 0)

    def _document(self, read: Read) -> tuple[int, bytes]:
        body = canonical_json(read.to_json())
        digest = hashlib.sha256(body).digest()
        doc_id = self._id(
            "documents", "hash", digest, "INSERT INTO documents (hash, body) VALUES (?, ?)",
            (digest, zlib.compress(body, 6)),
        )
        return doc_id, digest

    def _state(self, resource: Resource) -> tuple[int, bytes]:
        ident_json = canonical_json(_identity(resource))
        ident = hashlib.sha256(ident_json).digest()
        resource_id = self._id(
            "resources", "ident", ident,
            "INSERT INTO resources (ident, type, rid, name, account, region, parent) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (ident, resource.type, resource.id, resource.name, resource.account, resource.region, resource.parent),
        )
        reads = []
        state = hashlib.sha256(ident)
        for name, read in resource.reads.items():
            doc_id, digest = self._document(read)
            name_id = self._id("read_names", "name", name, "INSERT INTO read_names (name) VALUES (?)", (name,))
            reads.append((name_id, doc_id))
            state.update(canonical_json(name) + b"\x00" + digest)
        state_hash = state.digest()
        row = self._db.execute("SELECT id FROM states WHERE hash = ?", (state_hash,)).fetchone()
        if row:
            return int(row[0]), state_hash
        state_id = int(
            self._db.execute(
                "INSERT INTO states (hash, resource_id) VALUES (?, ?)", (state_hash, resource_id)
            ).lastrowid
            or 0
        )
        self._db.executemany(
            "INSERT INTO state_reads (state_id, position, read_name_id, document_id) VALUES (?, ?, ?, ?)",
            ((state_id, i, n, d) for i, (n, d) in enumerate(reads)),
        )
        return state_id, state_hash

    # ── reading ────────────────────────────────────────────────────────────────

    _SCAN_COLUMNS = (
        "s.id, s.collected_at, s.recorded_at, s.collector, s.scope, s.source,"
        " (SELECT count(*) FROM scan_resources r WHERE r.scan_id = s.id)"
    )

    def _record(self, row: tuple[Any, ...]) -> ScanRecord:
        return ScanRecord(
            id=row[0],
            collected_at=parse_timestamp(row[1]),
            recorded_at=row[2],
            collector=json.loads(row[3]),
            scope=json.loads(row[4]),
            source=row[5],
            resources=row[6],
        )

    def scans(self) -> list[ScanRecord]:
        """Every recorded scan, oldest first."""
        rows = self._db.execute(f"SELECT {self._SCAN_COLUMNS} FROM scans s ORDER BY s.collected_us, s.id")
        return [self._record(r) for r in rows]

    def scan(self, scan_id: int) -> ScanRecord:
        row = self._db.execute(f"SELECT {self._SCAN_COLUMNS} FROM scans s WHERE s.id = ?", (scan_id,)).fetchone()
        if row is None:
            raise StoreError(f"no recorded scan @{scan_id} (see `seenby scans`)", file=str(self.path))
        return self._record(row)

    def scan_at(self, at: datetime, *, containing: str | None = None) -> ScanRecord:
        """The latest scan collected at or before ``at``.

        With ``containing`` (a resource id or name), the latest such scan that has that
        resource, so a scan of another account does not hide the one asked about; when
        no scan has it, the latest scan at or before ``at`` all the same.
        """
        rows = self._db.execute(
            "SELECT id FROM scans WHERE collected_us <= ? ORDER BY collected_us DESC, id DESC", (_micros(at),)
        ).fetchall()
        if not rows:
            first = self._db.execute("SELECT collected_at FROM scans ORDER BY collected_us, id LIMIT 1").fetchone()
            detail = f"the first was collected {first[0]}" if first else "the store has no scans yet"
            raise StoreError(f"no scan recorded at or before {format_time(at)} ({detail})", file=str(self.path))
        if containing:
            states = self._states_of(containing)
            if states:
                marks = ",".join("?" * len(states))
                for (scan_id,) in rows:
                    hit = self._db.execute(
                        f"SELECT 1 FROM scan_resources WHERE scan_id = ? AND state_id IN ({marks}) LIMIT 1",
                        (scan_id, *states),
                    ).fetchone()
                    if hit:
                        return self.scan(scan_id)
        return self.scan(rows[0][0])

    def _states_of(self, ref: str) -> list[int]:
        rows = self._db.execute(
            "SELECT st.id FROM states st JOIN resources r ON r.id = st.resource_id WHERE r.rid = ? OR r.name = ?",
            (ref, ref),
        )
        return [r[0] for r in rows]

    def latest(self) -> ScanRecord:
        row = self._db.execute("SELECT id FROM scans ORDER BY collected_us DESC, id DESC LIMIT 1").fetchone()
        if row is None:
            raise StoreError("the store has no scans yet", file=str(self.path))
        return self.scan(row[0])

    def label(self, scan_id: int) -> str:
        """How a rebuilt snapshot names its source: ``/path/history.sqlite3@3``."""
        return f"{self.path}@{scan_id}"

    def snapshot(self, scan_id: int) -> Snapshot:
        """Rebuild the snapshot recorded as ``scan_id``: the same resources, reads and documents, in order."""
        row = self._db.execute(
            "SELECT collected_at, schema_version, collector, scope FROM scans WHERE id = ?", (scan_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"no recorded scan @{scan_id} (see `seenby scans`)", file=str(self.path))
        return self.snapshot_of(scan_id, tuple(self._resources(scan_id)), row)

    def snapshot_of(
        self, scan_id: int, resources: tuple[Resource, ...], row: tuple[Any, ...] | None = None
    ) -> Snapshot:
        """The snapshot of scan ``scan_id`` with ``resources`` given (the scan's own, e.g. from a cached view)."""
        if row is None:
            row = self._db.execute(
                "SELECT collected_at, schema_version, collector, scope FROM scans WHERE id = ?", (scan_id,)
            ).fetchone()
            if row is None:
                raise StoreError(f"no recorded scan @{scan_id} (see `seenby scans`)", file=str(self.path))
        return Snapshot(
            collected_at=row[0],
            schema_version=row[1],
            collector=json.loads(row[2]),
            scope=json.loads(row[3]),
            resources=resources,
            source=self.label(scan_id),
        )

    def _resources(self, scan_id: int) -> Iterable[Resource]:
        rows = self._db.execute(
            "SELECT sr.state_id, r.type, r.rid, r.name, r.account, r.region, r.parent FROM scan_resources sr"
            " JOIN states st ON st.id = sr.state_id JOIN resources r ON r.id = st.resource_id"
            " WHERE sr.scan_id = ? ORDER BY sr.position",
            (scan_id,),
        ).fetchall()
        reads = self._reads_of(scan_id)
        for state_id, type_, rid, name, account, region, parent in rows:
            yield Resource(
                type=type_, id=rid, name=name, account=account, region=region, parent=parent,
                reads=dict(reads.get(state_id, ())),
            )

    def _reads_of(self, scan_id: int) -> dict[int, list[tuple[str, Read]]]:
        rows = self._db.execute(
            "SELECT sr.state_id, n.name, d.body FROM scan_resources sr"
            " JOIN state_reads x ON x.state_id = sr.state_id JOIN read_names n ON n.id = x.read_name_id"
            " JOIN documents d ON d.id = x.document_id WHERE sr.scan_id = ? ORDER BY sr.position, x.position",
            (scan_id,),
        )
        out: dict[int, list[tuple[str, Read]]] = {}
        for state_id, name, body in rows:
            try:
                read = Read.from_json(json.loads(zlib.decompress(body)))
            except (zlib.error, ValueError, KeyError) as exc:
                damaged = f"scan @{scan_id}: a stored document is damaged ({exc})"
                raise StoreError(damaged, file=str(self.path)) from None
            out.setdefault(state_id, []).append((name, read))
        return out

    def read_hashes(self, scan_id: int) -> dict[tuple[str, str], dict[str, bytes]]:
        """``(type, id) -> {read name: document hash}`` of one scan, to see which documents changed."""
        rows = self._db.execute(
            "SELECT r.type, r.rid, n.name, d.hash FROM scan_resources sr JOIN states st ON st.id = sr.state_id"
            " JOIN resources r ON r.id = st.resource_id JOIN state_reads x ON x.state_id = sr.state_id"
            " JOIN read_names n ON n.id = x.read_name_id JOIN documents d ON d.id = x.document_id"
            " WHERE sr.scan_id = ?",
            (scan_id,),
        )
        out: dict[tuple[str, str], dict[str, bytes]] = {}
        for type_, rid, name, digest in rows:
            out.setdefault((type_, rid), {})[name] = bytes(digest)
        return out

    def state_hashes(self, scan_id: int) -> dict[tuple[str, str], bytes]:
        """``(type, id) -> state hash`` of one scan: equal hashes mean an unchanged resource."""
        rows = self._db.execute(
            "SELECT r.type, r.rid, st.hash FROM scan_resources sr JOIN states st ON st.id = sr.state_id"
            " JOIN resources r ON r.id = st.resource_id WHERE sr.scan_id = ?",
            (scan_id,),
        )
        return {(t, rid): bytes(h) for t, rid, h in rows}

    def counts(self) -> StoreCounts:
        def n(table: str) -> int:
            return int(self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

        return StoreCounts(
            scans=n("scans"),
            documents=n("documents"),
            resources=n("resources"),
            states=n("states"),
            state_reads=n("state_reads"),
            scan_resources=n("scan_resources"),
        )


def _micros(when: datetime) -> int:
    delta = when.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _create_private(path: Path) -> None:
    """Make the store's directory (0700 where we create it) and an empty 0600 file."""
    if not path.parent.exists():
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # another writer may make it first
        except OSError as exc:
            raise StoreError(f"cannot create the store's directory: {exc}", file=str(path)) from None
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(f"cannot create: {exc}", file=str(path)) from None
    os.fchmod(fd, 0o600)
    os.close(fd)


def _make_private(path: Path) -> None:
    """An existing store readable by others is narrowed to its owner (0600)."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        try:
            path.chmod(0o600)
        except OSError as exc:
            raise StoreError(f"is readable by others and cannot be made owner-only: {exc}", file=str(path)) from None
