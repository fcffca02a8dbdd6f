"""Creating the history store is safe when several writers start on it at once."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from seenby.history.store import HistoryStore
from tests.history.test_store import bucket, day

WRITERS = 8
ROUNDS = 3


def _record(store: str, n: int, barrier: multiprocessing.synchronize.Barrier, errors: multiprocessing.Queue) -> None:
    barrier.wait()
    try:
        with HistoryStore.open(store) as history:
            history.record(day(n, bucket(f"b{n}", None)))
    except Exception as exc:  # reported to the test, which names it
        errors.put(f"{type(exc).__name__}: {exc}")


def test_concurrent_writers_into_a_missing_store_lose_no_scan(tmp_path: Path) -> None:
    """Eight writers released together on a store that does not exist yet record eight scans (three rounds)."""
    ctx = multiprocessing.get_context("fork")
    for round_ in range(ROUNDS):
        store = tmp_path / f"round{round_}" / "history.sqlite3"
        barrier, errors = ctx.Barrier(WRITERS), ctx.Queue()
        procs = [ctx.Process(target=_record, args=(str(store), n, barrier, errors)) for n in range(1, WRITERS + 1)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=120)
        failures = [errors.get() for _ in range(errors.qsize())] if not errors.empty() else []

        assert failures == []
        with HistoryStore.open(store, create=False) as history:
            assert len(history.scans()) == WRITERS
