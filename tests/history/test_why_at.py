"""``seenby why … --at TIME --store PATH``: the answer at three points in time, each naming its scan.

Three hand-made snapshots of a changing organisation, shaped as docs/snapshot.md describes and as
the moto series of conftest.py records them: the bucket private (@1), a bucket policy opening it to
the organisation (@2), the policy removed (@3).  Semantics: ``aws:PrincipalOrgID`` in a bucket
policy grants every principal of the organisation
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid).

``record_series`` is shared with tests/reports/test_report_html_history.py.
"""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from seenby.cli import cli
from seenby.history.store import HistoryStore
from seenby.snapshot import Snapshot, parse_snapshot
from tests.aws.conftest import account, bucket, idstmt, organization, policy, role, stmt, user
from tests.history.conftest import BOB, BUCKET, BUCKET_ARN, DAYS, org_policy, rules_text
from tests.scanners.helpers import ACCOUNT

ORG = "o-hist12345"
ORG_NODE = f"aws-org:{ORG}"
AUDITOR = f"arn:aws:iam::{ACCOUNT}:role/auditor"


@dataclasses.dataclass(frozen=True)
class Series:
    store: Path
    rules: Path
    snapshots: tuple[Snapshot, ...]


def day_snapshot(collected_at: str, bucket_policy: dict[str, Any] | None) -> Snapshot:
    """The organisation on one day: users alice and bob, role analyst (bob may assume it; it reads the
    bucket), and the bucket with ``bucket_policy`` (None: no bucket policy, as S3 answers NoSuchBucketPolicy)."""
    trust = policy(stmt(principal={"AWS": BOB}, action="sts:AssumeRole", resource=None))
    resources = [
        organization(ORG, accounts=(ACCOUNT,), management=ACCOUNT),
        account(ACCOUNT, users=(user("alice", ACCOUNT), user("bob", ACCOUNT)),
                roles=(role("analyst", ACCOUNT, trust=trust, inline=(policy(idstmt(resource=f"{BUCKET_ARN}/*")),)),)),
        bucket(BUCKET, account=ACCOUNT, policy=bucket_policy if bucket_policy is not None else "absent"),
    ]  # fmt: skip
    data = {
        "schema_version": "1.0", "collected_at": collected_at,
        "collector": {"tool": "seenby", "version": "test", "mode": "scan", "identity": AUDITOR},
        "scope": {"aws_accounts": [ACCOUNT], "aws_organization": ORG}, "resources": resources,
    }  # fmt: skip
    return parse_snapshot(data, source=f"scan of {collected_at}")


def opening_policy(sid: str = "OrgRead") -> dict[str, Any]:
    """The bucket policy of day 2 (conftest's OrgRead statement), with its Sid set to ``sid``."""
    document = json.loads(org_policy(ORG))
    document["Statement"][0]["Sid"] = sid
    return document


def record_series(directory: Path, *, sid: str = "OrgRead") -> Series:
    """Record the three days in ``directory``/history.sqlite3 and write the rules declaring analyst and bob."""
    shots = tuple(day_snapshot(day, doc) for day, doc in zip(DAYS, (None, opening_policy(sid), None), strict=True))
    store = directory / "history.sqlite3"
    with HistoryStore.open(store) as history:
        for shot in shots:
            history.record(shot, source=shot.source)
    rules = directory / "rules.yaml"
    rules.write_text(rules_text())
    return Series(store=store, rules=rules, snapshots=shots)


@pytest.fixture
def series(tmp_path) -> Series:
    return record_series(tmp_path)


