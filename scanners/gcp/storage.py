"""Cloud Storage buckets through google-cloud-storage: list, then two reads a bucket.

``buckets`` on the project: ``storage.buckets.list`` (``projection=noAcl``, every page) →
``{"items": [<bucket>…]}``; a failed listing is the gap for every bucket of the project.
Per bucket, ``metadata``: ``storage.buckets.get`` with ``projection=full`` (so ``acl``,
``defaultObjectAcl`` and ``iamConfiguration`` are included) → the bucket resource as
returned; ``iam_policy``: ``storage.buckets.getIamPolicy`` with
``optionsRequestedPolicyVersion=3`` → ``{"version", "etag", "bindings"}`` as the library's
``Policy.to_api_repr`` gives it.  The library's own retries are switched off
(``retry=None``) so that every call is retried the same way (:mod:`.calls`).

``object_acls``, only when uniform bucket-level access is off (objects then carry their own
ACLs, https://cloud.google.com/storage/docs/access-control/lists): ``storage.objects.list``
with ``projection=full`` (each object with its ``acl``; every page) →
``{"items": [{"name", "updated", "acl"}…], "total": M, "limit": N}`` — the ``N`` most recently
updated objects of the ``M`` listed (``object_acl_limit``, default 1,000), newest first; the
evaluator reports the rest as a coverage gap ("object ACLs read for N of M objects").  The
listing reads every page (M is known), keeping only N objects in memory.

``hmac_keys`` on the project: ``storage.hmacKeys.list`` (JSON API, every page, deleted
keys left out as the API does by default) → ``{"items": [{"accessId",
"serviceAccountEmail", "state", "projectId", …}]}``
(https://cloud.google.com/storage/docs/json_api/v1/projects/hmacKeys/list).  It goes
through the scan's session to storage.googleapis.com, not to a configured storage
endpoint: gcp-storage-emulator does not implement it.
"""

from __future__ import annotations

import heapq
from typing import Any

from seenby.registry import GcsBucketRead, TypeName
from seenby.scanners.gcp.calls import Caller, read_call, rest_read
from seenby.scanners.gcp.operation import HttpMethod, Operation
from seenby.snapshot import Read, Resource

__all__ = [
    "GET_BUCKET",
    "GET_BUCKET_IAM_POLICY",
    "LIST_BUCKETS",
    "LIST_HMAC_KEYS",
    "LIST_OBJECTS",
    "OPERATIONS",
    "list_buckets",
    "list_hmac_keys",
    "list_object_acls",
    "read_bucket",
    "uniform_access",
]

RESOURCE_TYPE = TypeName.GCP_STORAGE_BUCKET
_STORAGE = "https://storage.googleapis.com/storage/v1"

LIST_BUCKETS = Operation(
    api="storage.buckets.list",
    method=HttpMethod.GET,
    url=f"{_STORAGE}/b",
    permissions=("storage.buckets.list",),
    pages="items",
)
GET_BUCKET = Operation(
    api="storage.buckets.get",
    method=HttpMethod.GET,
    url=f"{_STORAGE}/b/{{bucket}}",
    permissions=("storage.buckets.get",),
)
GET_BUCKET_IAM_POLICY = Operation(
    api="storage.buckets.getIamPolicy",
    method=HttpMethod.GET,
    url=f"{_STORAGE}/b/{{bucket}}/iam",
    permissions=("storage.buckets.getIamPolicy",),
)
LIST_HMAC_KEYS = Operation(
    api="storage.hmacKeys.list",
    method=HttpMethod.GET,
    url=f"{_STORAGE}/projects/{{project}}/hmacKeys",
    permissions=("storage.hmacKeys.list",),
    pages="items",
)
LIST_OBJECTS = Operation(
    api="storage.objects.list",
    method=HttpMethod.GET,
    url=f"{_STORAGE}/b/{{bucket}}/o",
    # projection=full returns each object's ACL, which needs storage.objects.getIamPolicy
    permissions=("storage.objects.list", "storage.objects.getIamPolicy"),
    pages="items",
)
OPERATIONS = (LIST_BUCKETS, GET_BUCKET, GET_BUCKET_IAM_POLICY, LIST_HMAC_KEYS, LIST_OBJECTS)


