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

The compute phases themselves (:func:`bulk_work`: loading a snapshot, evaluating it, building
the graph, auditing) also *pause* the automatic collector (``gc.disable``) while they run.
Even at the raised thresholds it kept traversing the long-lived objects each phase was
building: on the L benchmark organisation 132 collections took 4.3 s of 32 and freed 5,477
objects in all.  Reference counting still frees every acyclic object the moment it is
dropped; only objects in reference cycles wait for the collector, which resumes when the
last paused phase ends, what the phase made frozen first like what is alive at each entry
(else the first collection would traverse all of it); the outermost exit unfreezes it all
(``benchmarks/gc_cost.py`` measures both).  Scans and other I/O-bound
commands are not paused: they keep the raised thresholds only.

Nested and concurrent uses share one setting: the outermost entry saves the thresholds,
the last exit restores them (and the last pausing exit re-enables a collector that was on).
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
PAUSE_PHASES = True  # switch the collector off in compute phases (benchmarks/gc_cost.py compares without)

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, int, int] | None = None
_unfreeze = False
_paused = 0  # pausing entries alive
_reenable = False  # the collector was on when the first pausing entry switched it off

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def bulk_allocation(*, pause: bool = False) -> Iterator[None]:
    """Raise the collector's thresholds, and freeze what is alive, for the duration of the block (re-entrant).

    ``pause``: also switch the automatic collector off until the last pausing block ends (compute phases only).
    """
    global _depth, _saved, _unfreeze, _paused, _reenable
    pause = pause and PAUSE_PHASES
    with _lock:
        if pause:
            if _paused == 0:
                _reenable = gc.isenabled()
                gc.disable()
            _paused += 1
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
            if pause:
                _paused -= 1
                if _paused == 0 and _reenable:
                    if FREEZE_PHASES:
                        # what the phase made and kept is long-lived: frozen, the collection the switched-on collector
                        # would run at once skips it (it would traverse every object the phase made)
                        gc.freeze()
                    gc.enable()
            _depth -= 1
            if _depth == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
                if _unfreeze:
                    gc.unfreeze()


def bulk_work(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator: run the compute phase ``fn`` inside :func:`bulk_allocation`, the collector paused."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with bulk_allocation(pause=True):
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
