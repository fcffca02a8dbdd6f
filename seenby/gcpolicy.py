"""Cyclic garbage collector settings for bulk work (loading, evaluating, graphing, auditing).

Those phases allocate millions of long-lived, acyclic objects (parsed documents,
evidence, grants, graph edges).  With CPython's default thresholds (700, 10, 10) the
collector runs a young collection every 700 net allocations and repeatedly re-scans the
growing older generations, finding nothing to free: on the M benchmark organisation that
was about a third of the audit's wall time.  Inside :func:`bulk_allocation` the thresholds
are raised (collection still happens, far less often) and restored on the way out.

Each entry also freezes what is alive (``gc.freeze``): data that survived into the next
phase (the snapshot into evaluation, the evaluation into the graph and the audit) is
long-lived, so the collections of that phase need not traverse it again.  The last exit
unfreezes it, unless the embedding program had frozen objects of its own before.

Nested and concurrent uses share one setting: the outermost entry saves the thresholds,
the last exit restores them.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

__all__ = ["BULK_THRESHOLDS", "bulk_allocation", "bulk_work", "leave_for_exit"]

# a young collection every 100,000 net allocations, the middle one every 50 of those,
# the oldest every 100 middle ones (and only when it grew by a quarter, CPython's own rule)
BULK_THRESHOLDS = (100_000, 50, 100)
FREEZE_PHASES = True  # freeze what is alive at each entry (benchmarks/gc_cost.py compares without)

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, int, int] | None = None
_unfreeze = False

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """Raise the collector's thresholds, and freeze what is alive, for the duration of the block (re-entrant)."""
    global _depth, _saved, _unfreeze
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            _unfreeze = gc.get_freeze_count() == 0
            # never lower a threshold the embedding program raised itself, nor re-enable a
            # collector it switched off with a zero threshold
            if _saved[0] != 0:
                gc.set_threshold(*(max(a, b) for a, b in zip(_saved, BULK_THRESHOLDS, strict=True)))
        if FREEZE_PHASES:
            gc.freeze()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
                if _unfreeze:
                    gc.unfreeze()


def bulk_work(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator: run ``fn`` inside :func:`bulk_allocation`."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with bulk_allocation():
            return fn(*args, **kwargs)

    return wrapper


def leave_for_exit() -> None:
    """The process is about to end: freeze what is left so the interpreter's last collection skips it.

    What a command built is garbage once it returns; the collection the interpreter runs at
    shutdown would traverse all of it to free memory the exit releases anyway (about 4 s on the
    L benchmark organisation).  Frozen objects are not collected: files, connections and
    temporary directories are closed explicitly (``with``) or by ``atexit`` handlers, which still run.
    Only for the command line's ``main``; a library caller's process goes on.
    """
    gc.freeze()
