"""Markdown: a summary sized for a pull-request comment.

A table of findings by severity, then one collapsible ``<details>`` per finding
with its paths and evidence.  Every untrusted string goes through :func:`md`,
which turns HTML and Markdown syntax (and ``@`` mentions) into character
references, so the same escaping is right in table cells, in HTML blocks and in
paragraphs.  Long reports are cut at fixed limits, and say so.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from seenby.findings import AudienceReport, AuditResult, ExcessEntry, Finding, PathStep, SetApart, Severity
from seenby.model import CoverageGap, Evidence

from .base import RenderOptions
from .ordering import (
    member_key,
    opening_evidence,
    ordered_excess,
    remediation_for,
    severity_counts,
    visible_findings,
)
from .text import (
    CLASS_LABELS,
    clean,
    compact_json,
    condition_text,
    edge_label,
    level_text,
    people_text,
    shorten,
)

__all__ = ["md", "render_audience", "render_findings"]

MAX_ROWS = 50  # findings in the summary table
MAX_DETAILS = 25  # findings with a <details> block
MAX_ENTRIES = 10  # excess entries shown per finding
EXCERPT_LIMIT = 1500

_MARKDOWN_SPECIALS = {c: f"&#{ord(c)};" for c in "\\`*_[]|~#@"}
_MARKDOWN_SPECIALS.update({"&": "&amp;", "<": "&lt;", ">": "&gt;"})

_ICON = {
    Severity.CRITICAL: "🟥",
    Severity.HIGH: "🟧",
    Severity.MEDIUM: "🟨",
    Severity.LOW: "🟦",
    Severity.INFO: "⬜",
}


def md(text: object) -> str:
    """Untrusted text, safe anywhere in the document: one line, no live HTML, Markdown or mentions."""
    return "".join(_MARKDOWN_SPECIALS.get(ch, ch) for ch in clean(text))


def code(text: object) -> str:
    return f"<code>{md(text)}</code>"


def _path(path: tuple[PathStep, ...]) -> str:
    parts = []
    for step in path:
        parts.append(code(step.label or step.node))
        if step.via:
            parts.append(f"─{md(edge_label(step.via))}{'?' if step.conditions else ''}→")
    return " ".join(parts)


def _evidence(evidence: Evidence) -> list[str]:
    head = f"Evidence: {md(evidence.kind.value)} of {code(evidence.source)} at {code(evidence.location)}"
    if evidence.sid:
        head += f", Sid {code(evidence.sid)}"
    lines = [head + "<br>"]
    if evidence.excerpt is not None:
        excerpt = html.escape(shorten(compact_json(evidence.excerpt), EXCERPT_LIMIT), quote=False).replace("@", "&#64;")
        lines += ["", f"<pre>{excerpt}</pre>", ""]
    lines += [f"Condition {code(d.key)} ({md(d.family.value)}): {md(d.how)}<br>" for d in evidence.decided]
    return lines


def _explain(path: tuple[PathStep, ...], opening: tuple[Evidence, ...]) -> list[str]:
    lines = [f"Path: {_path(path)}<br>"]
    for step in path:
        lines += [f"Condition (as written): {code(condition_text(c))}<br>" for c in step.conditions]
    for item in opening:
        lines += _evidence(item)
    others = [e for s in path if s.evidence != opening for e in s.evidence]
    lines += [f"Also on the path: {md(e.summary)}<br>" for e in others]
    return lines


def _entry(entry: ExcessEntry) -> list[str]:
    p = entry.principal
    kind = "" if p.kind.value == entry.audience_class.value else f", {md(p.kind.value)}"
    head = f"**{md(p.label)}** ({md(CLASS_LABELS[entry.audience_class])}{kind}"
    head += f", {people_text(entry.people)}{', conditional' if entry.conditional else ''})"
    if p.name and p.name != p.id:
        head += f" {code(p.id)}"
    return [head + "<br>", *_explain(entry.path, entry.opening_evidence), ""]


def _gap(gap: CoverageGap) -> list[str]:
    return [
        f"Could not read: {code(gap.api)} on {code(gap.resource)} ({md(gap.read)}): outcome "
        f"**{md(gap.outcome.value)}**, error code {code(gap.error_code or 'none')}<br>",
        f"Provider said: {md(gap.message)}" if gap.message else "",
        "",
    ]


def _declaration(finding: Finding) -> str:
    where = f" ({md(finding.declaration)})" if finding.declaration else ""
    if finding.declared:
        return f"Declared {level_text(finding.level)}: {', '.join(code(d) for d in finding.declared)}{where}"
    if finding.declaration:
        return f"Declared {level_text(finding.level)}: nobody{where}"
    return "Declared: nothing (no rules.yaml entry matches)"


def _details(finding: Finding, index: int) -> list[str]:
    d = finding.dataset
    summary = (f"<b>{index}. {finding.severity.value.upper()} {md(finding.rule_id)}</b> {md(finding.title)}: "
               f"{code(d.id)} ({md(level_text(finding.level))})")
    if finding.waiver:
        summary += f" <i>({finding.waiver.status.value})</i>"
    where = ", ".join(md(x) for x in (d.kind.value, d.provider.value, d.account, d.location) if x)
    lines = ["<details>", f"<summary>{summary}</summary>", ""]
    dataset_line = f"Dataset: {code(d.id)} ({where})"
    if finding.classification:
        dataset_line += f", classification **{md(finding.classification)}**"
    lines += [dataset_line + "<br>", f"Finding: {md(finding.message)}<br>", _declaration(finding), ""]
    if finding.waiver:
        w = finding.waiver
        said = (f"Waived until {w.expires.isoformat()} by {md(w.owner)}" if w.status is SetApart.WAIVED
                else w.status.value.capitalize())
        lines += [f"{said}: {md(w.reason)}", ""]
    if finding.gap:
        lines += _gap(finding.gap)
    entries = ordered_excess(finding)
    if entries:
        total = f", {people_text(finding.people)} in all" if finding.people is not None else ""
        plural = "s" if len(entries) != 1 else ""
        lines += [f"**Excess audience** ({len(entries)} principal{plural}{total})", ""]
        for entry in entries[:MAX_ENTRIES]:
            lines += _entry(entry)
        if len(entries) > MAX_ENTRIES:
            lines += [f"… and {len(entries) - MAX_ENTRIES} more (see `--format json`)", ""]
    remediation = remediation_for(finding)
    if remediation:
        lines += [f"**Fix:** {md(remediation)}", ""]
    if finding.fix is not None:
        lines += _proven_fix(finding)
    lines += [f"Fingerprint: {code(finding.fingerprint)}", "", "</details>", ""]
    return lines


def _fence(text: str, lang: str) -> list[str]:
    """A fenced block long enough that no backtick run inside it closes it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{lang}", text.rstrip("\n"), fence, ""]


