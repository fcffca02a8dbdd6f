"""Cloud Asset Inventory exports (NDJSON) → a snapshot.

An export line is one asset, with Google's field names as exported (snake_case at the
top): ``name`` (``//storage.googleapis.com/BUCKET``), ``asset_type``, ``ancestors``
(``["projects/NUM", "folders/NUM", "organizations/NUM"]``) and the content exported:
``resource.data`` (RESOURCE), ``iam_policy`` (IAM_POLICY) or ``org_policy`` (ORG_POLICY)
(https://cloud.google.com/asset-inventory/docs/reference/rest/v1/Asset,
https://cloud.google.com/asset-inventory/docs/export-asset-metadata).  Lines of one
asset in several files (one export per content type) are merged by ``name``.

Also read from RESOURCE content (https://cloud.google.com/asset-inventory/docs/asset-types):
custom roles (``iam.googleapis.com/Role``, ``resource.data`` an IAM Role with
``includedPermissions``; https://cloud.google.com/iam/docs/reference/rest/v1/organizations.roles)
become the ``custom_roles`` read of their organisation or project, as the scanner records
``iam.roles.list``; organisation policies in the v2 shape (``orgpolicy.googleapis.com/Policy``,
``resource.data`` an orgpolicy v2 Policy with ``name`` and ``spec``;
https://cloud.google.com/resource-manager/docs/reference/orgpolicy/rest/v2/organizations.policies)
join their node's ``org_policies`` read, next to the v1 ORG_POLICY content; buckets and
datasets give each project its ``buckets`` and ``datasets`` listings, BigQuery tables and
routines (``bigquery.googleapis.com/Table``, ``…/Routine``) each dataset its ``tables`` and
``routines`` listings (names only, in the shapes the scanner records).

What an export does not hold is recorded as a **gap** (outcome ``error``, code
``NotInExport``), never as "none": deny policies (CAI has no IAM v2 content), HMAC keys, a bucket's
ACLs when ``resource.data`` has none and uniform access is off, a dataset's access list
when ``resource.data`` has none, any content type the files do not contain at all, and
**an asset type seenby needs that the export holds no asset of** (an export filtered by
``--asset-types``): then every read that type would give (``custom_roles``, ``buckets``,
``datasets``, ``tables``) is a gap.  An asset type present anywhere in the export is taken
as exported in full: a project with no bucket asset has no buckets.  Routines are not
needed to evaluate (authorized routines are dataset access entries): read when exported,
no gap otherwise.  A resource that has no IAM policy line in an export that holds
IAM_POLICY content is ``absent`` (CAI lists only resources with a policy set).

The snapshot's ``collected_at`` is the newest ``update_time`` in the export (it was taken at
or after that), so merging it with a live scan compares like with like; merging keeps the
newest *read* of each resource, and a ``NotInExport`` placeholder never replaces a read a
scan made (:func:`seenby.snapshot.merge_snapshots`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from seenby.errors import InputError
from seenby.model import ReadOutcome
from seenby.registry import BigQueryDatasetRead, BigQueryTableRead, GcpNodeRead, GcsBucketRead, TypeName
from seenby.snapshot import NOT_IN_EXPORT, Read, Resource, Snapshot, new_snapshot

__all__ = ["ASSET_TYPES", "NOT_IN_EXPORT", "SUPPORTING_TYPES", "import_cai"]

ROLE_TYPE = "iam.googleapis.com/Role"
ORG_POLICY_TYPE = "orgpolicy.googleapis.com/Policy"
ROUTINE_TYPE = "bigquery.googleapis.com/Routine"
SUPPORTING_TYPES = (ROLE_TYPE, ORG_POLICY_TYPE, ROUTINE_TYPE)
"""Asset types read into another resource's reads (not resources of their own)."""
ASSET_TYPES = {
    "cloudresourcemanager.googleapis.com/Organization": TypeName.GCP_ORGANIZATION,
    "cloudresourcemanager.googleapis.com/Folder": TypeName.GCP_FOLDER,
    "cloudresourcemanager.googleapis.com/Project": TypeName.GCP_PROJECT,
    "storage.googleapis.com/Bucket": TypeName.GCP_STORAGE_BUCKET,
    "bigquery.googleapis.com/Dataset": TypeName.GCP_BIGQUERY_DATASET,
    "bigquery.googleapis.com/Table": TypeName.GCP_BIGQUERY_TABLE,
}
_NODE_SERVICE = {
    TypeName.GCP_ORGANIZATION: "organizations",
    TypeName.GCP_FOLDER: "folders",
    TypeName.GCP_PROJECT: "projects",
}
_BQ_NAME = re.compile(r"^//bigquery\.googleapis\.com/projects/([^/]+)/datasets/([^/]+)(?:/tables/([^/]+))?$")
_SNAKE = re.compile(r"_([a-z])")
_ROUTINE_NAME = re.compile(r"^//bigquery\.googleapis\.com/projects/([^/]+)/datasets/([^/]+)/routines/([^/]+)$")
_OWNER = re.compile(r"^(organizations/[^/]+|folders/[^/]+|projects/[^/]+)/")


