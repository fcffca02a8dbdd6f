"""``seenby gate --fix``: the proven fix beside each failing plan finding."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jsonschema

from .conftest import ROOT

GATE = ROOT / "examples" / "gate"


def test_gate_shows_the_proven_fix_of_the_failing_finding():
    """The example plan's public bucket policy fails the gate; --fix gives its proven fix, against the planned
    state's document, and the gate still fails (a fix is advice, never applied)."""
    proc = subprocess.run(
        [sys.executable, "-m", "seenby", "gate", "fails/plan.json", "--rules", "rules.yaml", "--fail-on", "high",
         "--fix", "--format", "json", "-q"],
        cwd=GATE, capture_output=True, text=True, timeout=300, env=dict(os.environ),
    )  # fmt: skip

    assert proc.returncode == 1, proc.stderr
    document = json.loads(proc.stdout)
    (failing,) = document["gate"]["failing"]
    finding = next(f for f in document["findings"] if f["fingerprint"] == failing)
    fix = finding["fix"]
    assert fix["proven"] is True
    assert fix["changes"][0]["kind"] == "narrow-principals"
    assert fix["audience_after"]["excess"] == []
    assert fix["commands"][0].startswith("aws s3api put-bucket-policy --bucket corp-example-reports ")
    assert finding["terraform"]["address"] == "aws_s3_bucket_policy.reports"
    assert fix["terraform"].startswith('resource "aws_s3_bucket_policy" "reports" {\n')
    policy_text = fix["terraform"].split("jsonencode(", 1)[1].rsplit(")", 1)[0]
    assert json.loads(policy_text) == json.loads(_policy_after(fix))
    schema = json.loads((ROOT / "seenby" / "schemas" / "findings-v1.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(document)


def _policy_after(fix: dict) -> str:
    """The bucket policy the proven change leaves (the stored patch replaces the policy string whole)."""
    return next(op["value"] for op in fix["changes"][0]["patch"] if op["op"] == "replace")
