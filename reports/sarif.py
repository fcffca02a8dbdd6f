"""SARIF 2.1.0: for code-scanning dashboards (GitHub, Azure DevOps, any SARIF viewer).

Rule descriptors come from the rule catalogue.  Each finding is a result whose
logical location is the dataset; when the finding names the declaration it
breaks (``rules.yaml:12``), a physical location points there too.  Coverage gaps
are also tool execution notifications.  Waived findings, when shown, carry an
accepted external suppression.  ``seenby gate`` passes ``sources``: the Terraform
resource behind each finding becomes its first logical location and, when the .tf
file is known, its physical location (docs/gate.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any
from urllib.parse import quote

from seenby.catalog import Rule, catalog
from seenby.findings import AuditResult, Finding, SetApart, Severity
from seenby.model import CoverageGap, thaw_json

from .base import RenderOptions
from .ordering import ordered_excess, ordered_gaps, remediation_for, severity_counts, visible_findings
from .text import CLASS_LABELS, clean, dump_json, level_text, path_text, people_text

__all__ = ["SARIF_SCHEMA", "SECURITY_SEVERITY", "SourceLocation", "render_findings", "sarif_document"]

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "seenbyFingerprint/v1"

# GitHub code scanning reads ``security-severity`` as a CVSS-like score:
# 9.0+ critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}

LEVEL: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}

@dataclass(frozen=True, kw_only=True, slots=True)
class SourceLocation:
    """Where the cause of a finding is written outside the snapshot: a Terraform resource, maybe its file."""

    address: str  # e.g. module.data.aws_s3_bucket_policy.raw
    uri: str | None = None  # repository-relative file, when known
    line: int | None = None


_DECLARATION = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>[0-9]+)\b")


def _tool_version() -> str:
    try:
        return metadata.version("seenby")
    except metadata.PackageNotFoundError:  # running from a source tree
        from seenby import __version__

        return __version__


def _descriptor(rule: Rule) -> dict[str, Any]:
    links = "".join(f"\n- {link}" for link in rule.links)
    help_text = f"{rule.description}\n\nRemediation: {rule.remediation}"
    help_markdown = f"{rule.description}\n\n**Remediation:** {rule.remediation}"
    if links:
        help_text += "\n\nReferences:" + links
        help_markdown += "\n\n**References:**" + links
    descriptor: dict[str, Any] = {
        "id": rule.id.value,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description},
        "help": {"text": help_text, "markdown": help_markdown},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "severity": rule.severity.value,
            "tags": ["security", "data-access"],
        },
    }
    if rule.links:
        descriptor["helpUri"] = rule.links[0]
    return descriptor


def _unknown_descriptor(finding: Finding) -> dict[str, Any]:
    """A rule the catalogue does not know (a plugin's): described from the finding itself."""
    return {
        "id": finding.rule_id,
        "shortDescription": {"text": finding.title},
        "defaultConfiguration": {"level": LEVEL[finding.severity]},
        "properties": {"security-severity": SECURITY_SEVERITY[finding.severity],
                       "severity": finding.severity.value, "tags": ["security", "data-access"]},
    }


def _message(finding: Finding) -> str:
    parts = [clean(finding.message)]
    entries = ordered_excess(finding)
    if entries:
        shown = "; ".join(f"{CLASS_LABELS[e.audience_class]}: {clean(e.principal.label)} ({people_text(e.people)})"
                          for e in entries[:5])
        more = f"; and {len(entries) - 5} more" if len(entries) > 5 else ""
        parts.append(f"Beyond the declaration: {shown}{more}.")
    if finding.declared:
        parts.append(f"Declared {level_text(finding.level)}: {', '.join(clean(d) for d in finding.declared)}.")
    if finding.gap:
        g = finding.gap
        parts.append(f"Could not read {clean(g.read)} ({clean(g.api)}): {g.outcome.value}"
                     f"{', ' + clean(g.error_code) if g.error_code else ''}.")
    return " ".join(parts)


def _locations(finding: Finding, source: SourceLocation | None = None, fallback_uri: str | None = None
               ) -> list[dict[str, Any]]:
    d = finding.dataset
    location: dict[str, Any] = {
        "logicalLocations": [{"fullyQualifiedName": d.id, "name": d.name, "kind": "resource"}],
    }
    if source is not None:
        location["logicalLocations"].insert(0, {"fullyQualifiedName": source.address, "kind": "resource"})
    match = _DECLARATION.match(finding.declaration or "")
    if source is not None and source.uri:
        location["physicalLocation"] = {"artifactLocation": {"uri": quote(source.uri, safe="/:._-~")}}
        if source.line:
            location["physicalLocation"]["region"] = {"startLine": max(1, source.line)}
    elif match:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": quote(match["file"], safe="/:._-~")},
            "region": {"startLine": max(1, int(match["line"]))},
        }
    elif fallback_uri:
        location["physicalLocation"] = {"artifactLocation": {"uri": quote(fallback_uri, safe="/:._-~")}}
    return [location]


