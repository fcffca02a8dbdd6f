"""Flow resources of a plan → the reads they write (docs/flows.md), one builder per Terraform type.

AWS: attribute names are the AWS provider's
(https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_replication_configuration,
…/s3_bucket_inventory, …/s3_bucket_logging); documents are the API responses the scanner
stores (GetBucketReplication, ListBucketInventoryConfigurations, GetBucketLogging).  A value
known only after apply makes the whole read unknown: a coverage gap on the source, never
"no flow".

Google Cloud: ``google_bigquery_data_transfer_config`` and ``google_storage_transfer_job``
(https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/bigquery_data_transfer_config,
…/storage_transfer_job) become one TransferConfig / TransferJob each, in the REST shape the
scanner lists, under the project's read ``transfer_configs/ADDRESS`` / ``transfer_jobs/ADDRESS``
(beside a baseline's ``transfer_configs`` / ``transfer_jobs`` listing, whose entry of the
same name the plan replaces or destroys).  The planned entry is named after its address until
Google names it, and that name leads a finding back to the resource.  Unknown values: a
destination known only after apply is a gap on the sources; a source (query, source dataset,
bucket) known only after apply is a gap on the project, whose datasets it may copy.
"""

from __future__ import annotations

from typing import Any

from seenby.importers.terraform.aws import bucket_draft, delete_bucket_setting
from seenby.importers.terraform.context import Builder, Context, home_draft, unplaced_gap
from seenby.importers.terraform.plan import PlannedResource
from seenby.importers.terraform.resolve import Unknown, is_unknown
from seenby.importers.terraform.state import Draft, absent, ok, unknown
from seenby.policies.gcp.flows import TRANSFER_CONFIGS_API, TRANSFER_JOBS_API, query_tables, query_writes
from seenby.registry import TypeName

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


# -- Google Cloud: transfer configs and transfer jobs ----------------------------------------------------------


def _project_of(ctx: Context, res: PlannedResource) -> Draft | None:
    d = home_draft(ctx, res)
    if d is None:
        ctx.unplaced.append(res.address)
    return d


def _known_name(ctx: Context, res: PlannedResource) -> str | None:
    name = ctx.get(res, "name")
    return name if isinstance(name, str) and name else None


def _drop_listed(ctx: Context, d: Draft, read: str, key: str, name: str | None) -> None:
    """Take the entry called ``name`` out of the baseline's listing: the plan replaces or destroys it."""
    prior = d.reads.get(read)
    if not name or prior is None or not prior.ok or not isinstance(prior.document, dict):
        return
    entries = [e for e in prior.document.get(key) or [] if not (isinstance(e, dict) and e.get("name") == name)]
    if len(entries) != len(prior.document.get(key) or []):
        ctx.state.set_read(d, read, ok(prior.api, {**prior.document, key: entries}), None)


def _gap_on_sources(ctx: Context, res: PlannedResource, sources: list[str], what: Unknown, api: str) -> None:
    """A copy whose destination is known only after apply: a gap on each source the planned state holds."""
    for source in sources:
        table = ctx.state.get(TypeName.GCP_BIGQUERY_TABLE, source)
        dataset_id = source.rsplit(".", 1)[0]
        dataset = ctx.state.get(TypeName.GCP_BIGQUERY_DATASET, dataset_id) if source.count(".") >= 2 else None
        d = (table or dataset or ctx.state.get(TypeName.GCP_BIGQUERY_DATASET, source)
             or ctx.state.get(TypeName.GCP_STORAGE_BUCKET, source))  # fmt: skip
        if d is not None:
            ctx.state.set_read(d, res.address, unknown(api, what), ctx.origin(res))


def _unknown_in(ctx: Context, res: PlannedResource, *paths: tuple[str | int, ...]) -> Unknown | None:
    for path in paths:
        value = ctx.get(res, *path)
        if is_unknown(value):
            return value
    return None


def bigquery_transfer_config(ctx: Context, res: PlannedResource) -> None:
    """``google_bigquery_data_transfer_config``: one TransferConfig (scheduled queries included)."""
    d = _project_of(ctx, res)
    if d is None:
        return
    project = d.id.removeprefix("projects/")
    origin = ctx.origin(res)
    name = _known_name(ctx, res)
    _drop_listed(ctx, d, "transfer_configs", "transferConfigs", name)
    why_source = "what it copies is known only after apply"
    source_unknown = _unknown_in(ctx, res, ("data_source_id",), ("params",))
    params = {} if source_unknown else dict(ctx.get(res, "params") or {})
    for key in ("query", "source_dataset_id", "source_project_id", "data_path_template", "data_path"):
        if source_unknown is None and is_unknown(value := ctx.get(res, "params", key)):
            source_unknown = value
    if source_unknown is not None:
        unplaced_gap(ctx, res, source_unknown, api=TRANSFER_CONFIGS_API, why=why_source)
        return
    disabled = ctx.get(res, "disabled")
    config: dict[str, Any] = {
        "name": name or res.address,
        "displayName": ctx.get(res, "display_name") if isinstance(ctx.get(res, "display_name"), str) else None,
        "dataSourceId": ctx.get(res, "data_source_id"),
        "params": params,
        "disabled": disabled is True,  # known only after apply: it may run (fail closed)
    }
    destination = ctx.get(res, "destination_dataset_id")
    if is_unknown(destination):
        query = str(params.get("query") or "")
        sources = (
            query_tables(query, project)
            if config["dataSourceId"] != "cross_region_copy"
            else [f"bigquery://{params.get('source_project_id') or project}.{params.get('source_dataset_id')}"]
        )
        sources = [s for s in sources if s not in query_writes(query, project)]
        _gap_on_sources(ctx, res, sources, destination, TRANSFER_CONFIGS_API)
        return
    if destination:
        config["destinationDatasetId"] = str(destination).rsplit("/", 1)[-1]
    ctx.state.index.resources[config["name"]] = origin
    ctx.state.set_read(d, f"transfer_configs/{res.address}", ok(TRANSFER_CONFIGS_API, {"transferConfigs": [config]}),
                       origin)  # fmt: skip


