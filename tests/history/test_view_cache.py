"""The evaluated view of a recorded scan, cached next to the store: owner-only, checked, never wrong."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from seenby import api
from seenby.history.view_cache import CACHE_FORMAT, ViewCache

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "examples" / "telemetry-incident" / "snapshot.json"
RAW = "arn:aws:s3:::corp-employee-telemetry-raw"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "history.sqlite3"
    with api.open_history(path, create=True) as history:
        history.record(api.load(SNAPSHOT), source=str(SNAPSHOT))
    return path


def _views(store: Path) -> list[Path]:
    return sorted((store.parent / (store.name + ".views")).glob("*.view"))


def _answer(store: Path) -> str:
    with api.open_history(store) as history:
        return api.render(history.evaluate(containing=RAW).who_can_read(RAW), "json")


def test_first_query_writes_one_owner_only_view(store: Path):
    """Answering from a recorded scan leaves one view file, 0600, in a 0700 directory."""
    _answer(store)
    (view,) = _views(store)
    assert (stat.S_IMODE(view.stat().st_mode), stat.S_IMODE(view.parent.stat().st_mode)) == (0o600, 0o700)


def test_cached_answer_equals_the_evaluated_one(store: Path):
    """The second answer, from the cached view, is the same bytes as the first, evaluated."""
    first = _answer(store)
    assert _views(store)
    assert _answer(store) == first


def test_cached_answer_equals_the_snapshot_files(store: Path):
    """A cached view answers as evaluating the snapshot file does."""
    _answer(store)
    with api.open_history(store) as history:
        cached = history.evaluate(containing=RAW).who_can_read(RAW)
    direct = api.evaluate(api.load(SNAPSHOT)).who_can_read(RAW)
    assert cached.members == direct.members


def test_a_tampered_view_is_not_loaded(store: Path):
    """A view whose payload no longer matches its sha256 reads as not cached."""
    _answer(store)
    (view,) = _views(store)
    data = bytearray(view.read_bytes())
    data[-10] ^= 0xFF
    view.write_bytes(bytes(data))
    assert ViewCache(store).load(view.name.split("-")[0]) is None


def test_a_view_readable_by_others_is_not_loaded(store: Path):
    """A view file with group or other permissions is never unpickled."""
    _answer(store)
    (view,) = _views(store)
    view.chmod(0o644)
    assert ViewCache(store).load(view.name.split("-")[0]) is None


def test_a_view_of_another_evaluator_is_not_loaded(store: Path):
    """A view whose header names another evaluator fingerprint reads as not cached, though intact."""
    _answer(store)
    (view,) = _views(store)
    header_line, payload = view.read_bytes().split(b"\n", 1)
    header = json.loads(header_line)
    assert header["format"] == CACHE_FORMAT
    header["evaluator"] = "0" * 64
    view.write_bytes(json.dumps(header).encode() + b"\n" + payload)
    assert ViewCache(store).load(view.name.split("-")[0]) is None


def test_a_damaged_view_is_evaluated_again(store: Path):
    """With its view truncated, the scan is evaluated again and the answer is unchanged."""
    first = _answer(store)
    (view,) = _views(store)
    view.write_bytes(view.read_bytes()[:100])
    assert _answer(store) == first


def test_an_unwritable_cache_still_answers(store: Path):
    """When the view cannot be written (its directory's name is taken by a file), the query answers uncached."""
    (store.parent / (store.name + ".views")).write_text("not a directory")
    assert json.loads(_answer(store))["dataset"]["id"] == RAW


def test_exposure_writes_no_views(store: Path):
    """The exposure timeline reads cached views but writes none (one per scan of a long history is too much)."""
    from seenby.history.exposure import exposure_timeline
    from seenby.history.store import HistoryStore

    with HistoryStore.open(store, create=False) as history:
        exposure_timeline(history, RAW)
    assert _views(store) == []
