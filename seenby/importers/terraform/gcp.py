"""Google Cloud resources of a plan → snapshot documents (docs/snapshot.md), one builder per Terraform type.

Attribute names are the Google provider's
(https://registry.terraform.io/providers/hashicorp/google/latest/docs); document shapes are
the REST resources the scanner stores.  IAM resources follow the provider's documented
semantics: ``*_iam_policy`` replaces the whole policy, ``*_iam_binding`` is authoritative for
one role (and condition), ``*_iam_member`` adds one member.  A bucket the plan creates gets
the default bucket policy Cloud Storage gives a new bucket (legacy roles for the project's
convenience values, https://cloud.google.com/storage/docs/access-control/iam#convenience-values);
a dataset created without ``access`` blocks gets BigQuery's documented default entries
(https://cloud.google.com/bigquery/docs/reference/rest/v2/datasets#Dataset.FIELDS.access).
"""

from __future__ import annotations

import json
from typing import Any

from seenby.importers.terraform.aws import name_gap
from seenby.importers.terraform.context import Builder, Context, unplaced_gap
from seenby.importers.terraform.plan import PlannedResource
from seenby.importers.terraform.resolve import Unknown, is_unknown, name_prefix, unknown_name
from seenby.importers.terraform.state import Draft, ok, unknown
from seenby.registry import BigQueryDatasetRead, BigQueryTableRead, GcpNodeRead, GcsBucketRead, TypeName

__all__ = ["GCP_BUILDERS", "GCP_DELETERS", "finish_hierarchy"]


def _is_member(value: Any) -> bool:
    return isinstance(value, str) and (":" in value or value in ("allUsers", "allAuthenticatedUsers"))


def _project_draft(ctx: Context, project: str) -> Draft:
    return ctx.state.draft(TypeName.GCP_PROJECT, f"projects/{project}", name=project)


def _bucket_draft(ctx: Context, res: PlannedResource, name: str) -> Draft:
    existing = ctx.state.get(TypeName.GCP_STORAGE_BUCKET, f"gs://{name}")
    if existing is not None:
        return existing
    project = ctx.resolver.project_of(res)
    return ctx.state.draft(TypeName.GCP_STORAGE_BUCKET, f"gs://{name}", name=name, account=project,
                           parent=f"projects/{project}" if project else None)


def storage_bucket(ctx: Context, res: PlannedResource) -> None:
    name = ctx.get(res, "name")
    name_known = isinstance(name, str) and bool(name)
    name = name if name_known else unknown_name(res.address, name_prefix(res))
    project = ctx.resolver.project_of(res)
    d = _bucket_draft(ctx, res, name)
    origin = ctx.origin(res)
    ctx.state.defines(d, origin)
    if not name_known:
        name_gap(ctx, res, d, "name", "storage.buckets.list")
    location = ctx.get(res, "location")
    labels = ctx.get(res, "effective_labels")
    if not isinstance(labels, dict):
        labels = ctx.get(res, "labels")
    uniform = ctx.get(res, "uniform_bucket_level_access")
    prevention = ctx.get(res, "public_access_prevention")
    meta: dict[str, Any] = {
        "kind": "storage#bucket", "id": name, "name": name,
        "location": location.upper() if isinstance(location, str) else None,
        "labels": {k: v for k, v in (labels or {}).items() if not k.startswith("goog-terraform")},
        "iamConfiguration": {
            "uniformBucketLevelAccess": {"enabled": bool(uniform) if not is_unknown(uniform) else False},
            "publicAccessPrevention": prevention if isinstance(prevention, str) and prevention else "inherited",
        },
    }
    old = d.reads.get(GcsBucketRead.METADATA)
    if old is not None and old.ok and isinstance(old.document, dict):
        for key in ("acl", "defaultObjectAcl", "projectNumber"):
            if key in old.document:
                meta[key] = old.document[key]
    api = "storage.buckets.get"
    # Known only after apply: taken at the least protective value (fine-grained ACLs on, prevention
    # inherited), so the ACLs and bindings are judged, and reported as the gap it is.
    ctx.state.set_read(d, GcsBucketRead.METADATA, ok(api, meta), origin)
    for attribute, value in (("uniform_bucket_level_access", uniform), ("public_access_prevention", prevention)):
        if is_unknown(value):
            ctx.state.set_read(d, attribute, unknown(api, value), origin)
    d.region = meta["location"] or d.region
    if not d.in_baseline and GcsBucketRead.IAM_POLICY not in d.reads and project:
        ctx.state.set_read(d, GcsBucketRead.IAM_POLICY, ok("storage.buckets.getIamPolicy", {"version": 1, "bindings": [
            {"role": "roles/storage.legacyBucketOwner", "members": [f"projectEditor:{project}",
                                                                     f"projectOwner:{project}"]},
            {"role": "roles/storage.legacyBucketReader", "members": [f"projectViewer:{project}"]}]}), origin)


