"""What a scan writes: a schema-valid, owner-only snapshot with no credentials in it."""

from __future__ import annotations

import json
import stat

from seenby.scanners.aws import scan_aws
from seenby.scanners.progress import RichProgress
from seenby.snapshot import load_snapshot, save_snapshot
from tests.scanners.helpers import ACCESS_KEY, SECRET_KEY, scan_config
from tests.scanners.seeds import seed_full_bucket, seed_org


class Recorder:
    def __init__(self):
        self.events = []

    def started(self, scope, unit, total):
        self.events.append(("started", scope, unit, total))

    def advanced(self, scope, unit, count):
        self.events.append(("advanced", scope, unit, count))

    def finished(self, scope, unit):
        self.events.append(("finished", scope, unit))


def test_saved_scan_loads_back_schema_valid_and_owner_only(session, endpoint, client, tmp_path):
    """save_snapshot of a scan writes mode 0600 and load_snapshot accepts it unchanged."""
    seed_full_bucket(client("s3"))
    snapshot = scan_aws(scan_config(session, endpoint))
    path = tmp_path / "scan.json"

    save_snapshot(snapshot, path)
    loaded = load_snapshot(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert loaded.to_json() == snapshot.to_json()


def test_no_credentials_reach_the_snapshot(session, endpoint, client, tmp_path):
    """Neither the caller's keys nor any assumed role's keys or session tokens appear in the saved snapshot."""
    seed_org(session, endpoint, client)
    issued: list[str] = []

    def keep(parsed, **_):
        creds = parsed.get("Credentials") or {}
        issued.extend(v for k, v in creds.items() if k in ("AccessKeyId", "SecretAccessKey", "SessionToken"))

    session.events.register("after-call.sts.AssumeRole", keep)
    path = tmp_path / "org.json"

    save_snapshot(scan_aws(scan_config(session, endpoint, org_mode=True)), path)

    text = path.read_text()
    assert len(issued) == 6  # two member accounts, three secrets each
    for secret in (ACCESS_KEY, SECRET_KEY, *issued):
        assert secret not in text
    assert "Credentials" not in json.loads(text)["resources"][0]


def test_progress_reports_every_bucket_and_finishes(session, endpoint, client):
    """The sink hears the bucket count, one advance per bucket, and finished for each unit started."""
    for i in range(5):
        client("s3").create_bucket(Bucket=f"progress-bucket-{i}")
    sink = Recorder()

    scan_aws(scan_config(session, endpoint), progress=sink)

    started = {(e[1], e[2]): e[3] for e in sink.events if e[0] == "started"}
    finished = {(e[1], e[2]) for e in sink.events if e[0] == "finished"}
    assert set(started) == finished
    (s3_total,) = [total for (_, unit), total in started.items() if unit == "s3"]
    assert s3_total == 5
    assert sum(e[3] for e in sink.events if e[0] == "advanced" and e[2] == "s3") == 5


def test_rich_progress_sink_draws_bars(session, endpoint, client):
    """RichProgress drives a rich Progress (the CLI's stderr display) to completion."""
    import io

    from rich.console import Console
    from rich.progress import Progress

    client("s3").create_bucket(Bucket="rich-bucket")
    out = io.StringIO()
    with Progress(console=Console(file=out, force_terminal=False)) as progress:
        scan_aws(scan_config(session, endpoint), progress=RichProgress(progress))
        assert all(task.finished for task in progress.tasks)
    assert "s3" in out.getvalue()
