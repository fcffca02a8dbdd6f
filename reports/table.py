"""The terminal format: what a security engineer reads first.

Built from rich renderables and rendered to a string.  Untrusted text only ever
enters as :class:`rich.text.Text` after :func:`~seenby.reports.text.clean`, so
neither rich markup nor control characters in a policy can reach the terminal.
Without colour the output is plain text with no escape sequences.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from io import StringIO

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from seenby.findings import (
    AudienceMember,
    AudienceReport,
    AuditResult,
    ExcessEntry,
    Finding,
    PathStep,
    PeopleCount,
    SetApart,
    Severity,
)
from seenby.model import CoverageGap, Evidence, Principal

from .base import RenderOptions
from .ordering import member_key, opening_evidence, ordered_excess, remediation_for, severity_counts, visible_findings
from .text import (
    CLASS_LABELS,
    clean,
    compact_json,
    condition_text,
    evidence_head,
    level_text,
    path_text,
    people_text,
    shorten,
)

__all__ = ["finding_text", "render_audience", "render_findings"]

DEFAULT_WIDTH = 100
EXCERPT_LIMIT = 1200

SEVERITY_STYLE: dict[Severity, str] = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "bold yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def _console(options: RenderOptions, file: StringIO) -> Console:
    return Console(
        file=file,
        force_terminal=options.color,
        no_color=not options.color,
        color_system="standard" if options.color else None,
        width=options.width or DEFAULT_WIDTH,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
        legacy_windows=False,
    )


def _render(renderables: Iterable[RenderableType], options: RenderOptions) -> str:
    buffer = StringIO()
    console = _console(options, buffer)
    for renderable in renderables:
        console.print(renderable)
    text = buffer.getvalue()
    if options.color:
        return text
    return "\n".join(line.rstrip() for line in text.split("\n"))


def _line(*parts: str | tuple[str, str]) -> Text:
    """A Text from plain strings and (string, style) pairs; strings are cleaned."""
    text = Text()
    for part in parts:
        if isinstance(part, tuple):
            text.append(clean(part[0]), style=part[1])
        else:
            text.append(clean(part))
    return text


def _severity(severity: Severity) -> tuple[str, str]:
    return (f" {severity.value.upper()} ", SEVERITY_STYLE[severity])


# ── header and summary ──────────────────────────────────────────────────────────


def _scope_text(scope: dict[str, object]) -> str:
    parts = []
    for key in sorted(scope):
        value = scope[key]
        if value in (None, "", [], ()):
            continue
        shown = ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
        parts.append(f"{key.replace('_', ' ')}: {shown}")
    return "; ".join(parts) or "not recorded"


def _header(result: AuditResult, heading: str = "seenby audit") -> list[RenderableType]:
    collector = result.collector
    who = collector.get("identity") or "unknown identity"
    tool = " ".join(str(collector[k]) for k in ("tool", "version") if collector.get(k))
    mode = f", {collector['mode']}" if collector.get("mode") else ""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("snapshot", _line(result.snapshot_source or "(live scan)"))
    grid.add_row("collected", _line(f"{result.collected_at} by {who}" + (f" ({tool}{mode})" if tool else "")))
    grid.add_row("scope", _line(_scope_text(dict(result.scope))))
    if result.rules_file:
        grid.add_row("rules", _line(result.rules_file))
    gaps = len(result.datasets_with_gaps)
    grid.add_row(
        "coverage",
        _line(f"{len(result.datasets)} datasets scanned, ",
              (f"{gaps} with coverage gaps", "bold red" if gaps else "green")),
    )
    return [_line((heading, "bold")), grid]


def _counts(result: AuditResult, apart: Mapping[str, int] | None = None) -> Table:
    """Active findings by severity, then waived ones; ``apart`` counts hidden findings that are not waivers
    (the gate's findings existing before the plan), each in its own column."""
    counts = severity_counts(result)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for severity in counts:
        table.add_column(Text(severity.value, style=SEVERITY_STYLE[severity]), justify="right")
    table.add_column("waived", justify="right")
    for label in apart or {}:
        table.add_column(label, justify="right")
    waived = len(result.findings) - len(result.active) - sum((apart or {}).values())
    table.add_row(*(str(n) for n in counts.values()), str(waived), *(str(n) for n in (apart or {}).values()))
    return table


def _summary(result: AuditResult, options: RenderOptions, apart: Mapping[str, int] | None = None) -> Text:
    counts = {s: n for s, n in severity_counts(result).items() if n}
    active = result.active
    waived = len(result.findings) - len(active) - sum((apart or {}).values())
    touched = len({f.dataset.id for f in active})
    if counts:
        by = ", ".join(f"{n} {s.value}" for s, n in counts.items())
        head = f"{len(active)} finding{'s' if len(active) != 1 else ''} ({by}) on {touched} of "
        head += f"{len(result.datasets)} datasets"
    else:
        head = f"no findings on {len(result.datasets)} datasets"
    tail = ""
    if waived:
        tail += f"; {waived} waived{'' if options.show_waived else ' (hidden; --show-waived)'}"
    for label, n in (apart or {}).items():
        tail += f"; {n} {label}" if n else ""
    gaps = len(result.datasets_with_gaps)
    if gaps:
        tail += f"; {gaps} dataset{'s' if gaps != 1 else ''} with coverage gaps"
    return _line((head + tail, "bold"))


# ── one finding ─────────────────────────────────────────────────────────────────


def _explain(path: tuple[PathStep, ...], opening: tuple[Evidence, ...]) -> Group:
    """The drawn path, then the opening evidence, other evidence on the path, and conditions."""
    rows = Table.grid(padding=(0, 2))
    rows.add_column(style="dim", no_wrap=True)
    rows.add_column(overflow="fold")
    for item in opening:
        head = Text(evidence_head(item))
        if item.note:
            head.append(f"  ({clean(item.note)})", style="dim")
        rows.add_row("evidence", head)
        if item.excerpt is not None:
            rows.add_row("", Text(shorten(compact_json(item.excerpt), EXCERPT_LIMIT), style="green"))
        for decided in item.decided:
            rows.add_row("decided", Text(clean(decided.text)))
    for step in path:
        if step.evidence and step.evidence != opening:
            rows.add_row("via", Text("; ".join(evidence_head(e) for e in step.evidence)))
    for step in path:
        for condition in step.conditions:
            rows.add_row("only if", Text(condition_text(condition), style="yellow"))
    return Group(Text(path_text(path)), rows)


def _principal_line(principal: Principal) -> Text:
    text = _line((principal.label, "bold"))
    if principal.name and principal.name != principal.id:
        text.append(f"  {clean(principal.id)}", style="dim")
    return text


def _entry_block(entry: ExcessEntry) -> Padding:
    head = _principal_line(entry.principal)
    head.append(f"  ({entry.principal.kind.value}, {people_text(entry.people)}")
    head.append(", conditional)" if entry.conditional else ")")
    return Padding(Group(head, Padding(_explain(entry.path, entry.opening_evidence), (0, 0, 0, 2))),
                   (0, 0, 0, 2))


def _excess(finding: Finding) -> Group:
    entries = ordered_excess(finding)
    parts: list[RenderableType] = []
    classes = list(dict.fromkeys(e.audience_class for e in entries))
    for klass in classes:
        group = [e for e in entries if e.audience_class is klass]
        known = [e.people for e in group if e.people is not None]
        some_unknown = bool(known) and len(known) < len(group)
        if finding.people is not None and len(classes) == 1:
            # the distinct people of the whole excess (one class: this group)
            count = ("at least " if some_unknown else "") + people_text(finding.people)
        elif some_unknown:
            count = f"at least {people_text(max(known))}"
        elif len(known) > 1:
            count = f"up to {people_text(sum(known))}"  # the same person may be behind several of them
        else:
            count = people_text(known[0] if known else None)
        head = Text(CLASS_LABELS[klass], style="bold magenta")
        head.append(f" — {len(group)} principal{'s' if len(group) != 1 else ''}, {count}")
        parts.append(head)
        parts.extend(_entry_block(e) for e in group)
    return Group(*parts)


def _gap(gap: CoverageGap) -> Text:
    text = _line((gap.api, "bold"), f"  {gap.outcome.value}", f"  {gap.error_code or 'no error code'}")
    text.append(f"\n{clean(gap.resource_type)} {clean(gap.resource)} ({clean(gap.read)})", style="dim")
    if gap.message:
        text.append(f"\n{clean(gap.message)}")
    return text


def _declaration(finding: Finding) -> Text:
    if finding.declared:
        text = _line(f"{level_text(finding.level)}: [{', '.join(finding.declared)}]")
    elif finding.level is not None and finding.declaration:
        text = _line(f"{level_text(finding.level)}: nobody")
    else:
        text = _line(("no declaration", "dim"))
    if finding.declaration:
        text.append(f"  ({clean(finding.declaration)})", style="dim")
    return text


def _finding_block(finding: Finding, index: int | None) -> Group:
    number = f"[{index}] " if index is not None else ""
    title = _line(number, _severity(finding.severity), " ", (finding.rule_id, "bold"), " ", (finding.title, "bold"))
    if finding.waiver:
        w = finding.waiver
        said = (f"WAIVED until {w.expires.isoformat()} by {clean(w.owner)}" if w.status is SetApart.WAIVED
                else w.status.value.upper())
        title.append(f"  {said}: {clean(w.reason)}", style="dim italic")
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    dataset = finding.dataset
    facts = (dataset.kind.value, dataset.provider.value, dataset.account, dataset.location)
    where = ", ".join(x for x in facts if x)
    dataset_text = _line((dataset.id, "bold"), f"  ({where})")
    if finding.classification:
        dataset_text.append(f"  classification: {clean(finding.classification)}", style="cyan")
    grid.add_row("dataset", dataset_text)
    grid.add_row("access", _line(level_text(finding.level)))
    grid.add_row("finding", _line(finding.message))
    if finding.excess:
        grid.add_row("excess", _excess(finding))
        if finding.people is not None:
            grid.add_row("people", _line(f"{people_text(finding.people)} in all"))
    if finding.gap:
        grid.add_row("unread", _gap(finding.gap))
    if finding.level is not None or finding.declared:
        grid.add_row("declared", _declaration(finding))
    elif finding.declaration:
        grid.add_row("see", _line(finding.declaration))
    remediation = remediation_for(finding)
    if remediation:
        grid.add_row("fix", _line(remediation))
    if finding.fix is not None:  # seenby fix (docs/fixes.md)
        from seenby.fix.model import Fix

        from .fix_commands import commands_for
        from .fix_text import fix_summary

        grid.add_row("proven fix", _line(fix_summary(finding.fix)))
        for command in commands_for(finding.fix) if isinstance(finding.fix, Fix) else ():
            grid.add_row("", _line(("$ ", "dim"), command))
    grid.add_row("fingerprint", _line((finding.fingerprint, "dim")))
    return Group(title, grid, Text(""))


def finding_text(finding: Finding, width: int = DEFAULT_WIDTH) -> str:
    """One finding as plain text (no colour): the details other formats quote."""
    return _render([_finding_block(finding, None)], RenderOptions(width=width)).rstrip() + "\n"


def _overview(findings: list[Finding]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, title=None)
    for name, justify in (("#", "right"), ("severity", "left"), ("rule", "left"), ("dataset", "left"),
                          ("access", "left"), ("broadest excess", "left")):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for i, f in enumerate(findings, 1):
        entries = ordered_excess(f)
        broadest = (f"{CLASS_LABELS[entries[0].audience_class]}: {entries[0].principal.label}" if entries
                    else "coverage gap" if f.gap else "")
        sev = Text(f.severity.value, style=SEVERITY_STYLE[f.severity])
        if f.waived:
            sev.append(f" ({f.waiver.status.value})", style="dim")
        table.add_row(str(i), sev, _line(f.rule_id), _line(f.dataset.id), _line(level_text(f.level)),
                      _line(broadest))
    return table


def render_findings(result: AuditResult, options: RenderOptions, *, heading: str = "seenby audit",
                    apart: Mapping[str, int] | None = None) -> str:
    findings = visible_findings(result, options.show_waived)
    parts: list[RenderableType] = [*_header(result, heading), Text(""), _counts(result, apart), Text("")]
    if findings:
        parts += [_overview(findings), Text("")]
        parts += [_finding_block(f, i) for i, f in enumerate(findings, 1)]
    parts.append(_summary(result, options, apart))
    return _render(parts, options)


# ── who-can-read ────────────────────────────────────────────────────────────────


def _people_split(count: PeopleCount) -> str:
    """``1,506 people (beyond the declaration: 1,500; declared: 6)``: each person once."""
    def n(value: int | None) -> str:
        return f"{value:,}" if value is not None else "unknown"

    bound = "at most " if count.upper_bound else ""
    text = f"{bound}{n(count.total)} people" if count.total is not None else "people unknown"
    if count.excess is not None or count.declared is not None:
        text += f" (beyond the declaration: {n(count.excess)}; declared: {n(count.declared)})"
    return text


def _yes_no(value: bool | None) -> Text:
    if value is None:
        return Text("unknown", style="dim")
    return Text("yes", style="green") if value else Text("NO", style="bold red")


def _through_copy(line: Text, member: AudienceMember) -> Text:
    """A member that reads the dataset through a copy is marked with it (docs/flows.md)."""
    if member.through_copy is None:
        return line
    return line.append_text(Text(f"  through copy {member.through_copy}", style="magenta"))


def render_audience(report: AudienceReport, options: RenderOptions) -> str:
    dataset = report.dataset
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    kind = f"  ({dataset.kind.value}, {dataset.provider.value})"
    head.add_row("dataset", _line((dataset.id, "bold"), kind))
    if report.classification:
        head.add_row("classification", _line(report.classification))
    source = report.snapshot_source or "(live scan)"
    head.add_row("snapshot", _line(f"{source}, collected {report.collected_at}"))
    members = sorted(report.members, key=member_key)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("level", no_wrap=True)
    table.add_column("class", no_wrap=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("principal", overflow="fold", ratio=1)
    table.add_column("people", justify="right", no_wrap=True)
    table.add_column("conditional", no_wrap=True)
    table.add_column("declared", no_wrap=True)
    details: list[RenderableType] = []
    for i, m in enumerate(members, 1):
        people = Text(f"{m.people:,}" if m.people is not None else "?")
        table.add_row(Text(m.level.value), Text(CLASS_LABELS[m.audience_class]), Text(str(i)),
                      _through_copy(_principal_line(m.principal), m), people,
                      Text("yes", style="yellow") if m.conditional else Text("no"), _yes_no(m.declared))
        details += [Text(f"[{i}] {m.level.value}", style="bold").append_text(Text("  ")).append_text(
            _principal_line(m.principal)), Padding(_explain(m.path, opening_evidence(m.path)), (0, 0, 0, 4))]
    parts: list[RenderableType] = [_line((f"who can reach {dataset.id}", "bold")), head, Text(""), table,
                                   Text(""), *details, Text("")]
    for gap in report.gaps:
        parts.append(_line(("coverage gap: ", "bold red")).append_text(_gap(gap)))
    undeclared = sum(1 for m in members if m.declared is False)
    summary = f"{len(members)} principals or classes can reach this dataset; {undeclared} undeclared"
    for level, count in report.people.items():
        summary += f"; {level.value}: {_people_split(count)}"
    if report.gaps:
        plural = "s" if len(report.gaps) != 1 else ""
        summary += f"; {len(report.gaps)} coverage gap{plural}: the audience may be broader"
    parts.append(_line((summary, "bold")))
    return _render(parts, options)
