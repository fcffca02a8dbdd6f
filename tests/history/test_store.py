"""The history store: exact round trip, deduplication, permissions, refusal of bad files, time lookup."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seenby.errors import StoreError, UsageError
from seenby.history.paths import default_store_path
from seenby.history.schema import SCHEMA_VERSION
from seenby.history.store import HistoryStore
from seenby.history.times import parse_time
from seenby.model import ReadOutcome
from seenby.snapshot import Read, Resource, load_snapshot, new_snapshot

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "telemetry-incident" / "snapshot.json"


def bucket(name: str, policy: str | None) -> Resource:
    reads = {
        "policy": Read(outcome=ReadOutcome.OK, api="s3:GetBucketPolicy", document={"Policy": policy})
        if policy
        else Read(outcome=ReadOutcome.ABSENT, api="s3:GetBucketPolicy", error_code="NoSuchBucketPolicy"),
        "acl": Read(outcome=ReadOutcome.OK, api="s3:GetBucketAcl", document={"Owner": {"ID": "o"}, "Grants": []}),
    }
    return Resource(type="aws.s3.bucket", id=f"arn:aws:s3:::{name}", name=name, account="111122223333", reads=reads)


def day(n: int, *resources: Resource):
    return new_snapshot(resources, scope={"aws_accounts": ["111122223333"]}, mode="test",
                        collected_at=datetime(2026, 3, n, 9, tzinfo=UTC))


def test_rebuilt_snapshot_is_exactly_the_recorded_one(tmp_path):
    """A recorded snapshot (the example organisation) comes back with the same resources, reads and documents."""
    original = load_snapshot(EXAMPLE)
    with HistoryStore.open(tmp_path / "h.sqlite3") as history:
        scan, _ = history.record(original)
        rebuilt = history.snapshot(scan.id)
    assert rebuilt.to_json() == original.to_json()
    assert rebuilt.resources == original.resources


def test_unchanged_documents_are_stored_once(tmp_path):
    """Two scans where one of two buckets changed store 2 states more, and only the changed document."""
    with HistoryStore.open(tmp_path / "h.sqlite3") as history:
        history.record(day(1, bucket("a", None), bucket("b", None)))
        first = history.counts()
        history.record(day(2, bucket("a", '{"Statement": []}'), bucket("b", None)))
        second = history.counts()
    assert (first.documents, first.states, first.scan_resources) == (2, 2, 2)  # absent policy and ACL shared
    assert second.documents - first.documents == 1
    assert second.states - first.states == 1
    assert second.scan_resources == 4


def test_recording_the_same_snapshot_twice_keeps_one_scan(tmp_path):
    """The same snapshot recorded again is recognised and not stored twice."""
    snapshot = day(1, bucket("a", None))
    with HistoryStore.open(tmp_path / "h.sqlite3") as history:
        first, new_first = history.record(snapshot)
        again, new_again = history.record(snapshot)
        assert (new_first, new_again, again.id) == (True, False, first.id)
        assert history.counts().scans == 1


def test_store_file_and_directory_are_owner_only(tmp_path):
    """A new store is a 0600 file in a 0700 directory it created."""
    path = tmp_path / "data" / "seenby" / "history.sqlite3"
    HistoryStore.open(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_store_readable_by_others_is_narrowed(tmp_path):
    """An existing store left world-readable is made owner-only when opened."""
    path = tmp_path / "h.sqlite3"
    HistoryStore.open(path).close()
    os.chmod(path, 0o644)
    HistoryStore.open(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_default_store_is_under_xdg_data_home(tmp_path, monkeypatch):
    """The default store is $XDG_DATA_HOME/seenby/history.sqlite3."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_store_path() == tmp_path / "seenby" / "history.sqlite3"


def test_corrupted_store_is_refused(tmp_path):
    """A file that is not SQLite is a StoreError naming the file, and is left as it was."""
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not a database, " * 200)
    with pytest.raises(StoreError, match="not a readable history store") as err:
        HistoryStore.open(path)
    assert str(path) in str(err.value)
    assert path.read_bytes() == b"this is not a database, " * 200


def test_foreign_sqlite_database_is_refused(tmp_path):
    """A SQLite database of another application is refused, not written into."""
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (body TEXT)")
    with pytest.raises(StoreError, match="not a seenby history store"):
        HistoryStore.open(path)


def test_store_from_a_newer_seenby_is_refused(tmp_path):
    """A store whose schema version is newer than this seenby's is refused with 'upgrade seenby'."""
    path = tmp_path / "h.sqlite3"
    HistoryStore.open(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="upgrade seenby"):
        HistoryStore.open(path)


def test_scan_at_picks_the_latest_scan_at_or_before_the_time(tmp_path):
    """Asked for noon of day 2, the scan of day 2 09:00 answers, not day 1 nor day 3."""
    with HistoryStore.open(tmp_path / "h.sqlite3") as history:
        ids = [history.record(day(n, bucket("a", None if n != 2 else "{}")))[0].id for n in (1, 2, 3)]
        chosen = history.scan_at(parse_time("2026-03-02T12:00"))
    assert chosen.id == ids[1]


def test_scan_at_before_any_scan_is_an_error(tmp_path):
    """A time before the first recorded scan is an error that names the first scan's time."""
    with HistoryStore.open(tmp_path / "h.sqlite3") as history:
        history.record(day(2, bucket("a", None)))
        with pytest.raises(StoreError, match="2026-03-02T09:00:00Z"):
            history.scan_at(parse_time("2026-03-01"))


def test_scan_at_prefers_a_scan_that_holds_the_dataset(tmp_path):
    """A later scan of another account does not hide the latest scan that has the dataset asked about."""
    with HistoryStore.open(tmp_path / "h.sqlite3") as history:
        holding, _ = history.record(day(1, bucket("a", None)))
        history.record(dataclasses.replace(day(2, bucket("other", None)), scope={"aws_accounts": ["9"]}))
        assert history.scan_at(parse_time("2026-03-05"), containing="arn:aws:s3:::a").id == holding.id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=UTC)),
        ("2026-03-01T09:30", datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),
        ("2026-03-01T09:30:00Z", datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),
        ("2026-03-01T10:30:00+01:00", datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),
    ],
)
def test_time_arguments_are_iso_and_utc_when_naive(text, expected):
    """Dates mean the end of that day (UTC); naive date-times are UTC; zones are converted."""
    assert parse_time(text) == expected


def test_bad_time_is_a_usage_error_naming_the_option():
    """Text that is not an ISO date or date-time is a UsageError naming the option and giving examples."""
    with pytest.raises(UsageError, match=r"--at: 'last tuesday' is not an ISO date.*e\.g\. 2026-03-01"):
        parse_time("last tuesday")
