"""what-can-read and why of a recorded scan from its graph index: the same reports as its evaluated
view and as a fresh evaluation of the snapshot, on the example organisation and a small synthetic one."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from seenby import api
from seenby.errors import UsageError
from seenby.explain import Answer
from seenby.findings import StepKind
from seenby.history.select import indexed_explanation, indexed_principal_access
from seenby.history.store import HistoryStore
from seenby.model import AUDITED_LEVELS, AccessLevel
from tests.synth import load_synth

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "examples" / "telemetry-incident" / "snapshot.json"
RULES = ROOT / "rules.yaml"
ACCOUNT = "111122223333"
EMBEDDED = "superset:http://superset.corp.example:8088/embedded/76aec437-40c5-4b01-91e9-352aa98a73a7"
PRINCIPALS = (
    f"arn:aws:iam::{ACCOUNT}:user/engineering/eng-0001",  # a user, in a group
    f"arn:aws:iam::{ACCOUNT}:group/engineering",  # a group
    "aws-org:o-a1b2c3d4e5",  # a class
    "aws:public",
    f"arn:aws:iam::{ACCOUNT}:root",  # an account
    "group:all-employees@corp.example",  # a Google group
    "user:nobody@corp.example",  # a Google member the graph does not hold: what its classes reach
    "arn:aws:quicksight:eu-west-1:222233334444:group/default/bi-authors",  # reads through a re-exposing dashboard
    EMBEDDED,  # a Superset embedding: conditional paths
    "telemetry-reader",  # a principal by id suffix
)
DATASETS = (
    "arn:aws:s3:::corp-employee-telemetry-raw",
    "arn:aws:quicksight:eu-west-1:222233334444:dashboard/employee-productivity",
    "superset://superset.corp.example:8088/dashboard/2",
    "bigquery://corp-telemetry.shared_reporting",
    "gs://corp-keystrokes",
)


def _recorded(tmp_path: Path, snapshot: Path) -> Path:
    """A store with ``snapshot`` recorded, its view and graph index written by a first query."""
    path = tmp_path / "history.sqlite3"
    with api.open_history(path, create=True) as history:
        history.record(api.load(snapshot), source=str(snapshot))
    with api.open_history(path) as history:
        history.evaluate()
    return path


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _recorded(tmp_path_factory.mktemp("example"), SNAPSHOT)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small synthetic organisation (two AWS accounts, two Google projects) recorded: (store, snapshot)."""
    out = tmp_path_factory.mktemp("synth")
    synth = load_synth()
    synth.generate(synth.Sizes(people=120, datasets=80, accounts=2, projects=2), seed=7, out=out)
    return _recorded(out, out / "snapshot.json"), out / "snapshot.json"


def _answer(report: Any) -> Any:
    """A report apart from where it was answered from (a recorded scan, a file) and when."""
    return replace(report, provenance=None, snapshot_source=None)


def _outcome(ask: Any) -> Any:
    """What ``ask()`` answers, or the message of the usage error it raises."""
    try:
        return _answer(ask())
    except UsageError as e:
        return f"UsageError: {e}"


def _what(store: Path, ref: str, rules: Any) -> Any:
    with HistoryStore.open(store, create=False) as history:
        found = indexed_principal_access(history, ref, levels=AUDITED_LEVELS, rules=rules)
    assert found is not None, f"not answered from the index: {ref}"
    return found


def _why(store: Path, principal: str, dataset: str, level: AccessLevel, rules: Any) -> Any:
    with HistoryStore.open(store, create=False) as history:
        found = indexed_explanation(history, principal, dataset, level=level, rules=rules, max_paths=20)
    assert found is not None, f"not answered from the index: {principal} {dataset}"
    return found


def test_what_can_read_from_the_index_is_the_views_and_the_evaluations(example: Path):
    """For a user, a group, classes, an account, a Google member and a suffix, the indexed report is exact."""
    rules = api.load_rules(RULES)
    fresh = api.evaluate(api.load(SNAPSHOT), rules=rules)
    with api.open_history(example) as history:
        view = history.evaluate(rules=rules)
    different = []
    for ref in PRINCIPALS:
        indexed = _outcome(lambda ref=ref: _what(example, ref, rules))
        from_view = _outcome(lambda ref=ref: view.what_can_read(ref))
        if not indexed == from_view == _outcome(lambda ref=ref: fresh.what_can_read(ref)):
            different.append(ref)
    assert different == []


def test_what_can_read_through_the_index_names_the_scan(example: Path):
    """The indexed report carries the recorded scan's provenance, as the view's does."""
    with api.open_history(example) as history:
        report = history.what_can_read(PRINCIPALS[0])
    assert report.provenance is not None and report.provenance.scan_id == 1


