"""One people count in every answer: each person once, declared people apart from the excess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "telemetry-incident" / "snapshot.json"
RULES = str(ROOT / "rules.yaml")


def seenby(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "seenby", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout


def test_who_can_read_json_counts_overlapping_groups_once() -> None:
    """The raw bucket: its account (1,200) and engineering (1,200, inside it), the root users of the organisation's
    two other accounts (its org-wide statement lets them in; no IAM principal of those accounts has an Allow of its
    own, issue 19) and QuickSight (40) are 1,242 people."""
    doc = json.loads(seenby("who-can-read", "corp-employee-telemetry-raw", "--snapshot", str(EXAMPLE),
                            "--rules", RULES, "--format", "json"))
    assert doc["people"] == {"read": {"total": 1242, "excess": 1242, "declared": None, "upper_bound": False}}


def test_who_can_read_keeps_declared_people_apart() -> None:
    """gs://corp-keystrokes: 1,500 people beyond the declaration and 5 declared ones, 1,505 in all."""
    doc = json.loads(seenby("who-can-read", "gs://corp-keystrokes", "--snapshot", str(EXAMPLE),
                            "--rules", RULES, "--format", "json"))
    assert doc["people"]["read"] == {"total": 1505, "excess": 1500, "declared": 5, "upper_bound": False}


def test_who_can_read_html_states_the_distinct_people() -> None:
    """The HTML audience page states the level's people once each, with the excess apart."""
    page = seenby("who-can-read", "corp-employee-telemetry-raw", "--snapshot", str(EXAMPLE), "--rules", RULES,
                  "--format", "html")
    expected = "read: 1,242 people, each counted once (beyond the declaration: 1,242 people; declared: people unknown)"
    assert expected in page


def test_audit_finding_of_the_glue_table_counts_the_same_people_as_who_can_read() -> None:
    """The Glue table's finding and who-can-read both count 1,242 people beyond the declaration."""
    glue = "arn:aws:glue:eu-west-1:111122223333:table/telemetry/keystrokes_raw"
    findings = json.loads(seenby("audit", str(EXAMPLE), "--rules", RULES, "--format", "json"))["findings"]
    audience = json.loads(
        seenby("who-can-read", glue, "--snapshot", str(EXAMPLE), "--rules", RULES, "--format", "json")
    )
    read = [f["people"] for f in findings if f["dataset"]["id"] == glue and f["level"] == "read"]
    assert read == [1242]
    assert audience["people"]["read"]["excess"] == 1242
