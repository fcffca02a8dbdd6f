"""exposure: a dataset's audience across recorded scans (table, JSON ``seenby.exposure/v1``)."""

from __future__ import annotations

import difflib
import json
from typing import Any

from rich import box
from rich.console import RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from seenby.history.times import format_time
from seenby.history_results import (
    AudienceEvent,
    DocumentChange,
    ExposureTimeline,
    ExposureWindow,
    MemberSpan,
    ScanPoint,
)

from .base import RenderOptions
from .history_text import between_text, scan_point_text
from .json_report import _dataset, _principal, _step
from .ordering import ordered_gaps
from .table import _gap, _line, _render
from .text import CLASS_LABELS, clean, dump_json, path_text, people_text

__all__ = ["EXPOSURE_SCHEMA", "exposure_document", "render_json", "render_table"]

EXPOSURE_SCHEMA = "seenby.exposure/v1"
DIFF_LINES = 40


def _point(point: ScanPoint | None) -> dict[str, Any] | None:
    if point is None:
        return None
    return {
        "scan_id": point.scan_id,
        "collected_at": format_time(point.collected_at),
        "present": point.present,
        "members": point.members,
        "excess": point.excess,
        "people": point.people,
        "excess_people": point.excess_people,
        "declared_people": point.declared_people,
        "coverage_gaps": point.gaps,
    }


def _ref(point: ScanPoint | None) -> dict[str, Any] | None:
    return None if point is None else {"scan_id": point.scan_id, "collected_at": format_time(point.collected_at)}


def _event(e: AudienceEvent) -> dict[str, Any]:
    return {
        "event": e.kind.value,
        "principal": _principal(e.principal),
        "level": e.level.value,
        "class": e.audience_class.value,
        "declared": e.declared,
        "people": e.people,
        "between": [_ref(e.before), _ref(e.after)],
        "path": [_step(s) for s in e.path],
        "causes": [c.to_json() for c in e.causes],
    }


def _span(s: MemberSpan) -> dict[str, Any]:
    return {
        "principal": _principal(s.principal),
        "level": s.level.value,
        "class": s.audience_class.value,
        "declared": s.declared,
        "first_seen": _ref(s.first_seen),
        "last_seen": _ref(s.last_seen),
        "appeared_after": _ref(s.appeared_after),
        "gone_by": _ref(s.gone_by),
    }


def _window(w: ExposureWindow) -> dict[str, Any]:
    return {
        "first_seen": _ref(w.first_seen),
        "last_seen": _ref(w.last_seen),
        "opened_after": _ref(w.opened_after),
        "closed_by": _ref(w.closed_by),
        "open": w.closed_by is None,
        "people": w.people,
        "excess": [
            {"principal": _principal(m.principal), "level": m.level.value, "class": m.audience_class.value,
             "people": m.people}
            for m in w.excess
        ],
    }


def exposure_document(timeline: ExposureTimeline) -> dict[str, Any]:
    return {
        "schema": EXPOSURE_SCHEMA,
        "store": timeline.store,
        "dataset": _dataset(timeline.dataset, timeline.classification),
        "levels": [lv.value for lv in timeline.levels],
        "rules_file": timeline.rules_file,
        "declaration": timeline.declaration,
        "summary": {
            "scans": len(timeline.scans),
            "skipped_scans": timeline.skipped,
            "events": len(timeline.events),
            "windows": len(timeline.windows),
            "open_window": any(w.closed_by is None for w in timeline.windows),
        },
        "scans": [_point(p) for p in timeline.scans],
        "spans": [_span(s) for s in timeline.spans],
        "events": [_event(e) for e in timeline.events],
        "windows": [_window(w) for w in timeline.windows],
        "coverage_gaps": [g.to_json() for g in ordered_gaps(timeline.gaps)],
    }


def render_json(timeline: ExposureTimeline, options: RenderOptions) -> str:
    return dump_json(exposure_document(timeline))


def _pretty(value: Any) -> list[str]:
    return [] if value is None else json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False).splitlines()


def _change(c: DocumentChange) -> list[RenderableType]:
    where = "" if c.on_path else "  (not on the path: a change elsewhere in the scan)"
    head = _line((f"{c.kind.value} ", "bold"), f"{c.resource_type} {c.resource} ", (c.read, "bold"))
    head.append(where, style="dim")
    lines = list(difflib.unified_diff(_pretty(c.before), _pretty(c.after), "before", "after", lineterm="", n=1))
    body = Text()
    for line in lines[2:DIFF_LINES]:
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
        body.append(clean(line) + "\n", style=style)
    if len(lines) > DIFF_LINES:
        body.append(f"… {len(lines) - DIFF_LINES} more lines (--format json has both documents)\n", style="dim")
    return [head, Padding(body, (0, 0, 0, 2))] if body else [head]


