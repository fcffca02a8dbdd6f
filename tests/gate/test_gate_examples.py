"""examples/gate: the failing plan fails, the fixed one passes; the shipped workflow pins seenby."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from seenby.cli import cli

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "gate"


def run(monkeypatch, *args: str):
    monkeypatch.chdir(EXAMPLE)
    return CliRunner().invoke(cli, ["gate", *args, "--rules", "rules.yaml", "--fail-on", "high"])


def test_failing_example_fails_with_public_read_at_the_bucket_policy(monkeypatch):
    """examples/gate/fails: exit 1, one SB001 at aws_s3_bucket_policy.reports."""
    result = run(monkeypatch, "fails/plan.json", "--format", "json")
    assert result.exit_code == 1, result.output
    failing = [f for f in json.loads(result.stdout)["findings"] if f["severity"] in ("high", "critical")]
    assert [(f["rule"]["id"], f["terraform"]["address"]) for f in failing] == \
        [("SB001", "aws_s3_bucket_policy.reports")]


def test_fixed_example_passes(monkeypatch):
    """examples/gate/passes: exit 0 and verdict pass."""
    result = run(monkeypatch, "passes/plan.json", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["gate"]["verdict"] == "pass"


def test_failing_example_sarif_points_at_the_policy_block(monkeypatch):
    """With --config-dir, the SARIF result is the `resource "aws_s3_bucket_policy" "reports"` line of main.tf."""
    result = run(monkeypatch, "fails/plan.json", "--format", "sarif", "--config-dir", "fails")
    sb001 = next(r for r in json.loads(result.stdout)["runs"][0]["results"] if r["ruleId"] == "SB001")
    line = (EXAMPLE / "fails" / "main.tf").read_text().splitlines().index(
        'resource "aws_s3_bucket_policy" "reports" {') + 1
    assert sb001["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "fails/main.tf"},
                                                         "region": {"startLine": line}}


def test_shipped_workflow_installs_a_pinned_seenby():
    """The CI workflow installs seenby at a pinned version, never an unpinned "latest"."""
    workflow = yaml.safe_load((ROOT / "examples" / "ci" / "seenby-gate.yml").read_text())
    steps = workflow["jobs"]["gate"]["steps"]
    install = next(s["run"] for s in steps if "pip install" in s.get("run", ""))
    assert install == 'python -m pip install "seenby==${SEENBY_VERSION}"'
    assert workflow["env"]["SEENBY_VERSION"].count(".") == 2
