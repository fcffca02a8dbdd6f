"""HTML: one self-contained page, checked with an HTML parser (structure, counts, no remote loads, escaping)."""

from __future__ import annotations

import base64
import hashlib
import re
import stat
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from seenby.audit import audit
from seenby.config import load_rules
from seenby.findings import AuditResult
from seenby.model import Evidence, EvidenceKind
from seenby.reports import OutputFormat, RenderOptions, render_audience, render_findings
from seenby.reports.html import TEMPLATES, Provenance, path_graph
from seenby.reports.html import render_audience as html_audience
from seenby.reports.ordering import visible_findings
from seenby.snapshot import load_snapshots

from .conftest import HOSTILE, build_result, hostile_finding, public_finding

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "examples" / "telemetry-incident" / "snapshot.json"
RULES = ROOT / "rules.yaml"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
LOADING_ATTRIBUTES = {"src", "href", "xlink:href", "action", "formaction", "data", "poster", "srcset", "background"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)


class Page(HTMLParser):
    """A small tree builder over the standard library's HTML parser."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]
        self.elements: list[Element] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        self.elements.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            element.text += data

    def all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        def match(e: Element) -> bool:
            return (tag is None or e.tag == tag) and all(e.attrs.get(k.replace("_", "-")) == v
                                                         for k, v in attrs.items())
        return [e for e in self.elements if match(e)]

    def has_class(self, name: str, tag: str | None = None) -> list[Element]:
        return [e for e in self.all(tag) if name in e.attrs.get("class", "").split()]

    def one(self, tag: str | None = None, **attrs: str) -> Element:
        found = self.all(tag, **attrs)
        assert len(found) == 1, f"{tag} {attrs}: {len(found)} elements"
        return found[0]


def descendants(element: Element) -> list[Element]:
    out = []
    for child in element.children:
        out += [child, *descendants(child)]
    return out


@pytest.fixture(scope="module")
def example() -> AuditResult:
    """The example organisation's audit (examples/telemetry-incident with the root rules.yaml)."""
    return audit(load_snapshots([str(SNAPSHOT)]), load_rules(str(RULES)))


@pytest.fixture(scope="module")
def example_html(example: AuditResult) -> str:
    return render_findings(example, OutputFormat.HTML, RenderOptions())


@pytest.fixture(scope="module")
def page(example_html: str) -> Page:
    return Page(example_html)


def test_every_finding_has_a_table_row_and_a_detail_block(page, example):
    """Each visible finding is one row of the findings table and one detail block with its fingerprint."""
    findings = visible_findings(example, show_waived=False)
    rows = [r for r in page.all("tr") if "data-n" in r.attrs]
    assert [(r.attrs["data-rule"], r.attrs["data-dataset"]) for r in rows] == [
        (f.rule_id, f.dataset.id) for f in findings]
    details = [e.attrs["data-fingerprint"] for e in page.has_class("finding", "div")]
    assert sorted(details) == sorted(f.fingerprint for f in findings)


def test_summary_counts_match_the_audit(page, example):
    """The summary's datasets, coverage and per-severity counts are the audit's."""
    stats = {e.attrs["data-stat"]: e.text.strip() for e in page.all() if "data-stat" in e.attrs}
    by_severity = Counter(f.severity.value for f in example.active)
    # 16, and the BI server (issue 21): 3 Superset datasets, 3 dashboards, 3 charts, 2 connections
    assert stats["datasets"] == str(len(example.datasets)) == "27"
    assert stats["gaps"] == str(len(example.datasets_with_gaps)) == "1"
    assert {k.removeprefix("severity-"): int(v) for k, v in stats.items() if k.startswith("severity-")} == {
        s: by_severity.get(s, 0) for s in ("critical", "high", "medium", "low", "info")}


def test_widest_over_exposures_lead_with_the_largest_people_count(page):
    """The summary names the widest over-exposures, largest people count first (ml_raw: 1,503)."""
    widest = page.has_class("widest")[0]
    items = [e for e in descendants(widest) if e.tag == "li"]
    # every employee through the authorized view (1,500), and three BI server users (issue 21: the Superset
    # admin, and bob and dave, Gamma users who open Keystroke activity); gs://corp-keystrokes' 1,500 next
    assert items[0].text.split()[0] == "1,503" and "corp-telemetry.ml_raw" in items[0].text
    assert items[1].text.split()[0] == "1,500" and "gs://corp-keystrokes" in items[1].text
    counts = [int(i.text.split()[0].replace(",", "")) for i in items]
    assert counts == sorted(counts, reverse=True)


