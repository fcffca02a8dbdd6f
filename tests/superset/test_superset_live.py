"""Against a live Superset 6.1.0 started once per session (SEENBY_SUPERSET_TESTS=1; see conftest.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse

from seenby.demo.superset_server import ADMIN_USER
from seenby.model import ReadOutcome
from seenby.policies import evaluate
from seenby.scanners.superset import Credentials, SupersetScanConfig, scan_superset
from seenby.scanners.superset.replay import RecordingTransport
from tests.superset.helpers import URL, scan


def _scan(live, **kwargs):
    recorder = RecordingTransport()
    creds = kwargs.pop("credentials", None) or Credentials(username=ADMIN_USER, password=live.server.admin_password)
    config = SupersetScanConfig(url=live.server.url, credentials=creds, dashboard_rbac=True, **kwargs)
    return scan_superset(config, transport=recorder), recorder


def _grant_keys(snapshot, url):
    return {
        (g.principal.id.replace(url, "URL"), g.dataset.split("/", 3)[-1], g.level.value, g.conditional)
        for g in evaluate(snapshot).grants
        if "/embedded/" not in g.principal.id  # the embedded uuid is made anew on every seeding
    }


def test_live_scan_reads_without_a_gap(live_superset):
    """Every read of a scan with the seeded admin succeeds (or is absent)."""
    snapshot, _ = _scan(live_superset)
    outcomes = {(r.id, n): read.outcome for r in snapshot.resources for n, read in r.reads.items()}
    assert {k: v for k, v in outcomes.items() if v.is_gap} == {}


def test_live_scan_gives_the_grants_of_the_recording(live_superset):
    """The recorded responses the other tests replay still describe what a live server answers."""
    live, _ = _scan(live_superset)
    recorded, _ = scan()
    assert _grant_keys(live, live_superset.server.url) == _grant_keys(recorded, URL)


def test_live_scan_changes_nothing(live_superset):
    """Apart from the login form, every request of a live scan is a GET."""
    _, recorder = _scan(live_superset)
    assert recorder.responses and all(key.startswith("GET ") for key in recorder.responses)


def test_bearer_token_with_a_public_role_is_answered_as_anonymous(live_superset):
    """flask-appbuilder answers a JWT call as anonymous where the Public role may read: the listing shows less."""
    server = live_superset.server
    snapshot, _ = _scan(live_superset, jwt_login=True)
    instance = snapshot.of_type("superset.instance")[0]
    assert instance.reads["dashboards"].error_code == "PublicRoleShadowsToken"
    # and what the anonymous answer looked like: the Public role's one dashboard out of three
    creds = Credentials(username=ADMIN_USER, password=server.admin_password)
    from seenby.scanners.superset.client import SupersetClient
    from seenby.scanners.superset.scan import DASHBOARDS

    client = SupersetClient(server.url, creds, session=False)
    client.login()
    assert client.read(DASHBOARDS).document["count"] == 1


def test_cli_scan_superset_writes_a_snapshot_without_the_password(live_superset, tmp_path):
    """seenby scan superset with credentials from the environment writes an owner-only snapshot free of secrets."""
    server = live_superset.server
    out = tmp_path / "superset.json"
    env = {"SUPERSET_USERNAME": ADMIN_USER, "SUPERSET_PASSWORD": server.admin_password, "PATH": "/usr/bin:/bin",
           "SEENBY_HOME": str(tmp_path)}  # fmt: skip
    cmd = [sys.executable, "-m", "seenby", "scan", "superset", "--url", server.url, "--dashboard-rbac",
           "--no-record", "-q", "-o", str(out)]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert server.admin_password not in text and server.admin_password not in done.stderr
    doc = json.loads(text)
    assert doc["scope"]["superset_urls"] == [server.url]
    assert (out.stat().st_mode & 0o077) == 0


def test_failed_login_makes_every_read_denied(live_superset):
    """A wrong password is a denied read everywhere, never an empty server."""
    snapshot, _ = _scan(live_superset, credentials=Credentials(username=ADMIN_USER, password="wrong"))
    instance = snapshot.of_type("superset.instance")[0]
    assert ReadOutcome.DENIED in {r.outcome for r in instance.reads.values()}
    assert snapshot.of_type("superset.dashboard") == []
    assert urllib.parse.urlsplit(instance.id).hostname == "127.0.0.1"


def test_demo_live_superset_scans_a_live_server(live_superset, tmp_path):
    """seenby demo --live-superset scans the running server it is pointed at and reports the telemetry Gamma opens."""
    server = live_superset.server
    out = tmp_path / "demo.json"
    # the session's server, already seeded: the demo starts no second one (SEENBY_SUPERSET_URL)
    env = {"PATH": "/usr/bin:/bin", "SEENBY_HOME": str(tmp_path), "HOME": str(tmp_path),
           "SEENBY_SUPERSET_URL": server.url, "SUPERSET_USERNAME": ADMIN_USER,
           "SUPERSET_PASSWORD": server.admin_password}  # fmt: skip
    cmd = [sys.executable, "-m", "seenby", "demo", "--live-superset", "--no-record", "-q", "--format", "json",
           "-o", str(out)]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    findings = json.loads(out.read_text())["findings"]
    telemetry = next(f for f in findings if f["dataset"]["id"] == "bigquery://corp-telemetry.ml_raw")
    gamma = next(e for e in telemetry["excess"] if e["principal"]["id"] == f"superset:{server.url}/role/Gamma")
    assert [s["label"] for s in gamma["path"]] == [
        "Gamma (Superset role)", "Keystroke activity", "keystrokes", "corp-telemetry.ml_raw"]  # fmt: skip
