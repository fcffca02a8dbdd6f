"""who-can-read from a scan's graph index: the same answers as the whole evaluation, or none at all."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from seenby import api
from seenby.model import AccessLevel

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "examples" / "telemetry-incident" / "snapshot.json"
RAW = "arn:aws:s3:::corp-employee-telemetry-raw"
LEVELS = (AccessLevel.READ, AccessLevel.WRITE, AccessLevel.ADMIN, AccessLevel.LIST)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store with the example recorded, its view and graph index written by a first query."""
    path = tmp_path / "history.sqlite3"
    with api.open_history(path, create=True) as history:
        history.record(api.load(SNAPSHOT), source=str(SNAPSHOT))
    with api.open_history(path) as history:
        history.evaluate(containing=RAW)
    return path


def _index(store: Path) -> Path:
    (found,) = (store.parent / (store.name + ".views")).glob("*.index")
    return found


def _answer(report: api.AudienceReport) -> tuple[object, ...]:
    """What who-can-read answers, apart from the source it names (a store here, a file there)."""
    return report.dataset, report.members, report.people, report.gaps, report.classification


def test_a_first_query_writes_an_owner_only_index(store: Path):
    """The first query of a scan leaves a graph index next to its view, mode 0600."""
    assert _index(store).stat().st_mode & 0o777 == 0o600


def test_every_dataset_answers_as_the_evaluation_does(store: Path):
    """For every dataset of the example at every level, with rules, the indexed answer is the evaluated one."""
    from seenby.history.select import indexed_audience
    from seenby.history.store import HistoryStore

    rules = api.load_rules(ROOT / "rules.yaml")
    view = api.evaluate(api.load(SNAPSHOT), rules=rules)
    different = []
    with HistoryStore.open(store, create=False) as history:
        for dataset in sorted(view.datasets):
            indexed = indexed_audience(history, dataset, levels=LEVELS, rules=rules)
            assert indexed is not None
            evaluated = view.who_can_read(dataset, levels=LEVELS)
            if _answer(indexed.report) != _answer(evaluated):
                different.append(dataset)
    assert different == []


def test_expanded_members_answer_as_the_evaluation_does(store: Path):
    """--expand-members through the index lists the same members as the evaluation."""
    from seenby.history.select import indexed_audience
    from seenby.history.store import HistoryStore

    view = api.evaluate(api.load(SNAPSHOT))
    with HistoryStore.open(store, create=False) as history:
        indexed = indexed_audience(history, RAW, expand_members=True)
    assert indexed is not None
    assert indexed.report.members == view.who_can_read(RAW, expand_members=True).members


def test_a_damaged_row_is_not_used(store: Path):
    """An edge row whose data no longer matches its digest makes the index unusable: the view answers instead."""
    from seenby.history.select import indexed_audience
    from seenby.history.store import HistoryStore

    db = sqlite3.connect(_index(store))
    db.execute("UPDATE edges SET info = X'00' || substr(info, 2)")
    db.commit()
    db.close()
    with HistoryStore.open(store, create=False) as history:
        assert indexed_audience(history, RAW) is None
    with api.open_history(store) as history:
        assert history.who_can_read(RAW).report.dataset.id == RAW


def test_an_index_readable_by_others_is_not_used(store: Path):
    """A graph index with group or other permissions is never read."""
    from seenby.history.select import indexed_audience
    from seenby.history.store import HistoryStore

    _index(store).chmod(0o644)
    with HistoryStore.open(store, create=False) as history:
        assert indexed_audience(history, RAW) is None


def test_an_unknown_dataset_falls_back_to_the_evaluation(store: Path):
    """A dataset no scan holds is not answered from the index (the evaluation says why)."""
    from seenby.errors import UsageError

    with api.open_history(store) as history, pytest.raises(UsageError, match="no dataset 'nosuch'"):
        history.who_can_read("nosuch")