def _proven_fix(finding: Finding) -> list[str]:
    """``seenby fix``: the proven fix as a diff of each document part it changes, and its commands."""
    from seenby.fix.model import Fix

    from .fix_commands import commands_for
    from .fix_text import fix_summary, unified_diff

    outcome = finding.fix
    assert outcome is not None
    if not isinstance(outcome, Fix):
        return [f"**Proven fix:** none ({md(outcome.reason.value)}): {md(outcome.detail)}", ""]
    lines = [f"**Proven fix** (re-evaluated): {md(fix_summary(outcome).removeprefix('proven: '))}", ""]
    for change in outcome.changes:
        lines += _fence(unified_diff(change), "diff")
    lines += _fence("\n".join(commands_for(outcome)), "sh")
    return lines


def _broadest(finding: Finding) -> str:
    entries = ordered_excess(finding)
    if entries:
        first = entries[0]
        more = f" +{len(entries) - 1}" if len(entries) > 1 else ""
        return f"{md(CLASS_LABELS[first.audience_class])}: {md(first.principal.label)}{more}"
    return "coverage gap" if finding.gap else ""


def render_findings(result: AuditResult, options: RenderOptions, *, heading: str = "## seenby",
                    apart: Mapping[str, int] | None = None) -> str:
    """The findings as Markdown; ``apart`` counts hidden findings that are not waivers (the gate's
    findings that exist before the plan), ``heading`` opens the section."""
    findings = visible_findings(result, options.show_waived)
    active = result.active
    waived = len(result.findings) - len(active) - sum((apart or {}).values())
    counts = " · ".join(f"{_ICON[s]} {n} {s.value}" for s, n in severity_counts(result).items() if n)
    set_apart = "".join(f" · {n} {label}{'' if options.show_waived else ' (hidden)'}"
                        for label, n in (apart or {}).items() if n)
    who = result.collector.get("identity")
    lines = [
        f"{heading}: {len(active)} finding{'s' if len(active) != 1 else ''}"
        f" on {len({f.dataset.id for f in active})} of {len(result.datasets)} datasets",
        "",
        f"{counts or 'No findings.'}"
        + (f" · {waived} waived{'' if options.show_waived else ' (hidden)'}" if waived else "") + set_apart,
        "",
        f"Snapshot {code(result.snapshot_source or 'live scan')} collected {md(result.collected_at)}"
        + (f" by {code(who)}" if who else "")
        + f" · {len(result.datasets)} datasets scanned, {len(result.datasets_with_gaps)} with coverage gaps",
        "",
    ]
    if findings:
        lines += ["| # | Severity | Rule | Dataset | Access | Excess audience |",
                  "|---:|---|---|---|---|---|"]
        for i, f in enumerate(findings[:MAX_ROWS], 1):
            sev = f"{_ICON[f.severity]} {f.severity.value}" + (f" ({f.waiver.status.value})" if f.waiver else "")
            lines.append(f"| {i} | {sev} | {md(f.rule_id)} {md(f.title)} | {code(f.dataset.id)} "
                         f"| {md(level_text(f.level))} | {_broadest(f)} |")
        if len(findings) > MAX_ROWS:
            lines.append(f"\n… and {len(findings) - MAX_ROWS} more findings (see `--format json`).")
        lines.append("")
        for i, f in enumerate(findings[:MAX_DETAILS], 1):
            lines += _details(f, i)
        if len(findings) > MAX_DETAILS:
            lines += [f"Details of the first {MAX_DETAILS} findings only.", ""]
    return "\n".join(lines).rstrip() + "\n"