def _bindings_of(d: Draft, read_name: str) -> list[dict[str, Any]]:
    read = d.reads.get(read_name)
    if read is not None and read.ok and isinstance(read.document, dict):
        return json.loads(json.dumps(read.document.get("bindings") or []))
    return []


def _condition(ctx: Context, res: PlannedResource) -> dict[str, Any] | None:
    block = ctx.get(res, "condition")
    if isinstance(block, list) and block:
        c = block[0]
        return {k: c[k] for k in ("title", "description", "expression") if c.get(k)}
    return None


class _Iam:
    """Applies one ``*_iam_policy|binding|member`` resource to a draft's allow policy read."""

    def __init__(self, ctx: Context, res: PlannedResource, d: Draft, read_name: str, api: str) -> None:
        self.ctx, self.res, self.d, self.read_name, self.api = ctx, res, d, read_name, api

    def gap(self, what: Unknown) -> None:
        self.ctx.state.set_read(self.d, self.read_name, unknown(self.api, what), self.ctx.origin(self.res))

    def write(self, bindings: list[dict[str, Any]]) -> None:
        doc = {"version": 3 if any("condition" in b for b in bindings) else 1,
               "bindings": [b for b in bindings if b.get("members")]}
        self.ctx.state.set_read(self.d, self.read_name, ok(self.api, doc), self.ctx.origin(self.res))

    def note(self, role: str, members: list[str]) -> None:
        origin = self.ctx.origin(self.res)
        for m in members:
            self.ctx.state.index.members[(self.d.id, role, m)] = origin

    def apply(self) -> None:
        kind = self.res.type.rsplit("_", 1)[-1]
        bindings = _bindings_of(self.d, self.read_name)
        if kind == "policy":
            raw = self.ctx.get(self.res, "policy_data")
            if is_unknown(raw):
                self.gap(raw)
                return
            try:
                bindings = list(json.loads(raw or "{}").get("bindings") or [])
            except json.JSONDecodeError as exc:
                from seenby.errors import PlanError

                raise PlanError(f"policy_data of {self.res.address} is not valid JSON: {exc.msg}",
                                file=self.ctx.plan.source, where=self.res.place("policy_data")) from None
            for b in bindings:
                self.note(str(b.get("role")), list(b.get("members") or []))
            self.write(bindings)
            return
        role = self.ctx.get(self.res, "role")
        condition = _condition(self.ctx, self.res)
        if kind == "binding":
            members = self.ctx.get(self.res, "members", shape=lambda v: isinstance(v, list) and all(map(_is_member, v)))
            if is_unknown(members) or is_unknown(role):
                self.gap(members if is_unknown(members) else role)
                return
            bindings = [b for b in bindings if not (b.get("role") == role and b.get("condition") == condition)]
            entry: dict[str, Any] = {"role": role, "members": sorted(members or [])}
        else:
            member = self.ctx.get(self.res, "member", shape=_is_member)
            if is_unknown(member) or is_unknown(role):
                self.gap(member if is_unknown(member) else role)
                return
            same = next((b for b in bindings if b.get("role") == role and b.get("condition") == condition), None)
            if same is not None:
                if member not in same["members"]:
                    same["members"].append(member)
                self.note(str(role), [member])
                self.write(bindings)
                return
            entry = {"role": role, "members": [member]}
        if condition:
            entry["condition"] = condition
        bindings.append(entry)
        self.note(str(role), entry["members"])
        self.write(bindings)

    def remove(self) -> None:
        kind = self.res.type.rsplit("_", 1)[-1]
        role = self.res.value("role")
        bindings = _bindings_of(self.d, self.read_name)
        if kind == "policy":
            bindings = []
        elif kind == "binding":
            bindings = [b for b in bindings if b.get("role") != role]
        else:
            for b in bindings:
                if b.get("role") == role:
                    b["members"] = [m for m in b.get("members") or [] if m != self.res.value("member")]
        self.write(bindings)


