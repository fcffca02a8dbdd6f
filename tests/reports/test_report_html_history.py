"""HTML for the history queries (exposure, diff, who-can-read --at, what-can-read), checked with an HTML parser.

The history is tests/history/test_why_at.py's three hand-made daily scans: the bucket private (@1),
opened to the organisation by a bucket policy (@2), private again (@3).  Every page is rendered by
the real command (``--format html``) and parsed: structure, counts, windows and transitions, the
CSP hashes, nothing loaded from outside the file, untrusted text escaped.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from click.testing import CliRunner

from seenby.cli import cli
from seenby.reports.html import TEMPLATES
from tests.history.conftest import ALICE, ANALYST, BOB, BUCKET_ARN
from tests.history.test_why_at import ORG, ORG_NODE, Series, record_series
from tests.scanners.helpers import ACCOUNT

from .test_report_html import LOADING_ATTRIBUTES, Page, descendants

HOSTILE_SID = "</script><script>alert(1)</script>"


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--format", "html"])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def series(tmp_path_factory) -> Series:
    return record_series(tmp_path_factory.mktemp("history"))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Series:
    """The same history, the opening statement's Sid a script element."""
    return record_series(tmp_path_factory.mktemp("hostile"), sid=HOSTILE_SID)


def exposure_text(s: Series) -> str:
    return run("exposure", BUCKET_ARN, "--store", str(s.store), "--rules", str(s.rules))


def diff_text(s: Series, old: str, new: str) -> str:
    return run("diff", old, new, "--store", str(s.store), "--rules", str(s.rules))


def who_text(s: Series, at: str) -> str:
    return run("who-can-read", BUCKET_ARN, "--at", at, "--store", str(s.store), "--rules", str(s.rules))


def what_text(s: Series, at: str) -> str:
    return run("what-can-read", ALICE, "--at", at, "--store", str(s.store), "--rules", str(s.rules))


@pytest.fixture(scope="module")
def exposure(series) -> Page:
    return Page(exposure_text(series))


@pytest.fixture(scope="module")
def pages(series) -> dict[str, str]:
    """One page of each query, as text."""
    return {
        "exposure": exposure_text(series),
        "diff": diff_text(series, "@1", "@2"),
        "who-can-read": who_text(series, "2026-03-02T12:00"),
        "what-can-read": what_text(series, "2026-03-02T12:00"),
    }


def stats(page: Page) -> dict[str, str]:
    return {e.attrs["data-stat"]: e.text.strip() for e in page.all() if "data-stat" in e.attrs}


def header(page: Page) -> str:
    return page.has_class("page-header", "header")[0].text


# ── exposure ─────────────────────────────────────────────────────────────────


def test_exposure_has_one_column_per_scan_and_shades_the_window(exposure):
    """The grid has a column per recorded scan; only @2, where the organisation could read, lies in window 1."""
    columns = exposure.has_class("scan-col", "th")
    assert [c.attrs["data-scan"] for c in columns] == ["1", "2", "3"]
    assert [c.attrs.get("data-window") for c in columns] == [None, "1", None]


def test_exposure_rows_show_when_each_member_could_read(exposure):
    """Each member's cells: the organisation beyond the declaration only at @2, analyst and bob throughout."""
    table = exposure.one("table", id="timeline-table")
    rows = {r.attrs["data-principal"]: [c.attrs["data-state"] for c in descendants(r) if "data-state" in c.attrs]
            for r in descendants(table) if r.tag == "tr" and "data-principal" in r.attrs}
    assert rows == {ORG_NODE: ["out", "excess", "out"], ANALYST: ["in", "in", "in"], BOB: ["in", "in", "in"]}


def test_exposure_counts_per_scan_and_in_summary(exposure):
    """Under the grid: members beyond the declaration per scan (0, 1, 0); the summary: 3 scans, 2 changes, 1 window."""
    excess = exposure.one("tr", data_stat_row="excess")
    assert [c.text.strip() for c in excess.children if c.tag == "td"] == ["0", "1", "0"]
    assert {k: v for k, v in stats(exposure).items() if k in ("scans", "events", "windows", "gaps")} == {
        "scans": "3", "events": "2", "windows": "1", "gaps": "0"}


