"""The evaluated view of a recorded scan, cached next to the history store.

Evaluating a large scan and building its graph takes seconds to minutes; the queries
(who-can-read, what-can-read, why, ``--at``) ask the same scan again and again.  The
first evaluation of a scan content is written to ``<store>.views/`` and later queries
load it instead.

**Key.**  A cache file is named by the sha256 of the scan's *content* (the hashes of its
resource states, plus its scope and schema version, which the evaluator reads) and of
the **evaluator fingerprint**: the sha256 of seenby's version, the Python version, and
the source and data files of everything that evaluates (``seenby.policies``,
``seenby.graph``, ``seenby.model``, ``seenby.snapshot``, ``seenby.registry``).  A
change to either names another file, so a stale view is never read; old files are
removed when a new one is written for the same content.

**Format.**  One line of JSON header (``format``, ``content``, ``evaluator``, ``sha256``
and ``length`` of the payload), then the payload: a pickle of the resources, the
:class:`~seenby.model.Evaluation` and the :class:`~seenby.graph.build.ReachGraph`.
Pickle because the view is a web of some twenty frozen model types with shared
references, which pickle restores exactly and fastest; a JSON form would be a second
serialisation of every model to keep in step, and slower to load than the evaluation
it saves on a large organisation.  Pickle runs code when loaded, so a file is only
read when (a) the directory and the file belong to the current user and are not
accessible to group or others (``0700`` / ``0600``), (b) its header names this very
content and evaluator, and (c) the payload's length and sha256 match the header.  Any
failure reads as "not cached": the scan is evaluated again (fail closed: never a wrong
answer, only a slower one).

**Writing.**  Owner-only (``0600`` in a ``0700`` directory), to a temporary file in the
same directory, then ``os.replace``: a reader sees the old file or the whole new one.
A store that cannot be written next to (a read-only directory) is simply not cached.

**Bounded.**  Each time a view or index is written, the directory is pruned to the
``keep`` most recently used scan contents (default :data:`DEFAULT_KEEP`, or
``$SEENBY_VIEWS_KEEP``): a content's view and index go together, and using one (loading
the view, opening the index) sets its modification time, which is what "recently used"
means (access times are unreliable: ``noatime``, ``relatime``).  Only files named as this
module names them are ever removed: not the temporary files a concurrent writer is
renaming in (``.view-*``, ``.index-*``), not anything else in the directory, and never the
content just written.  A reader whose file is removed under it still holds it open
(POSIX), or finds it gone and evaluates again: a slower answer, never a wrong one.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import pickle
import re
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from seenby import __version__
from seenby.errors import UsageError
from seenby.gcpolicy import bulk_allocation
from seenby.graph.build import ReachGraph
from seenby.history.graph_index import GraphIndex, write_index
from seenby.history.pickling import dumps
from seenby.model import Evaluation
from seenby.snapshot import Resource

__all__ = ["CACHE_FORMAT", "DEFAULT_KEEP", "KEEP_VARIABLE", "CachedView", "ViewCache", "evaluator_fingerprint"]

CACHE_FORMAT = "seenby.evaluated-view/1"
DEFAULT_KEEP = 8  # scan contents whose view and index are kept: a few scans asked about in an incident
KEEP_VARIABLE = "SEENBY_VIEWS_KEEP"
_OURS = re.compile(r"(?P<content>[0-9a-f]{64})-[0-9a-f]{32}\.(?:view|index)")  # what _file names; nothing else
_EVALUATING_PACKAGES = ("seenby.policies", "seenby.graph")
_EVALUATING_MODULES = ("seenby.model", "seenby.snapshot", "seenby.registry", "seenby.gcpolicy")


@functools.cache
def evaluator_fingerprint() -> str:
    """sha256 of what decides an evaluation: seenby's version, Python's, and the evaluating code and data."""
    import importlib

    digest = hashlib.sha256(f"{__version__}\0{sys.version}\0{pickle.HIGHEST_PROTOCOL}\0".encode())
    files: list[Path] = []
    for name in _EVALUATING_PACKAGES:
        package = importlib.import_module(name)
        for root in package.__path__:
            files += [p for p in Path(root).rglob("*") if p.is_file() and p.suffix in {".py", ".json", ".yaml"}]
    for name in _EVALUATING_MODULES:
        module = importlib.import_module(name)
        files.append(Path(str(module.__file__)))
    for path in sorted(files, key=lambda p: (p.name, str(p))):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True, kw_only=True)
class CachedView:
    """What a cache file holds: the scan's resources, their evaluation and its graph."""

    resources: tuple[Resource, ...]
    evaluation: Evaluation
    graph: ReachGraph


