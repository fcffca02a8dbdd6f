"""``seenby gate``: audit a Terraform plan's planned state; fail on the exposure the plan introduces.

Documented in docs/gate.md; the GitHub Actions workflow is in examples/ci/.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:  # the command imports its machinery lazily, so `seenby --help` stays fast
    from seenby.findings import Finding
    from seenby.gate import GateResult, Verdict
    from seenby.reports.base import RenderOptions


def _not_judged(gated: GateResult) -> str:
    return ", ".join(f"{address} ({type_})" for address, type_ in gated.planned.not_judged)


def _summary(gated: GateResult, verdict: Verdict) -> list[str]:
    from seenby.gate import Status

    p = gated.planned
    lines = [
        f"seenby gate: {p.plan.source}: {len(p.changed)} resource change(s); mode {gated.mode.value}; "
        f"findings: {gated.count(Status.NEW)} new, {gated.count(Status.EXISTING)} existing, "
        f"{gated.count(Status.ACCEPTED)} accepted, {gated.count(Status.WAIVED)} waived",
        f"result: {'pass' if verdict.passed else 'FAIL'}: {verdict.reason}",
    ]
    lines += [f"note: {n}" for n in p.notes]
    if p.not_judged:
        lines.append("note: not judged (these can open data; review them by hand): " + _not_judged(gated))
    if p.unsupported:
        lines.append("note: other changes seenby does not read (no effect on who reads data): "
                     + ", ".join(p.unsupported))
    return lines


def _new_rows(gated: GateResult) -> list[tuple[Finding, str]]:
    """(finding, Terraform address or "") of the findings this plan introduces, as listed first by every format."""
    from seenby.gate import Status

    out = []
    for f in gated.result.active:
        if gated.statuses.get(f.fingerprint) is Status.NEW:
            origin = gated.origins.get(f.fingerprint)
            out.append((f, origin.address if origin else ""))
    return out


def _terraform_fixes(gated: GateResult) -> list[tuple[Finding, str, str]]:
    """(finding, Terraform address, HCL snippet) of each new finding with a proven fix (gate --fix)."""
    out = []
    for f, address in _new_rows(gated):
        origin = gated.origins.get(f.fingerprint)
        snippet = _terraform(gated, f.fingerprint, origin.address, origin.type) if origin is not None else None
        if snippet:
            out.append((f, address, snippet))
    return out


def _apart(gated: GateResult) -> dict[str, int]:
    from seenby.gate import Status

    return {"existing": gated.count(Status.EXISTING), "accepted": gated.count(Status.ACCEPTED)}


def _markdown_header(gated: GateResult, verdict: Verdict) -> str:
    from seenby.gate import Status
    from seenby.reports.text import clean

    word = "✅ **passes**" if verdict.passed else "❌ **fails**"
    out = [
        f"## seenby gate {word}",
        "",
        f"{clean(verdict.reason)} · {gated.count(Status.NEW)} new · "
        f"{gated.count(Status.EXISTING)} existing before this plan · {gated.count(Status.ACCEPTED)} accepted · "
        f"{gated.count(Status.WAIVED)} waived · mode `{gated.mode.value}` · `--fail-on {verdict.fail_on}`",
        "",
    ]
    rows = _new_rows(gated)
    if rows:
        out += ["New findings of this plan:", "",
                "| severity | rule | dataset | Terraform resource |", "|---|---|---|---|"]
        for f, address in rows:
            where = f"`{clean(address)}`" if address else "—"
            out.append(f"| {f.severity.value} | {f.rule_id} | `{clean(f.dataset.id)}` | {where} |")
        out.append("")
    for f, address, snippet in _terraform_fixes(gated):
        out += [f"Proven fix of {f.rule_id} on `{clean(f.dataset.id)}` at `{clean(address)}`:", "", "```hcl",
                snippet.replace("```", "` ` `"), "```", ""]
    out += [f"> {clean(n)}" for n in gated.planned.notes]
    if gated.planned.not_judged:
        out.append(f"> not judged (these can open data; review them by hand): {clean(_not_judged(gated))}")
    return "\n".join(out) + "\n\n"


def _table_header(gated: GateResult, verdict: Verdict) -> str:
    from seenby.reports.text import clean

    lines = [f"seenby gate: {'PASS' if verdict.passed else 'FAIL'}: {clean(verdict.reason)}"]
    rows = _new_rows(gated)
    if rows:
        lines.append("new findings of this plan:")
        lines += [f"  {f.severity.value:<9} {f.rule_id}  {clean(f.dataset.id)}  {clean(address) or '-'}"
                  for f, address in rows]
    for f, address, snippet in _terraform_fixes(gated):
        lines.append(f"proven fix of {f.rule_id} on {clean(f.dataset.id)} at {clean(address)} (Terraform):")
        lines += [f"    {clean(line)}" for line in snippet.splitlines()]
    lines += [f"note: {clean(n)}" for n in gated.planned.notes]
    if gated.planned.not_judged:
        lines.append(f"not judged (these can open data; review them by hand): {clean(_not_judged(gated))}")
    return "\n".join(lines) + "\n\n"


def _json(gated: GateResult, verdict: Verdict, options: RenderOptions) -> str:
    """The ordinary seenby.findings/v1 report, plus the gate's verdict and each finding's Terraform resource."""
    from seenby.gate import Status
    from seenby.reports.json_report import findings_document
    from seenby.reports.text import dump_json

    doc = findings_document(gated.result, options)
    for entry in doc["findings"]:
        origin = gated.origins.get(entry["fingerprint"])
        status = gated.statuses.get(entry["fingerprint"])
        entry["terraform"] = None if origin is None else {
            "address": origin.address, "type": origin.type, "module": origin.module or None, "changed": origin.changed}
        entry["gate_status"] = status.value if status is not None else None
        if origin is not None and entry.get("fix", {}).get("proven"):  # gate --fix: the fix at the resource
            entry["fix"]["terraform"] = _terraform(gated, entry["fingerprint"], origin.address, origin.type)
    p = gated.planned
    doc["gate"] = {
        "verdict": verdict.word,
        "reason": verdict.reason,
        "fail_on": verdict.fail_on,
        "failing": [f.fingerprint for f in verdict.failing],
        "mode": gated.mode.value,
        "counts": {status.value: gated.count(status) for status in Status},
        "plan": p.plan.source,
        "changes": list(p.changed),
        "notes": list(p.notes),
        "not_judged": [{"address": a, "type": t} for a, t in p.not_judged],
    }
    return dump_json(doc)


def _terraform(gated: GateResult, fingerprint: str, address: str, type_: str) -> str | None:
    from seenby.fix.model import Fix
    from seenby.reports.fix_commands import Placement, terraform_snippet

    index = gated.planned.index

    def read(resource: str, name: str | None) -> tuple[str, str] | None:
        origin = index.resources.get(resource) if name is None else index.reads.get((resource, name))
        return None if origin is None else (origin.address, origin.type)

    def member(resource: str, role: str, principal: str) -> tuple[str, str] | None:
        origin = index.members.get((resource, role, principal))
        return None if origin is None else (origin.address, origin.type)

    outcome = next((f.fix for f in gated.result.findings if f.fingerprint == fingerprint), None)
    if not isinstance(outcome, Fix):
        return None
    return terraform_snippet(outcome, address, type_, Placement(read=read, member=member))


def _with_fixes(gated: GateResult, rules: object, failing: tuple[Finding, ...]) -> GateResult:
    """``gated`` with each failing finding's proven fix (or why none), searched on the planned state."""
    from dataclasses import replace

    from seenby.fix import find_fixes

    run = find_fixes(gated.planned.snapshot, rules, fingerprints=[f.fingerprint for f in failing])  # type: ignore[arg-type]
    findings = tuple(
        replace(f, fix=run.outcomes[f.fingerprint]) if f.fingerprint in run.outcomes else f
        for f in gated.result.findings
    )
    return replace(gated, result=replace(gated.result, findings=findings))


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
@click.option(
    "--fix", "with_fixes", is_flag=True,
    help="Search a proven fix for each failing finding and show it beside it (docs/fixes.md).",
)  # fmt: skip
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
    with_fixes: bool,
    quiet: bool,
) -> None:
    """Audit the planned state of a `terraform show -json` plan against rules.yaml (CI gate)."""
    from seenby.config import load_rules
    from seenby.gate import GateMode, load_accepted, plan_uri, source_files, verdict
    from seenby.gate import gate as run_gate
    from seenby.importers.terraform import load_plan, planned_snapshot
    from seenby.reports import OutputFormat, markdown, render_findings, sarif, table
    from seenby.snapshot import load_snapshots

    with Activity(quiet) as activity:  # a progress display on a terminal when the gate runs long
        activity.step("loading the plan")
        plan = load_plan(plan_file)
        baseline = load_snapshots(baselines, embedded=True) if baselines else None
        rules = load_rules(default_rules(rules_path))
        accepted = load_accepted(baseline_findings) if baseline_findings else frozenset()
        planned = planned_snapshot(plan, baseline, aws_account=aws_account, gcp_project=gcp_project)
        activity.step("evaluating and auditing")
        gated = run_gate(
            planned, rules, baseline=baseline, mode=GateMode.NEW_ONLY if new_only else GateMode.ALL, accepted=accepted
        )
        decided = verdict(gated, fail_on)
        if with_fixes and decided.failing:
            activity.step("searching proven fixes for the failing findings")
            gated = _with_fixes(gated, rules, decided.failing)
            decided = verdict(gated, fail_on)
    options = render_options(output, show_existing)
    if fmt == OutputFormat.SARIF.value:
        files = source_files(planned, gated.origins.values(), Path(config_dir))
        sources = {
            fp: sarif.SourceLocation(
                address=o.address, uri=files.get(o.address, (None, 0))[0], line=files.get(o.address, (None, None))[1]
            )
            for fp, o in gated.origins.items()
        }
        text = sarif.render_findings(gated.result, options, sources=sources, fallback_uri=plan_uri(planned))
    elif fmt == OutputFormat.JSON.value:
        text = _json(gated, decided, options)
    elif fmt == OutputFormat.TABLE.value:
        text = _table_header(gated, decided) + table.render_findings(
            gated.result, options, heading="seenby gate: the planned state", apart=_apart(gated))
    elif fmt == OutputFormat.MARKDOWN.value:
        text = _markdown_header(gated, decided) + markdown.render_findings(
            gated.result, options, heading="### The planned state", apart=_apart(gated))
    else:
        text = render_findings(gated.result, OutputFormat(fmt), options)
    emit(text, output)
    for line in _summary(gated, decided):
        click.echo(line, err=True)
    if not decided.passed:
        sys.exit(EXIT_FINDINGS)
    if strict and gated.result.gaps:
        sys.exit(EXIT_INCOMPLETE)
    sys.exit(EXIT_CLEAN)
