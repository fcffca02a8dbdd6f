"""The view cache is bounded: the views and indexes of the most recently used scan contents are kept,
nothing else in the directory is ever removed."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from seenby import api
from seenby.errors import UsageError
from seenby.history.index import ScanIndex
from seenby.history.view_cache import DEFAULT_KEEP, KEEP_VARIABLE, CachedView, ViewCache

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "examples" / "telemetry-incident" / "snapshot.json"
A, B, C = ("a" * 64, "b" * 64, "c" * 64)  # three scan contents (as ScanIndex.view_key names them)


@pytest.fixture(scope="module")
def view() -> api.Evaluated:
    return api.evaluate(api.load(SNAPSHOT))


def _cached(view: api.Evaluated) -> CachedView:
    return CachedView(resources=view.snapshot.resources, evaluation=view.evaluation, graph=view.graph)


def _save(cache: ViewCache, content: str, view: api.Evaluated, *, used_at: int) -> None:
    """Write ``content``'s view and index, then date them ``used_at`` (seconds since the epoch)."""
    assert cache.save(content, _cached(view))
    assert cache.save_index(content, view.evaluation, view.graph, ou_paths={})
    for path in cache.directory.glob(f"{content}-*"):
        os.utime(path, (used_at, used_at))


def _contents(cache: ViewCache) -> set[tuple[str, str]]:
    return {(p.name[:64], p.suffix) for p in cache.directory.iterdir() if len(p.name) > 64}


def test_the_least_recently_used_content_is_removed(tmp_path: Path, view: api.Evaluated):
    """With room for two, writing a third content removes the oldest one's view and index together."""
    cache = ViewCache(tmp_path / "history.sqlite3", keep=2)
    _save(cache, A, view, used_at=1_000)
    _save(cache, B, view, used_at=2_000)
    assert cache.save(C, _cached(view))
    assert _contents(cache) == {(B, ".view"), (B, ".index"), (C, ".view")}


def test_loading_a_view_marks_it_used(tmp_path: Path, view: api.Evaluated):
    """A view loaded since is kept over one written later but not used since."""
    cache = ViewCache(tmp_path / "history.sqlite3", keep=2)
    _save(cache, A, view, used_at=1_000)
    _save(cache, B, view, used_at=2_000)
    assert cache.load(A) is not None
    assert cache.save(C, _cached(view))
    assert {content for content, _ in _contents(cache)} == {A, C}


def test_opening_an_index_marks_it_used(tmp_path: Path, view: api.Evaluated):
    """A graph index opened since (who-can-read, what-can-read, why) keeps its content."""
    cache = ViewCache(tmp_path / "history.sqlite3", keep=2)
    _save(cache, A, view, used_at=1_000)
    _save(cache, B, view, used_at=2_000)
    index = cache.graph_index(A)
    assert index is not None
    index.close()
    assert cache.save(C, _cached(view))
    assert {content for content, _ in _contents(cache)} == {A, C}


def test_the_content_just_written_is_kept(tmp_path: Path, view: api.Evaluated):
    """Even when its file is dated oldest, the content being written survives its own pruning."""
    cache = ViewCache(tmp_path / "history.sqlite3", keep=1)
    _save(cache, A, view, used_at=5_000)
    assert cache.save(B, _cached(view))
    os.utime(next(cache.directory.glob(f"{B}-*.view")), (1, 1))
    assert cache.save_index(B, view.evaluation, view.graph, ou_paths={})
    assert _contents(cache) == {(B, ".view"), (B, ".index")}


def test_files_that_are_not_ours_are_never_removed(tmp_path: Path, view: api.Evaluated):
    """A writer's temporary files (renamed in when complete) and any other file stay, however old."""
    cache = ViewCache(tmp_path / "history.sqlite3", keep=1)
    _save(cache, A, view, used_at=1_000)
    others = [".view-k2j3h4", ".index-9f8e7d", "notes.txt", f"{A}-{'0' * 32}.view.bak", f"{'A' * 64}-{'0' * 32}.view"]
    for name in others:
        (cache.directory / name).write_bytes(b"x")
        os.utime(cache.directory / name, (1, 1))
    _save(cache, B, view, used_at=2_000)
    assert sorted(p.name for p in cache.directory.iterdir() if not p.name.startswith(B)) == sorted(others)


def test_the_bound_is_read_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """SEENBY_VIEWS_KEEP sets how many contents are kept; unset, the documented default."""
    monkeypatch.delenv(KEEP_VARIABLE, raising=False)
    assert ViewCache(tmp_path / "h.sqlite3").keep == DEFAULT_KEEP
    monkeypatch.setenv(KEEP_VARIABLE, "3")
    assert ViewCache(tmp_path / "h.sqlite3").keep == 3


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_a_bound_below_one_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str):
    """A bound that is not a whole number of at least 1 is a usage error naming the variable."""
    monkeypatch.setenv(KEEP_VARIABLE, value)
    with pytest.raises(UsageError, match=KEEP_VARIABLE):
        ViewCache(tmp_path / "h.sqlite3")


def test_queries_keep_the_store_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Through the store: with room for one, asking two scans of different content leaves the last one's files."""
    monkeypatch.setenv(KEEP_VARIABLE, "1")
    store = tmp_path / "history.sqlite3"
    snapshot = api.load(SNAPSHOT)
    with api.open_history(store, create=True) as history:
        history.record(snapshot, source="first")
        history.record(replace(snapshot, resources=snapshot.resources[1:]), source="second")
    for scan_id in (1, 2):
        with api.open_history(store) as history:
            history.evaluate(scan_id=scan_id)
    with api.open_history(store) as history:
        second = ScanIndex(history.store).view_key(history.scans()[1])
    views = sorted(p.name for p in (tmp_path / "history.sqlite3.views").iterdir())
    assert [name.split("-")[0] for name in views] == [second, second]
    assert [name.rsplit(".", 1)[1] for name in views] == ["index", "view"]