class ViewCache:
    """The evaluated views of one history store, in ``<store>.views/``."""

    def __init__(self, store_path: Path, *, keep: int | None = None) -> None:
        self.directory = store_path.with_name(store_path.name + ".views")
        self.keep = keep if keep is not None else keep_from_environment()
        if self.keep < 1:
            raise UsageError(f"the view cache keeps at least one scan (asked: {self.keep})")

    def _file(self, content: str, suffix: str = ".view") -> Path:
        return self.directory / f"{content}-{evaluator_fingerprint()[:32]}{suffix}"

    def _key(self, content: str) -> dict[str, str]:
        return {"content": content, "evaluator": evaluator_fingerprint()}

    def graph_index(self, content: str) -> GraphIndex | None:
        """The graph index of ``content`` (who-can-read without loading the view), if there is a usable one."""
        if not _exists_private(self.directory):
            return None
        path = self._file(content, ".index")
        found = GraphIndex.open(path, key=self._key(content), private=_exists_private)
        if found is not None:
            _touch(path)
        return found

    def has_index(self, content: str) -> bool:
        """Whether ``content`` has a usable graph index."""
        found = self.graph_index(content)
        if found is None:
            return False
        found.close()
        return True

    def save_index(
        self, content: str, evaluation: Evaluation, graph: ReachGraph, *, ou_paths: dict[str, str]
    ) -> bool:
        """Write the graph index of ``content`` next to its view (owner-only, atomically)."""
        if not _exists_private(self.directory):
            return False
        written = write_index(
            self._file(content, ".index"), evaluation, graph, key=self._key(content), ou_paths=ou_paths
        )
        if written:
            self.prune(keeping=content)
        return written

    def load(self, content: str) -> CachedView | None:
        """The cached view of ``content`` when present, owner-only and intact; None otherwise."""
        path = self._file(content)
        try:
            if not (_private(self.directory, 0o077) and _private(path, 0o077)):
                return None
            with path.open("rb") as fh:
                header = json.loads(fh.readline())
                payload = fh.read()
        except (OSError, ValueError):
            return None
        expected = {"format": CACHE_FORMAT, "content": content, "evaluator": evaluator_fingerprint()}
        if not isinstance(header, dict) or any(header.get(k) != v for k, v in expected.items()):
            return None
        if header.get("length") != len(payload) or header.get("sha256") != hashlib.sha256(payload).hexdigest():
            return None
        try:
            with bulk_allocation():  # millions of small objects: no collections while they are made
                view = pickle.loads(payload)
        except Exception:  # a damaged payload that still matched its digest cannot be, but never trust it
            return None
        if not isinstance(view, CachedView):
            return None
        _touch(path)
        return view

    def save(self, content: str, view: CachedView) -> bool:
        """Write ``view`` owner-only and atomically; False when the directory cannot be written."""
        try:
            payload = dumps(view)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            return False  # a model that cannot be serialised: answered uncached, never wrongly
        header = {
            "format": CACHE_FORMAT,
            "content": content,
            "evaluator": evaluator_fingerprint(),
            "length": len(payload),
            "sha256": hashlib.sha256(payload).hexdigest(),
        }
        target = self._file(content)
        try:
            self.directory.mkdir(mode=0o700, exist_ok=True)
            if not _private(self.directory, 0o077):
                return False
            fd, temp = tempfile.mkstemp(prefix=".view-", dir=self.directory)  # mkstemp: 0600
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(json.dumps(header, sort_keys=True).encode() + b"\n")
                    fh.write(payload)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(temp, target)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError:
            return False
        for old in self.directory.glob(f"{content}-*"):  # views and indexes of an older evaluator
            if _OURS.fullmatch(old.name) and old.name.rsplit(".", 1)[0] != target.name.rsplit(".", 1)[0]:
                old.unlink(missing_ok=True)
        self.prune(keeping=content)
        return True

    def prune(self, *, keeping: str | None = None) -> list[Path]:
        """Remove the views and indexes of all but the :attr:`keep` most recently used scan contents
        (``keeping`` among those kept); the files removed.  Files not named as this cache names
        them (a concurrent writer's temporary file, anything else) are never touched."""
        entries: dict[str, list[tuple[Path, float]]] = {}
        try:
            if not _private(self.directory, 0o077):
                return []
            for entry in os.scandir(self.directory):
                match = _OURS.fullmatch(entry.name)
                if match is None or not entry.is_file(follow_symlinks=False):
                    continue
                entries.setdefault(match["content"], []).append((Path(entry.path), entry.stat().st_mtime))
        except OSError:
            return []
        used = sorted(
            entries, key=lambda c: (c == keeping, max(m for _, m in entries[c]), c), reverse=True
        )  # the content just written first, then the most recently used
        removed = []
        for content in used[self.keep :]:
            for path, _ in entries[content]:
                try:
                    path.unlink()
                    removed.append(path)
                except FileNotFoundError:
                    continue  # removed by a concurrent pruner
                except OSError:
                    break
        return removed


def keep_from_environment() -> int:
    """How many scan contents the view cache keeps: ``$SEENBY_VIEWS_KEEP``, else :data:`DEFAULT_KEEP`."""
    text = os.environ.get(KEEP_VARIABLE, "").strip()
    if not text:
        return DEFAULT_KEEP
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"{KEEP_VARIABLE}={text!r}: give a whole number of scans to keep, at least 1")
    return int(text)


def _touch(path: Path) -> None:
    """Mark ``path`` used now (its modification time: what pruning keeps the most recent of)."""
    with contextlib.suppress(OSError):  # a read-only cache is still read; it is only not pruned by use
        os.utime(path)


def _exists_private(path: Path) -> bool:
    try:
        return _private(path, 0o077)
    except OSError:
        return False


def _private(path: Path, forbidden: int) -> bool:
    """``path`` is the current user's and grants nothing to group or others (not followed if a link)."""
    info = path.lstat()
    kind_ok = stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)
    return kind_ok and info.st_uid == os.getuid() and not (info.st_mode & forbidden)
