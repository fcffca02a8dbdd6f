"""HMAC keys: the project's storage.hmacKeys.list is recorded (recorded responses: the emulator lacks it).

Shape: https://cloud.google.com/storage/docs/json_api/v1/projects/hmacKeys/list
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from seenby.model import ReadOutcome
from seenby.policies import evaluate
from seenby.scanners.gcp import scan_gcp
from tests.gcp_scan.helpers import PROJECT, fail, scan_config

HMAC_URL = f"https://storage.googleapis.com/storage/v1/projects/{PROJECT}/hmacKeys"
ROOT = Path(__file__).resolve().parents[2]


def _project(snapshot):
    (project,) = snapshot.of_type("gcp.project")
    return project


def test_project_records_every_page_of_its_hmac_keys(http, gcs):
    """The project carries `hmac_keys` (storage.hmacKeys.list) with the items of every page, as returned."""
    read = _project(scan_gcp(scan_config(http, gcs))).read("hmac_keys")

    assert read.outcome is ReadOutcome.OK and read.api == "storage.hmacKeys.list"
    assert [(k["state"], k["serviceAccountEmail"]) for k in read.document["items"]] == [
        ("ACTIVE", "telemetry-export@corp-telemetry.iam.gserviceaccount.com"),
        ("INACTIVE", "telemetry-export@corp-telemetry.iam.gserviceaccount.com"),
    ]


def test_denied_hmac_listing_is_a_gap_not_no_keys(http, gcs, transport):
    """403 on storage.hmacKeys.list: a denied read and a coverage gap of the project, never "no keys"."""
    fail(transport, "GET", HMAC_URL, 403)

    snapshot = scan_gcp(scan_config(http, gcs))

    assert _project(snapshot).read("hmac_keys").outcome is ReadOutcome.DENIED
    assert [g.read for g in evaluate(snapshot).gaps if g.resource == f"projects/{PROJECT}"] == ["hmac_keys"]


def test_printed_permissions_include_hmac_key_listing():
    """`seenby scan gcp --print-permissions` names storage.hmacKeys.list, the permission the HMAC read needs."""
    proc = subprocess.run(
        [sys.executable, "-m", "seenby", "scan", "gcp", "--print-permissions"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )

    assert proc.returncode == 0, proc.stderr
    assert "storage.hmacKeys.list" in json.loads(proc.stdout)["includedPermissions"]