def test_coverage_gaps_are_listed_before_the_findings(page, example):
    """The coverage gap section comes before the findings table and names the API call and outcome."""
    order = [e.attrs["id"] for e in page.all("section") if "id" in e.attrs]
    assert order.index("coverage") < order.index("findings")
    gaps = page.one("section", id="coverage")
    assert "s3:GetBucketPolicy" in gaps.text and "denied" in gaps.text and "AccessDenied" in gaps.text


def test_each_excess_principal_has_a_drawn_path(page, example):
    """Every excess entry of every shown finding has one SVG path graph with a box per step."""
    findings = visible_findings(example, show_waived=False)
    graphs = page.has_class("path-graph", "svg")
    assert len(graphs) == sum(len(f.excess) for f in findings)
    boxes = sorted(len([e for e in descendants(g) if e.tag == "rect"]) for g in graphs)
    assert boxes == sorted(len(e.path) for f in findings for e in f.excess)


def test_path_edges_name_the_statement_that_opens_them(page):
    """The screens bucket's chain (the data account's principals, through the role the organisation's trust opens)
    draws can-assume then read, each edge labelled with its statement."""
    section = page.one("article", data_dataset="arn:aws:s3:::corp-employee-telemetry-screens")
    entry = next(e for e in descendants(section) if e.attrs.get("data-principal") == "arn:aws:iam::111122223333:root")
    graph = next(e for e in descendants(entry) if "path-graph" in e.attrs.get("class", ""))
    labels = [e.text for e in descendants(graph) if e.attrs.get("class") == "edge-label"]
    notes = [e.text for e in descendants(graph) if e.attrs.get("class") == "edge-note"]
    assert labels == ["1 · can-assume", "2 · read"]
    assert notes == ["Statement[0]", "Sid AnyoneInTheOrganisation", "read-raw-telemetry:Statement[0]",
                     "Sid ReadRawTelemetry"]


def test_declared_audience_is_shown_beside_the_excess(page):
    """A dataset section shows its declared read audience next to the classes beyond it, with people."""
    section = page.one("article", data_dataset="gs://corp-keystrokes")
    declared = next(e for e in descendants(section) if e.attrs.get("class") == "declared")
    effective = next(e for e in descendants(section) if e.attrs.get("class") == "effective")
    assert "declared read audience" in declared.text
    assert "organisation / domain" in effective.text and "1,500 people" in effective.text


def test_filters_offer_every_value_present(page, example):
    """The rule, provider, account and classification filters list exactly the values in the findings."""
    findings = visible_findings(example, show_waived=False)

    def options(name: str) -> set[str]:
        select = page.one("select", data_filter=name)
        return {o.attrs["value"] for o in descendants(select) if o.attrs.get("value")}

    assert options("rule") == {f.rule_id for f in findings}
    assert options("provider") == {"aws", "gcp", "superset"}
    assert options("account") == {f.dataset.account or "(none)" for f in findings}  # a Superset server has none
    assert options("classification") == {f.classification or "(none)" for f in findings}
    assert page.one("input", type="search")


def test_nothing_is_loaded_from_outside_the_file(page, example_html):
    """No src/href points outside the page, no <link>, no @import or url() in the style."""
    remote = [(e.tag, k, v) for e in page.elements for k, v in e.attrs.items()
              if k in LOADING_ATTRIBUTES and not v.startswith("#")]
    assert remote == []
    assert page.all("link") == [] and page.all("iframe") == [] and page.all("img") == []
    style = page.one("style").text
    assert "@import" not in style and "url(" not in style
    assert not re.search(r"(?i)\b(fetch|XMLHttpRequest|WebSocket|EventSource|importScripts)\b",
                         page.one("script").text)


def test_csp_allows_exactly_the_inlined_style_and_script(page):
    """The CSP meta tag defaults to 'none' and allows the inline style and script by their sha256 only."""
    csp = page.one("meta", http_equiv="Content-Security-Policy").attrs["content"]

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["style-src"] == digest(page.one("style").text)
    assert directives["script-src"] == digest(page.one("script").text)
    assert "unsafe-inline" not in csp and "http" not in csp


def test_print_stylesheet_and_provenance_footer(page, example):
    """The style has print rules and a @page footer repeating the snapshot provenance on every page."""
    style = page.one("style").text
    assert "@media print" in style
    footer = re.search(r"@bottom-left \{ content: \"([^\"]*)\"", style)
    assert footer is not None
    text = re.sub(r"\\([0-9a-f]{6})", lambda m: chr(int(m.group(1), 16)), footer.group(1))
    assert example.collected_at in text and "arn:aws:iam::999988887777:role/seenby-auditor" in text


def test_header_states_when_what_scope_and_by_whom(page, example):
    """The page header names the snapshot, its collection time, the identity and the scope."""
    header = page.has_class("page-header", "header")[0].text
    for needed in (example.snapshot_source, example.collected_at, "arn:aws:iam::999988887777:role/seenby-auditor",
                   "o-a1b2c3d4e5", "corp-telemetry"):
        assert needed in header


