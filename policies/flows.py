"""Flows between datasets, across providers: one reader per provider, one judgement of scope.

Each provider module reads its flow configurations into :class:`~seenby.model.Flow`
records (:mod:`seenby.policies.aws.flows`, :mod:`seenby.policies.gcp.flows`).  Here each
flow is kept when its destination is a dataset of the evaluation; a destination outside
the snapshot (another account or project not scanned, a bucket it lacks) is a coverage
gap on the source: who reads the copy is unknown, so the source's audience is too
(fail closed).  docs/flows.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from seenby.model import CoverageGap, Evaluation, Flow, FlowKind, ReadOutcome
from seenby.snapshot import Snapshot

__all__ = ["FLOW_READERS", "OUT_OF_SCOPE", "add_flows"]

OUT_OF_SCOPE = "DestinationNotScanned"
"""The error code of the coverage gap a flow into an unscanned destination opens."""

# the read whose configuration opened each kind of flow, and its API label (for the gap)
_READS: dict[FlowKind, tuple[str, str]] = {
    FlowKind.S3_REPLICATION: ("replication", "s3:GetBucketReplication"),
    FlowKind.S3_INVENTORY: ("inventory", "s3:ListBucketInventoryConfigurations"),
    FlowKind.S3_ACCESS_LOGS: ("logging", "s3:GetBucketLogging"),
    FlowKind.DYNAMODB_EXPORT: ("exports", "dynamodb:ListExports"),
    FlowKind.DYNAMODB_REPLICA: ("description", "dynamodb:DescribeTable"),
    FlowKind.BIGQUERY_CLONE: ("metadata", "bigquery.tables.get"),
    FlowKind.BIGQUERY_SNAPSHOT: ("metadata", "bigquery.tables.get"),
    FlowKind.BIGQUERY_TRANSFER: ("transfer_configs", "bigquerydatatransfer.projects.locations.transferConfigs.list"),
    FlowKind.STORAGE_TRANSFER: ("transfer_jobs", "storagetransfer.transferJobs.list"),
}


def _aws(snapshot: Snapshot) -> tuple[list[Flow], list[CoverageGap]]:
    from seenby.policies.aws.flows import s3_flow_gaps, s3_flows

    return s3_flows(snapshot), s3_flow_gaps(snapshot)


def _gcp(snapshot: Snapshot) -> tuple[list[Flow], list[CoverageGap]]:
    from seenby.policies.gcp.flows import gcp_flow_gaps, gcp_flows

    return gcp_flows(snapshot), gcp_flow_gaps(snapshot)


FLOW_READERS: tuple[Callable[[Snapshot], tuple[list[Flow], list[CoverageGap]]], ...] = (_aws, _gcp)
"""One reader per provider: the flows its configurations open, and the gaps in reading them."""


def _in_snapshot(ident: str, evaluation: Evaluation) -> str | None:
    """``ident`` as a dataset of the evaluation; a BigQuery table the scan did not read as its own dataset is
    judged as its dataset (``bigquery://p.d.t`` → ``bigquery://p.d``), whose readers read its tables."""
    if ident in evaluation.datasets:
        return ident
    if ident.startswith("bigquery://") and ident.count(".") >= 2:
        parent = ident.rsplit(".", 1)[0]
        return parent if parent in evaluation.datasets else None
    return None


def add_flows(snapshot: Snapshot, evaluation: Evaluation) -> None:
    """Add every flow of ``snapshot`` whose source is a dataset of ``evaluation``; a gap for each leaving scope."""
    seen_gaps = {(g.resource, g.read) for g in evaluation.gaps}
    types = {r.id: r.type for r in snapshot.resources}
    for reader in FLOW_READERS:
        flows, gaps = reader(snapshot)
        for gap in gaps:
            datasets = tuple(dict.fromkeys(d for i in gap.datasets if (d := _in_snapshot(i, evaluation))))
            if datasets and (gap.resource, gap.read) not in seen_gaps:
                seen_gaps.add((gap.resource, gap.read))
                evaluation.gaps.append(replace(gap, datasets=datasets))
        for found in flows:
            source = _in_snapshot(found.source, evaluation)
            if source is None:
                continue  # a source outside the snapshot is not audited here
            destination = _in_snapshot(found.destination, evaluation) or found.destination
            if source == destination:
                continue  # a copy within one dataset: its own readers already read it
            flow = replace(found, source=source, destination=destination)
            if destination in evaluation.datasets:
                evaluation.flows.append(flow)
                continue
            read, api = _READS[flow.kind]
            key = (flow.source, f"{read} to {flow.destination}")
            if key in seen_gaps:
                continue
            seen_gaps.add(key)
            account = f" in account {flow.destination_account}" if flow.destination_account else ""
            evaluation.gaps.append(
                CoverageGap(
                    resource=flow.source,
                    resource_type=types.get(flow.source, "dataset"),
                    read=key[1],
                    api=api,
                    outcome=ReadOutcome.ERROR,
                    error_code=OUT_OF_SCOPE,
                    message=(
                        f"{flow.kind.value} ({flow.carries.value}) into {flow.destination}{account}, "
                        "which this snapshot does not hold: whoever reads the copy is unknown"
                    ),
                    datasets=(flow.source,),
                    account=evaluation.datasets[flow.source].account,
                )
            )
