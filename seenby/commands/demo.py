"""``seenby demo``: the example organisation on a local AWS endpoint, scanned live, audited."""

from __future__ import annotations

import click

from seenby.cli_base import FAIL_ON, FORMATS, Progress, audit_and_report, cli, default_rules, guard, say


@cli.command()
@click.option(
    "--rules", "rules_path", type=click.Path(dir_okay=False), help="Declared audiences (default ./rules.yaml)."
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False))
@click.option("--snapshot-output", type=click.Path(dir_okay=False), help="Also keep the scanned snapshot here.")
@click.option("--fail-on", type=FAIL_ON, default="never", show_default=True)
@click.option("--quiet", "-q", is_flag=True)
@guard
def demo(
    rules_path: str | None, fmt: str, output: str | None, snapshot_output: str | None, fail_on: str, quiet: bool
) -> None:
    """Start a local AWS endpoint, seed the example organisation, scan it live, audit and report."""
    from seenby.config import load_rules
    from seenby.demo.run import run_demo

    load_rules(default_rules(rules_path))  # a bad rules file fails before anything starts
    with Progress(quiet) as progress:
        run = run_demo(progress=progress, on_phase=say(quiet))
    say(quiet)(
        f"scanned {sum(1 for r in run.snapshot.resources if r.type.startswith('aws.'))} AWS resources live; "
        f"Google Cloud replayed from recorded documents ({', '.join(run.replayed_types)})"
    )
    if snapshot_output:
        from seenby.snapshot import save_snapshot

        save_snapshot(run.snapshot, snapshot_output)
    audit_and_report(run.snapshot, rules_path, fmt, output, fail_on, strict=False)