def _storage_iam_target(ctx: Context, res: PlannedResource, values_only: bool = False) -> Draft | None:
    bucket = res.value("bucket") if values_only else ctx.get(res, "bucket", shape=lambda v: isinstance(v, str))
    if not isinstance(bucket, str):
        if not values_only:
            what = bucket if is_unknown(bucket) else Unknown(address=res.address, attribute="bucket",
                                                              where=res.place("bucket"))
            unplaced_gap(ctx, res, what, api="storage.buckets.list",
                         why="the bucket it configures is known only after apply: it may be any bucket of the project")
        return None
    name = bucket.removeprefix("b/").removeprefix("gs://")
    return _bucket_draft(ctx, res, name)


def storage_bucket_iam(ctx: Context, res: PlannedResource) -> None:
    d = _storage_iam_target(ctx, res)
    if d is not None:
        _Iam(ctx, res, d, "iam_policy", "storage.buckets.getIamPolicy").apply()


_PREDEFINED = {  # https://cloud.google.com/storage/docs/access-control/lists#predefined-acl
    "publicRead": [("allUsers", "READER")],
    "publicReadWrite": [("allUsers", "READER"), ("allUsers", "WRITER")],
    "authenticatedRead": [("allAuthenticatedUsers", "READER")],
    "private": [],
    "projectPrivate": [],
}


_METADATA_API = "storage.buckets.get"


def _bucket_metadata(ctx: Context, res: PlannedResource, *, values_only: bool = False) -> tuple[Draft, Any] | None:
    """The bucket ``res`` changes and a private copy of its metadata document; None when the bucket is not
    in the planned state or its metadata is unknown already (its gap, or absence, stands)."""
    d = _storage_iam_target(ctx, res, values_only=values_only)
    read = d.reads.get(GcsBucketRead.METADATA) if d is not None else None
    if d is None or read is None or not read.ok:
        return None
    return d, json.loads(json.dumps(read.document))


def storage_bucket_acl(ctx: Context, res: PlannedResource) -> None:
    found = _bucket_metadata(ctx, res)
    if found is None:
        return
    d, meta = found
    api = _METADATA_API
    entries = ctx.get(res, "role_entity")
    predefined = ctx.get(res, "predefined_acl")
    if is_unknown(entries) or is_unknown(predefined):
        ctx.state.set_read(d, GcsBucketRead.METADATA, unknown(api, entries if is_unknown(entries) else predefined),
                           ctx.origin(res))
        return
    acl = []
    for item in entries or []:
        role, _, entity = str(item).partition(":")
        acl.append({"entity": entity, "role": role})
    for entity, role in _PREDEFINED.get(str(predefined or ""), []):
        acl.append({"entity": entity, "role": role})
    meta["acl"] = acl
    ctx.state.set_read(d, GcsBucketRead.METADATA, ok(api, meta), ctx.origin(res))


