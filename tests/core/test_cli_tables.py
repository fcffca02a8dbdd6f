"""Tables follow COLUMNS or the terminal; piped, they are not wrapped, so no ARN is ever broken."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from seenby.snapshot import load_snapshot

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "telemetry-incident" / "snapshot.json"
RULES = ROOT / "rules.yaml"
DATASETS = sorted(r.id for r in load_snapshot(EXAMPLE).resources if r.type in ("aws.s3.bucket", "aws.dynamodb.table"))


def piped(*args: str, columns: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns is not None:
        env["COLUMNS"] = columns
    proc = subprocess.run([sys.executable, "-m", "seenby", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout


def test_piped_audit_table_has_one_finding_per_line_with_whole_arns() -> None:
    """Piped, each row of the findings overview is one line holding its dataset's whole ARN."""
    out = piped("audit", str(EXAMPLE), "--rules", str(RULES))
    rows = [line for line in out.splitlines() if line.strip()[:3].strip().isdigit() and "SB0" in line]
    # 14; issue 20: the events leak through their replica (SB003 on both, SB005); issue 21: the BI server's
    # Daily activity is public (SB001 on its dashboard, chart and dataset), and SQL Lab may reach
    # shared_reporting and its view (SB010 on both); issue 22: the screens bucket's readers, together the
    # whole organisation, are one SB003 finding (no SB005 apart); issue 19: the org-wide bucket policies let in
    # the other accounts' root users and those whose own IAM allows, so raw, events and curated are one SB003
    # finding each (no SB005 apart), and the replica, read by its own account and the other accounts' root users
    # only, is SB004 + SB005 instead of SB003
    assert len(rows) == 19
    prefixes = [*DATASETS, "gs://", "bigquery://", "arn:aws:glue:", "superset://"]
    assert all(any(arn in row for arn in prefixes) for row in rows)
    assert "arn:aws:dynamodb:eu-west-1:111122223333:table/corp-telemetry-sessions" in out


def test_piped_who_can_read_keeps_each_member_on_one_line() -> None:
    """Piped, a QuickSight group's ARN in who-can-read is whole, on its member's line."""
    out = piped("who-can-read", "corp-employee-telemetry-raw", "--snapshot", str(EXAMPLE))
    line = next(row for row in out.splitlines() if row.startswith("read") and "bi-authors" in row)
    assert "arn:aws:quicksight:eu-west-1:222233334444:group/default/bi-authors" in line


def test_columns_sets_the_table_width() -> None:
    """COLUMNS=80 lays the audit table out in 80 columns."""
    out = piped("audit", str(EXAMPLE), "--rules", str(RULES), columns="80")
    assert max(len(line) for line in out.splitlines()) == 80


def test_audit_tsv_is_one_finding_per_line_with_a_header() -> None:
    """`audit --format tsv`: a header, then one tab-separated line per finding holding the whole dataset id."""
    lines = piped("audit", str(EXAMPLE), "--rules", str(RULES), "--format", "tsv").splitlines()
    assert lines[0].split("\t")[:4] == ["severity", "rule", "dataset", "level"]
    assert len(lines) == 1 + 19  # as the table above
    assert all(len(line.split("\t")) == 10 for line in lines)
    assert "arn:aws:dynamodb:eu-west-1:111122223333:table/corp-telemetry-sessions" in [
        line.split("\t")[2] for line in lines
    ]


def test_who_can_read_tsv_names_each_member_on_its_line() -> None:
    """`who-can-read --format tsv`: one member per line, its principal id whole in the third column."""
    lines = piped("who-can-read", "corp-employee-telemetry-raw", "--snapshot", str(EXAMPLE), "--rules", str(RULES),
                  "--format", "tsv").splitlines()
    members = [line.split("\t") for line in lines[1:]]
    assert lines[0] == "level\tclass\tprincipal\tname\tkind\tpeople\tconditional\tdeclared"
    assert ["read", "other accounts", "arn:aws:quicksight:eu-west-1:222233334444:group/default/bi-authors"] in [
        m[:3] for m in members
    ]
    # issue 22: the account's principals through telemetry-reader, and the role AWS Organizations made, which the
    # organisation-wide policy admits; issue 19: instead of the organisation's class, the data account itself and
    # the other accounts' root users (no IAM principal there has an Allow of its own)
    assert len(members) == 10


def test_excess_people_are_counted_once_not_summed_over_principals():
    """The screens bucket's organisation-wide readers (three principals, the same 1,200 people behind them) are
    "at least 1,200 people" (the finding's distinct count), never the 2,400 their counts add up to."""
    out = piped("audit", str(EXAMPLE), "--rules", str(RULES))
    assert "organisation / domain — 3 principals, at least 1,200 people" in out
    assert "2,400" not in out
