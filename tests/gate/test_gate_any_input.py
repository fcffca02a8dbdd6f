"""No plan, baseline or rules file makes the gate exit with anything but 0, 1 or 2 (hypothesis).

Each example takes a real plan of tests/gate/plans (or the baseline), replaces one value at a
random place with an arbitrary JSON value, and runs the gate in-process: exit 0 or 1 with a
report, or exit 2 with one line on stderr, never a traceback.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seenby.cli import cli

from .conftest import BASELINE, PLANS, RULES

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.sampled_from(["", "*", "arn:aws:s3:::x", "{}", "{\"Statement\": 1}", "allUsers", "create", "delete"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
PLAN_NAMES = sorted(p.stem for p in PLANS.glob("*.json"))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _replace(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return doc


def _assert_clean_exit(result) -> None:
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output, result.exception)
    if result.exit_code == 2:
        assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1, result.stderr


@pytest.mark.parametrize("name", PLAN_NAMES)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), value=JSON)
def test_any_value_anywhere_in_a_plan_exits_0_1_or_2(tmp_path, name, data, value):
    """A plan with one value replaced by any JSON value: exit 0, 1 or 2 (one line), never a crash."""
    doc = json.loads((PLANS / f"{name}.json").read_text())
    path = data.draw(st.sampled_from(_paths(doc)))
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(_replace(doc, path, value)))
    _assert_clean_exit(CliRunner().invoke(cli, ["gate", str(plan), "--rules", str(RULES), "--format", "json"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), value=JSON)
def test_any_value_anywhere_in_a_baseline_exits_0_1_or_2(tmp_path, data, value):
    """A baseline snapshot with one value replaced by any JSON value: exit 0, 1 or 2, never a crash."""
    doc = json.loads(BASELINE.read_text())
    path = data.draw(st.sampled_from(_paths(doc)))
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(_replace(doc, path, value)))
    result = CliRunner().invoke(cli, ["gate", str(PLANS / "org_wide_bucket.json"), "--baseline", str(baseline),
                                      "--rules", str(RULES), "--format", "json"])
    _assert_clean_exit(result)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list("ab: -&*[]{}\n'\"1!|>")), max_size=80))
def test_any_rules_text_exits_0_1_or_2(tmp_path, text):
    """A rules.yaml of arbitrary YAML-ish text (anchors, aliases, flow collections): exit 0, 1 or 2."""
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\n" + text)
    result = CliRunner().invoke(cli, ["gate", str(PLANS / "org_wide_bucket.json"), "--rules", str(rules)])
    _assert_clean_exit(result)