def _access_control(field: str) -> Builder:
    """``google_storage_{bucket,default_object}_access_control``: one entity's entry of the bucket's ACL.

    The provider manages one ``entity``'s role in the bucket ACL (``acl``) or the default
    object ACL (``defaultObjectAcl``) of the bucket resource
    (https://cloud.google.com/storage/docs/json_api/v1/bucketAccessControls).
    """

    def build(ctx: Context, res: PlannedResource) -> None:
        found = _bucket_metadata(ctx, res)
        if found is None:
            return
        d, meta = found
        api = _METADATA_API
        entity = ctx.get(res, "entity", shape=lambda v: isinstance(v, str) and bool(v))
        role = ctx.get(res, "role", shape=lambda v: isinstance(v, str) and bool(v))
        if is_unknown(entity) or is_unknown(role):
            what = entity if is_unknown(entity) else role
            ctx.state.set_read(d, GcsBucketRead.METADATA, unknown(api, what), ctx.origin(res))
            return
        entries = [e for e in meta.get(field) or [] if e.get("entity") != entity]
        entries.append({"entity": entity, "role": role})
        meta[field] = entries
        ctx.state.set_read(d, GcsBucketRead.METADATA, ok(api, meta), ctx.origin(res))
        ctx.state.index.members[(d.id, f"{field}:{role}", str(entity))] = ctx.origin(res)

    return build


def _delete_access_control(field: str) -> Builder:
    def delete(ctx: Context, res: PlannedResource) -> None:
        found = _bucket_metadata(ctx, res, values_only=True)
        if found is None:
            return
        d, meta = found
        meta[field] = [e for e in meta.get(field) or [] if e.get("entity") != res.value("entity")]
        ctx.state.set_read(d, GcsBucketRead.METADATA, ok(_METADATA_API, meta), ctx.origin(res))

    return delete


# -- BigQuery -------------------------------------------------------------------------------------

_ACCESS_FIELDS = {
    "user_by_email": "userByEmail",
    "group_by_email": "groupByEmail",
    "domain": "domain",
    "special_group": "specialGroup",
    "iam_member": "iamMember",
}