@pytest.fixture(scope="module")
def hostile_page() -> tuple[str, Page]:
    """A report whose finding carries markup in its tag, policy excerpt, principal name and condition."""
    finding = hostile_finding()
    breakout = Evidence(kind=EvidenceKind.RESOURCE_POLICY, source="arn:aws:s3:::evil-bucket", location="Statement[1]",
                        excerpt={"Sid": "</script><script>alert(2)</script>", "Condition": "</style><!--"})
    entry = replace(finding.excess[0], path=(replace(finding.excess[0].path[0], evidence=(breakout,)),
                                             finding.excess[0].path[1]))
    result = build_result((finding, replace(finding, fingerprint="fp-breakout", excess=(entry,))))
    text = render_findings(result, OutputFormat.HTML, RenderOptions())
    return text, Page(text)


def test_untrusted_markup_renders_as_text(hostile_page):
    """`<script>` in a tag, excerpt or name is text on the page: one script element, which is seenby's own."""
    text, page = hostile_page
    assert len(page.all("script")) == 1
    assert page.one("script").text == (TEMPLATES / "report.js").read_text()
    assert len(page.all("style")) == 1
    assert "<script>alert" not in text and "</script><script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    excerpts = " ".join(e.text for e in page.has_class("excerpt", "pre"))
    assert "</script><script>alert(2)</script>" in excerpts and "</style><!--" in excerpts


def test_untrusted_text_cannot_add_attributes_or_elements(hostile_page):
    """Quotes and angle brackets in untrusted text add no element and no event-handler attribute."""
    _, page = hostile_page
    assert not [k for e in page.elements for k in e.attrs if k.startswith("on")]
    assert page.all("img") == [] and page.all("iframe") == []
    rows = [r for r in page.all("tr") if "data-n" in r.attrs]
    assert rows[0].attrs["data-classification"] == HOSTILE.replace("\n", "\\n").replace("\x1b", "\\x1b").replace(
        "\x00", "\\x00").replace("\u202e", "\\u202e")


def test_control_and_bidi_characters_are_escaped(hostile_page):
    """Raw newlines, escape sequences, NUL and bidi overrides from untrusted text never reach the page."""
    text, _ = hostile_page
    assert "\x1b" not in text and "\x00" not in text and "\u202e" not in text
    assert "\n next line" not in text


def test_path_graph_lays_out_one_box_per_step():
    """path_graph gives one node per step and one numbered edge per hop, left to right without overlap."""
    graph = path_graph(public_finding().excess[0].path)
    assert len(graph.nodes) == 2 and [e.number for e in graph.edges] == [1]
    assert graph.nodes[0].x + graph.nodes[0].width == graph.edges[0].x1
    assert graph.edges[0].x2 == graph.nodes[1].x
    assert graph.width >= graph.nodes[1].x + graph.nodes[1].width


def test_audience_page_lists_every_member_with_its_path(audience):
    """who-can-read as HTML: one row and one drawn path per member, the gap listed, undeclared counted."""
    page = Page(render_audience(audience, OutputFormat.HTML))
    rows = [r for r in page.all("tr") if "data-n" in r.attrs]
    assert len(rows) == len(audience.members) == len(page.has_class("path-graph", "svg"))
    assert page.one(data_stat="undeclared").text == "2"
    assert "bigquery.datasets.getIamPolicy" in page.one("section", id="coverage").text


def test_audience_page_takes_a_richer_provenance(audience):
    """A caller that knows who collected the snapshot can pass it, and the header shows it."""
    provenance = Provenance(source="history", collected_at="2026-11-23T09:00:00Z", identity="role/auditor",
                            scope=(("aws accounts", "111122223333"),))
    page = Page(html_audience(audience, RenderOptions(), provenance=provenance))
    header = page.has_class("page-header", "header")[0].text
    assert "role/auditor" in header and "111122223333" in header


def run_seenby(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "seenby", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_audit_command_writes_an_owner_only_html_file(tmp_path):
    """`seenby audit … --format html --output report.html` writes the page, mode 0600."""
    out = tmp_path / "report.html"
    proc = run_seenby("audit", str(SNAPSHOT), "--rules", str(RULES), "--format", "html", "--output", str(out),
                      "--fail-on", "never", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_who_can_read_command_renders_html(tmp_path):
    """`seenby who-can-read … --format html` prints a page naming the dataset."""
    proc = run_seenby("who-can-read", "arn:aws:s3:::corp-employee-telemetry-screens", "--snapshot", str(SNAPSHOT),
                      "--rules", str(RULES), "--format", "html", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    page = Page(proc.stdout)
    assert "arn:aws:s3:::corp-employee-telemetry-screens" in page.one("h1").text
