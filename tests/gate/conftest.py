"""The gate's fixtures: plans written per Terraform's JSON output format, a baseline snapshot, rules.

Plans (``plans/*.json``) follow https://developer.hashicorp.com/terraform/internals/json-format:
``format_version``, ``terraform_version``, ``planned_values``, ``resource_changes`` (with
``after_unknown``), ``prior_state`` and ``configuration`` with expressions and references.
``tf/`` holds the configuration of ``org_wide_bucket.json`` so SARIF can name .tf files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from seenby.cli import cli

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PLANS = HERE / "plans"
RULES = HERE / "rules.yaml"
BASELINE = HERE / "baseline.json"


def plan(name: str) -> str:
    return str(PLANS / f"{name}.json")


@pytest.fixture
def gate(monkeypatch):
    """Run ``seenby gate`` in-process from the repository root; returns (result, parsed output or None)."""
    monkeypatch.chdir(ROOT)

    def run(plan_name: str, *args: str, rules: Path = RULES) -> Result:
        return CliRunner().invoke(cli, ["gate", plan(plan_name), "--rules", str(rules), *args])

    return run


def findings(result: Result) -> list[dict]:
    """The active findings of a ``--format json`` run."""
    return json.loads(result.stdout)["findings"]