def _access_entry(block: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if block.get("role"):
        entry["role"] = block["role"]
    for tf, api in _ACCESS_FIELDS.items():
        if block.get(tf):
            entry[api] = block[tf]
    view = (block.get("view") or [None])[0]
    if view:
        entry["view"] = {
            "projectId": view.get("project_id"),
            "datasetId": view.get("dataset_id"),
            "tableId": view.get("table_id"),
        }
    routine = (block.get("routine") or [None])[0]
    if routine:
        entry["routine"] = {
            "projectId": routine.get("project_id"),
            "datasetId": routine.get("dataset_id"),
            "routineId": routine.get("routine_id"),
        }
    ds = (block.get("dataset") or [None])[0]
    if ds:
        inner = (ds.get("dataset") or [{}])[0]
        entry["dataset"] = {
            "dataset": {"projectId": inner.get("project_id"), "datasetId": inner.get("dataset_id")},
            "targetTypes": ds.get("target_types") or [],
        }
    return entry


def _member_entry(role: str, member: str) -> dict[str, Any]:
    """An IAM member as a dataset access entry (how BigQuery stores dataset IAM)."""
    kind, _, value = member.partition(":")
    if member == "allAuthenticatedUsers":
        return {"role": role, "specialGroup": "allAuthenticatedUsers"}
    if kind in ("user", "serviceAccount"):
        return {"role": role, "userByEmail": value}
    if kind == "group":
        return {"role": role, "groupByEmail": value}
    if kind == "domain":
        return {"role": role, "domain": value}
    return {"role": role, "iamMember": member}


def _dataset_draft(ctx: Context, res: PlannedResource) -> Draft | None:
    dataset = ctx.get(res, "dataset_id", shape=lambda v: isinstance(v, str))
    project = ctx.resolver.project_of(res)
    if not isinstance(dataset, str) or not project:
        return None
    dataset = dataset.rsplit("/", 1)[-1]
    return ctx.state.draft(
        TypeName.GCP_BIGQUERY_DATASET,
        f"bigquery://{project}.{dataset}",
        name=f"{project}.{dataset}",
        account=project,
        parent=f"projects/{project}",
    )


def bigquery_dataset(ctx: Context, res: PlannedResource) -> None:
    d = _dataset_draft(ctx, res)
    if d is None:
        return
    project, dataset = d.id.removeprefix("bigquery://").rsplit(".", 1)
    origin = ctx.origin(res)
    ctx.state.defines(d, origin)
    api = "bigquery.datasets.get"
    labels = ctx.get(res, "effective_labels")
    if not isinstance(labels, dict):
        labels = ctx.get(res, "labels")
    location = ctx.get(res, "location")
    meta: dict[str, Any] = {
        "kind": "bigquery#dataset",
        "id": f"{project}:{dataset}",
        "datasetReference": {"projectId": project, "datasetId": dataset},
        "location": location if isinstance(location, str) else None,
        "labels": {k: v for k, v in (labels or {}).items() if not k.startswith("goog-terraform")},
    }
    access = ctx.get(res, "access")
    if is_unknown(access) and "access" not in res.expressions:
        access = [
            {"role": "OWNER", "special_group": "projectOwners"},
            {"role": "WRITER", "special_group": "projectWriters"},
            {"role": "READER", "special_group": "projectReaders"},
        ]
    if is_unknown(access):
        meta["access"] = []
        ctx.state.set_read(d, BigQueryDatasetRead.METADATA, ok(api, meta), origin)
        ctx.state.set_read(d, BigQueryDatasetRead.ACCESS, unknown(api, access), origin)
        return
    meta["access"] = [_access_entry(b) for b in access or []]
    ctx.state.set_read(d, BigQueryDatasetRead.METADATA, ok(api, meta), origin)
    d.region = meta["location"] or d.region


def _dataset_meta(d: Draft) -> dict[str, Any] | None:
    read = d.reads.get(BigQueryDatasetRead.METADATA)
    if read is None or not read.ok or not isinstance(read.document, dict):
        return None
    return json.loads(json.dumps(read.document))


def bigquery_dataset_access(ctx: Context, res: PlannedResource) -> None:
    d = _dataset_draft(ctx, res)
    if d is None or (meta := _dataset_meta(d)) is None:
        return
    entry = _access_entry({k: ctx.get(res, k) for k in ("role", *_ACCESS_FIELDS, "view", "routine", "dataset")})
    meta.setdefault("access", []).append(entry)
    ctx.state.set_read(d, BigQueryDatasetRead.METADATA, ok("bigquery.datasets.get", meta), ctx.origin(res))


def bigquery_dataset_iam(ctx: Context, res: PlannedResource) -> None:
    """Dataset IAM is stored by BigQuery as access entries: members become entries of their role."""
    d = _dataset_draft(ctx, res)
    if d is None or (meta := _dataset_meta(d)) is None:
        return
    api = "bigquery.datasets.get"
    origin = ctx.origin(res)
    kind = res.type.rsplit("_", 1)[-1]
    entries = list(meta.get("access") or [])
    if kind == "policy":
        raw = ctx.get(res, "policy_data")
        if is_unknown(raw):
            ctx.state.set_read(d, BigQueryDatasetRead.ACCESS, unknown(api, raw), origin)
            return
        bindings = [
            (str(b.get("role")), list(b.get("members") or [])) for b in json.loads(raw or "{}").get("bindings") or []
        ]
        entries = [e for e in entries if "role" not in e]  # authorized views, datasets, routines stay
    else:
        role = ctx.get(res, "role")
        attr, shape = (
            ("members", lambda v: isinstance(v, list) and all(map(_is_member, v)))
            if kind == "binding"
            else ("member", _is_member)
        )
        members = ctx.get(res, attr, shape=shape)
        if is_unknown(members) or is_unknown(role):
            ctx.state.set_read(
                d, BigQueryDatasetRead.ACCESS, unknown(api, members if is_unknown(members) else role), origin
            )
            return
        bindings = [(str(role), list(members) if kind == "binding" else [members])]
        if kind == "binding":
            entries = [e for e in entries if e.get("role") != role]
    for role, members in bindings:
        for m in members:
            entry = _member_entry(role, m)
            if entry not in entries:
                entries.append(entry)
            ctx.state.index.members[(d.id, role, m)] = origin
    meta["access"] = entries
    ctx.state.set_read(d, BigQueryDatasetRead.METADATA, ok(api, meta), origin)


def _table_draft(ctx: Context, res: PlannedResource) -> Draft | None:
    project = ctx.resolver.project_of(res)
    dataset = ctx.get(res, "dataset_id")
    table = ctx.get(res, "table_id")
    if not all(isinstance(x, str) and x for x in (project, dataset, table)):
        return None
    table = table.rsplit("/", 1)[-1]
    tid = f"bigquery://{project}.{dataset}.{table}"
    d = ctx.state.draft(
        TypeName.GCP_BIGQUERY_TABLE,
        tid,
        name=f"{project}.{dataset}.{table}",
        account=project,
        parent=f"bigquery://{project}.{dataset}",
    )
    if BigQueryTableRead.METADATA not in d.reads:
        d.reads[BigQueryTableRead.METADATA] = ok(
            "bigquery.tables.get",
            {
                "kind": "bigquery#table",
                "id": f"{project}:{dataset}.{table}",
                "tableReference": {"projectId": project, "datasetId": dataset, "tableId": table},
                "type": "TABLE",
            },
        )
    return d


def bigquery_table(ctx: Context, res: PlannedResource) -> None:
    d = _table_draft(ctx, res)
    if d is None:
        return
    origin = ctx.origin(res)
    ctx.state.defines(d, origin)
    meta = json.loads(json.dumps(d.reads[BigQueryTableRead.METADATA].document))
    view = (ctx.get(res, "view") or [None])[0] if not is_unknown(ctx.get(res, "view")) else None
    if view:
        meta["type"] = "VIEW"
        meta["view"] = {"query": view.get("query"), "useLegacySql": bool(view.get("use_legacy_sql"))}
    ctx.state.set_read(d, BigQueryTableRead.METADATA, ok("bigquery.tables.get", meta), origin)
    if BigQueryTableRead.IAM_POLICY not in d.reads:
        ctx.state.set_read(
            d, BigQueryTableRead.IAM_POLICY, ok("bigquery.tables.getIamPolicy", {"version": 1, "bindings": []}), origin
        )


def bigquery_table_iam(ctx: Context, res: PlannedResource) -> None:
    d = _table_draft(ctx, res)
    if d is not None:
        _Iam(ctx, res, d, "iam_policy", "bigquery.tables.getIamPolicy").apply()


def project_iam(ctx: Context, res: PlannedResource) -> None:
    project = ctx.get(res, "project", shape=lambda v: isinstance(v, str))
    project = project if isinstance(project, str) and project else ctx.resolver.project
    if not isinstance(project, str):
        return
    project = project.removeprefix("projects/")
    d = _project_draft(ctx, project)
    d.reads.setdefault(GcpNodeRead.METADATA, ok("cloudresourcemanager.projects.get", {"projectId": project}))
    _Iam(ctx, res, d, "iam_policy", "cloudresourcemanager.projects.getIamPolicy").apply()


# -- the resource hierarchy: projects, folders, organisation --------------------------------------

_NODE_API = {
    TypeName.GCP_FOLDER: "cloudresourcemanager.folders",
    TypeName.GCP_ORGANIZATION: "cloudresourcemanager.organizations",
}


def _node_id(value: str, prefix: str) -> str:
    return value if value.startswith(prefix) else f"{prefix}{value}"


def project(ctx: Context, res: PlannedResource) -> None:
    """``google_project``: where the project sits (``folder_id`` or ``org_id``), for inherited policies."""
    project_id = ctx.get(res, "project_id", shape=lambda v: isinstance(v, str) and bool(v))
    if not isinstance(project_id, str) or is_unknown(project_id):
        return
    folder, org = ctx.get(res, "folder_id"), ctx.get(res, "org_id")
    parent = None
    if isinstance(folder, str) and folder:
        parent = _node_id(folder, "folders/")
    elif isinstance(org, str) and org:
        parent = _node_id(org, "organizations/")
    d = _project_draft(ctx, project_id)
    d.account = d.account or project_id
    origin = ctx.origin(res)
    ctx.state.defines(d, origin)
    if parent is not None:
        d.parent = parent
    meta = {"projectId": project_id, "parent": d.parent} if d.parent else {"projectId": project_id}
    number = ctx.get(res, "number")
    if isinstance(number, str) and number:
        meta["name"] = f"projects/{number}"
    ctx.state.set_read(d, GcpNodeRead.METADATA, ok("cloudresourcemanager.projects.get", meta), origin)


def _node_target(ctx: Context, res: PlannedResource, values_only: bool = False) -> Draft | None:
    if res.type.startswith("google_folder"):
        attr, type_, prefix = "folder", TypeName.GCP_FOLDER, "folders/"
    else:
        attr, type_, prefix = "org_id", TypeName.GCP_ORGANIZATION, "organizations/"
    value = res.value(attr) if values_only else ctx.get(res, attr, shape=lambda v: isinstance(v, str) and bool(v))
    if not isinstance(value, str) or not value:
        if is_unknown(value):
            ctx.unplaced.append(res.address)
        return None
    node = _node_id(value, prefix)
    return ctx.state.draft(type_, node, name=node)


def node_iam(ctx: Context, res: PlannedResource) -> None:
    """``google_{folder,organization}_iam_*``: inherited by every project, bucket and dataset below.

    https://cloud.google.com/iam/docs/resource-hierarchy-access-control
    """
    d = _node_target(ctx, res)
    if d is None:
        return
    api = _NODE_API[d.type]
    d.reads.setdefault(GcpNodeRead.METADATA, ok(f"{api}.get", {"name": d.id}))
    _Iam(ctx, res, d, "iam_policy", f"{api}.getIamPolicy").apply()
    if res.changed:
        ctx.hierarchy_grants.append((d.id, res))


def _delete_node_iam(ctx: Context, res: PlannedResource) -> None:
    d = _node_target(ctx, res, values_only=True)
    if d is not None and d.in_baseline:
        _Iam(ctx, res, d, "iam_policy", f"{_NODE_API[d.type]}.getIamPolicy").remove()


def _ancestors(ctx: Context, project_id: str) -> tuple[list[str], bool]:
    """The chain above a project in the planned state, and whether it is complete (ends at an organisation)."""
    chain: list[str] = []
    node = ctx.state.get(TypeName.GCP_PROJECT, f"projects/{project_id}")
    parent = _parent(node)
    while parent is not None and parent not in chain:
        chain.append(parent)
        if parent.startswith("organizations/"):
            return chain, True
        parent = _parent(ctx.state.get(TypeName.GCP_FOLDER, parent))
    return chain, False


def _parent(d: Draft | None) -> str | None:
    if d is None:
        return None
    if d.parent:
        return d.parent
    read = d.reads.get(GcpNodeRead.METADATA)
    doc = read.document if read is not None and read.ok and isinstance(read.document, dict) else {}
    parent = doc.get("parent")
    if isinstance(parent, dict) and parent.get("type") and parent.get("id"):
        return f"{parent['type']}s/{parent['id']}"
    return parent if isinstance(parent, str) and parent else None


def finish_hierarchy(ctx: Context) -> None:
    """Folder or organisation IAM the plan changes reaches the data below it; where that is unknown, a gap.

    A project of the planned state whose chain of parents neither reaches the node nor ends
    at an organisation (not in the plan's ``google_project``, not in the baseline) may sit
    under it: each such project gets a read named after the IAM resource's address, outcome
    ``error``, code ``UnknownAncestry`` — a coverage gap for the project's buckets and datasets.
    """
    from seenby.model import ReadOutcome
    from seenby.snapshot import Read

    if not ctx.hierarchy_grants:
        return
    for ds in ctx.plan.data.values():  # data.google_folder read during planning: where a folder sits
        name, parent = ds.value("name"), ds.value("parent")
        if (
            ds.type == "google_folder"
            and isinstance(name, str)
            and name.startswith("folders/")
            and isinstance(parent, str)
            and parent.startswith(("folders/", "organizations/"))
        ):
            d = ctx.state.draft(TypeName.GCP_FOLDER, name, name=name)
            d.parent = d.parent or parent
    projects = sorted(
        {
            d.account
            for d in ctx.state.drafts.values()
            if d.type in (TypeName.GCP_STORAGE_BUCKET, TypeName.GCP_BIGQUERY_DATASET) and d.account
        }
    )
    for node, res in ctx.hierarchy_grants:
        for project_id in projects:
            chain, complete = _ancestors(ctx, project_id)
            if node in chain or complete:
                continue
            d = _project_draft(ctx, project_id)
            d.account = d.account or project_id
            message = (
                f"{res.address} changes the IAM policy of {node}; where projects/{project_id} sits "
                f"(its folders and organisation) is in neither the plan nor the baseline, so whether it "
                f"inherits that policy is unknown"
            )
            ctx.state.set_read(
                d,
                res.address,
                Read(
                    outcome=ReadOutcome.ERROR,
                    api="cloudresourcemanager.projects.getAncestry",
                    error_code="UnknownAncestry",
                    message=message,
                ),
                ctx.origin(res),
            )


GCP_BUILDERS: dict[str, Builder] = {
    "google_project": project,
    "google_storage_bucket_access_control": _access_control("acl"),
    "google_storage_default_object_access_control": _access_control("defaultObjectAcl"),
    "google_folder_iam_policy": node_iam,
    "google_folder_iam_binding": node_iam,
    "google_folder_iam_member": node_iam,
    "google_organization_iam_policy": node_iam,
    "google_organization_iam_binding": node_iam,
    "google_organization_iam_member": node_iam,
    "google_storage_bucket": storage_bucket,
    "google_bigquery_dataset": bigquery_dataset,
    "google_bigquery_table": bigquery_table,
    "google_storage_bucket_iam_policy": storage_bucket_iam,
    "google_storage_bucket_iam_binding": storage_bucket_iam,
    "google_storage_bucket_iam_member": storage_bucket_iam,
    "google_storage_bucket_acl": storage_bucket_acl,
    "google_bigquery_dataset_access": bigquery_dataset_access,
    "google_bigquery_dataset_iam_policy": bigquery_dataset_iam,
    "google_bigquery_dataset_iam_binding": bigquery_dataset_iam,
    "google_bigquery_dataset_iam_member": bigquery_dataset_iam,
    "google_bigquery_table_iam_policy": bigquery_table_iam,
    "google_bigquery_table_iam_binding": bigquery_table_iam,
    "google_bigquery_table_iam_member": bigquery_table_iam,
    "google_project_iam_policy": project_iam,
    "google_project_iam_binding": project_iam,
    "google_project_iam_member": project_iam,
}


def _delete_gcs_bucket(ctx: Context, res: PlannedResource) -> None:
    if isinstance(res.value("name"), str):
        ctx.state.remove(TypeName.GCP_STORAGE_BUCKET, f"gs://{res.value('name')}")
        ctx.origin(res)


def _delete_storage_iam(ctx: Context, res: PlannedResource) -> None:
    d = _storage_iam_target(ctx, res, values_only=True)
    if d is not None and d.in_baseline:
        _Iam(ctx, res, d, "iam_policy", "storage.buckets.getIamPolicy").remove()


def _delete_project_iam(ctx: Context, res: PlannedResource) -> None:
    project = res.value("project")
    if isinstance(project, str) and (d := ctx.state.get(TypeName.GCP_PROJECT, f"projects/{project}")) is not None:
        _Iam(ctx, res, d, "iam_policy", "cloudresourcemanager.projects.getIamPolicy").remove()


GCP_DELETERS: dict[str, Builder] = {
    "google_storage_bucket_access_control": _delete_access_control("acl"),
    "google_storage_default_object_access_control": _delete_access_control("defaultObjectAcl"),
    "google_folder_iam_binding": _delete_node_iam,
    "google_folder_iam_member": _delete_node_iam,
    "google_folder_iam_policy": _delete_node_iam,
    "google_organization_iam_binding": _delete_node_iam,
    "google_organization_iam_member": _delete_node_iam,
    "google_organization_iam_policy": _delete_node_iam,
    "google_storage_bucket": _delete_gcs_bucket,
    "google_storage_bucket_iam_binding": _delete_storage_iam,
    "google_storage_bucket_iam_member": _delete_storage_iam,
    "google_storage_bucket_iam_policy": _delete_storage_iam,
    "google_project_iam_binding": _delete_project_iam,
    "google_project_iam_member": _delete_project_iam,
    "google_project_iam_policy": _delete_project_iam,
}
