"""Snapshot v1: what a scan saw, as raw provider documents plus the outcome of every read.

A snapshot is a JSON object (schema: ``seenby/schemas/snapshot-v1.schema.json``,
documented in ``docs/snapshot.md``)::

    {"schema_version": "1.0", "collected_at": "...Z", "collector": {...}, "scope": {...},
     "resources": [{"type": "aws.s3.bucket", "id": "arn:aws:s3:::b", "account": "1111…",
                    "reads": {"policy": {"outcome": "ok", "api": "s3:GetBucketPolicy",
                                         "document": {"Policy": "{...}"}}}}]}

Loading validates against the schema and refuses an unknown major version; every
error names the file and the JSON path.  Saving is atomic and owner-only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources as importlib_resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seenby import __version__
from seenby.errors import SnapshotError
from seenby.fileio import InputLimit, load_json, read_limited, write_private
from seenby.gcpolicy import bulk_work
from seenby.model import ReadOutcome

if TYPE_CHECKING:
    import jsonschema

__all__ = [
    "NOT_IN_EXPORT",
    "SCHEMA_VERSION",
    "Read",
    "Resource",
    "Snapshot",
    "load_snapshot",
    "load_snapshots",
    "merge_snapshots",
    "save_snapshot",
]

SCHEMA_VERSION = "1.0"
SUPPORTED_MAJOR = 1
# The error code of a read an importer could not make because its export does not hold the document:
# a gap, and a placeholder that never replaces a read a scan made when snapshots are merged.
NOT_IN_EXPORT = "NotInExport"


@dataclass(frozen=True, kw_only=True, slots=True)
class Read:
    """One API read and what came of it. ``document`` is set only when ``outcome`` is OK."""

    outcome: ReadOutcome
    api: str
    document: Any = None
    error_code: str | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is ReadOutcome.OK

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Read:
        return cls(
            outcome=ReadOutcome(data["outcome"]),
            api=data["api"],
            document=data.get("document"),
            error_code=data.get("error_code"),
            message=data.get("message"),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"outcome": self.outcome.value, "api": self.api}
        if self.outcome is ReadOutcome.OK:
            out["document"] = self.document
        if self.error_code is not None:
            out["error_code"] = self.error_code
        if self.message is not None:
            out["message"] = self.message
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class Resource:
    """One scanned resource: its identity and every read made for it."""

    type: str
    id: str
    reads: Mapping[str, Read]
    name: str | None = None
    account: str | None = None
    region: str | None = None
    parent: str | None = None

    def read(self, name: str) -> Read | None:
        return self.reads.get(name)

    def document(self, name: str) -> Any:
        """The document of a successful read, else None (check :meth:`read` for why)."""
        r = self.reads.get(name)
        return r.document if r is not None and r.ok else None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Resource:
        return cls(
            type=data["type"],
            id=data["id"],
            name=data.get("name"),
            account=data.get("account"),
            region=data.get("region"),
            parent=data.get("parent"),
            reads={k: Read.from_json(v) for k, v in data.get("reads", {}).items()},
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "id": self.id}
        for key in ("name", "account", "region", "parent"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out["reads"] = {k: v.to_json() for k, v in self.reads.items()}
        return out


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """A loaded snapshot. ``source`` is the file it came from, for error messages."""

    collected_at: str
    collector: Mapping[str, Any]
    scope: Mapping[str, Any]
    resources: tuple[Resource, ...]
    schema_version: str = SCHEMA_VERSION
    source: str | None = None
    _by_type: dict[str, list[Resource]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_type: dict[str, list[Resource]] = {}
        for r in self.resources:
            by_type.setdefault(r.type, []).append(r)
        object.__setattr__(self, "_by_type", by_type)

    def of_type(self, type_: str) -> list[Resource]:
        return self._by_type.get(type_, [])

    def types(self) -> Iterator[str]:
        return iter(self._by_type)

    @property
    def collected_at_dt(self) -> datetime:
        return datetime.fromisoformat(self.collected_at.replace("Z", "+00:00"))

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "collected_at": self.collected_at,
            "collector": dict(self.collector),
            "scope": dict(self.scope),
            "resources": [r.to_json() for r in self.resources],
        }


def new_snapshot(
    resources: Iterable[Resource],
    *,
    scope: Mapping[str, Any],
    mode: str,
    identity: str | None = None,
    collected_at: datetime | None = None,
) -> Snapshot:
    """A snapshot made now by this seenby (scanners, importers and example builders use it)."""
    when = (collected_at or datetime.now(UTC)).astimezone(UTC)
    return Snapshot(
        collected_at=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        collector={"tool": "seenby", "version": __version__, "identity": identity, "mode": mode},
        scope=dict(scope),
        resources=tuple(resources),
    )


@cache
def _schema() -> dict[str, Any]:
    text = importlib_resources.files("seenby").joinpath("schemas/snapshot-v1.schema.json").read_text()
    return json.loads(text)


@cache
def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema  # loaded when a snapshot is loaded, not by every command that imports this module

    return jsonschema.Draft202012Validator(_schema())


_RESOURCE_KEYS = frozenset({"type", "id", "name", "account", "region", "parent", "reads"})
_READ_KEYS = frozenset({"outcome", "api", "error_code", "message", "document"})
_OUTCOMES = frozenset({"ok", "absent", "denied", "error"})


@cache
def _type_pattern() -> re.Pattern[str]:
    return re.compile(_schema()["$defs"]["resource"]["properties"]["type"]["pattern"])


def _optional_str(value: Any) -> bool:
    return value is None or type(value) is str


def _fast_resource(r: Any) -> bool:
    """``r`` is valid against the schema's ``resource`` (and ``read``) definitions; False when unsure."""
    if type(r) is not dict or not r.keys() <= _RESOURCE_KEYS:
        return False
    type_, id_, reads = r.get("type"), r.get("id"), r.get("reads")
    if type(type_) is not str or _type_pattern().search(type_) is None or type(id_) is not str or not id_:
        return False
    if "name" in r and type(r["name"]) is not str:
        return False
    if not all(_optional_str(r.get(k)) for k in ("account", "region", "parent")) or type(reads) is not dict:
        return False
    for read in reads.values():
        if type(read) is not dict or not read.keys() <= _READ_KEYS:
            return False
        outcome = read.get("outcome")
        if type(outcome) is not str or outcome not in _OUTCOMES or type(read.get("api")) is not str:
            return False
        if not (_optional_str(read.get("error_code")) and _optional_str(read.get("message"))):
            return False
        if outcome == "ok" and "document" not in read:
            return False
        if outcome in ("denied", "error") and "error_code" not in read:
            return False
    return True


