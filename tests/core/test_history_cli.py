"""The history commands end to end: record, who-can-read --at, what-can-read, exposure, diff, scans."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "telemetry-incident" / "snapshot.json"
RULES = str(ROOT / "rules.yaml")
RAW = "arn:aws:s3:::corp-employee-telemetry-raw"


def seenby(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "seenby", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@cache
def schema(name: str) -> dict:
    return json.loads(resources.files("seenby").joinpath(f"schemas/{name}.schema.json").read_text())


def valid(document: dict, name: str) -> dict:
    jsonschema.Draft202012Validator(schema(name), format_checker=jsonschema.FormatChecker()).validate(document)
    return document


def one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.fixture
def store(tmp_path) -> str:
    """The example organisation recorded twice: as collected (@1) and a day later, unchanged (@2)."""
    later = json.loads(EXAMPLE.read_text())
    later["collected_at"] = "2026-11-21T09:00:00Z"
    (tmp_path / "later.json").write_text(json.dumps(later))
    path = str(tmp_path / "history.sqlite3")
    proc = seenby("record", str(EXAMPLE), str(tmp_path / "later.json"), "--store", path)
    assert proc.returncode == 0, proc.stderr
    return path


def test_record_then_who_can_read_at_names_the_scan(store):
    """who-can-read --at answers from the nearest earlier scan; its JSON is audience/v1 with snapshot.scan."""
    proc = seenby("who-can-read", RAW, "--at", "2026-11-20T18:00", "--store", store, "--rules", RULES,
                  "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = valid(json.loads(proc.stdout), "audience-v1")
    assert doc["snapshot"]["scan"]["scan_id"] == 1
    assert doc["snapshot"]["scan"]["before_asked_seconds"] == 9 * 3600
    assert any(m["principal"]["id"] == "arn:aws:iam::111122223333:root" for m in doc["members"])


def test_who_can_read_table_states_scan_and_age(store):
    """The table answer opens with the scan it comes from and how long before the asked time it was collected."""
    proc = seenby("who-can-read", RAW, "--at", "2026-11-21T10:00:00Z", "--store", store, "--rules", RULES)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("as of recorded scan @2 of")
    assert "1 hour before the time asked (2026-11-21T10:00:00Z)" in proc.stdout.splitlines()[0]


def test_bad_time_exits_2(store):
    """A time that is not ISO is one line on stderr and exit 2."""
    one_line_error(seenby("who-can-read", RAW, "--at", "yesterday", "--store", store), "--at", "yesterday")


def test_time_before_every_scan_exits_2(store):
    """Asking before the first recorded scan is exit 2 naming the store and the first scan's time."""
    one_line_error(seenby("who-can-read", RAW, "--at", "2020-01-01", "--store", store), store, "2026-11-20T09:00:00Z")


def test_corrupted_store_exits_2(tmp_path):
    """A corrupted store file is one line naming the file, exit 2."""
    bad = tmp_path / "history.sqlite3"
    bad.write_bytes(b"\x00garbage" * 100)
    one_line_error(seenby("who-can-read", RAW, "--at", "2026-11-21", "--store", str(bad)), str(bad))


def test_snapshot_and_at_together_exit_2(store):
    """--snapshot and --at together are refused: one answers from files, the other from the store."""
    one_line_error(seenby("who-can-read", RAW, "--snapshot", str(EXAMPLE), "--at", "2026-11-21", "--store", store),
                   "pick one")


