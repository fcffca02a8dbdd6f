"""What changed between two snapshots: audiences gained and lost per dataset, and new, fixed and
changed findings.

Findings are matched by fingerprint first (same rule, dataset, level and excess principals:
unchanged).  Those left are paired by rule, dataset and level: the same finding whose excess
audience changed (``changed``).  What is left is ``new`` (only in the later snapshot) or
``fixed`` (only in the earlier one).
"""

from __future__ import annotations

from datetime import date

from seenby.audit import audit_evaluation
from seenby.config import Rules
from seenby.findings import AudienceMember, Finding
from seenby.graph.build import ReachGraph, build_graph
from seenby.history.provenance import Provenance
from seenby.history_results import AudienceChange, ChangeDirection, FindingChange, FindingChangeKind, SnapshotDiff
from seenby.model import AUDITED_LEVELS, AccessLevel, Dataset, Evaluation
from seenby.policies import evaluate
from seenby.queries import who_can_read
from seenby.snapshot import Snapshot

__all__ = ["diff_snapshots"]


def _audiences(
    rg: ReachGraph, evaluation: Evaluation, rules: Rules | None, levels: tuple[AccessLevel, ...]
) -> dict[tuple[str, str, AccessLevel], AudienceMember]:
    out = {}
    for dataset_id in sorted(rg.datasets):
        for m in who_can_read(rg, dataset_id, levels=levels, rules=rules, gaps=evaluation.gaps).members:
            out[(dataset_id, m.principal.id, m.level)] = m
    return out


def _change(direction: ChangeDirection, dataset: Dataset, m: AudienceMember) -> AudienceChange:
    return AudienceChange(
        direction=direction,
        dataset=dataset,
        level=m.level,
        principal=m.principal,
        audience_class=m.audience_class,
        declared=m.declared,
        people=m.people,
        conditional=m.conditional,
        path=m.path,
    )


def _finding_changes(old: tuple[Finding, ...], new: tuple[Finding, ...]) -> tuple[list[FindingChange], int]:
    old_by_print = {f.fingerprint: f for f in old}
    new_by_print = {f.fingerprint: f for f in new}
    same = old_by_print.keys() & new_by_print.keys()
    left_old = [f for f in old if f.fingerprint not in same]
    left_new = [f for f in new if f.fingerprint not in same]

    def key(f: Finding) -> tuple[str, str, str]:
        return (f.rule_id, f.dataset.id, f.level.value if f.level else "")

    old_by_key: dict[tuple[str, str, str], Finding] = {}
    for f in left_old:
        old_by_key.setdefault(key(f), f)
    changes: list[FindingChange] = []
    paired: set[str] = set()
    for f in left_new:
        before = old_by_key.get(key(f))
        if before is not None and before.fingerprint not in paired:
            paired.add(before.fingerprint)
            was = {e.principal.id for e in before.excess}
            now = {e.principal.id for e in f.excess}
            changes.append(
                FindingChange(
                    kind=FindingChangeKind.CHANGED, old=before, new=f,
                    gained=tuple(sorted(now - was)), lost=tuple(sorted(was - now)),
                )
            )
        else:
            changes.append(FindingChange(kind=FindingChangeKind.NEW, old=None, new=f))
    changes += [FindingChange(kind=FindingChangeKind.FIXED, old=f, new=None) for f in left_old
                if f.fingerprint not in paired]
    order = list(FindingChangeKind)
    changes.sort(key=lambda c: (order.index(c.kind), -c.finding.severity.rank, c.finding.rule_id,
                                c.finding.dataset.id))
    return changes, len(same)


def diff_snapshots(
    old: Snapshot,
    new: Snapshot,
    *,
    old_provenance: Provenance,
    new_provenance: Provenance,
    rules: Rules | None = None,
    levels: tuple[AccessLevel, ...] = AUDITED_LEVELS,
    today: date | None = None,
    evaluated: tuple[tuple[Evaluation, ReachGraph] | None, tuple[Evaluation, ReachGraph] | None] = (None, None),
) -> SnapshotDiff:
    """Compare two snapshots (files or recorded scans); ``rules`` adds the findings comparison.

    ``evaluated``: each side's evaluation and graph when already made (a recorded scan's cached view).
    """
    old_eval, old_rg = evaluated[0] or _evaluate(old)
    new_eval, new_rg = evaluated[1] or _evaluate(new)
    before = _audiences(old_rg, old_eval, rules, levels)
    after = _audiences(new_rg, new_eval, rules, levels)
    audience = [_change(ChangeDirection.GAINED, new_rg.datasets[k[0]], after[k]) for k in after.keys() - before.keys()]
    audience += [_change(ChangeDirection.LOST, old_rg.datasets[k[0]], before[k]) for k in before.keys() - after.keys()]
    audience.sort(key=lambda c: (c.dataset.id, list(AccessLevel).index(c.level), c.direction.value,
                                 c.audience_class.rank, c.principal.id))
    findings: list[FindingChange] = []
    unchanged = 0
    if rules is not None:
        old_result = audit_evaluation(old_eval, rules, snapshot=old, today=today)
        new_result = audit_evaluation(new_eval, rules, snapshot=new, today=today)
        findings, unchanged = _finding_changes(old_result.active, new_result.active)
    return SnapshotDiff(
        old=old_provenance,
        new=new_provenance,
        audience=tuple(audience),
        findings=tuple(findings),
        unchanged_findings=unchanged,
        datasets_added=tuple(sorted(new_rg.datasets.keys() - old_rg.datasets.keys())),
        datasets_removed=tuple(sorted(old_rg.datasets.keys() - new_rg.datasets.keys())),
        rules_file=rules.source if rules else None,
    )


def _evaluate(snapshot: Snapshot) -> tuple[Evaluation, ReachGraph]:
    evaluation = evaluate(snapshot)
    return evaluation, build_graph(evaluation)
