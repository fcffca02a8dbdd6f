"""Every denied or failed read, and every required read a snapshot lacks, becomes a coverage gap,
attributed to the datasets it could affect.

The required reads of each type are declared once in :mod:`seenby.registry`; a resource
without one of them (an importer that does not know it, an older snapshot) is as unknown
as one whose read was denied (error code :data:`~seenby.registry.NOT_IN_SNAPSHOT`).
"""

from __future__ import annotations

from seenby.model import CoverageGap, Evaluation, ReadOutcome
from seenby.registry import NOT_IN_SNAPSHOT, ReadContract, missing_reads
from seenby.snapshot import Read, Resource, Snapshot

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


def _gap(resource: Resource, evaluation: Evaluation, name: str, read: Read) -> CoverageGap:
    return CoverageGap(
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


def _not_in_snapshot(resource: Resource, contract: ReadContract) -> Read:
    return Read(
        outcome=ReadOutcome.ERROR,
        api=contract.api,
        error_code=NOT_IN_SNAPSHOT,
        message=f"the snapshot holds no {contract.name} read of this {resource.type}: what it says is unknown",
    )


def collect_gaps(snapshot: Snapshot, evaluation: Evaluation) -> list[CoverageGap]:
    gaps: dict[tuple[str, str], CoverageGap] = {(g.resource, g.read): g for g in evaluation.gaps}
    for resource in snapshot.resources:
        for name, read in resource.reads.items():
            if read.outcome.is_gap and (resource.id, name) not in gaps:
                gaps[(resource.id, name)] = _gap(resource, evaluation, name, read)
        for contract in missing_reads(resource.type, resource.reads):
            if (resource.id, contract.name) not in gaps:
                gaps[(resource.id, contract.name)] = _gap(
                    resource, evaluation, contract.name, _not_in_snapshot(resource, contract)
                )
    return list(gaps.values())
