"""``seenby gate``: audit a Terraform plan's planned state; fail on the exposure the plan introduces.

Documented in docs/gate.md; the GitHub Actions workflow is in examples/ci/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from seenby.cli_base import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    FAIL_ON,
    FORMATS,
    Activity,
    cli,
    default_rules,
    emit,
    guard,
    quiet_option,
    render_options,
)


def _summary(gated: object, fail_on: str, failing: int) -> list[str]:
    from seenby.gate import GateResult, Status

    assert isinstance(gated, GateResult)
    p = gated.planned
    lines = [
        f"seenby gate: {p.plan.source}: {len(p.changed)} resource change(s); mode {gated.mode.value}; "
        f"findings: {gated.count(Status.NEW)} new, {gated.count(Status.EXISTING)} existing, "
        f"{gated.count(Status.ACCEPTED)} accepted, {gated.count(Status.WAIVED)} waived",
        f"result: {'FAIL' if failing else 'pass'} ({failing} finding(s) at or above --fail-on {fail_on})",
    ]
    lines += [f"note: {n}" for n in p.notes]
    if p.unsupported:
        lines.append("note: not modelled (their effect on access is not judged): " + ", ".join(p.unsupported))
    return lines


def _markdown_header(gated: object, fail_on: str, failing: int) -> str:
    from seenby.gate import GateResult, Status
    from seenby.reports.text import clean

    assert isinstance(gated, GateResult)
    verdict = "❌ **fails**" if failing else "✅ **passes**"
    out = [
        f"## seenby gate {verdict}",
        "",
        f"{failing} finding(s) at or above `{fail_on}` · {gated.count(Status.NEW)} new · "
        f"{gated.count(Status.EXISTING)} existing before this plan · {gated.count(Status.ACCEPTED)} accepted · "
        f"mode `{gated.mode.value}`",
        "",
    ]
    new = [f for f in gated.result.active if gated.statuses.get(f.fingerprint) is Status.NEW]
    if new:
        out += ["| severity | rule | dataset | Terraform resource |", "|---|---|---|---|"]
        for f in new:
            origin = gated.origins.get(f.fingerprint)
            where = f"`{clean(origin.address)}`" if origin else "—"
            out.append(f"| {f.severity.value} | {f.rule_id} | `{clean(f.dataset.id)}` | {where} |")
        out.append("")
    out += [f"> {clean(n)}" for n in gated.planned.notes]
    return "\n".join(out) + "\n\n"


@cli.command()
@click.argument("plan_file", metavar="PLAN.json", type=click.Path(dir_okay=False))
@click.option(
    "--baseline",
    "baselines",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Snapshot(s) of what already exists; the plan is applied over them (repeat for shards).",
)
@click.option(
    "--rules", "rules_path", type=click.Path(dir_okay=False), help="Declared audiences (default ./rules.yaml)."
)
@click.option(
    "--new-only/--all",
    "new_only",
    default=True,
    show_default=True,
    help="Fail only on findings the baseline alone does not have (default), or on every finding.",
)
@click.option(
    "--baseline-findings",
    type=click.Path(dir_okay=False),
    help="A `seenby audit --format json` report: findings with these fingerprints are accepted.",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report here (owner-only).")
@click.option(
    "--fail-on",
    type=FAIL_ON,
    default="low",
    show_default=True,
    help="Exit 1 when a counted finding of this severity or higher is found.",
)
@click.option("--strict", is_flag=True, help="Exit 3 when any read is a coverage gap (and nothing fails).")
@click.option("--show-existing", is_flag=True, help="Also list existing, accepted and waived findings.")
@click.option("--aws-account", help="The AWS account the plan applies to (else detected from the plan or baseline).")
@click.option("--gcp-project", help="The default Google Cloud project (else the google provider's `project`).")
@click.option(
    "--config-dir",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="The Terraform root module directory, to point SARIF results at .tf files.",
)
@quiet_option
@guard
def gate(
    plan_file: str,
    baselines: tuple[str, ...],
    rules_path: str | None,
    new_only: bool,
    baseline_findings: str | None,
    fmt: str,
    output: str | None,
    fail_on: str,
    strict: bool,
    show_existing: bool,
    aws_account: str | None,
    gcp_project: str | None,
    config_dir: str,
    quiet: bool,
) -> None:
    """Audit the planned state of a `terraform show -json` plan against rules.yaml (CI gate)."""
    from seenby.config import load_rules
    from seenby.gate import GateMode, load_accepted, source_files
    from seenby.gate import gate as run_gate
    from seenby.importers.terraform import load_plan, planned_snapshot
    from seenby.reports import OutputFormat, render_findings, sarif
    from seenby.snapshot import load_snapshots

    with Activity(quiet) as activity:
        activity.step("loading the plan")
        plan = load_plan(plan_file)
        baseline = load_snapshots(baselines) if baselines else None
        rules = load_rules(default_rules(rules_path))
        accepted = load_accepted(baseline_findings) if baseline_findings else frozenset()
        planned = planned_snapshot(plan, baseline, aws_account=aws_account, gcp_project=gcp_project)
        activity.step("evaluating and auditing")
        gated = run_gate(
            planned, rules, baseline=baseline, mode=GateMode.NEW_ONLY if new_only else GateMode.ALL, accepted=accepted
        )
        failing = len(gated.failing(fail_on))
        options = render_options(output, show_existing)
        if fmt == OutputFormat.SARIF.value:
            files = source_files(planned, gated.origins.values(), Path(config_dir))
            sources = {
                fp: sarif.SourceLocation(
                    address=o.address,
                    uri=files.get(o.address, (None, 0))[0],
                    line=files.get(o.address, (None, None))[1],
                )
                for fp, o in gated.origins.items()
            }
            text = sarif.render_findings(gated.result, options, sources=sources)
        else:
            text = render_findings(gated.result, OutputFormat(fmt), options)
            if fmt == OutputFormat.MARKDOWN.value:
                text = _markdown_header(gated, fail_on, failing) + text
    emit(text, output)
    for line in _summary(gated, fail_on, failing):
        click.echo(line, err=True)
    if failing:
        sys.exit(EXIT_FINDINGS)
    if strict and gated.result.gaps:
        sys.exit(EXIT_INCOMPLETE)
    sys.exit(EXIT_CLEAN)