def why_at(series: Series, at: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["why", ORG_NODE, BUCKET_ARN, "--at", at, "--store", str(series.store), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def why_json(series: Series, at: str) -> dict[str, Any]:
    return json.loads(why_at(series, at, "--format", "json"))


def test_before_the_policy_the_organisation_cannot_read(series):
    """As of day 1 (scan @1) nothing allows the organisation: no path, not allowed."""
    doc = why_json(series, "2026-03-01")
    assert (doc["answer"], doc["paths"], doc["snapshot"]["scan"]["scan_id"]) == ("not-allowed", [], 1)


def test_while_the_policy_stood_the_organisation_reads_through_its_statement(series):
    """As of noon on day 2 (scan @2) the bucket policy's OrgRead statement allows the organisation."""
    doc = why_json(series, "2026-03-02T12:00:00Z")
    (action,) = [a for a in doc["actions"] if a["action"] == "s3:GetObject"]
    layer = next(layer for layer in action["layers"] if layer["kind"] == "resource-policy")
    (path,) = doc["paths"]
    assert (doc["answer"], doc["snapshot"]["scan"]["scan_id"]) == ("allowed", 2)
    assert (layer["status"], [e["sid"] for e in layer["allowing"]]) == ("allows", ["OrgRead"])
    assert [s["node"] for s in path["steps"]] == [ORG_NODE, BUCKET_ARN]
    assert path["steps"][0]["evidence"][0]["sid"] == "OrgRead"


def test_after_the_policy_was_removed_the_organisation_cannot_read(series):
    """As of day 5 the latest scan (@3) answers: the organisation is not allowed again."""
    doc = why_json(series, "2026-03-05")
    assert (doc["answer"], doc["paths"], doc["snapshot"]["scan"]["scan_id"]) == ("not-allowed", [], 3)


def test_json_names_the_scan_its_time_and_age(series):
    """snapshot.source is STORE@ID and snapshot.scan says when the scan was taken and how long before the asked time."""
    doc = why_json(series, "2026-03-02T12:00:00Z")
    scan = doc["snapshot"]["scan"]
    assert doc["snapshot"]["source"] == f"{series.store}@2"
    assert (scan["collected_at"], scan["asked_at"], scan["before_asked_seconds"]) == (
        "2026-03-02T09:00:00Z", "2026-03-02T12:00:00Z", 3 * 3600)
    assert scan["age_seconds"] > 0 and scan["store"] == str(series.store)


def test_json_with_a_scan_matches_the_explain_schema(series):
    """The additive snapshot.scan object validates against seenby/schemas/explain-v1.schema.json."""
    schema = json.loads(resources.files("seenby").joinpath("schemas/explain-v1.schema.json").read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
        why_json(series, "2026-03-02T12:00:00Z"))


@pytest.mark.parametrize(("at", "scan", "answer"), [
    ("2026-03-01", "@1", "NOT-ALLOWED"), ("2026-03-02T12:00", "@2", "ALLOWED"), ("2026-03-05", "@3", "NOT-ALLOWED"),
])  # fmt: skip
def test_table_names_the_scan_and_its_age(series, at, scan, answer):
    """The table's 'as of' line names the recorded scan, how long before the asked time and how old it is."""
    lines = why_at(series, at).splitlines()
    as_of = next(line for line in lines if line.startswith("as of"))
    assert f"recorded scan {scan} of {series.store}" in as_of and "before the time asked" in as_of
    assert as_of.rstrip().endswith(")") and " old" in as_of
    assert next(line for line in lines if line.startswith("answer")).split()[-1] == answer


def test_markdown_names_the_scan(series):
    """The Markdown answer carries the same 'As of' line."""
    text = why_at(series, "2026-03-02T12:00", "--format", "markdown")
    assert "- As of: recorded scan &#64;2 of" in text and "- Answer: **allowed**" in text


def test_snapshot_files_need_no_store(series, tmp_path):
    """--snapshot still answers from files (no scan object), and cannot be combined with --at."""
    path = tmp_path / "day2.json"
    path.write_text(json.dumps(series.snapshots[1].to_json()))
    ok = CliRunner().invoke(cli, ["why", ORG_NODE, BUCKET_ARN, "--snapshot", str(path), "--format", "json"])
    both = CliRunner().invoke(cli, ["why", ORG_NODE, BUCKET_ARN, "--snapshot", str(path), "--at", "2026-03-02"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["answer"] == "allowed" and "scan" not in json.loads(ok.stdout)["snapshot"]
    assert both.exit_code == 2 and "pick one" in both.output
