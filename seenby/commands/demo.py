"""``seenby demo``: the example organisation on a local AWS endpoint, scanned live, audited, recorded."""

from __future__ import annotations

import click

from seenby.cli_base import AUDIT_FORMATS, FAIL_ON, Progress, audit_and_report, cli, guard, say
from seenby.history.options import record_option
from seenby.history.paths import DEMO_STORE
from seenby.registry import TypeName


@cli.command()
@click.option(
    "--rules",
    "rules_path",
    type=click.Path(dir_okay=False),
    help="Declared audiences (default: the example organisation's, shipped with seenby).",
)
@click.option("--format", "fmt", type=click.Choice(AUDIT_FORMATS), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False))
@click.option("--snapshot-output", type=click.Path(dir_okay=False), help="Also keep the scanned snapshot here.")
@click.option("--fail-on", type=FAIL_ON, default="never", show_default=True)
@record_option(default=True)
@click.option(
    "--store",
    default=DEMO_STORE,
    show_default=True,
    type=click.Path(dir_okay=False),
    help="History store the scan is recorded in (`demo`: the demo's own, next to the default store).",
)
@click.option(
    "--quiet", "-q", is_flag=True, help="No progress or messages on stderr (the report still goes to stdout or -o)."
)
@click.option(
    "--live-superset", is_flag=True, help="Scan a live local Superset (installed in .venv-superset: docs/superset.md)."
)
@guard
def demo(
    rules_path: str | None,
    fmt: str,
    output: str | None,
    snapshot_output: str | None,
    fail_on: str,
    record: bool,
    store: str,
    quiet: bool,
    live_superset: bool,
) -> None:
    """Start local AWS and GCS endpoints, seed the example organisation, scan it live, audit and report.

    The scan is recorded in the demo store, so `seenby scans --store demo`, `seenby exposure …
    --store demo` and `seenby who-can-read … --store demo` answer right after it.
    """
    from seenby.config import load_rules
    from seenby.demo import demo_rules_path, require_demo_extra

    require_demo_extra()  # without seenby[demo]: one line saying how to get it (exit 4)
    from seenby.demo.run import run_demo

    rules_path = rules_path or str(demo_rules_path())
    load_rules(rules_path)  # a bad rules file fails before anything starts
    with Progress(quiet) as progress:
        run = run_demo(progress=progress, on_phase=say(quiet), live_superset=live_superset)
    aws = sum(1 for r in run.snapshot.resources if r.type.startswith("aws."))
    gcs = sum(1 for r in run.snapshot.resources if r.type == TypeName.GCP_STORAGE_BUCKET)
    copied = f"; taken from the example as recorded: {', '.join(run.replayed_types)}" if run.replayed_types else ""
    say(quiet)(
        f"scanned {aws} AWS resources live from the local AWS endpoint and {gcs} GCS buckets live from the "
        "storage emulator; Resource Manager, BigQuery and Cloud Identity answered the Google scanner from "
        f"recorded documents{copied}"
    )
    if snapshot_output:
        from seenby.snapshot import save_snapshot

        save_snapshot(run.snapshot, snapshot_output)
    if record:
        from seenby.history.recording import record_snapshot

        scan = record_snapshot(run.snapshot, store=store, source="seenby demo", say=say(quiet))
        say(quiet)(
            f"explore it: seenby scans --store {store}; "
            f"seenby exposure corp-employee-telemetry-raw --store {store}; "
            f"seenby who-can-read corp-employee-telemetry-raw --at {scan.when} --store {store}"
        )
    audit_and_report(run.snapshot, rules_path, fmt, output, fail_on, strict=False)
