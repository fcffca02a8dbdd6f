"""The example's Superset finding (ml_raw, re-exposed through Keystroke activity) in every output format, and the
HTML report's drawing of the Superset hops."""

from __future__ import annotations

import html
import json
import re
from datetime import date

import pytest

from seenby.audit import audit
from seenby.config import load_rules
from seenby.demo.example_org import build
from seenby.reports import OutputFormat, render_findings
from seenby.reports.html_paths import path_graph
from tests.superset.helpers import KEYSTROKE_DASHBOARD, KEYSTROKES, ROOT, role

TELEMETRY = "bigquery://corp-telemetry.ml_raw"
# Gamma's path, as the text formats draw it: the role, the dashboard, the Superset dataset, the BigQuery dataset
PATH = re.compile(r"Gamma \(Superset role\)\W+read\W+Keystroke activity\W+re-exposes\W+keystrokes\W+re-exposes\W+"
                  r"corp-telemetry\.ml_raw")  # fmt: skip


@pytest.fixture(scope="module")
def result():
    return audit(build(), load_rules(ROOT / "rules.yaml"), today=date(2026, 12, 7))


def _gamma(result):
    finding = next(f for f in result.findings if f.dataset.id == TELEMETRY and f.level is not None)
    return finding, next(e for e in finding.excess if e.principal.id == role("Gamma"))


@pytest.mark.parametrize("fmt", [f for f in OutputFormat if f is not OutputFormat.JSON])
def test_text_formats_show_the_path_through_superset(result, fmt):
    """table, markdown, sarif, junit, html and tsv each spell Gamma's path through the dashboard and dataset."""
    text = html.unescape(re.sub(r"<[^>]+>", "", render_findings(result, fmt)))  # markdown and HTML mark names up
    assert PATH.search(text)


def test_json_gives_the_path_through_superset_node_by_node(result):
    """The JSON finding's excess entry for Gamma lists the dashboard and the Superset dataset as its hops."""
    doc = json.loads(render_findings(result, OutputFormat.JSON))
    finding = next(f for f in doc["findings"] if f["dataset"]["id"] == TELEMETRY)
    gamma = next(e for e in finding["excess"] if e["principal"]["id"] == role("Gamma"))
    assert [s["node"] for s in gamma["path"]] == [role("Gamma"), KEYSTROKE_DASHBOARD, KEYSTROKES, TELEMETRY]


def test_html_path_drawing_names_the_superset_hops(result):
    """The HTML path graph captions each box: the role, the Superset dashboard and dataset, the BigQuery dataset."""
    finding, gamma = _gamma(result)
    graph = path_graph(gamma.path, principal=gamma.principal, dataset=finding.dataset)
    assert [n.kind for n in graph.nodes] == ["group", "superset dashboard", "superset dataset", "bigquery-dataset"]
    assert [e.label for e in graph.edges] == ["read", "re-exposes", "re-exposes"]


def test_html_report_draws_the_superset_hops(result):
    """The rendered HTML report holds the drawing, with the Superset captions."""
    page = render_findings(result, OutputFormat.HTML)
    assert "superset dashboard" in page and "superset dataset" in page
