"""Queries answer several datasets or principals from one evaluation; progress stays off stderr when piped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = str(ROOT / "examples" / "telemetry-incident" / "snapshot.json")
RAW = "arn:aws:s3:::corp-employee-telemetry-raw"
ALICE = "arn:aws:iam::111122223333:user/alice"


def _seenby(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seenby", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_several_datasets_in_json_are_json_lines():
    """who-can-read A B --format json writes one audience document per line, in the order asked."""
    run = _seenby("who-can-read", RAW, "keystrokes_raw", "--snapshot", SNAPSHOT, "--format", "json")
    assert run.returncode == 0, run.stderr
    ids = [json.loads(line)["dataset"]["id"] for line in run.stdout.splitlines()]
    assert ids == [RAW, "arn:aws:glue:eu-west-1:111122223333:table/telemetry/keystrokes_raw"]


def test_all_answers_every_dataset():
    """who-can-read --all --format jsonl writes one line per dataset of the snapshot."""
    from seenby import api

    run = _seenby("who-can-read", "--all", "--snapshot", SNAPSHOT, "--format", "jsonl")
    assert run.returncode == 0, run.stderr
    assert len(run.stdout.splitlines()) == len(api.evaluate(api.load(SNAPSHOT)).datasets)


def test_one_dataset_in_json_stays_one_document():
    """who-can-read A --format json is still the indented seenby.audience/v1 document."""
    run = _seenby("who-can-read", RAW, "--snapshot", SNAPSHOT, "--format", "json")
    assert run.stdout.startswith("{\n")


def test_no_dataset_and_no_all_is_bad_usage():
    """who-can-read with neither a DATASET nor --all exits 2 with one line saying what to give."""
    run = _seenby("who-can-read", "--snapshot", SNAPSHOT)
    assert (run.returncode, run.stderr.strip()) == (2, "seenby: error: give one or more DATASETs, or --all")


def test_several_principals_are_json_lines():
    """what-can-read P Q --format jsonl writes one principal-access document per line."""
    run = _seenby("what-can-read", ALICE, "aws-org:o-a1b2c3d4e5", "--snapshot", SNAPSHOT, "--format", "jsonl")
    assert run.returncode == 0, run.stderr
    assert [json.loads(line)["principal"]["id"] for line in run.stdout.splitlines()] == [ALICE, "aws-org:o-a1b2c3d4e5"]


def test_piped_stderr_has_no_progress():
    """audit with stderr piped writes no progress display: stderr holds only its warnings."""
    run = _seenby("audit", SNAPSHOT, "--fail-on", "never", "--format", "json")
    assert [line for line in run.stderr.splitlines() if not line.startswith("seenby: warning:")] == []


def test_activity_is_off_when_stderr_is_not_a_terminal():
    """Activity never enables itself when stderr is not a terminal, even with no delay."""
    from seenby.cli_base import Activity

    with Activity(quiet=False, delay=0) as activity:
        activity.step("working")
    assert activity.enabled is False


def test_activity_shows_on_a_terminal_after_its_delay():
    """On a terminal, work that outlasts the delay shows its stage on stderr, and the display is cleared after."""
    import pty

    code = (
        "import time; from seenby.cli_base import Activity\n"
        "with Activity(quiet=False, delay=0.1) as a:\n"
        "    a.step('evaluating the snapshot'); time.sleep(1.0)\n"
    )
    out = bytearray()

    def read(fd: int) -> bytes:
        data = os.read(fd, 1024)
        out.extend(data)
        return data

    pty.spawn([sys.executable, "-c", code], read)
    assert b"evaluating the snapshot" in out


def test_quiet_activity_never_shows_on_a_terminal():
    """With quiet, nothing is drawn even on a terminal."""
    import pty

    code = (
        "import time; from seenby.cli_base import Activity\n"
        "with Activity(quiet=True, delay=0.1) as a:\n"
        "    a.step('evaluating the snapshot'); time.sleep(0.5)\n"
    )
    out = bytearray()

    def read(fd: int) -> bytes:
        data = os.read(fd, 1024)
        out.extend(data)
        return data

    pty.spawn([sys.executable, "-c", code], read)
    assert b"evaluating" not in out
