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
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from seenby import __version__
from seenby.gcpolicy import bulk_allocation
from seenby.graph.build import ReachGraph
from seenby.history.graph_index import GraphIndex, write_index
from seenby.history.pickling import dumps
from seenby.model import Evaluation
from seenby.snapshot import Resource

__all__ = ["CACHE_FORMAT", "CachedView", "ViewCache", "evaluator_fingerprint"]

CACHE_FORMAT = "seenby.evaluated-view/1"
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

    def __init__(self, store_path: Path) -> None:
        self.directory = store_path.with_name(store_path.name + ".views")

    def _file(self, content: str, suffix: str = ".view") -> Path:
        return self.directory / f"{content}-{evaluator_fingerprint()[:32]}{suffix}"

    def _key(self, content: str) -> dict[str, str]:
        return {"content": content, "evaluator": evaluator_fingerprint()}

    def graph_index(self, content: str) -> GraphIndex | None:
        """The graph index of ``content`` (who-can-read without loading the view), if there is a usable one."""
        if not _exists_private(self.directory):
            return None
        return GraphIndex.open(self._file(content, ".index"), key=self._key(content), private=_exists_private)

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
        return view if isinstance(view, CachedView) else None

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
            if old.name.rsplit(".", 1)[0] != target.name.rsplit(".", 1)[0]:
                old.unlink(missing_ok=True)
        return True


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
