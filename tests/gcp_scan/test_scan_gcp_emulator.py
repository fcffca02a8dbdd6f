"""`seenby scan gcp` against the storage emulator: anonymous, fast on refused APIs, recorded in the history store.

An emulator ignores credentials (https://cloud.google.com/storage/docs/emulator is not a Google page for
gcp-storage-emulator, but google-cloud-storage's STORAGE_EMULATOR_HOST is documented at
https://cloud.google.com/python/docs/reference/storage/latest): the scan runs with anonymous credentials,
and the Google APIs the emulator does not serve become coverage gaps at once instead of after retries.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests
from google.auth.credentials import AnonymousCredentials
from google.auth.transport.requests import AuthorizedSession
from requests.adapters import HTTPAdapter

from seenby.history.store import HistoryStore
from seenby.model import ReadOutcome
from seenby.scanners.gcp import GcpScanConfig, scan_gcp
from tests.gcp_scan.helpers import PROJECT, seed_bucket
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


class _RefusingHost(HTTPAdapter):
    """Sends every https:// request to a closed loopback port: a real ECONNREFUSED, as from an absent API."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        request.url = f"http://127.0.0.1:{self.port}/refused"
        return super().send(request, **kwargs)


def _refusing_session() -> AuthorizedSession:
    session = AuthorizedSession(AnonymousCredentials())
    session.mount("https://", _RefusingHost(free_port()))
    return session


def _scan_with_refusals(gcs: str, sleeps: list[float]) -> Any:
    config = GcpScanConfig(projects=(PROJECT,), credentials=AnonymousCredentials(), http=_refusing_session(),
                           storage_endpoint=gcs, max_attempts=5, sleep=sleeps.append, read_groups=False)
    return scan_gcp(config)


def test_refused_api_is_an_error_read_without_retries(gcs: str) -> None:
    """Resource Manager refusing connections: the project's reads are errors (ConnectionRefused), never retried."""
    sleeps: list[float] = []
    snapshot = _scan_with_refusals(gcs, sleeps)
    project = next(r for r in snapshot.resources if r.id == f"projects/{PROJECT}")
    read = project.read("metadata")
    assert (read.outcome, read.error_code, sleeps) == (ReadOutcome.ERROR, "ConnectionRefused", [])


def test_emulated_buckets_are_read_while_other_apis_refuse(gcs: str) -> None:
    """The emulator's bucket is read in full while every other API refuses connections."""
    seed_bucket(gcs, "telemetry-raw", bindings=[{"role": "roles/storage.objectViewer", "members": ["allUsers"]}])
    snapshot = _scan_with_refusals(gcs, [])
    [bucket] = snapshot.of_type("gcp.storage.bucket")
    assert (bucket.name, bucket.read("metadata").ok, bucket.read("iam_policy").ok) == ("telemetry-raw", True, True)


def test_emulator_scan_needs_no_application_default_credentials(gcs: str, monkeypatch: Any) -> None:
    """With a storage emulator and no injected credentials, ADC is not looked up (an unusable ADC file is ignored)."""
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/adc.json")
    seed_bucket(gcs, "telemetry-raw")
    session = _refusing_session()
    config = GcpScanConfig(projects=(PROJECT,), http=session, storage_endpoint=gcs, read_groups=False)
    assert [b.name for b in scan_gcp(config).of_type("gcp.storage.bucket")] == ["telemetry-raw"]


def _cli(tmp_path: Path, gcs: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GOOGLE_APPLICATION_CREDENTIALS"}
    env.update(STORAGE_EMULATOR_HOST=gcs, CLOUDSDK_CONFIG=str(tmp_path / "gcloud"), HOME=str(tmp_path))
    return subprocess.run([sys.executable, "-m", "seenby", "scan", "gcp", "--project", PROJECT, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=env)


def test_cli_scan_against_the_emulator_records_into_the_store(gcs: str, tmp_path: Path) -> None:
    """`STORAGE_EMULATOR_HOST=… seenby scan gcp -o F --store S` without ADC writes the snapshot and records one scan."""
    seed_bucket(gcs, "telemetry-raw")
    store = tmp_path / "history.sqlite3"
    proc = _cli(tmp_path, gcs, "-o", str(tmp_path / "snap.json"), "--store", str(store), "--no-groups")
    assert proc.returncode == 0, proc.stderr
    names = [r["name"] for r in json.loads((tmp_path / "snap.json").read_text())["resources"]
             if r["type"] == "gcp.storage.bucket"]
    with HistoryStore.open(store, create=False) as history:
        recorded = [history.snapshot(scan.id).of_type("gcp.storage.bucket")[0].name for scan in history.scans()]
    assert (names, recorded) == (["telemetry-raw"], ["telemetry-raw"])


def test_cli_scan_against_the_emulator_is_quick(gcs: str, tmp_path: Path) -> None:
    """Unreachable or refusing Google APIs do not hold the emulator scan for retries (well under 20 s)."""
    started = time.monotonic()
    proc = _cli(tmp_path, gcs, "-o", str(tmp_path / "snap.json"), "--no-record", "--no-groups")
    assert (proc.returncode, time.monotonic() - started < 20) == (0, True), proc.stderr


def test_cli_directory_fills_groups_the_scan_cannot_read(gcs: str, tmp_path: Path) -> None:
    """`scan gcp --directory FILE`: Cloud Identity unreachable, the group's members come from the file."""
    seed_bucket(gcs, "telemetry-raw", bindings=[{"role": "roles/storage.objectViewer",
                                                 "members": ["group:ops@corp.example"]}])
    directory = ROOT / "tests" / "importers" / "data" / "directory" / "ops@corp.example.json"
    proc = _cli(tmp_path, gcs, "-o", str(tmp_path / "snap.json"), "--no-record", "--directory", str(directory))
    assert proc.returncode == 0, proc.stderr
    [group] = [r for r in json.loads((tmp_path / "snap.json").read_text())["resources"]
               if r["type"] == "gcp.cloudidentity.group"]
    members = [m["preferredMemberKey"]["id"] for m in group["reads"]["memberships"]["document"]["memberships"]]
    assert (group["id"], members) == ("ops@corp.example", ["alice@corp.example", "oncall@corp.example"])