def test_an_ambiguous_or_unknown_principal_is_the_same_error(example: Path):
    """A reference naming several principals, or none, is refused with the view's message."""
    view = api.evaluate(api.load(SNAPSHOT))
    for ref in ("corp.example", "arn:aws:iam::nosuch"):
        with pytest.raises(UsageError) as from_view:
            view.what_can_read(ref)
        with api.open_history(example) as history, pytest.raises(UsageError) as from_index:
            history.what_can_read(ref)
        assert str(from_index.value) == str(from_view.value)


def test_why_from_the_index_is_the_views_and_the_evaluations(example: Path):
    """For every principal above and datasets of each provider, at read and write, the indexed why is exact;
    among them a conditional answer and a path through a re-exposing dashboard."""
    rules = api.load_rules(RULES)
    fresh = api.evaluate(api.load(SNAPSHOT), rules=rules)
    with api.open_history(example) as history:
        view = history.evaluate(rules=rules)
    different, answers, steps = [], set(), set()
    for ref in PRINCIPALS:
        for dataset in DATASETS:
            for level in (AccessLevel.READ, AccessLevel.WRITE):
                indexed = _outcome(lambda r=ref, d=dataset, lv=level: _why(example, r, d, lv, rules))
                from_view = _outcome(lambda r=ref, d=dataset, lv=level: view.why(r, d, level=lv))
                evaluated = _outcome(lambda r=ref, d=dataset, lv=level: fresh.why(r, d, level=lv))
                if not indexed == from_view == evaluated:
                    different.append((ref, dataset, level.value))
                if not isinstance(indexed, str):
                    answers.add(indexed.answer)
                    steps |= {(s.kind, s.node) for p in indexed.paths for s in p}
    assert different == []
    assert Answer.CONDITIONAL in answers
    dashboard = "arn:aws:quicksight:eu-west-1:222233334444:dashboard/employee-productivity"
    assert any(kind is StepKind.DATASET and node == dashboard for kind, node in steps)


def test_why_through_the_index_names_the_scan(example: Path):
    """The indexed why carries the recorded scan's provenance."""
    with api.open_history(example) as history:
        report = history.why(EMBEDDED, DATASETS[2])
    assert report.answer is Answer.CONDITIONAL
    assert report.provenance is not None and report.provenance.scan_id == 1


def test_the_synthetic_organisation_answers_alike(synthetic: tuple[Path, Path]):
    """On a synthetic organisation, what-can-read of principals of every kind and why of its exposed
    datasets answer from the index exactly as from a fresh evaluation."""
    store, snapshot = synthetic
    fresh = api.evaluate(api.load(snapshot))
    principals = sorted(fresh.principals)
    kinds: dict[object, str] = {}
    for pid in principals:
        kinds.setdefault(fresh.principals[pid].kind, pid)
    chosen = sorted(kinds.values())
    datasets = sorted(fresh.datasets)[:: max(1, len(fresh.datasets) // 6)]
    different = []
    for ref in chosen:
        if _outcome(lambda r=ref: _what(store, r, None)) != _outcome(lambda r=ref: fresh.what_can_read(r)):
            different.append(("what-can-read", ref))
    for ref in chosen[:: max(1, len(chosen) // 6)]:
        for dataset in datasets:
            indexed = _outcome(lambda r=ref, d=dataset: _why(store, r, d, AccessLevel.READ, None))
            if indexed != _outcome(lambda r=ref, d=dataset: fresh.why(r, d)):
                different.append(("why", ref, dataset))
    assert len(chosen) >= 6
    assert different == []


def test_a_damaged_index_is_not_used_for_what_can_read_or_why(tmp_path: Path):
    """Edge rows that no longer match their digests: neither query answers from the index; the view does."""
    store = _recorded(tmp_path, SNAPSHOT)
    (index,) = (store.parent / (store.name + ".views")).glob("*.index")
    db = sqlite3.connect(index)
    db.execute("UPDATE edges SET info = X'00' || substr(info, 2)")
    db.commit()
    db.close()
    with HistoryStore.open(store, create=False) as history:
        assert indexed_principal_access(history, PRINCIPALS[0], levels=AUDITED_LEVELS) is None
        assert indexed_explanation(history, PRINCIPALS[0], DATASETS[0], level=AccessLevel.READ, max_paths=20) is None
    with api.open_history(store) as history:
        assert history.what_can_read(PRINCIPALS[0]).principal.id == PRINCIPALS[0]
        assert history.why(PRINCIPALS[0], DATASETS[0]).dataset.id == DATASETS[0]
