"""``seenby audit``: findings of one or more snapshots against rules.yaml."""

from __future__ import annotations

import click

from seenby.cli_base import (
    AUDIT_FORMATS,
    FAIL_ON,
    Activity,
    cli,
    default_rules,
    emit,
    exit_for,
    guard,
    quiet_option,
    render_audit,
    render_options,
    warn_declarations,
)


@cli.command()
@click.argument("snapshots", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--rules", "rules_path", type=click.Path(dir_okay=False), help="Declared audiences (default ./rules.yaml)."
)
@click.option("--format", "fmt", type=click.Choice(AUDIT_FORMATS), default="table", show_default=True)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write the report here (owner-only) instead of stdout."
)
@click.option(
    "--fail-on",
    type=FAIL_ON,
    default="low",
    show_default=True,
    help="Exit 1 when a finding of this severity or higher is found.",
)
@click.option("--strict", is_flag=True, help="Exit 3 when any read was denied or failed (incomplete coverage).")
@click.option("--show-waived", is_flag=True, help="Also show findings hidden by a live waiver.")
@quiet_option
@guard
def audit(
    snapshots: tuple[str, ...],
    rules_path: str | None,
    fmt: str,
    output: str | None,
    fail_on: str,
    strict: bool,
    show_waived: bool,
    quiet: bool,
) -> None:
    """Audit one or more snapshot files (shards are merged) against rules.yaml."""
    from seenby import api

    with Activity(quiet) as activity:
        activity.step("loading snapshots")
        snapshot = api.load(snapshots)
        rules = api.load_rules(default_rules(rules_path))
        activity.step("evaluating")
        view = api.evaluate(snapshot)
        activity.step("auditing")
        result = view.audit(rules, whole_scan=True)
        activity.step("rendering")
        text = render_audit(result, fmt, render_options(output, show_waived))
    warn_declarations(result)
    emit(text, output)
    exit_for(result, fail_on, strict)
