"""``seenby fix`` through the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from seenby import api

from .conftest import ROOT, RULES, SNAPSHOT, TODAY

KEYSTROKES = "gs://corp-keystrokes"


def seenby(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seenby", *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env=dict(os.environ),
    )  # fmt: skip


def _fingerprint(dataset: str, rule: str) -> str:
    audit = api.evaluate(api.load(SNAPSHOT)).audit(api.load_rules(RULES), today=TODAY)
    return next(f.fingerprint for f in audit.findings if f.dataset.id == dataset and f.rule_id == rule)


def test_fix_of_one_finding_as_json(tmp_path):
    """--finding FINGERPRINT --format json: only that finding, with its proven fix, patch and command."""
    fingerprint = _fingerprint(KEYSTROKES, "SB003")

    proc = seenby("fix", str(SNAPSHOT), "--rules", str(RULES), "--finding", fingerprint, "--format", "json")

    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    (finding,) = document["findings"]
    assert finding["fingerprint"] == fingerprint
    fix = finding["fix"]
    assert fix["proven"] is True
    assert fix["changes"][0]["resource"] == KEYSTROKES and fix["changes"][0]["read"] == "iam_policy"
    assert fix["commands"] == [
        "gcloud storage buckets remove-iam-policy-binding gs://corp-keystrokes --member=domain:corp.example "
        "--role=roles/storage.objectViewer"
    ]


def test_unknown_fingerprint_is_bad_usage():
    """A fingerprint no finding has is exit 2 with one line naming it."""
    proc = seenby("fix", str(SNAPSHOT), "--rules", str(RULES), "--finding", "0000deadbeef")

    assert proc.returncode == 2
    assert "0000deadbeef" in proc.stderr


def test_apply_to_snapshot_writes_a_snapshot_without_the_fixed_finding(tmp_path):
    """--apply-to-snapshot OUT.json writes a valid snapshot whose audit no longer has the fixed finding."""
    fingerprint = _fingerprint(KEYSTROKES, "SB003")
    out = tmp_path / "fixed.json"

    proc = seenby("fix", str(SNAPSHOT), "--rules", str(RULES), "--finding", fingerprint, "-q",
                  "--apply-to-snapshot", str(out), "--format", "json")  # fmt: skip

    assert proc.returncode == 0, proc.stderr
    after = api.evaluate(api.load(out)).audit(api.load_rules(RULES), today=TODAY)
    assert not [f for f in after.findings if f.dataset.id == KEYSTROKES and f.rule_id == "SB003"]
