"""Snapshot v1: load, validate, refuse, merge, and write owner-only."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from seenby.demo.example_org import build
from seenby.errors import SnapshotError
from seenby.model import ReadOutcome
from seenby.snapshot import Read, Resource, load_snapshot, merge_snapshots, new_snapshot, save_snapshot

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "telemetry-incident" / "snapshot.json"


def minimal(**overrides):
    data = {
        "schema_version": "1.0",
        "collected_at": "2026-11-20T09:00:00Z",
        "collector": {"tool": "seenby", "version": "0.1.0"},
        "scope": {},
        "resources": [
            {
                "type": "aws.s3.bucket",
                "id": "arn:aws:s3:::b",
                "reads": {
                    "policy": {"outcome": "absent", "api": "s3:GetBucketPolicy", "error_code": "NoSuchBucketPolicy"}
                },
            }
        ],
    }
    data.update(overrides)
    return data


def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "snap.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def load_error(tmp_path: Path, data) -> SnapshotError:
    with pytest.raises(SnapshotError) as info:
        load_snapshot(write(tmp_path, data))
    return info.value


def test_minimal_snapshot_loads_with_read_outcomes(tmp_path):
    """A valid snapshot loads and keeps each read's outcome."""
    snap = load_snapshot(write(tmp_path, minimal()))
    (bucket,) = snap.of_type("aws.s3.bucket")
    assert bucket.read("policy").outcome is ReadOutcome.ABSENT


def test_unknown_major_version_is_refused_naming_the_path(tmp_path):
    """schema_version 2.x is refused with the file and $.schema_version named."""
    err = load_error(tmp_path, minimal(schema_version="2.0"))
    assert err.where == "$.schema_version" and "2.0" in err.message and str(err).startswith(str(tmp_path))


def test_invalid_json_names_line_and_column(tmp_path):
    """Broken JSON is reported with its line and column."""
    err = load_error(tmp_path, '{"schema_version": "1.0",\n  oops}')
    assert err.where == "line 2 column 3"


def test_schema_violation_names_the_json_path(tmp_path):
    """An unknown read outcome is reported at its JSON path."""
    data = minimal()
    data["resources"][0]["reads"]["policy"]["outcome"] = "maybe"
    err = load_error(tmp_path, data)
    assert err.where == "$.resources[0].reads.policy.outcome"


def test_ok_read_needs_its_document(tmp_path):
    """An ok read without a document is malformed, not 'no policy'."""
    data = minimal()
    data["resources"][0]["reads"]["policy"] = {"outcome": "ok", "api": "s3:GetBucketPolicy"}
    err = load_error(tmp_path, data)
    assert err.where == "$.resources[0].reads.policy"


def test_denied_read_needs_an_error_code(tmp_path):
    """A denied read must say which error the provider gave."""
    data = minimal()
    data["resources"][0]["reads"]["policy"] = {"outcome": "denied", "api": "s3:GetBucketPolicy"}
    assert load_error(tmp_path, data).where == "$.resources[0].reads.policy"


def test_duplicate_resource_is_refused(tmp_path):
    """The same resource twice in one snapshot is an error naming the second."""
    data = minimal()
    data["resources"].append(data["resources"][0])
    assert load_error(tmp_path, data).where == "$.resources[1]"


def test_not_an_object_is_refused(tmp_path):
    """A JSON array is not a snapshot."""
    assert load_error(tmp_path, "[]").where == "$"


def test_missing_file_is_a_snapshot_error(tmp_path):
    """A path that does not exist is reported, not a traceback."""
    with pytest.raises(SnapshotError):
        load_snapshot(tmp_path / "missing.json")


def test_save_is_owner_only_and_round_trips(tmp_path):
    """Saved snapshots are mode 0600 and load back to the same resources."""
    snap = new_snapshot(
        [
            Resource(
                type="aws.s3.bucket",
                id="arn:aws:s3:::b",
                reads={"acl": Read(outcome=ReadOutcome.OK, api="s3:GetBucketAcl", document={"Grants": []})},
            )
        ],
        scope={"aws_accounts": ["111122223333"]},
        mode="test",
    )
    path = tmp_path / "out.json"
    save_snapshot(snap, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_snapshot(path).resources == snap.resources


def test_merge_unions_scope_and_keeps_newer_read(tmp_path):
    """Merging shards unions their scope; the same resource takes the newer shard's reads."""
    old = new_snapshot(
        [Resource(type="aws.account", id="1", reads={})], scope={"aws_accounts": ["111111111111"]}, mode="t"
    )
    newer = Resource(type="aws.account", id="1", reads={"x": Read(outcome=ReadOutcome.ABSENT, api="a")})
    new = new_snapshot([newer], scope={"aws_accounts": ["222222222222"]}, mode="t")
    object.__setattr__(new, "collected_at", "2099-01-01T00:00:00Z")
    merged = merge_snapshots([new, old])
    assert merged.scope["aws_accounts"] == ["111111111111", "222222222222"]
    assert merged.resources == (newer,)


def test_example_snapshot_is_in_sync_with_its_builder():
    """The committed example snapshot is exactly what the builder writes (regenerate with build.py)."""
    committed = json.loads(EXAMPLE.read_text())
    assert committed == build().to_json()
