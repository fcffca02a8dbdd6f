"""Flow resources of a plan → the S3 bucket reads they write (docs/flows.md), one builder per Terraform type.

Attribute names are the AWS provider's
(https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_replication_configuration,
…/s3_bucket_inventory, …/s3_bucket_logging); documents are the API responses the scanner
stores (GetBucketReplication, ListBucketInventoryConfigurations, GetBucketLogging).  A value
known only after apply makes the whole read unknown: a coverage gap on the source, never
"no flow".
"""

from __future__ import annotations

from typing import Any

from seenby.importers.terraform.aws import bucket_draft, delete_bucket_setting
from seenby.importers.terraform.context import Builder, Context, unplaced_gap
from seenby.importers.terraform.plan import PlannedResource
from seenby.importers.terraform.resolve import Unknown, is_unknown
from seenby.importers.terraform.state import Draft, absent, ok, unknown

__all__ = ["FLOW_BUILDERS", "FLOW_DELETERS"]


def _source(ctx: Context, res: PlannedResource) -> Draft | None:
    name = ctx.get(res, "bucket", shape=lambda v: isinstance(v, str) and bool(v))
    if isinstance(name, str) and name.startswith("arn:"):
        name = name.split(":::", 1)[-1]
    if is_unknown(name) or not name:
        what = name if is_unknown(name) else Unknown(address=res.address, attribute="bucket", where=res.place("bucket"))
        unplaced_gap(ctx, res, what, api="s3:ListBuckets",
                     why="the bucket whose data it copies is known only after apply")  # fmt: skip
        return None
    return bucket_draft(ctx, str(name), res)


def _first(value: Any) -> dict[str, Any]:
    """A Terraform nested block (a list of at most one object) as that object, or {}."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return value if isinstance(value, dict) else {}


def _replication_filter(block: dict[str, Any]) -> dict[str, Any]:
    flt = _first(block.get("filter"))
    both = _first(flt.get("and"))
    if both:
        tags = [{"Key": k, "Value": v} for k, v in sorted((both.get("tags") or {}).items())]
        return {"And": {"Prefix": both.get("prefix") or "", "Tags": tags}}
    tag = _first(flt.get("tag"))
    if tag:
        return {"Tag": {"Key": tag.get("key"), "Value": tag.get("value")}}
    return {"Prefix": flt.get("prefix") or ""}


def s3_replication(ctx: Context, res: PlannedResource) -> None:
    """``aws_s3_bucket_replication_configuration``: its rules, as GetBucketReplication returns them."""
    d = _source(ctx, res)
    if d is None:
        return
    api = "s3:GetBucketReplication"
    rules = ctx.get(res, "rule")
    if is_unknown(rules):
        ctx.state.set_read(d, "replication", unknown(api, rules), ctx.origin(res))
        return
    out = []
    for i, block in enumerate(rules or []):
        bucket = ctx.get(res, "rule", i, "destination", 0, "bucket")
        if is_unknown(bucket):
            ctx.state.set_read(d, "replication", unknown(api, bucket), ctx.origin(res))
            return
        dest = _first(block.get("destination"))
        destination: dict[str, Any] = {"Bucket": bucket}
        if dest.get("account"):
            destination["Account"] = dest["account"]
        owner = _first(dest.get("access_control_translation")).get("owner")
        if owner:
            destination["AccessControlTranslation"] = {"Owner": owner}
        rule: dict[str, Any] = {"ID": block.get("id") or f"rule-{i}", "Status": block.get("status") or "Enabled",
                                "Destination": destination}  # fmt: skip
        if block.get("prefix"):
            rule["Prefix"] = block["prefix"]
        else:
            rule["Filter"] = _replication_filter(block)
        out.append(rule)
    doc = {"ReplicationConfiguration": {"Role": ctx.get(res, "role"), "Rules": out}}
    ctx.state.set_read(d, "replication", ok(api, doc), ctx.origin(res))


def s3_inventory(ctx: Context, res: PlannedResource) -> None:
    """``aws_s3_bucket_inventory``: one configuration added to the bucket's listing."""
    d = _source(ctx, res)
    if d is None:
        return
    api = "s3:ListBucketInventoryConfigurations"
    bucket = ctx.get(res, "destination", 0, "bucket", 0, "bucket_arn")
    if is_unknown(bucket):
        ctx.state.set_read(d, "inventory", unknown(api, bucket), ctx.origin(res))
        return
    target = _first(_first(ctx.get(res, "destination")).get("bucket"))
    s3_dest: dict[str, Any] = {"Bucket": bucket, "Format": target.get("format")}
    if target.get("account_id"):
        s3_dest["AccountId"] = target["account_id"]
    config: dict[str, Any] = {"Id": ctx.get(res, "name"), "IsEnabled": ctx.get(res, "enabled") is not False,
                              "Destination": {"S3BucketDestination": s3_dest}}  # fmt: skip
    prefix = _first(ctx.get(res, "filter")).get("prefix")
    if prefix:
        config["Filter"] = {"Prefix": prefix}
    prior = d.reads.get("inventory")
    listed = list((prior.document or {}).get("InventoryConfigurationList") or []) if prior and prior.ok else []
    listed = [c for c in listed if c.get("Id") != config["Id"]] + [config]
    ctx.state.set_read(d, "inventory", ok(api, {"InventoryConfigurationList": listed}), ctx.origin(res))


def s3_logging(ctx: Context, res: PlannedResource) -> None:
    """``aws_s3_bucket_logging``: the target bucket and prefix, as GetBucketLogging returns them."""
    d = _source(ctx, res)
    if d is None:
        return
    api = "s3:GetBucketLogging"
    target = ctx.get(res, "target_bucket")
    if is_unknown(target):
        ctx.state.set_read(d, "logging", unknown(api, target), ctx.origin(res))
        return
    enabled = {"TargetBucket": target, "TargetPrefix": ctx.get(res, "target_prefix") or ""}
    ctx.state.set_read(d, "logging", ok(api, {"LoggingEnabled": enabled}), ctx.origin(res))


FLOW_BUILDERS: dict[str, Builder] = {
    "aws_s3_bucket_replication_configuration": s3_replication,
    "aws_s3_bucket_inventory": s3_inventory,
    "aws_s3_bucket_logging": s3_logging,
}


FLOW_DELETERS: dict[str, Builder] = {
    "aws_s3_bucket_replication_configuration": delete_bucket_setting(
        "replication", absent("s3:GetBucketReplication", "ReplicationConfigurationNotFoundError")
    ),
    "aws_s3_bucket_logging": delete_bucket_setting("logging", ok("s3:GetBucketLogging", {})),
}
