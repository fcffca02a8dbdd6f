"""The Google Cloud half of the demo: local GCS emulators seeded with the example's buckets, and the
other Google APIs answered from the example's recorded documents.

* One gcp-storage-emulator per project of the example, in this process, on a free loopback
  port (the emulator keeps one bucket namespace per server, as a project does).  Buckets are
  created, then patched with what the emulator ignores in the create body (labels, location,
  uniform access, public access prevention, ACLs) and given their IAM policy.
* Resource Manager, Organization Policy, IAM, BigQuery and Cloud Identity have no local
  server: :func:`recorded_google_apis` answers the scanner's requests at the transport
  boundary with the example's documents (:class:`~seenby.scanners.gcp.replay.RecordedTransport`).
"""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any
from urllib.parse import quote

from seenby.registry import TypeName
from seenby.scanners.gcp.replay import RecordedTransport, Recording
from seenby.scanners.gcp.transfers import transfer_jobs_filters
from seenby.snapshot import Resource, Snapshot

__all__ = ["local_gcs", "recorded_google_apis", "seed_gcs"]

_CRM = "https://cloudresourcemanager.googleapis.com"
_BQ = "https://bigquery.googleapis.com/bigquery/v2/projects"
_CI = "https://cloudidentity.googleapis.com/v1"
_IAM = "https://iam.googleapis.com"
_NUMBER = re.compile(r"^projects/(\d+)$")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def project_numbers(example: Snapshot) -> dict[str, str]:
    """Project id → project number, from the example's projects.get documents."""
    out = {}
    for project in example.of_type(TypeName.GCP_PROJECT):
        match = _NUMBER.match(str((project.document("metadata") or {}).get("name") or ""))
        if match:
            out[project.id.removeprefix("projects/")] = match.group(1)
    return out


@contextmanager
def local_gcs(example: Snapshot) -> Iterator[dict[str, str]]:
    """Start one in-process emulator per project (free loopback ports); yield project → endpoint; always stop."""
    from gcp_storage_emulator.server import create_server

    logging.getLogger("gcp_storage_emulator").setLevel(logging.WARNING)
    for name in ("api.bucket", "api.object", "storage", "server"):
        logging.getLogger(name).setLevel(logging.WARNING)
    endpoints: dict[str, str] = {}
    with ExitStack() as stack:
        for project, number in sorted(project_numbers(example).items()):
            port = _free_port()
            server = create_server("127.0.0.1", port, in_memory=True, project_number=number)
            server.start()
            stack.callback(server.stop)
            endpoints[project] = f"http://127.0.0.1:{port}"
        yield endpoints