def render_audience(report: AudienceReport, options: RenderOptions) -> str:
    members = sorted(report.members, key=member_key)
    d = report.dataset
    classification = f", classification **{md(report.classification)}**" if report.classification else ""
    lines = [
        f"## Who can reach {code(d.id)}",
        "",
        f"{md(d.kind.value)} on {md(d.provider.value)}{classification} · snapshot "
        f"{code(report.snapshot_source or 'live scan')} collected {md(report.collected_at)}",
        "",
        "| # | Level | Class | Principal | People | Conditional | Declared |",
        "|---:|---|---|---|---:|---|---|",
    ]
    declared_text = {True: "yes", False: "**no**", None: "unknown"}
    for i, m in enumerate(members, 1):
        people = f"{m.people:,}" if m.people is not None else "?"
        klass = md(CLASS_LABELS[m.audience_class])
        lines.append(f"| {i} | {m.level.value} | {klass} | {md(m.principal.label)} | {people} "
                     f"| {'yes' if m.conditional else 'no'} | {declared_text[m.declared]} |")
    lines.append("")
    for i, m in enumerate(members[:MAX_DETAILS], 1):
        opening = opening_evidence(m.path)
        lines += ["<details>", f"<summary>{i}. {m.level.value}: {md(m.principal.label)}</summary>", ""]
        lines += [*_explain(m.path, opening), "", "</details>", ""]
    for gap in report.gaps:
        lines += ["**Coverage gap**: the audience may be broader than shown.<br>", *_gap(gap)]
    return "\n".join(lines).rstrip() + "\n"
