"""`seenby scan gcp` on the command line: printed permissions and usage errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def seenby(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seenby", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=os.environ
    )


def test_print_permissions_is_a_read_only_custom_role():
    """`seenby scan gcp --print-permissions` prints a custom role JSON of read permissions and needs no credentials."""
    proc = seenby("scan", "gcp", "--print-permissions")

    assert proc.returncode == 0, proc.stderr
    role = json.loads(proc.stdout)
    assert "storage.buckets.getIamPolicy" in role["includedPermissions"]
    assert not any(
        p.endswith((".set", ".create", ".update", ".delete", ".setIamPolicy")) for p in role["includedPermissions"]
    )


def test_scan_without_a_target_is_a_usage_error():
    """No --project, --folder or --organization: exit 2 with one line, no traceback."""
    proc = seenby("scan", "gcp", "-o", "x.json")

    assert proc.returncode == 2 and "--project" in proc.stderr and "Traceback" not in proc.stderr


def test_malformed_folder_id_is_a_usage_error():
    """A folder id that is not numeric is refused before any call is made."""
    proc = seenby("scan", "gcp", "--folder", "data", "-o", "x.json")

    assert proc.returncode == 2 and "numeric folder id" in proc.stderr