def seed_gcs(endpoints: Mapping[str, str], example: Snapshot) -> None:
    """Create every bucket of the example in its project's emulator, as recorded."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    for resource in example.of_type(TypeName.GCP_STORAGE_BUCKET):
        project = resource.account or ""
        if project not in endpoints:
            continue
        client = storage.Client(
            project=project, credentials=AnonymousCredentials(), client_options={"api_endpoint": endpoints[project]}
        )
        meta: Mapping[str, Any] = resource.document("metadata") or {}
        bucket = client.create_bucket(resource.name or resource.id.removeprefix("gs://"))
        config = meta.get("iamConfiguration") or {}
        bucket.labels = dict(meta.get("labels") or {})
        bucket.iam_configuration.uniform_bucket_level_access_enabled = bool(
            (config.get("uniformBucketLevelAccess") or {}).get("enabled")
        )
        if config.get("publicAccessPrevention"):
            bucket.iam_configuration.public_access_prevention = config["publicAccessPrevention"]
        if meta.get("location"):
            bucket._patch_property("location", meta["location"])  # the emulator ignores it at creation
        bucket.patch()
        for field, acl in (("acl", bucket.acl), ("defaultObjectAcl", bucket.default_object_acl)):
            if meta.get(field):
                acl.reload()
                for entry in meta[field]:
                    acl.entity_from_dict({"entity": entry["entity"], "role": entry["role"]})
                acl.save()
        recorded = resource.document("iam_policy")
        if recorded and recorded.get("bindings"):
            policy = bucket.get_iam_policy(requested_policy_version=3)
            policy.version = 3
            for binding in recorded["bindings"]:
                entry = {"role": binding["role"], "members": set(binding.get("members") or ())}
                if binding.get("condition"):
                    entry["condition"] = binding["condition"]
                policy.bindings.append(entry)
            bucket.set_iam_policy(policy)


def _ok(method: str, url: str, body: Any, **query: str) -> Recording:
    return Recording(method=method, url=url, query=query, body=body)


def _node_recordings(node: Resource, example: Snapshot) -> list[Recording]:
    kind, _, ident = node.id.partition("/")
    out = [
        _ok("GET", f"{_CRM}/v3/{node.id}", node.document("metadata") or {}),
        _ok("POST", f"{_CRM}/v3/{node.id}:getIamPolicy", node.document("iam_policy") or {}),
        _ok("GET", f"https://orgpolicy.googleapis.com/v2/{node.id}/policies", node.document("org_policies") or {}),
        _ok(
            "GET",
            f"{_IAM}/v2/policies/{quote(f'cloudresourcemanager.googleapis.com/{node.id}', safe='')}/denypolicies",
            node.document("deny_policies") or {},
        ),
    ]
    if kind in ("organizations", "projects"):
        out.append(_ok("GET", f"{_IAM}/v1/{node.id}/roles", node.document("custom_roles") or {}, view="FULL"))
    if kind == "projects":
        chain, current = [{"resourceId": {"type": "project", "id": ident}}], node.parent
        parents = {r.id: r.parent for r in example.resources}
        while current:
            parent_kind, _, parent_id = current.partition("/")
            chain.append({"resourceId": {"type": parent_kind.removesuffix("s"), "id": parent_id}})
            current = parents.get(current)
        out.append(_ok("POST", f"{_CRM}/v1/{node.id}:getAncestry", {"ancestor": chain}))
        # storage.hmacKeys.list: gcp-storage-emulator lacks it, so it is answered here too.
        hmac_keys = f"https://storage.googleapis.com/storage/v1/{node.id}/hmacKeys"
        out.append(_ok("GET", hmac_keys, node.document("hmac_keys") or {}))
        out.extend(_transfer_recordings(node))
    return out


def _transfer_recordings(project: Resource) -> list[Recording]:
    """Data Transfer configs per location (from each config's name) and Storage Transfer jobs, as listed."""
    ident = project.id.removeprefix("projects/")
    configs = (project.document("transfer_configs") or {}).get("transferConfigs") or []
    by_location: dict[str, list[Any]] = {"us": []}
    for config in configs:
        parts = str(config.get("name") or "").split("/")
        location = parts[3] if len(parts) > 3 and parts[2] == "locations" else "us"
        by_location.setdefault(location, []).append(config)
    dts = f"https://bigquerydatatransfer.googleapis.com/v1/{project.id}/locations"
    locations = [{"name": f"{project.id}/locations/{loc}", "locationId": loc} for loc in sorted(by_location)]
    out = [_ok("GET", dts, {"locations": locations})]
    out.extend(_ok("GET", f"{dts}/{loc}/transferConfigs", {"transferConfigs": listed})
               for loc, listed in by_location.items())  # fmt: skip
    jobs = (project.document("transfer_jobs") or {}).get("transferJobs") or []
    sts = "https://storagetransfer.googleapis.com/v1/transferJobs"
    plain, replication = transfer_jobs_filters(ident)
    out.append(_ok("GET", sts, {"transferJobs": [j for j in jobs if "replicationSpec" not in j]}, filter=plain))
    out.append(_ok("GET", sts, {"transferJobs": [j for j in jobs if "replicationSpec" in j]}, filter=replication))
    return out


def _bigquery_recordings(example: Snapshot) -> list[Recording]:
    out: list[Recording] = []
    datasets: dict[str, list[Resource]] = {}
    tables: dict[str, list[Resource]] = {}
    for dataset in example.of_type(TypeName.GCP_BIGQUERY_DATASET):
        datasets.setdefault(dataset.account or "", []).append(dataset)
    for table in example.of_type(TypeName.GCP_BIGQUERY_TABLE):
        tables.setdefault(table.parent or "", []).append(table)
    for project in (p.id.removeprefix("projects/") for p in example.of_type(TypeName.GCP_PROJECT)):
        listed = [
            {k: (d.document("metadata") or {}).get(k) for k in ("kind", "id", "datasetReference", "location")}
            for d in datasets.get(project, [])
        ]
        out.append(_ok("GET", f"{_BQ}/{project}/datasets", {"datasets": listed}, all="true"))
        for dataset in datasets.get(project, []):
            name = (dataset.document("metadata") or {}).get("datasetReference", {}).get("datasetId")
            base = f"{_BQ}/{project}/datasets/{name}"
            out.append(_ok("GET", base, dataset.document("metadata") or {}, accessPolicyVersion="3"))
            children = tables.get(dataset.id, [])
            listing = [
                {k: (t.document("metadata") or {}).get(k) for k in ("kind", "id", "tableReference", "type")}
                for t in children
            ]
            out.append(_ok("GET", f"{base}/tables", {"tables": listing}))
            for table in children:
                table_name = (table.document("metadata") or {}).get("tableReference", {}).get("tableId")
                out.append(_ok("GET", f"{base}/tables/{table_name}", table.document("metadata") or {}))
                out.append(_ok("POST", f"{base}/tables/{table_name}:getIamPolicy", table.document("iam_policy") or {}))
    return out


def recorded_google_apis(example: Snapshot) -> RecordedTransport:
    """The example's Resource Manager, org policy, IAM, BigQuery and Cloud Identity documents, as responses."""
    recordings: list[Recording] = []
    for type_ in (TypeName.GCP_ORGANIZATION, TypeName.GCP_FOLDER, TypeName.GCP_PROJECT):
        for node in example.of_type(type_):
            recordings.extend(_node_recordings(node, example))
    recordings.extend(_bigquery_recordings(example))
    for index, group in enumerate(example.of_type(TypeName.GCP_GROUP)):
        name = f"groups/demo{index:03d}"
        recordings.append(_ok("GET", f"{_CI}/groups:lookup", {"name": name}, **{"groupKey.id": group.id}))
        recordings.append(_ok("GET", f"{_CI}/{name}/memberships", group.document("memberships") or {}, view="FULL"))
    return RecordedTransport(recordings)