def _fast_valid(data: dict[str, Any]) -> bool:
    """True only when ``data`` is certainly valid against the schema, checked in one cheap pass.

    The envelope goes through jsonschema with ``resources`` emptied; each resource through a
    direct check of the (small, flat) resource and read definitions.  Anything the direct check
    is unsure of answers False, and the caller runs full jsonschema validation, which decides
    and words the error: the verdict is always jsonschema's.
    """
    resources = data.get("resources")
    if type(resources) is not list:
        return False
    if not _validator().is_valid({**data, "resources": []}):
        return False
    return all(_fast_resource(r) for r in resources)


def _json_path(parts: Iterable[Any]) -> str:
    path = "$"
    for p in parts:
        path += f"[{p}]" if isinstance(p, int) else f".{p}"
    return path


def parse_snapshot(data: Any, *, source: str) -> Snapshot:
    """Validate a decoded snapshot and build it; errors name ``source`` and the JSON path."""
    if not isinstance(data, dict):
        raise SnapshotError("a snapshot is a JSON object", file=source, where="$")
    version = data.get("schema_version")
    if not isinstance(version, str):
        raise SnapshotError("schema_version is missing (is this a seenby snapshot?)", file=source, where="$")
    major = version.split(".", 1)[0]
    if not major.isdigit() or int(major) != SUPPORTED_MAJOR:
        raise SnapshotError(
            f"schema_version {version!r} is not one this seenby reads (it reads {SUPPORTED_MAJOR}.x); "
            "upgrade seenby or re-scan",
            file=source,
            where="$.schema_version",
        )
    if not _fast_valid(data):
        import jsonschema

        error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
        if error is not None:
            raise SnapshotError(error.message, file=source, where=_json_path(error.absolute_path))
    seen: dict[tuple[str, str], int] = {}
    for i, r in enumerate(data["resources"]):
        key = (r["type"], r["id"])
        if key in seen:
            raise SnapshotError(
                f"resource {r['id']} of type {r['type']} appears twice (first at $.resources[{seen[key]}])",
                file=source,
                where=f"$.resources[{i}]",
            )
        seen[key] = i
    return Snapshot(
        schema_version=version,
        collected_at=data["collected_at"],
        collector=data["collector"],
        scope=data["scope"],
        resources=tuple(Resource.from_json(r) for r in data["resources"]),
        source=source,
    )