class CaiError(InputError):
    """A Cloud Asset Inventory export line that cannot be read."""


@dataclass(kw_only=True)
class _Asset:
    name: str
    asset_type: str
    data: Mapping[str, Any] | None = None
    location: str | None = None
    iam_policy: Mapping[str, Any] | None = None
    org_policy: list[Any] | None = None
    ancestors: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class _Export:
    assets: dict[str, _Asset] = field(default_factory=dict)
    has_resource: bool = False
    has_iam: bool = False
    has_org: bool = False
    asset_types: set[str] = field(default_factory=set)  # types with at least one RESOURCE line
    newest_update: str | None = None

    def exported(self, asset_type: str) -> bool:
        return asset_type in self.asset_types


def _gap(api: str, what: str) -> Read:
    return Read(
        outcome=ReadOutcome.ERROR,
        api=api,
        error_code=NOT_IN_EXPORT,
        message=f"{what} is not in the Cloud Asset Inventory export",
    )


def _ok(api: str, document: Any) -> Read:
    return Read(outcome=ReadOutcome.OK, api=api, document=document)


def _camel(value: Any) -> Any:
    """An exported v1 organisation policy (``boolean_policy``) in the API's JSON spelling (``booleanPolicy``)."""
    if isinstance(value, Mapping):
        return {_SNAKE.sub(lambda m: m.group(1).upper(), str(k)): _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def _line(path: str, number: int, text: str) -> dict[str, Any]:
    def bad(message: str) -> CaiError:
        return CaiError(message, file=path, where=f"line {number}")

    try:
        row = json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad(f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(row, dict):
        raise bad("an export line is a JSON object (one asset)")
    for key in ("name", "asset_type"):
        if not isinstance(row.get(key), str) or not row[key]:
            raise bad(f"`{key}` is missing or not a string (is this a Cloud Asset Inventory export?)")
    resource = row.get("resource")
    if resource is not None and not (isinstance(resource, dict) and isinstance(resource.get("data", {}), dict)):
        raise bad("`resource` must be an object whose `data` is an object")
    if row.get("iam_policy") is not None and not isinstance(row["iam_policy"], dict):
        raise bad("`iam_policy` must be an object")
    if row.get("org_policy") is not None and not isinstance(row["org_policy"], list):
        raise bad("`org_policy` must be a list")
    ancestors = row.get("ancestors")
    if ancestors is not None and not (isinstance(ancestors, list) and all(isinstance(a, str) for a in ancestors)):
        raise bad("`ancestors` must be a list of strings")
    return row


def _read_files(paths: Iterable[str | Path]) -> _Export:
    export = _Export()
    for path in paths:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CaiError(f"cannot read: {exc}", file=str(p)) from None
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            row = _line(str(p), number, line)
            asset = export.assets.setdefault(row["name"], _Asset(name=row["name"], asset_type=row["asset_type"]))
            asset.ancestors = row.get("ancestors") or asset.ancestors
            updated = row.get("update_time")
            if isinstance(updated, str) and updated:
                export.newest_update = max(export.newest_update or updated, updated)
            if row.get("resource") is not None:
                export.has_resource = True
                export.asset_types.add(row["asset_type"])
                asset.data = row["resource"].get("data")
                asset.location = row["resource"].get("location") or asset.location
            if row.get("iam_policy") is not None:
                export.has_iam = True
                asset.iam_policy = row["iam_policy"]
            if row.get("org_policy") is not None:
                export.has_org = True
                asset.org_policy = row["org_policy"]
    return export


class _Builder:
    def __init__(self, export: _Export) -> None:
        self.export = export
        self.project_ids: dict[str, str] = {}  # project number -> id
        for asset in export.assets.values():
            if asset.asset_type.endswith("/Project") and asset.data:
                number = str(asset.data.get("projectNumber") or asset.name.rsplit("/", 1)[-1])
                if asset.data.get("projectId"):
                    self.project_ids[number] = str(asset.data["projectId"])
        # what supporting assets add to other resources' reads, by the resource they belong to
        self.roles: dict[str, list[dict[str, Any]]] = {}  # organizations/N | projects/ID -> roles
        self.v2_policies: dict[str, list[dict[str, Any]]] = {}  # node -> orgpolicy v2 policies
        self.children: dict[tuple[str, str], list[str]] = {}  # (parent id, listing read) -> child names
        for asset in export.assets.values():
            self._index(asset)

    def _owner(self, name: str) -> str | None:
        match = _OWNER.match(name)
        return self.node_id(match.group(1)) if match else None

    def _child(self, parent: str, read: str, name: str) -> None:
        self.children.setdefault((parent, read), []).append(name)

    def _index(self, asset: _Asset) -> None:
        data = asset.data
        if asset.asset_type == ROLE_TYPE and data and data.get("name") and not data.get("deleted"):
            owner = self._owner(str(data["name"]))
            if owner is not None:
                role = {"name": str(data["name"]), "includedPermissions": list(data.get("includedPermissions") or [])}
                self.roles.setdefault(owner, []).append(role)
        elif asset.asset_type == ORG_POLICY_TYPE and data and data.get("name"):
            owner = self._owner(str(data["name"]))
            if owner is not None:
                self.v2_policies.setdefault(owner, []).append(dict(data))
        elif asset.asset_type == ROUTINE_TYPE and (routine := _ROUTINE_NAME.match(asset.name)):
            project, dataset, name = routine.groups()
            self._child(f"bigquery://{project}.{dataset}", BigQueryDatasetRead.ROUTINES, name)
        elif asset.asset_type == "storage.googleapis.com/Bucket":
            project = self.project_of(asset.ancestors[0] if asset.ancestors else None)
            if project:
                self._child(f"projects/{project}", GcpNodeRead.BUCKETS, asset.name.rsplit("/", 1)[-1])
        elif asset.asset_type.startswith("bigquery.googleapis.com/") and (bq := _BQ_NAME.match(asset.name)):
            project, dataset, table = bq.groups()
            if table is None:
                self._child(f"projects/{project}", GcpNodeRead.DATASETS, dataset)
            else:
                self._child(f"bigquery://{project}.{dataset}", BigQueryDatasetRead.TABLES, table)

    def listing(self, parent: str, read: str, asset_type: str, api: str) -> Read:
        """A listing the scanner would make (names only), or a gap when the export holds no asset of the type."""
        if not self.export.exported(asset_type):
            return _gap(api, f"the {read} listing ({asset_type} assets)")
        names = sorted(self.children.get((parent, read), ()))
        if read == "buckets":
            return _ok(api, {"items": [{"name": n} for n in names]})
        project = parent.removeprefix("projects/").removeprefix("bigquery://").split(".", 1)[0]
        if read == "datasets":
            refs = [{"datasetReference": {"projectId": project, "datasetId": n}} for n in names]
            return _ok(api, {"datasets": refs})
        dataset = parent.rsplit(".", 1)[-1]
        key, id_field = ("tableReference", "tableId") if read == "tables" else ("routineReference", "routineId")
        return _ok(api, {read: [{key: {"projectId": project, "datasetId": dataset, id_field: n}} for n in names]})

    def org_policies(self, node: str, asset: _Asset) -> Read:
        api = "orgpolicy.policies.list"
        if not (self.export.has_org or self.export.exported(ORG_POLICY_TYPE)):
            return _gap(api, "the organisation policies (ORG_POLICY content or orgpolicy.googleapis.com/Policy assets)")
        return _ok(api, {"policies": [*_camel(asset.org_policy or []), *self.v2_policies.get(node, [])]})

    def custom_roles(self, node: str) -> Read:
        api = "iam.roles.list"
        if not self.export.exported(ROLE_TYPE):
            return _gap(api, f"custom roles ({ROLE_TYPE} assets)")
        return _ok(api, {"roles": sorted(self.roles.get(node, []), key=lambda r: r["name"])})

    def project_of(self, ancestor: str | None) -> str | None:
        if not ancestor or not ancestor.startswith("projects/"):
            return None
        number = ancestor.removeprefix("projects/")
        return self.project_ids.get(number, number)

    def node_id(self, ancestor: str) -> str:
        project = self.project_of(ancestor)
        return f"projects/{project}" if project else ancestor

    def resource_read(self, asset: _Asset, api: str) -> Read:
        if asset.data is not None:
            return _ok(api, dict(asset.data))
        return _gap(api, "the resource (RESOURCE content)")

    def iam_read(self, asset: _Asset, api: str) -> Read:
        if asset.iam_policy is not None:
            return _ok(api, dict(asset.iam_policy))
        if self.export.has_iam:
            return Read(outcome=ReadOutcome.ABSENT, api=api, error_code="NoPolicyInExport")
        return _gap(api, "the IAM policy (IAM_POLICY content)")

    def node(self, asset: _Asset, type_: str) -> Resource:
        service = _NODE_SERVICE[type_]
        ident = asset.name.split("cloudresourcemanager.googleapis.com/", 1)[-1]
        if type_ == TypeName.GCP_PROJECT:
            ident = self.node_id(ident)
        reads = {
            GcpNodeRead.METADATA: self.resource_read(asset, f"cloudresourcemanager.{service}.get"),
            GcpNodeRead.IAM_POLICY: self.iam_read(asset, f"cloudresourcemanager.{service}.getIamPolicy"),
            GcpNodeRead.ORG_POLICIES: self.org_policies(ident, asset),
            GcpNodeRead.DENY_POLICIES: _gap("iam.policies.listPolicies", "IAM deny policies"),
        }
        if type_ in (TypeName.GCP_ORGANIZATION, TypeName.GCP_PROJECT):
            reads[GcpNodeRead.CUSTOM_ROLES] = self.custom_roles(ident)
        if type_ == TypeName.GCP_PROJECT:
            # HMAC keys are credentials into service accounts; an export does not list them.
            reads[GcpNodeRead.HMAC_KEYS] = _gap("storage.hmacKeys.list", "Cloud Storage HMAC keys")
            # Where the data is copied (docs/flows.md): this importer reads no transfer configs or jobs from
            # an export, so the project's flows are unknown, never "none".
            reads[GcpNodeRead.TRANSFER_CONFIGS] = _gap(
                "bigquerydatatransfer.projects.locations.transferConfigs.list", "BigQuery Data Transfer configs"
            )
            reads[GcpNodeRead.TRANSFER_JOBS] = _gap("storagetransfer.transferJobs.list", "Storage Transfer jobs")
            reads[GcpNodeRead.BUCKETS] = self.listing(
                ident, GcpNodeRead.BUCKETS, "storage.googleapis.com/Bucket", "storage.buckets.list"
            )
            reads[GcpNodeRead.DATASETS] = self.listing(
                ident, GcpNodeRead.DATASETS, "bigquery.googleapis.com/Dataset", "bigquery.datasets.list"
            )
        data = asset.data or {}
        name = data.get("displayName") or data.get("projectId") or data.get("name")
        parent = self.node_id(asset.ancestors[1]) if len(asset.ancestors) > 1 else None
        return Resource(
            type=type_,
            id=ident,
            name=str(name) if name else None,
            account=ident.removeprefix("projects/") if type_ == TypeName.GCP_PROJECT else None,
            parent=parent,
            reads=reads,
        )

    def bucket(self, asset: _Asset) -> Resource:
        bucket = asset.name.rsplit("/", 1)[-1]
        project = self.project_of(asset.ancestors[0] if asset.ancestors else None)
        reads = {
            GcsBucketRead.METADATA: self.resource_read(asset, "storage.buckets.get"),
            GcsBucketRead.IAM_POLICY: self.iam_read(asset, "storage.buckets.getIamPolicy"),
        }
        data = asset.data
        if data is not None:
            config = data.get("iamConfiguration") or {}
            uniform = bool(
                (config.get("uniformBucketLevelAccess") or config.get("bucketPolicyOnly") or {}).get("enabled")
            )
            if not uniform:
                if "acl" not in data:
                    reads[GcsBucketRead.ACL] = _gap("storage.bucketAccessControls.list", "the bucket ACL")
                if "defaultObjectAcl" not in data:
                    reads[GcsBucketRead.DEFAULT_OBJECT_ACL] = _gap(
                        "storage.defaultObjectAccessControls.list", "the default object ACL"
                    )
                # objects are not exported: their own ACLs are unknown
                reads[GcsBucketRead.OBJECT_ACLS] = _gap("storage.objects.list", "the objects' ACLs")
        return Resource(
            type=TypeName.GCP_STORAGE_BUCKET,
            id=f"gs://{bucket}",
            name=bucket,
            account=project,
            region=str((data or {}).get("location") or asset.location or "") or None,
            parent=f"projects/{project}" if project else None,
            reads=reads,
        )

    def bigquery(self, asset: _Asset, type_: str) -> Resource | None:
        match = _BQ_NAME.match(asset.name)
        if match is None:
            return None
        project, dataset, table = match.groups()
        region = str((asset.data or {}).get("location") or asset.location or "") or None
        if type_ == TypeName.GCP_BIGQUERY_DATASET:
            reads = {
                BigQueryDatasetRead.METADATA: self.resource_read(asset, "bigquery.datasets.get"),
                BigQueryDatasetRead.IAM_POLICY: self.iam_read(asset, "bigquery.datasets.getIamPolicy"),
            }
            if asset.data is not None and "access" not in asset.data:
                reads[BigQueryDatasetRead.ACCESS] = _gap("bigquery.datasets.get", "the dataset's access list")
            ident = f"bigquery://{project}.{dataset}"
            tables, routines = BigQueryDatasetRead.TABLES, BigQueryDatasetRead.ROUTINES
            reads[tables] = self.listing(ident, tables, "bigquery.googleapis.com/Table", "bigquery.tables.list")
            if self.export.exported(ROUTINE_TYPE):
                reads[routines] = self.listing(ident, routines, ROUTINE_TYPE, "bigquery.routines.list")
            return Resource(
                type=type_,
                id=f"bigquery://{project}.{dataset}",
                name=f"{project}.{dataset}",
                account=project,
                region=region,
                parent=f"projects/{project}",
                reads=reads,
            )
        return Resource(
            type=type_,
            id=f"bigquery://{project}.{dataset}.{table}",
            name=f"{project}.{dataset}.{table}",
            account=project,
            region=region,
            parent=f"bigquery://{project}.{dataset}",
            reads={
                BigQueryTableRead.METADATA: self.resource_read(asset, "bigquery.tables.get"),
                BigQueryTableRead.IAM_POLICY: self.iam_read(asset, "bigquery.tables.getIamPolicy"),
            },
        )

    def build(self) -> list[Resource]:
        out: dict[tuple[str, str], Resource] = {}
        for asset in self.export.assets.values():
            type_ = ASSET_TYPES.get(asset.asset_type)
            if type_ is None:
                continue
            if type_ in _NODE_SERVICE:
                resource: Resource | None = self.node(asset, type_)
            elif type_ == TypeName.GCP_STORAGE_BUCKET:
                resource = self.bucket(asset)
            else:
                resource = self.bigquery(asset, type_)
            if resource is not None:
                out[(resource.type, resource.id)] = resource
        return sorted(out.values(), key=lambda r: (list(ASSET_TYPES.values()).index(r.type), r.id))


def import_cai(paths: Iterable[str | Path]) -> Snapshot:
    """One snapshot from one or more export files; a malformed line raises :class:`CaiError` naming file and line."""
    paths = list(paths)
    export = _read_files(paths)
    resources = _Builder(export).build()
    projects = sorted(r.id.removeprefix("projects/") for r in resources if r.type == TypeName.GCP_PROJECT)
    orgs = sorted(r.id for r in resources if r.type == TypeName.GCP_ORGANIZATION)
    scope = {"gcp_projects": projects, "gcp_organization": orgs[0] if orgs else None}
    return new_snapshot(resources, scope=scope, mode="import", collected_at=_export_time(export))


def _export_time(export: _Export) -> datetime | None:
    """The newest ``update_time`` of the export (a lower bound of when it was taken), or None (now)."""
    if not export.newest_update:
        return None
    try:
        return datetime.fromisoformat(export.newest_update.replace("Z", "+00:00"))
    except ValueError:
        return None
