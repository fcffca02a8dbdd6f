"""Every denied or failed read becomes a coverage gap, attributed to the datasets it could affect."""

from __future__ import annotations

from seenby.model import CoverageGap, Evaluation
from seenby.snapshot import Resource, Snapshot

__all__ = ["collect_gaps"]


def _affected(resource: Resource, evaluation: Evaluation) -> tuple[str, ...]:
    """The datasets an unknown document of ``resource`` could open.

    Fail closed: a dataset's own document affects the dataset; an account- or
    project-level document (IAM, Block Public Access, a key) affects every dataset
    of that account; anything else (the organisation) affects every dataset.
    """
    if resource.id in evaluation.datasets:
        return (resource.id,)
    if resource.account:
        return tuple(sorted(d.id for d in evaluation.datasets.values() if d.account == resource.account))
    return tuple(sorted(evaluation.datasets))


def collect_gaps(snapshot: Snapshot, evaluation: Evaluation) -> list[CoverageGap]:
    gaps: dict[tuple[str, str], CoverageGap] = {(g.resource, g.read): g for g in evaluation.gaps}
    for resource in snapshot.resources:
        for name, read in resource.reads.items():
            if not read.outcome.is_gap or (resource.id, name) in gaps:
                continue
            gaps[(resource.id, name)] = CoverageGap(
                resource=resource.id,
                resource_type=resource.type,
                read=name,
                api=read.api,
                outcome=read.outcome,
                error_code=read.error_code,
                message=read.message,
                datasets=_affected(resource, evaluation),
                account=resource.account,
            )
    return list(gaps.values())