def _count(n: int | None) -> str:
    """Distinct people (seenby.audit.count_people); ``?`` where unknown."""
    return f"{n:,}" if n is not None else "?"


def _declared(value: bool | None) -> str:
    return {True: "declared", False: "NOT declared", None: "declaration unknown"}[value]


def render_table(timeline: ExposureTimeline, options: RenderOptions) -> str:
    d = timeline.dataset
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("dataset", _line((d.id, "bold"), f"  ({d.kind.value}, {d.provider.value})"))
    head.add_row("store", _line(timeline.store))
    head.add_row("levels", _line(", ".join(lv.value for lv in timeline.levels)))
    head.add_row("declared", _line(timeline.declaration or "no declaration (give --rules): no exposure windows"))
    scans = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    compared = timeline.declaration is not None
    names = ["scan", "collected", "present", "members", "people"]
    names += ["beyond declaration", "people beyond", "people declared"] if compared else []
    for name in [*names, "gaps"]:
        scans.add_column(name, justify="left" if name in ("scan", "collected", "present") else "right",
                         no_wrap=name == "collected")
    for p in timeline.scans:
        row: list[RenderableType] = [f"@{p.scan_id}", format_time(p.collected_at), "yes" if p.present else "no",
                                     str(p.members), _count(p.people)]
        if compared:
            row += [Text(str(p.excess), style="bold red" if p.excess else ""),
                    Text(_count(p.excess_people), style="bold red" if p.excess_people else ""),
                    _count(p.declared_people)]
        scans.add_row(*row, str(p.gaps))
    parts: list[RenderableType] = [_line((f"exposure of {d.id}", "bold")), head, Text(""), scans, Text("")]
    if timeline.windows:
        parts.append(_line(("exposure windows (audience beyond the declaration)", "bold")))
        for w in timeline.windows:
            opened = f"opened {between_text(w.opened_after, w.first_seen)}" if w.opened_after else (
                f"already open at the first recorded scan, {scan_point_text(w.first_seen)}")
            closed = f"closed {between_text(w.last_seen, w.closed_by)}" if w.closed_by else "STILL OPEN"
            who = ", ".join(f"{m.principal.label} ({CLASS_LABELS[m.audience_class]}, {people_text(m.people)})"
                            for m in w.excess)
            parts.append(_line("  ", (opened, "bold red"), "; ", (closed, "bold")))
            parts.append(_line(f"    first seen {scan_point_text(w.first_seen)}, last seen "
                               f"{scan_point_text(w.last_seen)}; beyond the declaration "
                               f"({people_text(w.people)} at most in one scan): {who}"))
        parts.append(Text(""))
    if timeline.spans:
        parts.append(_line(("audience over time", "bold")))
        for s in timeline.spans:
            came = f"appeared {between_text(s.appeared_after, s.first_seen)}" if s.appeared_after else \
                "present at the first scan"
            went = f"gone {between_text(s.last_seen, s.gone_by)}" if s.gone_by else "still present"
            parts.append(_line(f"  {s.level.value}  ", (s.principal.label, "bold"),
                               f"  ({CLASS_LABELS[s.audience_class]}, {_declared(s.declared)}): {came}; {went}"))
        parts.append(Text(""))
    for e in timeline.events:
        title = _line((f"{e.kind.value} ", "bold"), (e.principal.label, "bold"),
                      f"  {e.level.value}, {CLASS_LABELS[e.audience_class]}, {_declared(e.declared)}; "
                      f"{between_text(e.before, e.after)}")
        body: list[RenderableType] = [Text(path_text(e.path))]
        for c in e.causes:
            body += _change(c)
        if not e.causes:
            body.append(_line(("no recorded document changed between these scans", "dim")))
        parts += [title, Padding(_group(body), (0, 0, 0, 4))]
    for gap in timeline.gaps:
        parts.append(_line(("coverage gap (latest scan): ", "bold red")).append_text(_gap(gap)))
    open_ = any(w.closed_by is None for w in timeline.windows)
    summary = (f"{len(timeline.scans)} scans, {len(timeline.events)} audience changes, "
               f"{len(timeline.windows)} exposure windows{' (one still open)' if open_ else ''}")
    if timeline.skipped:
        summary += f"; {timeline.skipped} scans of other accounts or projects skipped"
    parts.append(_line((summary, "bold")))
    return _render(parts, options)


def _group(items: list[RenderableType]) -> RenderableType:
    from rich.console import Group

    return Group(*items)