def test_what_can_read_json_follows_its_schema(store):
    """what-can-read from the store writes seenby.principal-access/v1 with class-granted datasets marked."""
    proc = seenby("what-can-read", "user:bob@corp.example", "--store", store, "--rules", RULES, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = valid(json.loads(proc.stdout), "principal-access-v1")
    keystrokes = next(e for e in doc["entries"] if e["dataset"]["id"] == "gs://corp-keystrokes")
    assert keystrokes["through_class"]["id"] == "domain:corp.example"
    assert keystrokes["declared"] is False


def test_what_can_read_from_a_snapshot_file(store):
    """what-can-read also answers from --snapshot files; the table names the principal's classes."""
    proc = seenby("what-can-read", "user:bob@corp.example", "--snapshot", str(EXAMPLE), "--rules", RULES)
    assert proc.returncode == 0, proc.stderr
    assert "through class domain:corp.example" in proc.stdout


def test_exposure_json_follows_its_schema(store):
    """exposure over two unchanged scans: two points, no events, one window open since the first scan."""
    proc = seenby("exposure", RAW, "--store", store, "--rules", RULES, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = valid(json.loads(proc.stdout), "exposure-v1")
    assert [s["scan_id"] for s in doc["scans"]] == [1, 2]
    assert doc["events"] == []
    (window,) = doc["windows"]
    assert window["opened_after"] is None and window["closed_by"] is None and window["open"] is True


def test_diff_of_a_file_and_a_recorded_scan_follows_its_schema(store):
    """diff FILE @2 of the same content: nothing gained or lost, every finding unchanged."""
    proc = seenby("diff", str(EXAMPLE), "@2", "--store", store, "--rules", RULES, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = valid(json.loads(proc.stdout), "diff-v1")
    assert doc["audience"] == [] and doc["findings"] == []
    assert doc["summary"]["unchanged"] > 0
    assert doc["new"]["scan_id"] == 2 and doc["old"]["scan_id"] is None


def test_diff_with_an_unknown_side_exits_2(store):
    """A diff side that is neither a file, @ID nor a time is exit 2 naming it."""
    one_line_error(seenby("diff", "nope", "@1", "--store", store), "OLD", "'nope'")


def test_scans_lists_recorded_scans(store):
    """`seenby scans` lists each recorded scan with its id and time."""
    proc = seenby("scans", "--store", store)
    assert proc.returncode == 0, proc.stderr
    assert "@1  2026-11-20T09:00:00Z" in proc.stdout and "@2  2026-11-21T09:00:00Z" in proc.stdout


def test_scans_json_follows_its_schema(store):
    """`scans --format json` lists both recorded scans, oldest first, as scans/v1."""
    proc = seenby("scans", "--store", store, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = valid(json.loads(proc.stdout), "scans-v1")
    assert [(s["ref"], s["collected_at"]) for s in doc["scans"]] == [
        ("@1", "2026-11-20T09:00:00Z"), ("@2", "2026-11-21T09:00:00Z"),
    ]


def test_diff_by_scan_ids_labels_each_side_with_its_scan_and_time(store):
    """`diff @1 @2` names scan @1 and @2 with their times, and calls neither side "the latest recorded"."""
    unwrapped = {k: v for k, v in os.environ.items() if k != "COLUMNS"}  # piped: one label per line
    proc = subprocess.run([sys.executable, "-m", "seenby", "diff", "@1", "@2", "--store", store, "--rules", RULES],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env=unwrapped)
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    assert "the latest recorded" not in text
    assert f"old recorded scan @1 of {store}, collected 2026-11-20T09:00:00Z;" in text
    assert f"new recorded scan @2 of {store}, collected 2026-11-21T09:00:00Z;" in text


def test_who_can_read_at_finds_a_glue_table_inside_its_catalog(store):
    """who-can-read --at answers for the Glue table, which is not a resource of its own."""
    glue = "arn:aws:glue:eu-west-1:111122223333:table/telemetry/keystrokes_raw"
    proc = seenby("who-can-read", glue, "--at", "2026-11-20T18:00", "--store", store, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["dataset"]["id"], doc["snapshot"]["scan"]["scan_id"]) == (glue, 1)


def test_scans_tsv_is_one_scan_per_line(store):
    """`scans --format tsv`: a header, then one tab-separated line per recorded scan."""
    proc = seenby("scans", "--store", store, "--format", "tsv")
    assert proc.returncode == 0, proc.stderr
    # 38 resources: 30, the management account's IAM (issue 22), and the BI server (issue 21): its instance,
    # three datasets and three dashboards
    assert proc.stdout.splitlines()[:2] == [
        "scan\tcollected_at\tresources\tsource", f"@1\t2026-11-20T09:00:00Z\t38\t{EXAMPLE}",
    ]
