"""HTML pages: the frame every page shares, and the view helpers its templates call.

Rendered with Jinja2 (templates in ``templates/``, autoescape on for every template).
Everything the page needs is inside it: the stylesheet and the small script are inlined
and allowed by hash in a strict Content-Security-Policy (no source outside the file is
allowed at all), fonts are the system's.  Untrusted text (policy excerpts, tags,
principal names) reaches the page only through autoescaping, after
:func:`~seenby.reports.text.clean`.  A report gets the frame with :func:`render_page`::

    html = render_page("mine.html.j2", title="seenby …", provenance=Provenance.of_result(result), result=result)

where ``mine.html.j2`` starts with ``{% extends "base.html.j2" %}`` and may import
the macros of ``macros.html.j2`` (severity badges, path graphs, evidence, gaps).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from seenby.findings import (
    AudienceClass,
    AudienceMember,
    AudienceReport,
    AuditResult,
    ExcessEntry,
    Finding,
    PrincipalAccessReport,
)
from seenby.history.times import format_time
from seenby.model import Principal, thaw_json

from .history_text import scan_point_text
from .html_paths import path_graph
from .ordering import SEVERITIES_DESC, opening_evidence, ordered_excess, remediation_for
from .text import CLASS_LABELS, clean, condition_text, edge_label, level_text, people_text, shorten

__all__ = [
    "EXCERPT_LIMIT",
    "NONE_VALUE",
    "TEMPLATES",
    "Broadest",
    "ClassGroup",
    "FacetOption",
    "Provenance",
    "broadest",
    "class_groups",
    "environment",
    "excerpt_text",
    "facet",
    "render_page",
    "search_text",
]


TEMPLATES = Path(__file__).parent / "templates"


EXCERPT_LIMIT = 4000  # characters of one policy excerpt


@dataclass(frozen=True, kw_only=True, slots=True)
class Provenance:
    """Where the data of a page comes from: shown in the page header and the footer of every printed page."""

    source: str | None
    collected_at: str
    identity: str | None = None
    tool: str | None = None
    mode: str | None = None
    scope: tuple[tuple[str, str], ...] = ()
    rules_file: str | None = None
    as_of: str | None = None  # which recorded scan answers and how old it is (history queries)

    @classmethod
    def of_snapshot(
        cls,
        *,
        source: str | None,
        collected_at: str,
        collector: Mapping[str, Any],
        scope: Mapping[str, Any],
        **extra: Any,
    ) -> Provenance:
        """From a snapshot's header: its source, time, collector (identity, tool, mode) and scope."""
        tool = " ".join(str(collector[k]) for k in ("tool", "version") if collector.get(k)) or None
        return cls(
            source=source,
            collected_at=collected_at,
            identity=str(collector["identity"]) if collector.get("identity") else None,
            tool=tool,
            mode=str(collector["mode"]) if collector.get("mode") else None,
            scope=_scope_items(scope),
            **extra,
        )

    @classmethod
    def of_result(cls, result: AuditResult) -> Provenance:
        return cls.of_snapshot(
            source=result.snapshot_source, collected_at=result.collected_at, collector=result.collector,
            scope=result.scope, rules_file=result.rules_file,
        )  # fmt: skip

    @classmethod
    def of_audience(cls, report: AudienceReport | PrincipalAccessReport) -> Provenance:
        return cls.of_snapshot(
            source=report.snapshot_source, collected_at=report.collected_at, collector=report.collector,
            scope=report.scope,
        )  # fmt: skip

    @property
    def line(self) -> str:
        """One line for the printed footer: snapshot, when, by whom, scope."""
        parts = [f"snapshot {self.source or '(live scan)'}", f"collected {self.collected_at}"]
        if self.as_of:
            parts = [f"as of {self.as_of}"]
        if self.identity:
            parts.append(f"by {self.identity}")
        if self.scope:
            parts.append("; ".join(f"{k}: {v}" for k, v in self.scope))
        return clean(" · ".join(parts))