def _gcs(block: Any) -> dict[str, Any]:
    data = _first(block)
    out = {"bucketName": data.get("bucket_name")}
    if data.get("path"):
        out["path"] = data["path"]
    return out


def storage_transfer_job(ctx: Context, res: PlannedResource) -> None:
    """``google_storage_transfer_job``: one TransferJob, its ``transfer_spec`` or ``replication_spec``."""
    d = _project_of(ctx, res)
    if d is None:
        return
    project = d.id.removeprefix("projects/")
    origin = ctx.origin(res)
    name = _known_name(ctx, res)
    _drop_listed(ctx, d, "transfer_jobs", "transferJobs", name)
    spec_attr = "replication_spec" if _first(ctx.get(res, "replication_spec")) else "transfer_spec"
    source_unknown = _unknown_in(ctx, res, (spec_attr,), (spec_attr, 0, "gcs_data_source", 0, "bucket_name"),
                                 (spec_attr, 0, "aws_s3_data_source", 0, "bucket_name"))  # fmt: skip
    if source_unknown is not None:
        why = "the bucket it copies is known only after apply"
        unplaced_gap(ctx, res, source_unknown, api=TRANSFER_JOBS_API, why=why)
        return
    spec_block = _first(ctx.get(res, spec_attr))
    spec: dict[str, Any] = {}
    if _first(spec_block.get("gcs_data_source")):
        spec["gcsDataSource"] = _gcs(spec_block.get("gcs_data_source"))
    elif _first(spec_block.get("aws_s3_data_source")):
        spec["awsS3DataSource"] = _gcs(spec_block.get("aws_s3_data_source"))
    else:
        return  # a source seenby does not scan (HTTP lists, Azure, POSIX): no dataset of ours flows
    source = (f"gs://{spec['gcsDataSource']['bucketName']}" if "gcsDataSource" in spec
              else f"arn:aws:s3:::{spec['awsS3DataSource']['bucketName']}")  # fmt: skip
    sink = ctx.get(res, spec_attr, 0, "gcs_data_sink", 0, "bucket_name")
    if is_unknown(sink):
        _gap_on_sources(ctx, res, [source], sink, TRANSFER_JOBS_API)
        return
    if not sink:
        return  # a sink seenby does not scan (POSIX): nothing flows into a dataset it audits
    spec["gcsDataSink"] = _gcs(spec_block.get("gcs_data_sink"))
    prefixes = _first(spec_block.get("object_conditions")).get("include_prefixes")
    if prefixes:
        spec["objectConditions"] = {"includePrefixes": list(prefixes)}
    status = ctx.get(res, "status")
    job = {
        "name": name or res.address,
        "projectId": project,
        # unset, the provider creates it ENABLED; known only after apply, it may run (fail closed)
        "status": status if isinstance(status, str) and status else "ENABLED",
        ("replicationSpec" if spec_attr == "replication_spec" else "transferSpec"): spec,
    }
    ctx.state.index.resources[job["name"]] = origin
    ctx.state.set_read(d, f"transfer_jobs/{res.address}", ok(TRANSFER_JOBS_API, {"transferJobs": [job]}), origin)


def _delete_listed(read: str, key: str) -> Builder:
    """Destroying a config or job: its entry leaves the baseline's listing."""

    def delete(ctx: Context, res: PlannedResource) -> None:
        d = home_draft(ctx, res)
        name = res.value("name")
        if d is not None and isinstance(name, str):
            _drop_listed(ctx, d, read, key, name)

    return delete


FLOW_BUILDERS: dict[str, Builder] = {
    "aws_s3_bucket_replication_configuration": s3_replication,
    "aws_s3_bucket_inventory": s3_inventory,
    "aws_s3_bucket_logging": s3_logging,
    "google_bigquery_data_transfer_config": bigquery_transfer_config,
    "google_storage_transfer_job": storage_transfer_job,
}


FLOW_DELETERS: dict[str, Builder] = {
    "aws_s3_bucket_replication_configuration": delete_bucket_setting(
        "replication", absent("s3:GetBucketReplication", "ReplicationConfigurationNotFoundError")
    ),
    "aws_s3_bucket_logging": delete_bucket_setting("logging", ok("s3:GetBucketLogging", {})),
    "google_bigquery_data_transfer_config": _delete_listed("transfer_configs", "transferConfigs"),
    "google_storage_transfer_job": _delete_listed("transfer_jobs", "transferJobs"),
}
