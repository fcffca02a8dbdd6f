"""The collector thresholds raised for bulk work are restored, nested or not, and never lowered."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from seenby.gcpolicy import BULK_THRESHOLDS, bulk_allocation, bulk_work, leave_for_exit


@pytest.fixture(autouse=True)
def _restore_thresholds() -> Iterator[None]:
    saved = gc.get_threshold()
    yield
    gc.set_threshold(*saved)


def test_raised_inside_and_restored_after() -> None:
    gc.set_threshold(700, 10, 10)
    with bulk_allocation():
        assert gc.get_threshold() == BULK_THRESHOLDS
    assert gc.get_threshold() == (700, 10, 10)


def test_nested_uses_restore_only_at_the_outermost_exit() -> None:
    gc.set_threshold(700, 10, 10)
    with bulk_allocation():
        with bulk_allocation():
            assert gc.get_threshold() == BULK_THRESHOLDS
        assert gc.get_threshold() == BULK_THRESHOLDS
    assert gc.get_threshold() == (700, 10, 10)


def test_restored_when_the_work_raises() -> None:
    gc.set_threshold(700, 10, 10)

    @bulk_work
    def fails() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fails()
    assert gc.get_threshold() == (700, 10, 10)


def test_higher_thresholds_of_the_embedding_program_are_kept() -> None:
    gc.set_threshold(500_000, 5, 1000)
    with bulk_allocation():
        assert gc.get_threshold() == (500_000, 50, 1000)
    assert gc.get_threshold() == (500_000, 5, 1000)


def test_a_collector_switched_off_by_threshold_stays_off() -> None:
    gc.set_threshold(0, 10, 10)
    with bulk_allocation():
        assert gc.get_threshold()[0] == 0
    assert gc.get_threshold() == (0, 10, 10)


def test_decorated_function_keeps_its_name_and_result() -> None:
    @bulk_work
    def answer(x: int, *, y: int) -> int:
        return x + y

    assert answer(40, y=2) == 42
    assert answer.__name__ == "answer"


def test_what_is_alive_is_frozen_inside_and_unfrozen_after() -> None:
    """Objects alive on entry are frozen (later collections skip them); the last exit unfreezes them."""
    gc.unfreeze()
    with bulk_allocation():
        assert gc.get_freeze_count() > 0
        with bulk_allocation():
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_objects_the_embedding_program_froze_stay_frozen() -> None:
    """A program that froze objects itself (before forking workers, say) finds them frozen after bulk work."""
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        with bulk_allocation():
            pass
        assert gc.get_freeze_count() >= before > 0
    finally:
        gc.unfreeze()


def test_leave_for_exit_freezes_what_is_left() -> None:
    """Before the process ends, everything alive is frozen: the interpreter's last collection skips it."""
    gc.unfreeze()
    try:
        leave_for_exit()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_compute_phases_pause_the_collector_and_resume_it() -> None:
    """A compute phase (:func:`bulk_work`) switches automatic collection off, nested phases too, and the last one
    to end switches it back on; a plain bulk block (a scan) keeps it on."""
    assert gc.isenabled()
    seen: list[bool] = []

    @bulk_work
    def inner() -> None:
        seen.append(gc.isenabled())

    @bulk_work
    def outer() -> None:
        seen.append(gc.isenabled())
        inner()
        seen.append(gc.isenabled())

    with bulk_allocation():
        assert gc.isenabled()
        outer()
        assert gc.isenabled()
    assert seen == [False, False, False] and gc.isenabled()


def test_a_collector_the_program_switched_off_stays_off_after_a_phase() -> None:
    gc.disable()
    try:
        bulk_work(lambda: None)()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_resumes_when_a_phase_raises() -> None:
    @bulk_work
    def fails() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fails()
    assert gc.isenabled()


def test_what_a_paused_phase_made_is_frozen_when_it_ends() -> None:
    """The collector switched back on does not traverse at once everything the phase made: that is frozen first,
    and unfrozen at the outermost exit."""
    gc.unfreeze()
    kept: list[object] = []

    @bulk_work
    def build() -> None:
        kept.extend([i] for i in range(50_000))

    with bulk_allocation():
        before = gc.get_freeze_count()
        build()
        assert gc.get_freeze_count() >= before + 50_000
        assert gc.get_count()[0] < 1_000  # nothing young left for the next collection to traverse
    assert gc.get_freeze_count() == 0
