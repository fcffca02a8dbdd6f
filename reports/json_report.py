"""JSON output: ``seenby.findings/v1`` and ``seenby.audience/v1``.

Documented in docs/json-output.md; JSON Schemas in ``seenby/schemas/``.  Output is
deterministic: lists in report order (see :mod:`seenby.reports.ordering`), keys sorted.
"""

from __future__ import annotations

from typing import Any

from seenby.findings import (
    AudienceMember,
    AudienceReport,
    AuditResult,
    ExcessEntry,
    Finding,
    PathStep,
    Waiver,
)
from seenby.model import Dataset, Principal, thaw_json

from .base import RenderOptions
from .ordering import (
    catalog_rule,
    member_key,
    ordered_excess,
    ordered_gaps,
    remediation_for,
    severity_counts,
    visible_findings,
)
from .text import dump_json

__all__ = [
    "AUDIENCE_SCHEMA",
    "FINDINGS_SCHEMA",
    "audience_document",
    "findings_document",
    "render_audience",
    "render_findings",
]

FINDINGS_SCHEMA = "seenby.findings/v1"
AUDIENCE_SCHEMA = "seenby.audience/v1"


def _dataset(dataset: Dataset, classification: str | None) -> dict[str, Any]:
    return {
        "id": dataset.id,
        "kind": dataset.kind.value,
        "provider": dataset.provider.value,
        "name": dataset.name,
        "account": dataset.account,
        "location": dataset.location,
        "classification": classification,
        "tags": dict(dataset.tags),
    }


def _principal(principal: Principal) -> dict[str, Any]:
    return {
        "id": principal.id,
        "kind": principal.kind.value,
        "name": principal.name,
        "provider": principal.provider.value if principal.provider else None,
        "account": principal.account,
    }


def _step(step: PathStep) -> dict[str, Any]:
    return {
        "node": step.node,
        "kind": step.kind.value,
        "label": step.label,
        "via": step.via,
        "evidence": [e.to_json() for e in step.evidence],
        "conditions": [c.to_json() for c in step.conditions],
    }


def _excess(entry: ExcessEntry) -> dict[str, Any]:
    return {
        "principal": _principal(entry.principal),
        "class": entry.audience_class.value,
        "people": entry.people,
        "conditional": entry.conditional,
        "path": [_step(s) for s in entry.path],
    }


def _waiver(waiver: Waiver | None) -> dict[str, Any] | None:
    if waiver is None:
        return None
    return {
        "rule": waiver.rule,
        "dataset": waiver.dataset,
        "principal": waiver.principal,
        "reason": waiver.reason,
        "owner": waiver.owner,
        "expires": waiver.expires.isoformat(),
        "where": waiver.where or None,
    }


def finding_to_json(finding: Finding) -> dict[str, Any]:
    rule = catalog_rule(finding.rule_id)
    out = {
        "rule": {"id": finding.rule_id, "name": rule.name if rule else None, "title": finding.title},
        "severity": finding.severity.value,
        "dataset": _dataset(finding.dataset, finding.classification),
        "level": finding.level.value if finding.level else None,
        "message": finding.message,
        "excess": [_excess(e) for e in ordered_excess(finding)],
        "people": finding.people,
        "declared": list(finding.declared),
        "declaration": finding.declaration,
        "fingerprint": finding.fingerprint,
        "waiver": _waiver(finding.waiver),
        "gap": finding.gap.to_json() if finding.gap else None,
        "remediation": remediation_for(finding),
    }
    if finding.fix is not None:  # seenby fix only (docs/fixes.md)
        out["fix"] = fix_to_json(finding.fix)
    return out


def fix_to_json(outcome: Any) -> dict[str, Any]:
    """A finding's ``fix``: the proven changes with their CLI commands, or why none was found."""
    from .fix_commands import commands_for

    out = outcome.to_json()
    if out.get("proven"):
        out["commands"] = commands_for(outcome)
    return out


def _snapshot(source: str | None, collected_at: str, **extra: Any) -> dict[str, Any]:
    return {"source": source, "collected_at": collected_at, **extra}


def findings_document(result: AuditResult, options: RenderOptions) -> dict[str, Any]:
    """The ``seenby.findings/v1`` document as plain data."""
    counts = severity_counts(result)
    return {
        "schema": FINDINGS_SCHEMA,
        "snapshot": _snapshot(
            result.snapshot_source,
            result.collected_at,
            collector=thaw_json(result.collector),
            scope=thaw_json(result.scope),
            rules_file=result.rules_file,
        ),
        "summary": {
            "by_severity": {s.value: n for s, n in counts.items()},
            "datasets": len(result.datasets),
            "datasets_with_gaps": len(result.datasets_with_gaps),
            "findings": len(result.active),
            "waived": len(result.findings) - len(result.active),
        },
        "findings": [finding_to_json(f) for f in visible_findings(result, options.show_waived)],
        "coverage_gaps": [g.to_json() for g in ordered_gaps(result.gaps)],
    }


def render_findings(result: AuditResult, options: RenderOptions) -> str:
    return dump_json(findings_document(result, options))


def _member(member: AudienceMember) -> dict[str, Any]:
    out = {
        "principal": _principal(member.principal),
        "level": member.level.value,
        "class": member.audience_class.value,
        "people": member.people,
        "conditional": member.conditional,
        "declared": member.declared,
        "path": [_step(s) for s in member.path],
    }
    return _with_copy(out, member)


def _with_copy(out: dict[str, Any], member: AudienceMember) -> dict[str, Any]:
    """``through_copy``: the copy the member reads through (docs/flows.md), only when there is one."""
    if member.through_copy is not None:
        out["through_copy"] = member.through_copy
    return out


def audience_document(report: AudienceReport) -> dict[str, Any]:
    """The ``seenby.audience/v1`` document as plain data."""
    members = sorted(report.members, key=member_key)
    by_class: dict[str, int] = {}
    by_level: dict[str, int] = {}
    for m in members:
        by_class[m.audience_class.value] = by_class.get(m.audience_class.value, 0) + 1
        by_level[m.level.value] = by_level.get(m.level.value, 0) + 1
    return {
        "schema": AUDIENCE_SCHEMA,
        "snapshot": _snapshot(
            report.snapshot_source,
            report.collected_at,
            collector=thaw_json(report.collector),
            scope=thaw_json(report.scope),
        ),
        "dataset": _dataset(report.dataset, report.classification),
        "summary": {
            "members": len(members),
            "by_class": by_class,
            "by_level": by_level,
            "conditional": sum(1 for m in members if m.conditional),
            "undeclared": sum(1 for m in members if m.declared is False),
        },
        "people": {
            level.value: {"total": c.total, "excess": c.excess, "declared": c.declared, "upper_bound": c.upper_bound}
            for level, c in report.people.items()
        },
        "members": [_member(m) for m in members],
        "coverage_gaps": [g.to_json() for g in ordered_gaps(report.gaps)],
    }


def render_audience(report: AudienceReport, options: RenderOptions) -> str:
    return dump_json(audience_document(report))
