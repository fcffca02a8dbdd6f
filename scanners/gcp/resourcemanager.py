"""The resource hierarchy: organisations, folders, projects, their allow, organisation and deny policies.

Reads per node (docs/snapshot.md, ``gcp.organization`` / ``gcp.folder`` / ``gcp.project``):
``metadata`` (…get), ``iam_policy`` (…getIamPolicy, policy version 3), ``org_policies``
(orgpolicy v2 ``policies.list``: the policies *set* on the node; the evaluator walks up),
``deny_policies`` (IAM v2 ``policies.listPolicies`` on the node as attachment point, then
``policies.get`` for each, since the listing omits the rules), ``custom_roles``
(organisations and projects, ``roles.list`` with ``view=FULL``).  A project also gets
``ancestry`` (``projects.getAncestry``, which needs only ``resourcemanager.projects.get``
and so names the ancestors even when a folder cannot be read), ``buckets`` and
``datasets`` (recorded by the storage and BigQuery modules).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from seenby.registry import GcpNodeRead, TypeName
from seenby.scanners.gcp.calls import Caller, rest_read
from seenby.scanners.gcp.operation import HttpMethod, Operation
from seenby.scanners.reads import compose, require
from seenby.snapshot import Read

__all__ = [
    "OPERATIONS",
    "ancestors",
    "list_children",
    "node_type",
    "read_node",
]

_CRM = "https://cloudresourcemanager.googleapis.com"
_IAM = "https://iam.googleapis.com"
_POLICY_V3 = {"options": {"requestedPolicyVersion": 3}}


def _get(kind: str) -> Operation:
    return Operation(
        api=f"cloudresourcemanager.{kind}.get",
        method=HttpMethod.GET,
        url=f"{_CRM}/v3/{kind}/{{id}}",
        permissions=(f"resourcemanager.{kind}.get",),
    )


def _get_iam(kind: str) -> Operation:
    return Operation(
        api=f"cloudresourcemanager.{kind}.getIamPolicy",
        method=HttpMethod.POST,
        url=f"{_CRM}/v3/{kind}/{{id}}:getIamPolicy",
        permissions=(f"resourcemanager.{kind}.getIamPolicy",),
        body=_POLICY_V3,
    )


GET = {kind: _get(kind) for kind in ("organizations", "folders", "projects")}
GET_IAM_POLICY = {kind: _get_iam(kind) for kind in ("organizations", "folders", "projects")}
GET_ANCESTRY = Operation(
    api="cloudresourcemanager.projects.getAncestry",
    method=HttpMethod.POST,
    url=f"{_CRM}/v1/projects/{{id}}:getAncestry",
    permissions=("resourcemanager.projects.get",),
    body={},
)
LIST_PROJECTS = Operation(
    api="cloudresourcemanager.projects.list",
    method=HttpMethod.GET,
    url=f"{_CRM}/v3/projects",
    permissions=("resourcemanager.projects.list",),
    pages="projects",
)
LIST_FOLDERS = Operation(
    api="cloudresourcemanager.folders.list",
    method=HttpMethod.GET,
    url=f"{_CRM}/v3/folders",
    permissions=("resourcemanager.folders.list",),
    pages="folders",
)
LIST_ORG_POLICIES = Operation(
    api="orgpolicy.policies.list",
    method=HttpMethod.GET,
    url="https://orgpolicy.googleapis.com/v2/{parent}/policies",
    permissions=("orgpolicy.policies.list",),
    pages="policies",
)
LIST_DENY_POLICIES = Operation(
    api="iam.policies.listPolicies",
    method=HttpMethod.GET,
    url=f"{_IAM}/v2/policies/{{attachment}}/denypolicies",
    permissions=("iam.denypolicies.list",),
    pages="policies",
)
GET_DENY_POLICY = Operation(
    api="iam.policies.get",
    method=HttpMethod.GET,
    url=f"{_IAM}/v2/{{name}}",
    permissions=("iam.denypolicies.get",),
)
LIST_ROLES = {
    kind: Operation(
        api=f"iam.{kind}.roles.list",
        method=HttpMethod.GET,
        url=f"{_IAM}/v1/{kind}/{{id}}/roles",
        permissions=("iam.roles.list",),
        pages="roles",
    )
    for kind in ("organizations", "projects")
}
OPERATIONS: tuple[Operation, ...] = (
    *GET.values(),
    *GET_IAM_POLICY.values(),
    GET_ANCESTRY,
    LIST_PROJECTS,
    LIST_FOLDERS,
    LIST_ORG_POLICIES,
    LIST_DENY_POLICIES,
    GET_DENY_POLICY,
    *LIST_ROLES.values(),
)

_TYPES = {"organizations": TypeName.GCP_ORGANIZATION, "folders": TypeName.GCP_FOLDER, "projects": TypeName.GCP_PROJECT}


def node_type(node: str) -> str:
    """``folders/1`` → ``gcp.folder``."""
    return _TYPES[node.split("/", 1)[0]]


def attachment_point(node: str) -> str:
    """The URL-encoded full resource name IAM v2 wants: ``cloudresourcemanager.googleapis.com%2Fprojects%2Fp``."""
    return quote(f"cloudresourcemanager.googleapis.com/{node}", safe="")


def _deny_policies(caller: Caller, node: str) -> Read:
    listing = rest_read(caller, LIST_DENY_POLICIES, attachment=attachment_point(node))

    def build() -> dict[str, Any]:
        listed = require(listing)
        full = []
        for policy in listed.get("policies") or []:
            name = str(policy.get("name") or "")
            # The name comes back URL-encoded (…%2F…); it is sent as it came.
            full.append(require(rest_read(caller, GET_DENY_POLICY, name=name)))
        return {"policies": full}

    return compose(LIST_DENY_POLICIES.api, build)


def read_node(caller: Caller, node: str) -> dict[str, Read]:
    """Every read of one organisation, folder or project (``organizations/1``, ``folders/2``, ``projects/p``)."""
    kind, _, ident = node.partition("/")
    reads = {
        GcpNodeRead.METADATA: rest_read(caller, GET[kind], id=ident),
        GcpNodeRead.IAM_POLICY: rest_read(caller, GET_IAM_POLICY[kind], id=ident),
        GcpNodeRead.ORG_POLICIES: rest_read(caller, LIST_ORG_POLICIES, parent=node),
        GcpNodeRead.DENY_POLICIES: _deny_policies(caller, node),
    }
    if kind == "projects":
        reads[GcpNodeRead.ANCESTRY] = rest_read(caller, GET_ANCESTRY, id=ident)
    if kind in LIST_ROLES:
        reads[GcpNodeRead.CUSTOM_ROLES] = rest_read(caller, LIST_ROLES[kind], id=ident, params={"view": "FULL"})
    return reads


def ancestors(reads: Mapping[str, Read]) -> list[str]:
    """The project's ancestors, nearest first (``folders/1``, ``organizations/2``), from getAncestry or metadata."""
    ancestry = reads.get(GcpNodeRead.ANCESTRY)
    if ancestry is not None and ancestry.ok:
        out = []
        for entry in (ancestry.document or {}).get("ancestor") or []:
            rid = entry.get("resourceId") or {}
            kind = {"folder": "folders", "organization": "organizations"}.get(str(rid.get("type")))
            if kind and rid.get("id"):
                out.append(f"{kind}/{rid['id']}")
        return out
    meta = reads.get(GcpNodeRead.METADATA)
    parent = (meta.document or {}).get("parent") if meta is not None and meta.ok else None
    return [str(parent)] if parent else []


def parent_of(node: str, reads: Mapping[str, Read], chain: list[str] | None = None) -> str | None:
    """The parent of a node: its metadata's ``parent``, else the next entry of a project's ancestry chain."""
    meta = reads.get(GcpNodeRead.METADATA)
    parent = (meta.document or {}).get("parent") if meta is not None and meta.ok else None
    if parent:
        return str(parent)
    if chain and node in chain:
        index = chain.index(node)
        return chain[index + 1] if index + 1 < len(chain) else None
    return None


def list_children(caller: Caller, parent: str) -> Read:
    """Projects and folders directly under ``parent`` (a composite read: both listings must succeed)."""
    projects = rest_read(caller, LIST_PROJECTS, params={"parent": parent})
    folders = rest_read(caller, LIST_FOLDERS, params={"parent": parent})

    def build() -> dict[str, Any]:
        return {"projects": require(projects).get("projects", []), "folders": require(folders).get("folders", [])}

    return compose(LIST_PROJECTS.api, build)
