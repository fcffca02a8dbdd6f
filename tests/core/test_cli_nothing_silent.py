"""Nothing passes silently: empty imports, declarations that match nothing, findings compared without rules."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "telemetry-incident" / "snapshot.json"
RULES = ROOT / "rules.yaml"


def seenby(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "seenby", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def rules_with(tmp_path: Path, extra_entry: str) -> Path:
    """The example's rules.yaml with one more dataset entry first."""
    text = RULES.read_text().replace("datasets:\n", f"datasets:\n{extra_entry}", 1)
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return path


def test_empty_cai_import_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    """`import gcp-cai` of an empty file is one line, exit 2, and no snapshot."""
    empty = tmp_path / "export.json"
    empty.write_text("")
    out = tmp_path / "snapshot.json"

    proc = seenby("import", "gcp-cai", str(empty), "-o", str(out))

    assert proc.returncode == 2
    assert [line for line in proc.stderr.splitlines() if line] == [
        f"seenby: error: {empty}: no Cloud Asset Inventory asset seenby reads (projects, buckets, BigQuery datasets "
        "and tables, IAM policies); is this an export with --content-type RESOURCE or IAM_POLICY? Nothing was written"
    ]
    assert not out.exists()


def test_a_glob_that_matches_nothing_is_a_warning_and_an_info_finding(tmp_path: Path) -> None:
    """A dataset glob matching no dataset of the snapshot warns on stderr and is an SB013 info finding."""
    rules = rules_with(tmp_path, "  - match: {id: 'arn:aws:s3:::corp-payroll-*'}\n    read: []\n")

    proc = seenby("audit", str(EXAMPLE), "--rules", str(rules), "--format", "json", "--fail-on", "never")

    assert proc.returncode == 0
    line = RULES.read_text().splitlines().index("datasets:") + 2  # the added entry's line
    warning = f"seenby: warning: {rules}:{line} (datasets[0]) declares 'arn:aws:s3:::corp-payroll-*', which matches no "
    assert [line for line in proc.stderr.splitlines() if line.startswith(warning)] != []
    found = [f for f in json.loads(proc.stdout)["findings"] if f["rule"]["id"] == "SB013"]
    assert [(f["severity"], f["dataset"]["id"]) for f in found] == [("info", "arn:aws:s3:::corp-payroll-*")]


def test_a_malformed_arn_in_rules_is_named_as_such(tmp_path: Path) -> None:
    """An S3 ARN missing its colons (arn:aws:s3:corp-x) is a warning that says it is not a well-formed ARN."""
    rules = rules_with(tmp_path, "  - match: {id: 'arn:aws:s3:corp-employee-telemetry-raw'}\n    read: []\n")

    proc = seenby("audit", str(EXAMPLE), "--rules", str(rules), "--fail-on", "never")

    assert "'arn:aws:s3:corp-employee-telemetry-raw', which matches no dataset (not a well-formed ARN" in proc.stderr


def test_the_example_rules_match_every_declaration() -> None:
    """The example's own rules.yaml declares nothing the example lacks: no warning, no SB013."""
    proc = seenby("audit", str(EXAMPLE), "--rules", str(RULES), "--format", "json", "--fail-on", "never")

    assert "warning" not in proc.stderr
    assert all(f["rule"]["id"] != "SB013" for f in json.loads(proc.stdout)["findings"])


def test_diff_fail_on_without_rules_exits_2(tmp_path: Path) -> None:
    """`diff … --fail-on low` where no rules file exists says findings need one, exit 2, before any work."""
    proc = seenby("diff", str(EXAMPLE), str(EXAMPLE), "--fail-on", "low", cwd=tmp_path)

    assert proc.returncode == 2
    assert proc.stderr.startswith("seenby: error: --fail-on low compares findings, which needs declared audiences")
    assert proc.stdout == ""


def test_exposure_html_without_rules_does_not_claim_the_declaration_held(tmp_path: Path) -> None:
    """`exposure --format html` with no rules says "not compared", never "the audience never exceeded"."""
    store = tmp_path / "h.sqlite3"
    shutil.copy(EXAMPLE, tmp_path / "s.json")
    assert seenby("record", str(tmp_path / "s.json"), "--store", str(store), cwd=tmp_path).returncode == 0

    proc = seenby("exposure", "corp-employee-telemetry-raw", "--store", str(store), "--format", "html", cwd=tmp_path)

    assert proc.returncode == 0
    assert "never exceeded" not in proc.stdout
    assert "not compared" in proc.stdout