def list_buckets(caller: Caller, client: Any, project: str) -> Read:
    """Every bucket of ``project`` (all pages)."""

    def call() -> dict[str, Any]:
        buckets = client.list_buckets(project=project, projection="noAcl", retry=None, timeout=caller.timeout)
        # Bucket._properties is the resource exactly as the API returned it.
        return {"items": [dict(b._properties) for b in buckets]}

    return read_call(caller, LIST_BUCKETS.api, call)


def read_bucket(caller: Caller, client: Any, name: str, *, project: str, object_acl_limit: int = 1000) -> Resource:
    """The reads of one bucket; a failure of one is recorded and the others still made.

    ``object_acls`` only when the metadata says uniform bucket-level access is off (with it
    on, object ACLs grant nothing); metadata unread: not listed (the metadata gap stands).
    """
    bucket = client.bucket(name)

    def metadata() -> dict[str, Any]:
        bucket.reload(projection="full", retry=None, timeout=caller.timeout)
        return dict(bucket._properties)

    def iam_policy() -> dict[str, Any]:
        policy = bucket.get_iam_policy(requested_policy_version=3, retry=None, timeout=caller.timeout)
        return dict(policy.to_api_repr())

    meta = read_call(caller, GET_BUCKET.api, metadata)
    policy = read_call(caller, GET_BUCKET_IAM_POLICY.api, iam_policy)
    reads = {GcsBucketRead.METADATA: meta, GcsBucketRead.IAM_POLICY: policy}
    if uniform_access(meta) is False:
        reads[GcsBucketRead.OBJECT_ACLS] = list_object_acls(caller, client, name, limit=object_acl_limit)
    location = (meta.document or {}).get("location") if meta.ok else None
    return Resource(
        type=RESOURCE_TYPE,
        id=f"gs://{name}",
        name=name,
        account=project,
        region=str(location) if location else None,
        parent=f"projects/{project}",
        reads=reads,
    )


def uniform_access(metadata: Read) -> bool | None:
    """Uniform bucket-level access from a ``metadata`` read: True, False, or None when unread."""
    if not metadata.ok or not isinstance(metadata.document, dict):
        return None
    config = metadata.document.get("iamConfiguration") or {}
    setting = config.get("uniformBucketLevelAccess") or config.get("bucketPolicyOnly") or {}
    return bool(setting.get("enabled"))


def list_object_acls(caller: Caller, client: Any, name: str, *, limit: int) -> Read:
    """The ACLs of the ``limit`` most recently updated objects of bucket ``name`` (every page listed)."""

    def call() -> dict[str, Any]:
        newest: list[tuple[str, str, dict[str, Any]]] = []  # min-heap of (updated, name, entry)
        total = 0
        blobs = client.list_blobs(name, projection="full", retry=None, timeout=caller.timeout)
        for blob in blobs:
            total += 1
            props = blob._properties  # the object resource as the API returned it
            entry = {"name": props.get("name"), "updated": props.get("updated"), "acl": props.get("acl") or []}
            item = (str(props.get("updated") or ""), str(props.get("name") or ""), entry)
            if len(newest) < limit:
                heapq.heappush(newest, item)
            elif limit and item[:2] > newest[0][:2]:
                heapq.heapreplace(newest, item)
        items = [entry for _, _, entry in sorted(newest, key=lambda t: t[:2], reverse=True)]
        return {"items": items, "total": total, "limit": limit}

    return read_call(caller, LIST_OBJECTS.api, call)


def list_hmac_keys(caller: Caller, project: str) -> Read:
    """Every HMAC key of ``project``'s service accounts (all pages): long-lived credentials of those accounts."""
    return rest_read(caller, LIST_HMAC_KEYS, project=project)
