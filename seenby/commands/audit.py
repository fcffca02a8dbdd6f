"""``seenby audit``: findings of one or more snapshots against rules.yaml."""

from __future__ import annotations

import click

from seenby.cli_base import (
    AUDIT_FORMATS,
    FAIL_ON,
    cli,
    default_rules,
    emit,
    exit_for,
    guard,
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
@guard
def audit(
    snapshots: tuple[str, ...],
    rules_path: str | None,
    fmt: str,
    output: str | None,
    fail_on: str,
    strict: bool,
    show_waived: bool,
) -> None:
    """Audit one or more snapshot files (shards are merged) against rules.yaml."""
    from seenby.audit import audit as run_audit
    from seenby.config import load_rules
    from seenby.snapshot import load_snapshots

    snapshot = load_snapshots(snapshots)
    rules = load_rules(default_rules(rules_path))
    result = run_audit(snapshot, rules, whole_scan=True)
    warn_declarations(result)
    emit(render_audit(result, fmt, render_options(output, show_waived)), output)
    exit_for(result, fail_on, strict)
