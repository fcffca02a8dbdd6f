"""Progress of a scan, reported to whoever wants to show it (the CLI draws it on stderr).

Scanners print nothing: they report to a :class:`ProgressSink`.  Calls arrive from
worker threads; scanners wrap the sink in :class:`Tracker`, which serialises them, so a
sink need not be thread-safe.  ``scope`` is an account id (or an organisation id),
``unit`` what is being counted there (``s3`` buckets, ``account`` reads).
"""

from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable

__all__ = ["NullProgress", "ProgressSink", "RichProgress", "Tracker"]


@runtime_checkable
class ProgressSink(Protocol):
    def started(self, scope: str, unit: str, total: int) -> None:
        """Work on ``unit`` in ``scope`` began; ``total`` items are expected."""

    def advanced(self, scope: str, unit: str, count: int) -> None:
        """``count`` more items are done."""

    def finished(self, scope: str, unit: str) -> None:
        """Every item of ``unit`` in ``scope`` is done."""


class NullProgress:
    """Shows nothing."""

    def started(self, scope: str, unit: str, total: int) -> None:
        pass

    def advanced(self, scope: str, unit: str, count: int) -> None:
        pass

    def finished(self, scope: str, unit: str) -> None:
        pass


class Tracker:
    """Serialises calls to a sink and sends ``finished`` when the last expected item is done."""

    def __init__(self, sink: ProgressSink | None) -> None:
        self._sink: ProgressSink = sink if sink is not None else NullProgress()
        self._lock = threading.Lock()
        self._left: dict[tuple[str, str], int] = {}

    def start(self, scope: str, unit: str, total: int) -> None:
        with self._lock:
            self._left[(scope, unit)] = total
            self._sink.started(scope, unit, total)
            if total == 0:
                self._sink.finished(scope, unit)

    def advance(self, scope: str, unit: str, count: int = 1) -> None:
        with self._lock:
            key = (scope, unit)
            left = self._left.get(key, 0) - count
            self._left[key] = left
            self._sink.advanced(scope, unit, count)
            if left == 0:
                self._sink.finished(scope, unit)


class RichProgress:
    """A sink drawing one bar per scope and unit with ``rich`` (pass a stderr Console)."""

    def __init__(self, progress: object) -> None:
        # ``progress`` is a started ``rich.progress.Progress``; typed loosely so this module needs no rich import.
        self._progress = progress
        self._tasks: dict[tuple[str, str], tuple[object, int]] = {}

    def started(self, scope: str, unit: str, total: int) -> None:
        task = self._progress.add_task(f"{scope} {unit}", total=total)  # type: ignore[attr-defined]
        self._tasks[(scope, unit)] = (task, total)

    def advanced(self, scope: str, unit: str, count: int) -> None:
        self._progress.advance(self._tasks[(scope, unit)][0], count)  # type: ignore[attr-defined]

    def finished(self, scope: str, unit: str) -> None:
        task, total = self._tasks[(scope, unit)]
        self._progress.update(task, completed=total)  # type: ignore[attr-defined]