def test_exposure_window_is_bounded_by_the_scans_around_it(exposure):
    """The window opened after @1 by @2, was last seen at @2 and closed by @3, and names the organisation."""
    (window,) = exposure.has_class("window", "div")
    bounds = {e.attrs["data-bound"]: e.text for e in descendants(window) if "data-bound" in e.attrs}
    assert window.attrs["data-open"] == "no"
    assert "after scan @1 (2026-03-01T09:00:00Z), by scan @2" in bounds["opened"]
    assert bounds["last-seen"].startswith("scan @2") and "by scan @3 (2026-03-03T09:00:00Z)" in bounds["closed"]
    assert [e.attrs["data-principal"] for e in descendants(window) if e.tag == "li"] == [ORG_NODE]


def test_exposure_transitions_show_the_bucket_policy_change_as_a_diff(exposure):
    """The organisation appeared between @1 and @2 (policy added) and disappeared between @2 and @3 (removed)."""
    transitions = exposure.has_class("transition", "article")
    assert [(t.attrs["data-event"], t.attrs["data-principal"], t.attrs["data-before"], t.attrs["data-after"])
            for t in transitions] == [("appeared", ORG_NODE, "1", "2"), ("disappeared", ORG_NODE, "2", "3")]
    for transition, sign in zip(transitions, ("add", "del"), strict=True):
        (change,) = [e for e in descendants(transition) if "doc-change" in e.attrs.get("class", "")]
        assert (change.attrs["data-resource"], change.attrs["data-read"], change.attrs["data-on-path"]) == (
            BUCKET_ARN, "policy", "yes")
        changed = " ".join(e.text for e in descendants(change) if e.attrs.get("class") == f"diff-{sign}")
        assert '"Sid": "OrgRead"' in changed and '"aws:PrincipalOrgID": "o-hist12345"' in changed


def test_exposure_transition_draws_the_members_path(exposure):
    """Each transition opens to the member's drawn path, whose edge names the opening statement's Sid."""
    transition = exposure.has_class("transition", "article")[0]
    (svg,) = [e for e in descendants(transition) if e.tag == "svg"]
    assert "Sid OrgRead" in svg.text and "read" in svg.text


# ── diff ─────────────────────────────────────────────────────────────────────


def test_diff_of_the_opening_lists_the_gained_organisation_and_the_new_finding(pages):
    """@1 → @2: one member gained (the organisation, on the bucket), one new finding on the bucket."""
    page = Page(pages["diff"])
    (dataset,) = page.all("article", data_dataset=BUCKET_ARN)
    gained = [e.attrs["data-principal"] for e in descendants(dataset) if e.tag == "details"]
    rows = [(r.attrs["data-change"], r.attrs["data-dataset"]) for r in page.all("tr") if "data-change" in r.attrs]
    assert {k: stats(page)[k] for k in ("gained", "lost", "new", "fixed", "changed")} == {
        "gained": "1", "lost": "0", "new": "1", "fixed": "0", "changed": "0"}
    assert (gained, rows) == ([ORG_NODE], [("new", BUCKET_ARN)])


def test_diff_of_the_closing_lists_the_lost_organisation_and_the_fixed_finding(series):
    """@2 → @3: the organisation lost, the finding fixed, and both sides named with their scan."""
    page = Page(diff_text(series, "@2", "@3"))
    lost = page.all("div", data_direction="lost")
    sides = {e.attrs["data-side"]: e.text for e in page.all() if "data-side" in e.attrs}
    assert {k: stats(page)[k] for k in ("gained", "lost", "fixed")} == {"gained": "0", "lost": "1", "fixed": "1"}
    assert [e.attrs["data-principal"] for e in descendants(lost[0]) if e.tag == "details"] == [ORG_NODE]
    assert "recorded scan @2 of" in sides["old"] and "recorded scan @3 of" in sides["new"]


# ── who-can-read --at, what-can-read ─────────────────────────────────────────


def test_who_can_read_at_names_the_scan_and_its_age(pages, series):
    """who-can-read --at as HTML: the header's 'as of' names scan @2, its lead on the asked time and its age."""
    page = Page(pages["who-can-read"])
    as_of = page.one(data_as_of="").text
    assert f"recorded scan @2 of {series.store}" in as_of and "3 hours before the time asked" in as_of
    assert f"{series.store}@2" in header(page)
    assert len([r for r in page.all("tr") if "data-n" in r.attrs]) == 3 and stats(page)["undeclared"] == "1"


