"""A dataset's exposure over time: its audience in every recorded scan, what changed it, and when
the audience exceeded the declaration.

Each recorded scan that covers the dataset (it holds the dataset, or its scope names the
dataset's account or project) is evaluated once; a scan with the same content as the one
before reuses its answer.  Between two consecutive scans, a member that appears or
disappears is an event; its cause is the set of read documents that changed between those
scans on the resources of its path (the dataset, the nodes and evidence sources of the
path, the account holding IAM).  When none of those changed, every changed document is
listed, marked as not on the path.  A member is only known to have appeared *between* two
scans: that is the precision the history has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from seenby.config import Rules
from seenby.errors import UsageError
from seenby.findings import AudienceMember, PeopleCount
from seenby.flow_audit import declaration_of
from seenby.graph.build import ReachGraph
from seenby.history.changes import changed_reads, path_resources, read_json
from seenby.history.index import ScanIndex, ViewCaching
from seenby.history.store import HistoryStore, ScanRecord
from seenby.history_results import (
    AudienceEvent,
    DocumentChange,
    EventKind,
    ExcessMember,
    ExposureTimeline,
    ExposureWindow,
    MemberSpan,
    ScanPoint,
)
from seenby.model import AccessLevel, CoverageGap, Dataset, Evaluation
from seenby.queries import find_dataset, who_can_read
from seenby.snapshot import Snapshot

__all__ = ["exposure_timeline"]


_END_OF_TIME = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class _Answer:
    point: ScanPoint
    members: dict[tuple[str, AccessLevel], AudienceMember]
    gaps: tuple[CoverageGap, ...]


def _covers(scan: ScanRecord, dataset: Dataset, present: bool) -> bool:
    if present:
        return True
    scope = scan.scope
    return dataset.account in (scope.get("aws_accounts") or []) or dataset.account in (scope.get("gcp_projects") or [])


def _resolve(index: ScanIndex, ref: str, until: datetime | None) -> Dataset:
    found = index.latest_holding(until or _END_OF_TIME, ref)
    if found is None:
        # no scan's dataset index holds it: the latest scan says why (unknown name, ambiguous name)
        latest = index.history.scan_at(until or _END_OF_TIME)
        return find_dataset(index.evaluated(latest).graph, ref)
    dataset = found.holds(ref)
    assert dataset is not None
    return dataset


def exposure_timeline(
    history: HistoryStore,
    dataset_ref: str,
    *,
    rules: Rules | None = None,
    levels: tuple[AccessLevel, ...] = (AccessLevel.READ,),
    since: datetime | None = None,
    until: datetime | None = None,
) -> ExposureTimeline:
    """The exposure timeline of one dataset across the recorded scans of ``history``.

    A scan holds the dataset when its dataset index (the evaluation's datasets, as the
    audit sees them) does: a Glue table inside its catalog resource is found.
    """
    index = ScanIndex(history, caching=ViewCaching.READ)  # views of queried scans are used, none written
    dataset = _resolve(index, dataset_ref, until)
    decl = rules.declaration_for(dataset) if rules else None
    inherited = None  # a copy's declaration, inherited from its source in the latest scan that holds it
    answers: list[_Answer] = []
    snapshots: dict[int, Snapshot] = {}
    cache: dict[
        bytes, tuple[bool, dict[tuple[str, AccessLevel], AudienceMember], tuple[CoverageGap, ...], PeopleCount]
    ] = {}
    skipped = 0
    for scan in history.scans():
        if (since and scan.collected_at < since) or (until and scan.collected_at > until):
            continue
        key = index.content_key(scan.id)
        if key not in cache:
            evaluated = index.evaluated(scan)
            snapshots.setdefault(scan.id, evaluated.snapshot)
            present = dataset.id in evaluated.evaluation.datasets
            if rules and decl is None and present:
                ev = evaluated.evaluation
                inherited = declaration_of(rules, ev.datasets, ev.flows, dataset) or inherited
            members, gaps, people = (
                _members(evaluated.evaluation, evaluated.graph, dataset, rules, levels)
                if present
                else ({}, (), PeopleCount(total=None))
            )
            cache[key] = (present, members, gaps, people)
        present, members, gaps, people = cache[key]
        if not _covers(scan, dataset, present):
            skipped += 1
            continue
        answers.append(_Answer(point=_point(scan, present, members, gaps, people), members=members, gaps=gaps))
    if not answers:
        raise UsageError(f"no recorded scan covers {dataset.id} in the time asked")
    events = _events(history, answers, snapshots, dataset)
    decl = decl or inherited
    return ExposureTimeline(
        dataset=dataset,
        levels=levels,
        store=str(history.path),
        scans=tuple(a.point for a in answers),
        events=tuple(events),
        spans=tuple(_spans(answers)),
        windows=tuple(_windows(answers)) if decl else (),
        classification=decl.classification if decl else None,
        declaration=decl.where if decl else None,
        rules_file=rules.source if rules else None,
        skipped=skipped,
        gaps=answers[-1].gaps,
    )


def _members(
    evaluation: Evaluation, rg: ReachGraph, dataset: Dataset, rules: Rules | None, levels: tuple[AccessLevel, ...]
) -> tuple[dict[tuple[str, AccessLevel], AudienceMember], tuple[CoverageGap, ...], PeopleCount]:
    if dataset.id not in rg.datasets:
        return {}, (), PeopleCount(total=None)
    report = who_can_read(rg, dataset.id, levels=levels, rules=rules, gaps=evaluation.gaps)
    return {(m.principal.id, m.level): m for m in report.members}, report.gaps, _widest(report.people.values())


def _widest(counts: Iterable[PeopleCount]) -> PeopleCount:
    """One level: its count.  Several: the widest level's (who writes may also read: a lower bound
    of the distinct people across levels, never a sum that counts a person twice)."""
    counts = list(counts)
    if not counts:
        return PeopleCount(total=None)
    return max(counts, key=lambda c: (c.excess or 0, c.total or 0))


def _point(
    scan: ScanRecord, present: bool, members: dict[Any, AudienceMember], gaps: tuple[Any, ...], people: PeopleCount
) -> ScanPoint:
    return ScanPoint(
        scan_id=scan.id,
        collected_at=scan.collected_at,
        present=present,
        members=len(members),
        excess=sum(1 for m in members.values() if m.declared is False),
        people=people.total,
        excess_people=people.excess,
        declared_people=people.declared,
        gaps=len(gaps),
    )


def _snapshot(history: HistoryStore, snapshots: dict[int, Snapshot], scan_id: int) -> Snapshot:
    if scan_id not in snapshots:
        snapshots[scan_id] = history.snapshot(scan_id)
    return snapshots[scan_id]


def _events(
    history: HistoryStore, answers: list[_Answer], snapshots: dict[int, Snapshot], dataset: Dataset
) -> list[AudienceEvent]:
    events: list[AudienceEvent] = []
    for old, new in pairwise(answers):
        appeared = [new.members[k] for k in new.members.keys() - old.members.keys()]
        gone = [old.members[k] for k in old.members.keys() - new.members.keys()]
        if not appeared and not gone:
            continue
        changes = changed_reads(history.read_hashes(old.point.scan_id), history.read_hashes(new.point.scan_id))
        for kind, members in ((EventKind.APPEARED, appeared), (EventKind.DISAPPEARED, gone)):
            for m in sorted(members, key=lambda m: (m.level.value, m.audience_class.rank, m.principal.id)):
                on_path = path_resources(dataset.id, [m.path])
                causes = [c for c in changes if c[1] in on_path]
                marked = True
                if not causes:
                    causes, marked = changes, False
                events.append(
                    AudienceEvent(
                        kind=kind,
                        principal=m.principal,
                        level=m.level,
                        audience_class=m.audience_class,
                        declared=m.declared,
                        people=m.people,
                        before=old.point,
                        after=new.point,
                        path=m.path,
                        causes=tuple(
                            DocumentChange(
                                resource=rid,
                                resource_type=rtype,
                                read=read,
                                kind=change,
                                before=read_json(_snapshot(history, snapshots, old.point.scan_id), rtype, rid, read),
                                after=read_json(_snapshot(history, snapshots, new.point.scan_id), rtype, rid, read),
                                on_path=marked,
                            )
                            for rtype, rid, read, change in causes
                        ),
                    )
                )
    return events


def _spans(answers: list[_Answer]) -> list[MemberSpan]:
    spans: list[MemberSpan] = []
    open_: dict[tuple[str, AccessLevel], tuple[AudienceMember, int]] = {}
    for i, answer in enumerate([*answers, None]):  # type: ignore[list-item]
        current = answer.members if answer is not None else {}
        for key in list(open_):
            if key not in current:
                member, start = open_.pop(key)
                spans.append(_span(member, answers, start, i))
        for key, member in current.items():
            open_.setdefault(key, (member, i))
    spans.sort(key=lambda s: (s.first_seen.collected_at, s.level.value, s.audience_class.rank, s.principal.id))
    return spans


def _span(member: AudienceMember, answers: list[_Answer], start: int, end: int) -> MemberSpan:
    return MemberSpan(
        principal=member.principal,
        level=member.level,
        audience_class=member.audience_class,
        declared=member.declared,
        first_seen=answers[start].point,
        last_seen=answers[end - 1].point,
        appeared_after=answers[start - 1].point if start > 0 else None,
        gone_by=answers[end].point if end < len(answers) else None,
    )


def _windows(answers: list[_Answer]) -> list[ExposureWindow]:
    windows: list[ExposureWindow] = []
    start: int | None = None
    for i, answer in enumerate([*answers, None]):  # type: ignore[list-item]
        exceeded = answer is not None and answer.point.excess > 0
        if exceeded and start is None:
            start = i
        elif not exceeded and start is not None:
            run = answers[start:i]
            excess: dict[tuple[str, AccessLevel], ExcessMember] = {}
            for a in run:
                for key, m in a.members.items():
                    if m.declared is False:
                        excess.setdefault(
                            key,
                            ExcessMember(principal=m.principal, level=m.level, audience_class=m.audience_class,
                                         people=m.people),
                        )
            people = [a.point.excess_people or 0 for a in run]  # distinct people (seenby.audit.count_people)
            windows.append(
                ExposureWindow(
                    first_seen=run[0].point,
                    last_seen=run[-1].point,
                    opened_after=answers[start - 1].point if start > 0 else None,
                    closed_by=answers[i].point if i < len(answers) else None,
                    excess=tuple(sorted(excess.values(), key=lambda m: (m.audience_class.rank, m.principal.id))),
                    people=max(people) or None,
                )
            )
            start = None
    return windows
