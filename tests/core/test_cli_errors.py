"""Bad input on the command line: one readable message, exit 2, no traceback, nothing written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "telemetry-incident" / "snapshot.json"


def seenby(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "seenby", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0]
    assert proc.stdout == ""


def test_malformed_snapshot_exits_2_naming_file_and_place(tmp_path):
    """Broken JSON in a snapshot gives one line naming the file and the line."""
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": "1.0",\n  oops')
    assert_one_line_error(seenby("audit", str(bad), "--rules", str(ROOT / "rules.yaml")), str(bad), "line 2")


def test_unknown_schema_version_exits_2(tmp_path):
    """A snapshot of an unknown major version is refused with its JSON path."""
    data = json.loads(EXAMPLE.read_text())
    data["schema_version"] = "9.0"
    bad = tmp_path / "future.json"
    bad.write_text(json.dumps(data))
    assert_one_line_error(seenby("audit", str(bad), "--rules", str(ROOT / "rules.yaml")), "$.schema_version", "9.0")


def test_rules_typo_exits_2_naming_the_line(tmp_path):
    """A typo in rules.yaml gives one line naming the file and the line."""
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\ndatasets:\n  - match: {id: x}\n    raed: []\n")
    assert_one_line_error(seenby("audit", str(EXAMPLE), "--rules", str(rules)), str(rules), "line 4", "'raed'")


def test_bad_input_writes_no_output_file(tmp_path):
    """When input is bad, --output is not created (nothing half-written)."""
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 3\n")
    out = tmp_path / "report.json"
    proc = seenby("audit", str(EXAMPLE), "--rules", str(rules), "--format", "json", "--output", str(out))
    assert proc.returncode == 2 and not out.exists()


def test_unknown_dataset_in_who_can_read_exits_2():
    """who-can-read on a dataset the snapshot lacks is a usage error, not a traceback."""
    proc = seenby("who-can-read", "arn:aws:s3:::no-such-bucket", "--snapshot", str(EXAMPLE))
    assert_one_line_error(proc, "no-such-bucket")


def test_malformed_policy_in_snapshot_names_file_resource_and_statement(tmp_path):
    """A policy no provider would accept is one line naming the snapshot, the resource and the statement."""
    data = json.loads(EXAMPLE.read_text())
    for resource in data["resources"]:
        if resource["id"] == "arn:aws:s3:::corp-employee-telemetry-raw":
            resource["reads"]["policy"]["document"]["Policy"] = json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "s3:*"}]}
            )
    bad = tmp_path / "bad-policy.json"
    bad.write_text(json.dumps(data))
    proc = seenby("audit", str(bad), "--rules", str(ROOT / "rules.yaml"))
    assert_one_line_error(proc, str(bad), "arn:aws:s3:::corp-employee-telemetry-raw", "Statement[0]", "Effect")


def _with_raw_policy(tmp_path: Path, text: str) -> Path:
    data = json.loads(EXAMPLE.read_text())
    for resource in data["resources"]:
        if resource["id"] == "arn:aws:s3:::corp-employee-telemetry-raw":
            resource["reads"]["policy"]["document"]["Policy"] = text
    bad = tmp_path / "bad-policy.json"
    bad.write_text(json.dumps(data))
    return bad


def test_policy_string_nested_thousands_deep_is_one_line(tmp_path):
    """`seenby audit` on a snapshot whose policy (JSON in a string) nests 5,000 deep: one line, exit 2, no report."""
    bad = _with_raw_policy(tmp_path, '{"Statement": ' + "[" * 5000 + "]" * 5000 + "}")
    out = tmp_path / "report.json"
    proc = seenby("audit", str(bad), "--rules", str(ROOT / "rules.yaml"), "-o", str(out))
    assert_one_line_error(proc, str(bad), "arn:aws:s3:::corp-employee-telemetry-raw", "nested more than 256")
    assert not out.exists()


def test_policy_string_with_a_number_of_thousands_of_digits_is_one_line(tmp_path):
    """A policy holding a 5,000-digit number (past Python's int conversion limit) is one line, exit 2."""
    bad = _with_raw_policy(tmp_path, '{"Version": "2012-10-17", "Statement": [], "N": ' + "7" * 5000 + "}")
    proc = seenby("audit", str(bad), "--rules", str(ROOT / "rules.yaml"))
    assert_one_line_error(proc, str(bad), "arn:aws:s3:::corp-employee-telemetry-raw", "a number of 5,000 characters")
