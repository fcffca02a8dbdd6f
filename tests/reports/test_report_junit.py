"""JUnit XML: parseable, one suite per rule, one failing case per finding."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from seenby.reports import OutputFormat, RenderOptions, render_findings
from seenby.reports.junit import CLEAN_SUITE


def junit(result, **options) -> ET.Element:
    return ET.fromstring(render_findings(result, OutputFormat.JUNIT, RenderOptions(**options)))


def suites(root: ET.Element) -> dict[str, ET.Element]:
    return {s.get("name"): s for s in root.iter("testsuite")}


def test_one_suite_per_rule_with_findings(result):
    """Each rule with findings is a suite named by id and catalogue name, plus the clean suite."""
    assert list(suites(junit(result))) == [
        "SB001 public-access", "SB003 organization-wide-access", "SB006 write-beyond-declared-writers",
        "SB009 undeclared-dataset", "SB010 conditional-exposure", "SB011 coverage-gap", "SB012 expired-waiver",
        CLEAN_SUITE,
    ]


def test_each_finding_is_a_failing_case(result):
    """A finding is a testcase named dataset [level] with a failure of its severity."""
    case = suites(junit(result))["SB003 organization-wide-access"].find("testcase")
    assert case.get("name") == "arn:aws:s3:::corp-telemetry [read]"
    failure = case.find("failure")
    assert failure.get("type") == "high"
    assert failure.get("message") == "high: every principal of o-abc123 can read corp-telemetry"


def test_failure_details_explain_the_finding(result):
    """The failure body has the path, evidence and declaration in plain text."""
    body = suites(junit(result))["SB001 public-access"].find("testcase/failure").text
    assert "aws:public ─read→ arn:aws:s3:::corp-telemetry" in body
    assert "declared     read: [group:telemetry-analysts@corp.example]" in body
    assert "\x1b" not in body


def test_totals_count_cases_and_failures(result):
    """The root and each suite state tests, failures, errors and skipped."""
    root = junit(result)
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("8", "7", "0")
    assert suites(root)[CLEAN_SUITE].get("tests") == "1"


def test_datasets_without_findings_pass(result):
    """Each dataset with no active finding is a passing testcase."""
    cases = suites(junit(result))[CLEAN_SUITE].findall("testcase")
    assert [(c.get("name"), list(c)) for c in cases] == [("arn:aws:s3:::corp-logs", [])]


def test_waived_findings_are_skipped_when_shown(result):
    """With show_waived a waived finding is a skipped case with the waiver as message."""
    case = suites(junit(result, show_waived=True))["SB005 principals-beyond-declaration"].find("testcase")
    assert case.find("failure") is None
    assert case.find("skipped").get("message").startswith("waived until 2099-01-31")


def test_hostile_text_stays_parseable_and_intact(hostile_result):
    """Markup, CDATA ends and control characters in policies cannot break the XML."""
    text = render_findings(hostile_result, OutputFormat.JUNIT, RenderOptions())
    assert "<script>" not in text and "\x1b" not in text and "\x00" not in text
    failure = ET.fromstring(text).find(".//failure")
    assert failure.get("message").startswith("medium: <script>alert(1)</script> | ]]> \\n next line")
