"""JUnit XML: for CI systems that show test reports.

One testsuite per rule with findings, one testcase per dataset and access level
(a failure with the finding's details); waived findings, when shown, are
skipped testcases.  A last suite has one passing testcase per dataset with no
active finding.  ElementTree does the XML escaping; :func:`clean` removes the
control characters XML 1.0 cannot carry at all.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import groupby

from seenby.findings import AuditResult, Finding

from .base import RenderOptions
from .ordering import catalog_rule, visible_findings
from .table import finding_text
from .text import clean, level_text

__all__ = ["CLEAN_SUITE", "render_findings"]

CLEAN_SUITE = "datasets without findings"


def _suite(parent: ET.Element, name: str, cases: int, failures: int, skipped: int) -> ET.Element:
    return ET.SubElement(parent, "testsuite", {
        "name": name, "tests": str(cases), "failures": str(failures), "errors": "0", "skipped": str(skipped),
    })


def _case(suite: ET.Element, finding: Finding) -> None:
    case = ET.SubElement(suite, "testcase", {
        "classname": f"seenby.{clean(finding.rule_id)}",
        "name": f"{clean(finding.dataset.id)} [{level_text(finding.level)}]",
    })
    if finding.waiver:
        w = finding.waiver
        ET.SubElement(case, "skipped", {
            "message": clean(w.describe()),
        })
        return
    failure = ET.SubElement(case, "failure", {
        "message": f"{finding.severity.value}: {clean(finding.message)}",
        "type": finding.severity.value,
    })
    failure.text = finding_text(finding)


def render_findings(result: AuditResult, options: RenderOptions) -> str:
    findings = sorted(visible_findings(result, options.show_waived), key=lambda f: (f.rule_id, f.dataset.id))
    root = ET.Element("testsuites", {"name": "seenby"})
    total = failed = skipped_total = 0
    for rule_id, group in groupby(findings, key=lambda f: f.rule_id):
        cases = list(group)
        rule = catalog_rule(rule_id)
        waived = sum(1 for f in cases if f.waived)
        name = f"{clean(rule_id)} {rule.name}" if rule else clean(rule_id)
        suite = _suite(root, name, len(cases), len(cases) - waived, waived)
        for finding in cases:
            _case(suite, finding)
        total += len(cases)
        failed += len(cases) - waived
        skipped_total += waived
    touched = {f.dataset.id for f in result.active}
    clean_datasets = sorted(d.id for d in result.datasets if d.id not in touched)
    suite = _suite(root, CLEAN_SUITE, len(clean_datasets), 0, 0)
    for dataset_id in clean_datasets:
        ET.SubElement(suite, "testcase", {"classname": "seenby.datasets", "name": clean(dataset_id)})
    total += len(clean_datasets)
    root.set("tests", str(total))
    root.set("failures", str(failed))
    root.set("errors", "0")
    root.set("skipped", str(skipped_total))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