def test_what_can_read_reaches_the_bucket_through_the_organisation(pages):
    """what-can-read as HTML at day 2: alice reaches the bucket only through the organisation, undeclared."""
    page = Page(pages["what-can-read"])
    rows = [(r.attrs["data-dataset"], r.attrs["data-through"], r.attrs["data-declared"])
            for r in page.all("tr") if "data-n" in r.attrs]
    assert rows == [(BUCKET_ARN, "organisation o-hist12345", "no")]
    assert "recorded scan @2 of" in page.one(data_as_of="").text


@pytest.mark.parametrize("query", ["who-can-read", "what-can-read"])
def test_history_answer_states_the_recorded_scans_scope(pages, query):
    """An answer from a recorded scan shows that scan's scope (accounts, organisation), not 'not recorded'."""
    scope = header(Page(pages[query]))
    assert "not recorded" not in scope
    assert "aws accounts" in scope and ACCOUNT in scope and ORG in scope
    assert "role/auditor" in scope  # and who collected it


def test_what_can_read_before_the_policy_reaches_nothing(series):
    """As of day 1, alice reaches no dataset: no table rows, and the page says so."""
    page = Page(what_text(series, "2026-03-01"))
    assert [r for r in page.all("tr") if "data-n" in r.attrs] == [] and stats(page)["datasets"] == "0"


# ── every page: self-contained, strict CSP ──────────────────────────────────


def digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.mark.parametrize("query", ["exposure", "diff", "who-can-read", "what-can-read"])
def test_csp_hashes_match_the_inlined_style_and_script(pages, query):
    """Each page's CSP allows exactly its one inline style and its one inline script (seenby's own) by hash."""
    page = Page(pages[query])
    directives = dict(d.strip().split(" ", 1)
                      for d in page.one("meta", http_equiv="Content-Security-Policy").attrs["content"].split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["style-src"] == digest(page.one("style").text)
    assert directives["script-src"] == digest(page.one("script").text)
    assert page.one("script").text == (TEMPLATES / "report.js").read_text()


@pytest.mark.parametrize("query", ["exposure", "diff", "who-can-read", "what-can-read"])
def test_nothing_is_loaded_from_outside_the_page(pages, query):
    """No src/href outside the page, no link, img or iframe, no @import or url() in the style."""
    page = Page(pages[query])
    remote = [(e.tag, k, v) for e in page.elements for k, v in e.attrs.items()
              if k in LOADING_ATTRIBUTES and not v.startswith("#")]
    style = page.one("style").text
    assert remote == [] and page.all("link") == page.all("img") == page.all("iframe") == []
    assert "@import" not in style and "url(" not in style


# ── untrusted text ───────────────────────────────────────────────────────────


def only_seenby_script(text: str) -> Page:
    page = Page(text)
    assert len(page.all("script")) == 1 and page.one("script").text == (TEMPLATES / "report.js").read_text()
    assert "<script>alert" not in text and not [k for e in page.elements for k in e.attrs if k.startswith("on")]
    return page


def test_exposure_escapes_a_hostile_sid_in_the_document_diff(hostile):
    """A Sid that is a script element shows as text in the diff of the bucket policy, and adds no element."""
    page = only_seenby_script(exposure_text(hostile))
    diffs = " ".join(e.text for e in page.has_class("doc-diff", "pre"))
    assert f'"Sid": "{HOSTILE_SID}"' in diffs


def test_diff_escapes_a_hostile_sid_in_the_path(hostile):
    """The same Sid on the gained member's path (edge label and hop evidence) is text on the diff page."""
    page = only_seenby_script(diff_text(hostile, "@1", "@2"))
    hops = " ".join(e.text for e in page.all("ol") if "hops" in e.attrs.get("class", ""))
    assert HOSTILE_SID in hops


def test_who_and_what_can_read_escape_a_hostile_sid(hostile):
    """who-can-read --at and what-can-read pages carry the hostile Sid only as text."""
    for text in (who_text(hostile, "2026-03-02T12:00"), what_text(hostile, "2026-03-02T12:00")):
        page = only_seenby_script(text)
        assert HOSTILE_SID in " ".join(e.text for e in page.has_class("path-graph", "svg"))


def test_page_file_is_owner_only(series, tmp_path):
    """`seenby exposure … --format html --output FILE` writes the page owner-only (0600)."""
    out = tmp_path / "exposure.html"
    result = CliRunner().invoke(cli, ["exposure", BUCKET_ARN, "--store", str(series.store), "--rules",
                                      str(series.rules), "--format", "html", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<!DOCTYPE html>") and (out.stat().st_mode & 0o777) == 0o600