def _scope_items(scope: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    items = []
    for key in sorted(scope):
        value = thaw_json(scope[key])
        if value in (None, "", [], {}):
            continue
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        items.append((key.replace("_", " "), shown))
    return tuple(items)


def excerpt_text(value: Any) -> str:
    """A policy excerpt as indented JSON, each line cleaned (no control or bidi characters), shortened."""
    if isinstance(value, str):
        return shorten(clean(value), EXCERPT_LIMIT)
    text = json.dumps(thaw_json(value), sort_keys=True, indent=2, ensure_ascii=False)
    return shorten("\n".join(clean(line) for line in text.split("\n")), EXCERPT_LIMIT)


@dataclass(frozen=True, kw_only=True, slots=True)
class ClassGroup:
    """Excess entries (or audience members) of one audience class, with their people count."""

    audience_class: AudienceClass
    label: str
    entries: tuple[Any, ...]
    people: str  # "1,200 people", "at least 12 people", "people unknown"


def class_groups(entries: Iterable[ExcessEntry | AudienceMember], total: int | None = None) -> list[ClassGroup]:
    """Group by audience class, broadest first, each with its people count.

    ``total`` is the distinct people of all ``entries`` (``seenby.audit.count_people``, a
    finding's ``people``): a single group shows it.  Otherwise a group of one member shows
    its count; several are summed as "up to" (the same person may be in two groups), and
    "at least" that when some counts are unknown.
    """
    ordered = sorted(entries, key=lambda e: (e.audience_class.rank, e.principal.id))
    classes = list(dict.fromkeys(e.audience_class for e in ordered))
    groups = []
    for klass in classes:
        members = tuple(e for e in ordered if e.audience_class is klass)
        known = [e.people for e in members if e.people is not None]
        if total is not None and len(classes) == 1:
            people = people_text(total)
        else:
            people = people_text(sum(known) if known else None)
            if len(known) > 1:
                people = f"up to {people}"
        if known and len(known) < len(members):
            people = f"at least {people}"
        groups.append(ClassGroup(audience_class=klass, label=CLASS_LABELS[klass], entries=members, people=people))
    return groups


@dataclass(frozen=True, kw_only=True, slots=True)
class Broadest:
    """The broadest member of a finding's excess audience, and how many more there are."""

    audience_class: AudienceClass
    principal: Principal
    more: int


def broadest(finding: Finding) -> Broadest | None:
    entries = ordered_excess(finding)
    if not entries:
        return None
    return Broadest(audience_class=entries[0].audience_class, principal=entries[0].principal, more=len(entries) - 1)


def search_text(*parts: object) -> str:
    return clean(" ".join(str(p) for p in parts if p)).lower()


@dataclass(frozen=True, kw_only=True, slots=True)
class FacetOption:
    value: str
    label: str
    count: int


NONE_VALUE = "(none)"


def facet(values: Iterable[str | None], order: list[str] | None = None) -> list[FacetOption]:
    """The choices of one filter: every value present, with its count; a missing value is ``(none)``."""
    counts = Counter(v or NONE_VALUE for v in values)
    keys = [k for k in order if k in counts] if order else sorted(counts, key=lambda k: (k == NONE_VALUE, k))
    return [FacetOption(value=clean(k), label=clean(k), count=counts[k]) for k in keys]


def _css_string(text: str) -> str:
    """A CSS string literal holding ``text``: everything but letters, digits and spaces as hex escapes."""
    out = []
    for ch in text:
        out.append(ch if ch.isascii() and (ch.isalnum() or ch == " ") else f"\\{ord(ch):06x}")
    return '"' + "".join(out) + '"'


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


@functools.cache
def _asset(name: str) -> str:
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    lowered = text.lower()
    if "</script" in lowered or "</style" in lowered or "<!--" in lowered:
        raise ValueError(f"{name} must not contain </script, </style or <!-- (it is inlined into the page)")
    return text


@functools.cache
def environment() -> Environment:
    """The Jinja2 environment of every HTML page: autoescape on, undefined names are errors."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        t=clean,
        people=people_text,
        level=level_text,
        excerpt=excerpt_text,
        edge=edge_label,
        num=lambda n: f"{n:,}" if n is not None else "?",
        svgnum=lambda n: f"{n:.1f}".rstrip("0").rstrip("."),
        when=format_time,
        scan=scan_point_text,
    )
    env.globals.update(
        CLASS_LABELS=CLASS_LABELS,
        SEVERITIES=SEVERITIES_DESC,
        class_groups=class_groups,
        path_graph=path_graph,
        opening_evidence=opening_evidence,
        remediation_for=remediation_for,
        ordered_excess=ordered_excess,
        condition_text=condition_text,
        broadest=broadest,
    )
    return env


def render_page(template: str, *, title: str, provenance: Provenance, **context: Any) -> str:
    """Render ``template`` (which extends ``base.html.j2``) into one self-contained HTML page.

    The page carries the stylesheet and script inline, a Content-Security-Policy that
    allows exactly those two by hash, and ``provenance`` in its header and on every
    printed page.  ``context`` is passed to the template as is; strings in it are
    escaped on output.
    """
    footer = "font: 7.5pt system-ui, sans-serif; color: #555;"
    css = _asset("report.css") + "\n@page { @bottom-left { content: " + _css_string(shorten(provenance.line, 300))
    css += f"; {footer} }} @bottom-right {{ content: counter(page) \" / \" counter(pages); {footer} }} }}\n"
    script = _asset("report.js")
    csp = (f"default-src 'none'; style-src {_csp_hash(css)}; script-src {_csp_hash(script)}; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    page = environment().get_template(template).render(
        title=title, provenance=provenance, csp=csp, css=Markup(css), script=Markup(script), **context
    )
    return page
