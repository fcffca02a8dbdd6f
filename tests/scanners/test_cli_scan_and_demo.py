"""The scan and demo commands end to end: real local endpoints, real subprocesses."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

from seenby.audit import audit
from seenby.config import load_rules
from seenby.findings import AuditResult
from seenby.snapshot import load_snapshot
from tests.scanners.helpers import ACCESS_KEY, REGION, SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
READ_VERBS = ("Get", "List", "Describe")


def seenby(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seenby", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def shape(result: AuditResult) -> set[tuple[str, str, str, frozenset[str]]]:
    return {
        (f.rule_id, f.dataset.id, f.level.value if f.level else "-", frozenset(e.principal.id for e in f.excess))
        for f in result.findings
    }


def test_print_policy_is_read_only_iam_json():
    """`seenby scan aws --print-policy` prints valid IAM policy JSON with only read actions."""
    proc = seenby("scan", "aws", "--print-policy")
    assert proc.returncode == 0, proc.stderr
    policy = json.loads(proc.stdout)
    actions = [a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert actions
    for action in actions:
        verb = action.split(":", 1)[1]
        assert verb.startswith(READ_VERBS) or action == "sts:AssumeRole", action


def test_scan_aws_writes_an_owner_only_snapshot_through_aws_endpoint_url(endpoint, client, tmp_path):
    """`seenby scan aws -o FILE` scans the endpoint AWS_ENDPOINT_URL names and writes a 0600 snapshot."""
    client("s3").create_bucket(Bucket="scanned-bucket")
    out = tmp_path / "snap.json"
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "XDG_DATA_HOME": str(tmp_path / "data"),  # the scan records into a history store: keep it here
    }
    proc = seenby("scan", "aws", "--region", REGION, "-o", str(out), "--quiet", env=env)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    ids = {r.id for r in load_snapshot(out).resources}
    assert "arn:aws:s3:::scanned-bucket" in ids
    assert SECRET_KEY not in out.read_text()
    store = tmp_path / "data" / "seenby" / "history.sqlite3"
    assert store.exists() and stat.S_IMODE(store.stat().st_mode) == 0o600


def test_scan_aws_without_output_or_audit_is_a_usage_error():
    """A scan that would write nothing and report nothing is refused with exit 2."""
    proc = seenby("scan", "aws")
    assert proc.returncode == 2 and "--output" in proc.stderr and "Traceback" not in proc.stderr


def test_demo_reads_the_example_organisation_live_and_finds_the_same(tmp_path):
    """`seenby demo` scans the seeded local endpoint and reaches the same findings as the recorded example, the
    Superset one included."""
    kept = tmp_path / "demo.json"
    proc = seenby("demo", "--quiet", "--format", "json", "--snapshot-output", str(kept),
                  env={"XDG_DATA_HOME": str(tmp_path / "data")})  # the demo records its scan: keep it here
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["findings"], "the demo must report the example's findings"
    rules = load_rules(ROOT / "rules.yaml")
    today = date(2026, 11, 23)
    live = audit(load_snapshot(kept), rules, today=today)
    recorded = audit(load_snapshot(ROOT / "examples" / "telemetry-incident" / "snapshot.json"), rules, today=today)
    assert shape(live) == shape(recorded)
    assert load_snapshot(kept).collector["mode"] == "demo"
    # and the BI server's finding (issue 21, from recorded Superset responses): the raw keystrokes, through Superset
    ml_raw = next(f for f in report["findings"] if f["dataset"]["id"] == "bigquery://corp-telemetry.ml_raw")
    gamma = next(e for e in ml_raw["excess"] if e["principal"]["id"].endswith("/role/Gamma"))
    assert [s["label"] for s in gamma["path"]] == [
        "Gamma (Superset role)", "Keystroke activity", "keystrokes", "corp-telemetry.ml_raw"]


def test_scan_aws_org_writes_one_shard_per_account(tmp_path):
    """`seenby scan aws --org --shards-dir` writes one owner-only shard per account; audit merges them."""
    from seenby.demo.example_org import MGMT, build
    from seenby.demo.seed_aws import DEMO_REGION, account_session, seed_aws
    from seenby.demo.server import local_aws

    shards = tmp_path / "shards"
    with local_aws() as url:
        seed_aws(url, build())
        creds = account_session(url, MGMT).get_credentials().get_frozen_credentials()
        env = {
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": creds.access_key,
            "AWS_SECRET_ACCESS_KEY": creds.secret_key,
            "AWS_SESSION_TOKEN": creds.token,
            "AWS_DEFAULT_REGION": DEMO_REGION,
            "XDG_DATA_HOME": str(tmp_path / "data"),
        }
        proc = seenby("scan", "aws", "--org", "--region", DEMO_REGION, "--shards-dir", str(shards), "-q", env=env)
    assert proc.returncode == 0, proc.stderr
    files = sorted(p.name for p in shards.iterdir())
    assert files == ["111122223333.json", "222233334444.json", "999988887777.json"]
    assert all(stat.S_IMODE((shards / f).stat().st_mode) == 0o600 for f in files)
    audited = seenby("audit", *(str(shards / f) for f in files), "--format", "json", "--fail-on", "never")
    assert audited.returncode == 0, audited.stderr
    assert any(f["rule"]["id"] == "SB003" for f in json.loads(audited.stdout)["findings"])
