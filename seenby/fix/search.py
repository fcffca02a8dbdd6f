"""The search: for each finding, the first changes (in order of preference) proven to close it.

For every excess entry still beyond the declaration, the candidates of
:mod:`seenby.fix.candidates` are applied one at a time, on top of the changes already
accepted for the finding, to a copy of the snapshot; :class:`~seenby.fix.prove.Judge`
evaluates the copy.  A candidate is one change, or the changes to two documents that only
together keep the declaration (an ACL grant replaced by a policy grant).  The first candidate
that takes the entry out of the excess audience without a :class:`~seenby.fix.prove.Problem`
is kept.  The finding has a fix when every entry is out; otherwise it says which entry could not be closed, and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from .candidates import candidates, evidence_of
from .changes import apply_changes, merged
from .model import Change, Fix, FixOutcome, NoFix, NoFixReason
from .prove import Judge, Problem, State

if TYPE_CHECKING:
    from seenby.config import Rules
    from seenby.findings import AuditResult, ExcessEntry, Finding
    from seenby.snapshot import Snapshot

__all__ = ["FixRun", "find_fixes"]

MAX_CANDIDATES = 24  # per path of an excess entry: candidates evaluated before giving up on it
MAX_ROUNDS = 4  # paths of one excess entry closed one after another


@dataclass(frozen=True, kw_only=True)
class FixRun:
    """The audit of the snapshot and, per fingerprint of each finding asked about, its fix or why none."""

    audit: AuditResult
    outcomes: dict[str, FixOutcome]
    evaluations: int = 0
    changes: tuple[Change, ...] = field(default=())  # every proven fix's changes, merged per document


def find_fixes(
    snapshot: Snapshot, rules: Rules, *, fingerprints: Iterable[str] = (), today: date | None = None
) -> FixRun:
    """Search a proven fix for each finding of ``snapshot`` against ``rules`` (only ``fingerprints``, if given)."""
    judge = Judge(snapshot, rules, today=today)
    audit = judge.baseline.audit
    wanted = set(fingerprints)
    outcomes: dict[str, FixOutcome] = {}
    for finding in audit.findings:
        if wanted and finding.fingerprint not in wanted:
            continue
        outcomes[finding.fingerprint] = fix_finding(judge, finding)
    return FixRun(audit=audit, outcomes=outcomes, evaluations=judge.evaluations)


def fix_finding(judge: Judge, finding: Finding) -> FixOutcome:
    """The proven fix of ``finding``, or why there is none."""
    if finding.waived:
        return NoFix(fingerprint=finding.fingerprint, reason=NoFixReason.WAIVED, detail="a live waiver hides it")
    if finding.gap is not None:
        gap = finding.gap
        return NoFix(
            fingerprint=finding.fingerprint,
            reason=NoFixReason.COVERAGE_GAP,
            detail=(
                f"{gap.api} of {gap.resource} was {gap.outcome.value}: seenby cannot change or prove what it could "
                "not read; grant the scanner that read and scan again"
            ),
        )
    if not finding.excess or finding.level is None:
        return NoFix(
            fingerprint=finding.fingerprint,
            reason=NoFixReason.DECLARATION,
            detail=(
                "no excess audience to remove: the finding is settled in rules.yaml "
                "(declare the dataset or correct the declaration)"
            ),
        )
    applied: list[Change] = []
    tried = 0
    for entry in finding.excess:
        state = judge.state(applied)
        if entry.principal.id not in state.excess(finding.dataset.id, finding.level):
            continue  # an earlier change closed it too
        accepted, count, why = _close_entry(judge, finding, entry, applied)
        tried += count
        if not accepted:
            return NoFix(fingerprint=finding.fingerprint, reason=why[0], detail=why[1], tried=tried)
        applied += accepted
    after = judge.state(applied)
    if not judge.cleared(finding, after) or judge.problems(after):
        return NoFix(
            fingerprint=finding.fingerprint,
            reason=NoFixReason.EXCESS_REMAINS,
            detail="the changes found for each entry do not close the finding together",
            tried=tried,
        )
    gaps = judge.baseline.audit.gaps
    unknown = tuple(f"{g.api} of {g.resource} ({g.outcome.value})" for g in gaps if finding.dataset.id in g.datasets)
    return Fix(
        fingerprint=finding.fingerprint,
        dataset=finding.dataset.id,
        level=finding.level,
        changes=merged(judge.snapshot, applied),
        before=judge.baseline.audience(finding.dataset.id, finding.level),
        after=after.audience(finding.dataset.id, finding.level),
        unknown=unknown,
    )


def _close_entry(
    judge: Judge, finding: Finding, entry: ExcessEntry, applied: list[Change]
) -> tuple[list[Change], int, tuple[NoFixReason, str]]:
    """Changes that take ``entry`` out of the excess with no problem; else none, and why.

    One candidate usually does it.  When the entry reaches the dataset by several paths (a
    bucket policy and a role it can assume), a candidate that closes the path shown without
    a problem is kept and the search goes on along the path that remains, up to
    :data:`MAX_ROUNDS` paths.
    """
    local = list(applied)
    accepted: list[Change] = []
    losses: list[Problem] = []
    widenings: list[Problem] = []
    tried = 0
    shown = entry
    for _ in range(MAX_ROUNDS):
        options = candidates(apply_changes(judge.snapshot, local) if local else judge.snapshot, finding, shown)
        progress: tuple[tuple[Change, ...], ExcessEntry] | None = None
        for option in options[:MAX_CANDIDATES]:
            tried += 1
            after = judge.state([*local, *option])
            problems = judge.problems(after)
            if problems:
                if judge.cleared(finding, after, [entry.principal.id]):
                    losses += [p for p in problems if p.what == "loses"]
                    widenings += [p for p in problems if p.what != "loses"]
                continue
            if judge.cleared(finding, after, [entry.principal.id]):
                return [*accepted, *option], tried, (NoFixReason.EXCESS_REMAINS, "")
            moved = _entry_in(after, finding, entry.principal.id)
            if progress is None and moved is not None and evidence_of(moved) != evidence_of(shown):
                progress = (option, moved)
        if progress is None:
            break
        local.extend(progress[0])
        accepted.extend(progress[0])
        shown = progress[1]
    label = entry.principal.label
    if tried == 0:
        return (
            [],
            0,
            (
                NoFixReason.NO_CANDIDATE,
                f"the evidence of {label} names no document part seenby can change "
                "(a path through a copy, a catalogue location or a dashboard's data: close it where its permission is)",
            ),
        )
    if losses:
        text = "; ".join(dict.fromkeys(p.text for p in losses[:3]))
        return (
            [],
            tried,
            (
                NoFixReason.DECLARED_MEMBER_LOSES_ACCESS,
                f"every change that removes {label} also cuts off a declared member: {text}",
            ),
        )
    if widenings:
        text = "; ".join(dict.fromkeys(p.text for p in widenings[:3]))
        return [], tried, (NoFixReason.WIDENS, f"every change that removes {label} widens another audience: {text}")
    return (
        [],
        tried,
        (
            NoFixReason.EXCESS_REMAINS,
            f"none of {tried} candidate changes takes {label} out of the audience (another path remains)",
        ),
    )


def _entry_in(state: State, finding: Finding, principal: str) -> ExcessEntry | None:
    """``principal``'s excess entry at the finding's dataset and level in ``state``, if the audit shows one."""
    for f in state.audit.findings:
        if f.dataset.id == finding.dataset.id and f.level is finding.level:
            for e in f.excess:
                if e.principal.id == principal:
                    return e
    return None