@bulk_work
def load_snapshot(path: str | Path, *, embedded: bool = False) -> Snapshot:
    """Read a snapshot file within seenby.fileio's limits.

    ``embedded``: policy documents inside it (JSON in strings) are held to the same limits
    (``seenby gate`` on a baseline: one line, never a crash).  It costs about half again the
    JSON decoding time, so ``seenby audit`` does not ask for it.
    """
    p = Path(path)
    try:
        data = load_json(read_limited(p), embedded=embedded)
    except FileNotFoundError:
        raise SnapshotError("no such file", file=str(p)) from None
    except OSError as exc:
        raise SnapshotError(f"cannot read: {exc}", file=str(p)) from None
    except InputLimit as exc:
        raise SnapshotError(exc.message, file=str(p), where=exc.where) from None
    except json.JSONDecodeError as exc:
        raise SnapshotError(
            f"not valid JSON: {exc.msg}", file=str(p), where=f"line {exc.lineno} column {exc.colno}"
        ) from None
    return parse_snapshot(data, source=str(p))


def load_snapshots(paths: Iterable[str | Path], *, embedded: bool = False) -> Snapshot:
    """Load one or more snapshot shards and merge them into one view."""
    shots = [load_snapshot(p, embedded=embedded) for p in paths]
    if not shots:
        raise SnapshotError("no snapshot given")
    return shots[0] if len(shots) == 1 else merge_snapshots(shots)


def _placeholder(read: Read) -> bool:
    return read.outcome is ReadOutcome.ERROR and read.error_code == NOT_IN_EXPORT


def _merged_resource(older: Resource, newer: Resource) -> Resource:
    """``newer`` with, read by read, the newest *read*: an export's NotInExport placeholder keeps a scan's read."""
    reads = dict(older.reads)
    for name, read in newer.reads.items():
        if _placeholder(read) and name in reads and not _placeholder(reads[name]):
            continue
        reads[name] = read
    return Resource(
        type=newer.type,
        id=newer.id,
        name=newer.name,
        account=newer.account,
        region=newer.region,
        parent=newer.parent,
        reads=reads,
    )


def merge_snapshots(shots: Iterable[Snapshot]) -> Snapshot:
    """Merge shards (one per account or project), or an export with a scan, into one view.

    The same resource in two snapshots keeps, for each of its reads, the newest one (by the
    snapshots' ``collected_at``), not the newest resource whole: a read only the older snapshot
    made survives, and an importer's ``NotInExport`` placeholder never replaces a real read.
    """
    shots = sorted(shots, key=lambda s: s.collected_at)
    merged: dict[tuple[str, str], Resource] = {}
    scope: dict[str, Any] = {}
    for s in shots:
        for r in s.resources:
            key = (r.type, r.id)
            merged[key] = _merged_resource(merged[key], r) if key in merged else r
        for key, value in s.scope.items():
            if isinstance(value, list):
                scope[key] = sorted(set(scope.get(key, [])) | set(value))
            elif value is not None:
                scope[key] = value
    last = shots[-1]
    return Snapshot(
        schema_version=SCHEMA_VERSION,
        collected_at=last.collected_at,
        collector={**last.collector, "mode": "merge"},
        scope=scope,
        resources=tuple(merged.values()),
        source=", ".join(s.source or "?" for s in shots),
    )


def save_snapshot(snapshot: Snapshot, path: str | Path) -> None:
    """Write atomically with owner-only permissions; re-validate first so we never write a bad file."""
    data = snapshot.to_json()
    parse_snapshot(data, source=str(path))
    write_private(Path(path), json.dumps(data, indent=1, sort_keys=False) + "\n")
