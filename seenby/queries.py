"""Incident-response queries over one snapshot: who can read a dataset, and why."""

from __future__ import annotations

from collections.abc import Iterable

from seenby.audit import Coverage
from seenby.config import Rules
from seenby.errors import UsageError
from seenby.findings import AudienceMember, AudienceReport
from seenby.graph.audience import audience, audience_class
from seenby.graph.build import ReachGraph
from seenby.model import AccessLevel, CoverageGap, Dataset, EdgeKind

__all__ = ["find_dataset", "who_can_read"]


def find_dataset(rg: ReachGraph, ref: str) -> Dataset:
    """A dataset by exact id, or by name when the name is unique; a clear error otherwise."""
    if ref in rg.datasets:
        return rg.datasets[ref]
    by_name = [d for d in rg.datasets.values() if d.name == ref or d.id.endswith(ref)]
    if len(by_name) == 1:
        return by_name[0]
    if not by_name:
        raise UsageError(f"no dataset {ref!r} in the snapshot (give its id, e.g. arn:aws:s3:::NAME or gs://NAME)")
    ids = ", ".join(sorted(d.id for d in by_name)[:5])
    raise UsageError(f"{ref!r} names several datasets ({ids}); give the full id")


def who_can_read(
    rg: ReachGraph,
    dataset_ref: str,
    *,
    levels: Iterable[AccessLevel] = (AccessLevel.READ,),
    rules: Rules | None = None,
    gaps: Iterable[CoverageGap] = (),
    collected_at: str = "",
    snapshot_source: str | None = None,
    expand_members: bool = False,
) -> AudienceReport:
    """The effective audience of a dataset, each member with its path, class and people count.

    People who reach the dataset only as members of a group in the audience are counted
    under that group; ``expand_members`` lists each of them as well.
    """
    dataset = find_dataset(rg, dataset_ref)
    decl = rules.declaration_for(dataset) if rules else None
    coverage = Coverage(rg)
    members: list[AudienceMember] = []
    for level in levels:
        reaches = audience(rg, dataset.id, level)
        through: dict[str, set[str]] = {}
        for reach in reaches:
            if reach.principal.kind.is_person:
                for step in reach.path[1:-1]:
                    through.setdefault(step.node, set()).add(reach.principal.id)
        in_audience = {r.principal.id for r in reaches}
        for reach in reaches:
            p = reach.principal
            hop = reach.next_hop
            if not expand_members and hop in in_audience and rg.info(p.id, hop).kind == EdgeKind.MEMBER_OF.value:
                continue
            if p.kind.is_class:
                people = rg.class_people.get(p.id)
            elif p.kind.is_person:
                people = 1
            else:
                people = len(through.get(p.id, ())) or None
            members.append(
                AudienceMember(
                    principal=p,
                    level=level,
                    audience_class=audience_class(p, dataset),
                    path=reach.path,
                    people=people,
                    conditional=reach.conditional,
                    declared=coverage.covered(reach, decl.audience.for_level(level)) if decl else None,
                )
            )
    members.sort(key=lambda m: (list(AccessLevel).index(m.level), m.audience_class.rank, m.conditional, m.principal.id))
    return AudienceReport(
        dataset=dataset,
        members=tuple(members),
        collected_at=collected_at,
        snapshot_source=snapshot_source,
        gaps=tuple(g for g in gaps if dataset.id in g.datasets),
        classification=decl.classification if decl else None,
    )
