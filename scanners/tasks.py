"""A group of tasks on a shared, bounded thread pool that may spawn further tasks.

Scanning fans out (organisation -> accounts -> buckets).  Tasks never wait for one
another, so a bounded pool cannot deadlock; :meth:`TaskGroup.wait` returns when every
task, spawned ones included, has finished.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

__all__ = ["TaskGroup"]


class TaskGroup:
    def __init__(self, executor: Executor) -> None:
        self._executor = executor
        self._pending = 0
        self._errors: list[BaseException] = []
        self._idle = threading.Condition()

    def spawn(self, fn: Callable[..., Any], /, *args: Any) -> None:
        with self._idle:
            self._pending += 1
        self._executor.submit(fn, *args).add_done_callback(self._done)

    def _done(self, future: Future[Any]) -> None:
        error = future.exception()
        with self._idle:
            if error is not None:
                self._errors.append(error)
            self._pending -= 1
            if self._pending == 0:
                self._idle.notify_all()

    def wait(self) -> None:
        """Block until every task has finished; re-raise the first exception a task let escape (a bug)."""
        with self._idle:
            self._idle.wait_for(lambda: self._pending == 0)
        if self._errors:
            raise self._errors[0]
