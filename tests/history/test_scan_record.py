"""`seenby scan aws` records into the history store by default; --no-record does not."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from seenby.history.store import HistoryStore
from tests.scanners.helpers import ACCESS_KEY, REGION, SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]


def scan(endpoint: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
    }
    args = ["scan", "aws", "--region", REGION, "-o", str(tmp_path / "snap.json"), "--quiet", *extra]
    return subprocess.run([sys.executable, "-m", "seenby", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def test_scan_aws_records_into_the_default_store(endpoint, client, tmp_path):
    """Without options, the scan is recorded in $XDG_DATA_HOME/seenby/history.sqlite3, owner-only."""
    client("s3").create_bucket(Bucket="recorded-bucket")
    proc = scan(endpoint, tmp_path)
    assert proc.returncode == 0, proc.stderr
    store = tmp_path / "xdg" / "seenby" / "history.sqlite3"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    with HistoryStore.open(store, create=False) as history:
        (recorded,) = history.scans()
        ids = {r.id for r in history.snapshot(recorded.id).resources}
    assert "arn:aws:s3:::recorded-bucket" in ids
    assert recorded.source == str(tmp_path / "snap.json")


def test_scan_aws_no_record_leaves_no_store(endpoint, client, tmp_path):
    """--no-record writes the snapshot file and nothing else."""
    proc = scan(endpoint, tmp_path, "--no-record", "--store", str(tmp_path / "s.sqlite3"))
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "s.sqlite3").exists() and not (tmp_path / "xdg").exists()
