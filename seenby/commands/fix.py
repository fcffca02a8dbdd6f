"""``seenby fix``: for each finding, the smallest change to the snapshot's documents proven to close it.

Nothing is applied to a cloud: the output is text (JSON Patches, CLI commands, diffs), and
``--apply-to-snapshot`` writes a changed copy of the snapshot.  docs/fixes.md.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import click

from seenby.cli_base import (
    FORMATS,
    Activity,
    check_output_path,
    cli,
    default_rules,
    emit,
    guard,
    quiet_option,
    render_audit,
    render_options,
)
from seenby.errors import UsageError

if TYPE_CHECKING:
    from seenby.findings import Finding


@cli.command()
@click.argument("snapshots", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--rules", "rules_path", type=click.Path(dir_okay=False), help="Declared audiences (default ./rules.yaml)."
)
@click.option(
    "--finding", "fingerprints", multiple=True, metavar="FINGERPRINT",
    help="Only this finding (its fingerprint, as audit shows it); repeat for several.",
)  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write the report here (owner-only) instead of stdout."
)
@click.option(
    "--apply-to-snapshot", "apply_to", type=click.Path(dir_okay=False), metavar="OUT.json",
    help="Also write the snapshot with every proven fix applied (never a cloud: a file).",
)  # fmt: skip
@quiet_option
@guard
def fix(
    snapshots: tuple[str, ...],
    rules_path: str | None,
    fingerprints: tuple[str, ...],
    fmt: str,
    output: str | None,
    apply_to: str | None,
    quiet: bool,
) -> None:
    """Search, for each finding, the smallest document change that brings it back to its declaration,
    proven by evaluating a changed copy of the snapshot (nothing is applied to a cloud)."""
    from seenby import api
    from seenby.fix import find_fixes
    from seenby.fix.apply import apply_fixes
    from seenby.snapshot import save_snapshot

    if apply_to:
        check_output_path(apply_to, "--apply-to-snapshot")
    with Activity(quiet) as activity:
        activity.step("loading snapshots")
        snapshot = api.load(snapshots)
        rules = api.load_rules(default_rules(rules_path))
        activity.step("searching proven fixes")
        run = find_fixes(snapshot, rules, fingerprints=fingerprints)
        unknown = sorted(set(fingerprints) - set(run.outcomes))
        if unknown:
            raise UsageError(f"no finding has fingerprint {', '.join(unknown)} (see seenby audit)")
        findings = tuple(
            replace(f, fix=run.outcomes[f.fingerprint]) for f in run.audit.findings if f.fingerprint in run.outcomes
        )
        result = replace(run.audit, findings=findings)
        if apply_to:
            activity.step("applying proven fixes to a copy of the snapshot")
            left_out: list[Finding] = []
            fixed = apply_fixes(snapshot, rules, run, left_out=left_out)
            save_snapshot(fixed, apply_to)
            for f in left_out:  # proven alone, but not together with the fixes applied before it: say so
                click.echo(f"note: the proven fix of {f.fingerprint} ({f.rule_id} on {f.dataset.id}) does not hold "
                           f"together with the fixes applied before it and is left out of {apply_to}", err=True)
        activity.step("rendering")
        text = render_audit(result, fmt, render_options(output, show_waived=bool(fingerprints)))
    emit(text, output)
