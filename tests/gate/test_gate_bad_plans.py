"""Malformed plans from the field: one line naming the file and the place, exit 2, nothing written;
values of a shape the provider does not document are a gap at the resource, never a crash."""

from __future__ import annotations

import json

from click.testing import CliRunner

from seenby.cli import cli
from seenby.importers.terraform import load_plan, planned_snapshot

from .conftest import PLANS
from .test_gate_bad_input import assert_bad_input

RULES = PLANS.parent / "real_rules.yaml"


def gate_to(path, out):
    args = ["gate", str(path), "--rules", str(RULES), "--format", "sarif", "--output", str(out)]
    return CliRunner().invoke(cli, args)


def mutated(tmp_path, name: str, mutate) -> str:
    data = json.loads((PLANS / f"{name}.json").read_text())
    mutate(data)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_plan_that_is_not_json_names_line_and_column(tmp_path):
    """A plan cut short is refused with its line and column; no report is written."""
    path = tmp_path / "plan.json"
    path.write_text((PLANS / "s3_module_public_acl.json").read_text()[:500])
    out = tmp_path / "out.sarif"
    assert_bad_input(gate_to(path, out), str(path), "not valid JSON", "line ")
    assert not out.exists()


def test_other_major_format_version_is_refused(tmp_path):
    """format_version 3.1 is refused at $.format_version (reject unsupported major versions, per the format doc)."""
    path = mutated(tmp_path, "gcs_module_members", lambda d: d.update(format_version="3.1"))
    out = tmp_path / "out.sarif"
    assert_bad_input(gate_to(path, out), path, "$.format_version", "3.1")
    assert not out.exists()


def test_missing_planned_values_is_refused(tmp_path):
    """A plan without planned_values (always written by terraform show -json) is refused at $.planned_values."""
    path = mutated(tmp_path, "s3_nested_module_grants", lambda d: d.pop("planned_values"))
    out = tmp_path / "out.sarif"
    assert_bad_input(gate_to(path, out), path, "$.planned_values")
    assert not out.exists()


def test_child_modules_that_are_not_a_list_name_their_path(tmp_path):
    """A nested module tree of the wrong type names its JSON path."""
    path = mutated(tmp_path, "s3_nested_module_grants",
                   lambda d: d["planned_values"]["root_module"].update(child_modules={"oops": 1}))
    assert_bad_input(gate_to(path, tmp_path / "out.sarif"), "$.planned_values.root_module.child_modules")


def test_block_of_an_undocumented_shape_is_a_gap_at_its_address(tmp_path):
    """access_control_policy given as a string (not the provider's block list) is a gap named by the address."""
    def mutate(d):
        change = next(c for c in d["resource_changes"] if c["type"] == "aws_s3_bucket_acl")["change"]
        change["after"]["access_control_policy"] = "FULL_CONTROL"
        change["after_unknown"].pop("access_control_policy", None)
    path = mutated(tmp_path, "s3_nested_module_grants", mutate)
    planned = planned_snapshot(load_plan(path))
    account = next(r for r in planned.snapshot.resources if r.type == "aws.account")
    read = account.read("module.platform.module.bucket.aws_s3_bucket_acl.this[0]")
    assert read is not None and read.error_code == "UnexpectedValue"
    assert read.message.startswith("module.platform.module.bucket.aws_s3_bucket_acl.this[0]: ")