def _result(finding: Finding, rule_index: int, source: SourceLocation | None = None,
            fallback_uri: str | None = None, artifacts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": LEVEL[finding.severity],
        "message": {"text": _message(finding)},
        "locations": _locations(finding, source, fallback_uri),
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {
            "severity": finding.severity.value,
            "dataset": finding.dataset.id,
            "accessLevel": finding.level.value if finding.level else None,
            "classification": finding.classification,
            "people": finding.people,
            "declared": list(finding.declared),
            "excess": [
                {"principal": e.principal.id, "class": e.audience_class.value, "people": e.people,
                 "conditional": e.conditional, "path": path_text(e.path),
                 "evidence": [ev.to_json() for ev in e.opening_evidence]}
                for e in ordered_excess(finding)
            ],
            "remediation": remediation_for(finding),
        },
    }
    if finding.gap:
        result["properties"]["gap"] = finding.gap.to_json()
    if finding.fix is not None:  # seenby fix (docs/fixes.md)
        from seenby.fix.model import Fix

        from .fix_text import fix_summary, sarif_fix

        if isinstance(finding.fix, Fix):
            result["fixes"] = [sarif_fix(finding.fix, artifacts if artifacts is not None else [])]
        else:
            result["properties"]["fix"] = fix_summary(finding.fix)
    if finding.waiver:
        w = finding.waiver
        result["suppressions"] = [{
            "kind": "external",
            "status": "accepted",
            "justification": f"{w.reason} (owner {w.owner}, expires {w.expires.isoformat()})"
            if w.status is SetApart.WAIVED else w.describe(),
            **({"location": {"physicalLocation": _where(w.where)}} if _DECLARATION.match(w.where) else {}),
        }]
    return result


def _where(place: str) -> dict[str, Any]:
    match = _DECLARATION.match(place)
    assert match is not None
    return {"artifactLocation": {"uri": quote(match["file"], safe="/:._-~")},
            "region": {"startLine": max(1, int(match["line"]))}}


def _notification(gap: CoverageGap) -> dict[str, Any]:
    code = f", {clean(gap.error_code)}" if gap.error_code else ""
    return {
        "level": "warning",
        "message": {"text": f"Could not read {clean(gap.read)} of {clean(gap.resource)} ({clean(gap.api)}): "
                            f"{gap.outcome.value}{code}. Datasets it decides: "
                            f"{', '.join(clean(d) for d in gap.datasets) or 'unknown'}."},
        "descriptor": {"id": "SB011"},
        "properties": gap.to_json(),
    }


def sarif_document(
    result: AuditResult, options: RenderOptions, *, sources: Mapping[str, SourceLocation] | None = None,
    fallback_uri: str | None = None,
) -> dict[str, Any]:
    """The SARIF log as plain data.

    ``sources`` maps a finding's fingerprint to where its cause is written (the gate's
    Terraform resources): that becomes the result's first logical location and, with a
    file, its physical location.  ``fallback_uri`` (the gate's plan file) is the physical
    location of a result that has neither a file nor a declaration, so every result has an
    ``artifactLocation.uri`` (GitHub code scanning requires one).
    """
    sources = sources or {}
    rules = [_descriptor(r) for r in sorted(catalog().values(), key=lambda r: r.id.value)]
    index = {r["id"]: i for i, r in enumerate(rules)}
    findings = visible_findings(result, options.show_waived)
    for finding in findings:
        if finding.rule_id not in index:
            index[finding.rule_id] = len(rules)
            rules.append(_unknown_descriptor(finding))
    artifacts: list[dict[str, Any]] = []  # the document parts proven fixes change (seenby fix)
    results = [_result(f, index[f.rule_id], sources.get(f.fingerprint), fallback_uri, artifacts) for f in findings]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "seenby", "version": _tool_version(),
                            "semanticVersion": _tool_version(), "rules": rules}},
        "results": results,
        "invocations": [{
            "executionSuccessful": True,
            "toolExecutionNotifications": [_notification(g) for g in ordered_gaps(result.gaps)],
        }],
        "properties": {
            "snapshot": {"source": result.snapshot_source, "collected_at": result.collected_at,
                         "collector": thaw_json(result.collector), "scope": thaw_json(result.scope),
                         "rules_file": result.rules_file},
            "summary": {"by_severity": {s.value: n for s, n in severity_counts(result).items()},
                        "datasets": len(result.datasets), "datasets_with_gaps": len(result.datasets_with_gaps),
                        "findings": len(result.active), "waived": len(result.findings) - len(result.active)},
        },
    }
    if artifacts:
        run["artifacts"] = artifacts
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_findings(
    result: AuditResult, options: RenderOptions, *, sources: Mapping[str, SourceLocation] | None = None,
    fallback_uri: str | None = None,
) -> str:
    return dump_json(sarif_document(result, options, sources=sources, fallback_uri=fallback_uri))
