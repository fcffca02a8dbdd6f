"""What to show and in which order: the same for every format, so outputs agree."""

from __future__ import annotations

from collections import Counter

from seenby.catalog import Rule, rule_by_name
from seenby.findings import (
    AudienceMember,
    AuditResult,
    ExcessEntry,
    Finding,
    PathStep,
    Severity,
)
from seenby.model import AccessLevel, CoverageGap, Evidence

__all__ = [
    "SEVERITIES_DESC",
    "catalog_rule",
    "finding_key",
    "member_key",
    "opening_evidence",
    "ordered_excess",
    "ordered_gaps",
    "remediation_for",
    "severity_counts",
    "visible_findings",
]

SEVERITIES_DESC: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: s.rank, reverse=True))
_LEVEL_ORDER = {level: i for i, level in enumerate(AccessLevel)}


def _level_rank(level: AccessLevel | None) -> int:
    return -1 if level is None else _LEVEL_ORDER[level]


def finding_key(finding: Finding) -> tuple[int, str, str, int, str]:
    """Most severe first, then rule id, dataset id, access level; the fingerprint breaks ties."""
    return (-finding.severity.rank, finding.rule_id, finding.dataset.id, _level_rank(finding.level),
            finding.fingerprint)


def visible_findings(result: AuditResult, show_waived: bool) -> list[Finding]:
    """The findings a report shows, in report order: waived ones only when asked for."""
    shown = result.findings if show_waived else result.active
    return sorted(shown, key=finding_key)


def ordered_excess(finding: Finding) -> list[ExcessEntry]:
    """Broadest class first, then principal id."""
    return sorted(finding.excess, key=lambda e: (e.audience_class.rank, e.principal.id))


def member_key(member: AudienceMember) -> tuple[int, int, str]:
    """Access level (read, write, admin, list), then broadest class first, then principal id."""
    return (_LEVEL_ORDER[member.level], member.audience_class.rank, member.principal.id)


def severity_counts(result: AuditResult) -> dict[Severity, int]:
    """Active (unwaived) findings per severity, every severity present, most severe first."""
    counts = Counter(f.severity for f in result.active)
    return {s: counts.get(s, 0) for s in SEVERITIES_DESC}


def catalog_rule(rule_id: str) -> Rule | None:
    """The catalogue entry of a finding's rule, or None for a rule the catalogue does not know."""
    return rule_by_name(rule_id)


def remediation_for(finding: Finding) -> str:
    """The finding's own remediation, else its rule's."""
    if finding.remediation:
        return finding.remediation
    rule = catalog_rule(finding.rule_id)
    return rule.remediation if rule else ""


def ordered_gaps(gaps: tuple[CoverageGap, ...]) -> list[CoverageGap]:
    """By resource, then read, then API call."""
    return sorted(gaps, key=lambda g: (g.resource, g.read, g.api))


def opening_evidence(path: tuple[PathStep, ...]) -> tuple[Evidence, ...]:
    """The evidence on the last grant hop of a path (what :attr:`ExcessEntry.opening_evidence` gives)."""
    for step in reversed(path):
        if step.evidence and step.via and step.via.level is not None:
            return step.evidence
    return path[-2].evidence if len(path) >= 2 else ()
