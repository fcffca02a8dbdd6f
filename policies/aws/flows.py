"""Where an S3 bucket's data flows: replication rules, inventory reports, server access logs.

Reads (docs/snapshot.md, ``aws.s3.bucket``): ``replication`` (s3:GetBucketReplication),
``inventory`` (s3:ListBucketInventoryConfigurations), ``logging`` (s3:GetBucketLogging).
Each enabled configuration is one :class:`~seenby.model.Flow` from the bucket to its
destination (docs/flows.md):

- a replication rule copies the objects it selects: all of them (no filter, or an empty
  prefix) or part (a prefix or tag filter), into ``Destination.Bucket`` of
  ``Destination.Account`` (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ReplicationRule.html);
  a rule whose ``Status`` is ``Disabled`` copies nothing;
- an inventory configuration writes every key, size and the optional fields it names into
  ``Destination.S3BucketDestination.Bucket`` (metadata only;
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_InventoryConfiguration.html);
  ``IsEnabled: false`` writes nothing;
- server access logging writes every request's key, requester and source address into
  ``LoggingEnabled.TargetBucket`` (a bucket *name*, same account;
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_LoggingEnabled.html): metadata only.

DynamoDB tables (``aws.dynamodb.table``): ``exports`` (dynamodb:ListExports + DescribeExport)
and the global-table replicas ``description`` lists: all the data, into a bucket or the
same table in another region.

Pure: documents in, flows out.  Whether a destination is in the snapshot is decided by
:mod:`seenby.policies.flows`, which sees every provider's datasets.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from seenby.model import Carries, CoverageGap, Evidence, EvidenceKind, Flow, FlowKind, ReadOutcome
from seenby.registry import TypeName
from seenby.snapshot import Resource, Snapshot

__all__ = ["s3_flow_gaps", "s3_flows"]


def _bucket_arn(ref: str, partition: str) -> str:
    """A destination as S3 writes it (an ARN, or a bare name for logging) as a bucket ARN."""
    return ref if ref.startswith("arn:") else f"arn:{partition}:s3:::{ref}"


def _partition(arn: str) -> str:
    parts = arn.split(":", 2)
    return parts[1] if len(parts) > 2 and parts[1] else "aws"


def _rule_scope(rule: Mapping[str, Any]) -> str | None:
    """The part of the bucket a replication rule selects, as written; None when it selects everything."""
    parts: list[str] = []
    legacy = rule.get("Prefix")
    if legacy:
        parts.append(f"prefix {legacy}")
    flt = rule.get("Filter") or {}
    both = flt.get("And") or {}
    prefix = flt.get("Prefix") or both.get("Prefix")
    if prefix:
        parts.append(f"prefix {prefix}")
    tags = [t for t in ([flt["Tag"]] if flt.get("Tag") else []) + list(both.get("Tags") or [])]
    parts.extend(f"tag {t.get('Key')}={t.get('Value')}" for t in tags)
    return ", ".join(parts) or None


def _flow(
    res: Resource, destination: str, kind: FlowKind, carries: Carries, account: str | None, location: str,
    excerpt: Any, *, scope: str | None = None, sid: str | None = None, note: str | None = None,
) -> Flow:
    """A flow out of ``res``, its evidence the configuration entry at ``location`` of the read."""
    evidence = Evidence(kind=EvidenceKind.FLOW_CONFIGURATION, source=res.id, location=location, excerpt=excerpt,
                        sid=sid, note=note)  # fmt: skip
    return Flow(source=res.id, destination=destination, kind=kind, carries=carries, scope=scope,
                destination_account=account, evidence=(evidence,))  # fmt: skip


def _replication(res: Resource, partition: str) -> Iterator[Flow]:
    config = (res.document("replication") or {}).get("ReplicationConfiguration") or {}
    for i, rule in enumerate(config.get("Rules") or []):
        if rule.get("Status") != "Enabled":
            continue
        dest = rule.get("Destination") or {}
        if not dest.get("Bucket"):
            continue
        scope = _rule_scope(rule)
        owner = (dest.get("AccessControlTranslation") or {}).get("Owner")
        note = "replicas owned by the destination account" if owner == "Destination" else None
        yield _flow(
            res, _bucket_arn(str(dest["Bucket"]), partition), FlowKind.S3_REPLICATION,
            Carries.PART if scope else Carries.ALL, str(dest["Account"]) if dest.get("Account") else res.account,
            f"ReplicationConfiguration.Rules[{i}]", rule, scope=scope, sid=rule.get("ID") or None, note=note,
        )  # fmt: skip


def _inventory(res: Resource, partition: str) -> Iterator[Flow]:
    for i, config in enumerate((res.document("inventory") or {}).get("InventoryConfigurationList") or []):
        if config.get("IsEnabled") is False:
            continue
        dest = (config.get("Destination") or {}).get("S3BucketDestination") or {}
        if not dest.get("Bucket"):
            continue
        prefix = (config.get("Filter") or {}).get("Prefix")
        yield _flow(
            res, _bucket_arn(str(dest["Bucket"]), partition), FlowKind.S3_INVENTORY, Carries.METADATA,
            str(dest["AccountId"]) if dest.get("AccountId") else res.account, f"InventoryConfigurationList[{i}]",
            config, scope=f"prefix {prefix}" if prefix else None, sid=config.get("Id") or None,
        )  # fmt: skip


def _logging(res: Resource, partition: str) -> Iterator[Flow]:
    enabled = (res.document("logging") or {}).get("LoggingEnabled") or {}
    target = enabled.get("TargetBucket")
    if not target:
        return
    destination = _bucket_arn(str(target), partition)
    if destination == res.id:
        return  # a bucket logging into itself: its own readers already read it
    # the target must be in the source bucket's account
    yield _flow(res, destination, FlowKind.S3_ACCESS_LOGS, Carries.METADATA, res.account, "LoggingEnabled", enabled)


_GONE_EXPORT = frozenset({"FAILED"})
_GONE_REPLICA = frozenset({"DELETING", "CREATION_FAILED"})


def _dynamodb(res: Resource, partition: str) -> Iterator[Flow]:
    """A table's exports to S3 (``exports``: every row at a point in time, or the changes of a period) and its
    global-table replicas (``description``: ``Table.Replicas``), each carrying all the data.

    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExportDescription.html,
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ReplicaDescription.html.
    """
    for i, export in enumerate((res.document("exports") or {}).get("ExportDescriptions") or []):
        if export.get("ExportStatus") in _GONE_EXPORT or not export.get("S3Bucket"):
            continue
        prefix = export.get("S3Prefix")
        yield _flow(
            res, _bucket_arn(str(export["S3Bucket"]), partition), FlowKind.DYNAMODB_EXPORT, Carries.ALL,
            str(export.get("S3BucketOwner") or res.account or "") or None, f"ExportDescriptions[{i}]", export,
            note=f"written under {prefix}" if prefix else None,
        )  # fmt: skip
    table = (res.document("description") or {}).get("Table") or {}
    arn_parts = res.id.split(":", 5)
    for i, replica in enumerate(table.get("Replicas") or []):
        region = replica.get("RegionName")
        if not region or region == res.region or replica.get("ReplicaStatus") in _GONE_REPLICA:
            continue
        if len(arn_parts) < 6:
            continue
        destination = ":".join((*arn_parts[:3], str(region), *arn_parts[4:]))
        location = f"Table.Replicas[{i}]"
        yield _flow(res, destination, FlowKind.DYNAMODB_REPLICA, Carries.ALL, res.account, location, replica)


def s3_flows(snapshot: Snapshot) -> list[Flow]:
    """Every flow out of every bucket and table of ``snapshot`` (failed reads are gaps already: none is guessed)."""
    out: list[Flow] = []
    for res in snapshot.of_type(TypeName.AWS_S3_BUCKET):
        partition = _partition(res.id)
        out.extend(_replication(res, partition))
        out.extend(_inventory(res, partition))
        out.extend(_logging(res, partition))
    for res in snapshot.of_type(TypeName.AWS_DYNAMODB_TABLE):
        out.extend(_dynamodb(res, _partition(res.id)))
    return out


def s3_flow_gaps(snapshot: Snapshot) -> list[CoverageGap]:
    """A truncated inventory listing (``IsTruncated``: more configurations than one page) is a gap: the rest
    are unknown, and so is where they write."""
    out: list[CoverageGap] = []
    for res in snapshot.of_type(TypeName.AWS_S3_BUCKET):
        doc = res.document("inventory") or {}
        if doc.get("IsTruncated"):
            out.append(
                CoverageGap(
                    resource=res.id,
                    resource_type=res.type,
                    read="inventory",
                    api="s3:ListBucketInventoryConfigurations",
                    outcome=ReadOutcome.ERROR,
                    error_code="Truncated",
                    message="more inventory configurations than the first page: their destinations are unknown",
                    datasets=(res.id,),
                    account=res.account,
                )
            )
    return out
