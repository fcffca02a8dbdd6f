"""A proven fix as commands a person can run: AWS CLI, ``gcloud``, ``bq``.

seenby never runs them (it stays read-only); they are text for a person or a pull request.
Each change of a fix (:class:`seenby.fix.model.Change`) is rendered from its resource type,
its read, and the document before and after it.  A change with no rendering here says so,
and its JSON Patch (always in the JSON output) is the fix.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterator
from typing import Any

from seenby.fix.jsonpatch import tokens
from seenby.fix.model import Change, Fix
from seenby.model import thaw_json
from seenby.registry import (
    AwsAccountRead,
    BigQueryDatasetRead,
    BigQueryTableRead,
    DynamoDbTableRead,
    GcpNodeRead,
    GcsBucketRead,
    GlueCatalogRead,
    KmsKeyRead,
    QuickSightDashboardRead,
    S3BucketRead,
    TypeName,
)

__all__ = ["change_commands", "commands_for", "terraform_snippet"]


def _compact(value: Any) -> str:
    return shlex.quote(json.dumps(value, separators=(",", ":"), sort_keys=False))


def _policy(change: Change) -> dict[str, Any]:
    """The policy after the change (parsed from the stored JSON string)."""
    after = thaw_json(change.document_after)
    return json.loads(after["Policy"]) if isinstance(after.get("Policy"), str) else after


def _bucket_name(resource: str) -> str:
    return resource.removeprefix("arn:aws:s3:::").removeprefix("gs://")


def _s3_policy(change: Change) -> Iterator[str]:
    bucket = shlex.quote(_bucket_name(change.resource))
    policy = _policy(change)
    if not policy.get("Statement"):
        yield f"aws s3api delete-bucket-policy --bucket {bucket}"
    else:
        yield f"aws s3api put-bucket-policy --bucket {bucket} --policy {_compact(policy)}"


def _s3_acl(change: Change) -> Iterator[str]:
    after = thaw_json(change.document_after)
    body = {"Owner": after.get("Owner"), "Grants": after.get("Grants", [])}
    bucket = shlex.quote(_bucket_name(change.resource))
    yield f"aws s3api put-bucket-acl --bucket {bucket} --access-control-policy {_compact(body)}"


def _s3_public_access_block(change: Change) -> Iterator[str]:
    config = thaw_json(change.document_after).get("PublicAccessBlockConfiguration", {})
    settings = ",".join(f"{k}={str(bool(v)).lower()}" for k, v in config.items())
    yield (
        f"aws s3api put-public-access-block --bucket {shlex.quote(_bucket_name(change.resource))} "
        f"--public-access-block-configuration {settings}"
    )


def _dynamodb_policy(change: Change) -> Iterator[str]:
    arn = shlex.quote(change.resource)
    policy = _policy(change)
    if not policy.get("Statement"):
        yield f"aws dynamodb delete-resource-policy --resource-arn {arn}"
    else:
        yield f"aws dynamodb put-resource-policy --resource-arn {arn} --policy {_compact(policy)}"


def _kms_policy(change: Change) -> Iterator[str]:
    key = shlex.quote(change.resource)
    yield f"aws kms put-key-policy --key-id {key} --policy-name default --policy {_compact(_policy(change))}"


def _glue_policy(change: Change) -> Iterator[str]:
    yield f"aws glue put-resource-policy --policy-in-json {_compact(_policy(change))}"


_IAM_ENTITIES = {
    "UserDetailList": ("user", "UserName", "UserPolicyList"),
    "GroupDetailList": ("group", "GroupName", "GroupPolicyList"),
    "RoleDetailList": ("role", "RoleName", "RolePolicyList"),
}


def _authorization_details(change: Change) -> Iterator[str]:
    """IAM: an inline policy put or deleted, a trust policy updated, a managed policy's new default version."""
    before = thaw_json(change.document_before)
    after = thaw_json(change.document_after)
    done: set[tuple[Any, ...]] = set()
    for op in thaw_json(change.patch):
        path = tokens(op["path"])
        if len(path) < 3:
            continue
        if path[0] == "Policies":
            k = int(path[1])
            policy = after["Policies"][k]
            if ("managed", k) in done:
                continue
            done.add(("managed", k))
            version = next(v for v in policy["PolicyVersionList"] if v.get("IsDefaultVersion"))
            yield (
                f"aws iam create-policy-version --policy-arn {shlex.quote(policy['Arn'])} "
                f"--policy-document {_compact(version['Document'])} --set-as-default"
            )
            continue
        if path[0] not in _IAM_ENTITIES:
            continue
        kind, name_key, list_key = _IAM_ENTITIES[path[0]]
        i = int(path[1])
        entity = before[path[0]][i]
        name = shlex.quote(entity[name_key])
        if path[2] == "AssumeRolePolicyDocument" and ("trust", i) not in done:
            done.add(("trust", i))
            document = after[path[0]][i]["AssumeRolePolicyDocument"]
            yield f"aws iam update-assume-role-policy --role-name {name} --policy-document {_compact(document)}"
        elif path[2] == list_key and len(path) >= 4:
            j = int(path[3])
            policy_name = entity[list_key][j]["PolicyName"]
            if ("inline", i, policy_name) in done:
                continue
            done.add(("inline", i, policy_name))
            kept = [p for p in after[path[0]][i][list_key] if p["PolicyName"] == policy_name]
            flag = shlex.quote(policy_name)
            if not kept:
                yield f"aws iam delete-{kind}-policy --{kind}-name {name} --policy-name {flag}"
            else:
                yield (
                    f"aws iam put-{kind}-policy --{kind}-name {name} --policy-name {flag} "
                    f"--policy-document {_compact(kept[0]['PolicyDocument'])}"
                )


def _removed(before: list[Any], after: list[Any]) -> list[Any]:
    rest = list(after)
    out = []
    for item in before:
        if item in rest:
            rest.remove(item)
        else:
            out.append(item)
    return out


def _quicksight_permissions(change: Change) -> Iterator[str]:
    before = thaw_json(change.document_before)
    after = thaw_json(change.document_after)
    account = change.resource.split(":")[4]
    dashboard = change.resource.rsplit("/", 1)[-1]
    head = (
        f"aws quicksight update-dashboard-permissions --aws-account-id {account} "
        f"--dashboard-id {shlex.quote(dashboard)}"
    )
    revoked = _removed(before.get("Permissions", []), after.get("Permissions", []))
    if revoked:
        yield f"{head} --revoke-permissions {_compact(revoked)}"
    link_before = (before.get("LinkSharingConfiguration") or {}).get("Permissions", [])
    link_after = (after.get("LinkSharingConfiguration") or {}).get("Permissions", [])
    link_revoked = _removed(link_before, link_after)
    if link_revoked:
        yield f"{head} --revoke-link-permissions {_compact(link_revoked)}"


def _bindings_removed(change: Change) -> list[tuple[str, str]]:
    """(role, member) pairs the change takes out of an IAM policy."""

    def pairs(doc: Any) -> list[tuple[str, str]]:
        return [(b.get("role", ""), m) for b in doc.get("bindings", []) for m in b.get("members", [])]

    return _removed(pairs(thaw_json(change.document_before)), pairs(thaw_json(change.document_after)))


def _gcp_iam(target: Callable[[Change], str]) -> Callable[[Change], Iterator[str]]:
    def render(change: Change) -> Iterator[str]:
        for role, member in _bindings_removed(change):
            yield f"{target(change)} --member={shlex.quote(member)} --role={shlex.quote(role)}"

    return render


def _gcs_metadata(change: Change) -> Iterator[str]:
    config = thaw_json(change.document_after).get("iamConfiguration") or {}
    if config.get("publicAccessPrevention") == "enforced":
        yield f"gcloud storage buckets update {shlex.quote(change.resource)} --public-access-prevention"


def _bigquery_dataset(change: Change) -> Iterator[str]:
    ref = change.resource.removeprefix("bigquery://")
    project, _, dataset = ref.partition(".")
    access = thaw_json(change.document_after).get("access", [])
    yield (
        f"cat > access.json <<'JSON'\n{json.dumps({'access': access}, indent=2)}\nJSON\n"
        f"bq update --source access.json {shlex.quote(f'{project}:{dataset}')}"
    )


def _bq_table_target(change: Change) -> str:
    ref = change.resource.removeprefix("bigquery://")
    project, _, rest = ref.partition(".")
    return f"bq remove-iam-policy-binding {shlex.quote(f'{project}:{rest}')}"


_RENDERERS: dict[tuple[str, str], Callable[[Change], Iterator[str]]] = {
    (TypeName.AWS_S3_BUCKET, S3BucketRead.POLICY): _s3_policy,
    (TypeName.AWS_S3_BUCKET, S3BucketRead.ACL): _s3_acl,
    (TypeName.AWS_S3_BUCKET, S3BucketRead.PUBLIC_ACCESS_BLOCK): _s3_public_access_block,
    (TypeName.AWS_DYNAMODB_TABLE, DynamoDbTableRead.RESOURCE_POLICY): _dynamodb_policy,
    (TypeName.AWS_KMS_KEY, KmsKeyRead.POLICY): _kms_policy,
    (TypeName.AWS_GLUE_CATALOG, GlueCatalogRead.RESOURCE_POLICY): _glue_policy,
    (TypeName.AWS_ACCOUNT, AwsAccountRead.AUTHORIZATION_DETAILS): _authorization_details,
    (TypeName.AWS_QUICKSIGHT_DASHBOARD, QuickSightDashboardRead.PERMISSIONS): _quicksight_permissions,
    (TypeName.GCP_STORAGE_BUCKET, GcsBucketRead.IAM_POLICY): _gcp_iam(
        lambda c: f"gcloud storage buckets remove-iam-policy-binding {shlex.quote(c.resource)}"
    ),
    (TypeName.GCP_STORAGE_BUCKET, GcsBucketRead.METADATA): _gcs_metadata,
    (TypeName.GCP_BIGQUERY_DATASET, BigQueryDatasetRead.METADATA): _bigquery_dataset,
    (TypeName.GCP_BIGQUERY_TABLE, BigQueryTableRead.IAM_POLICY): _gcp_iam(_bq_table_target),
    (TypeName.GCP_PROJECT, GcpNodeRead.IAM_POLICY): _gcp_iam(
        lambda c: f"gcloud projects remove-iam-policy-binding {shlex.quote(c.resource.removeprefix('projects/'))}"
    ),
    (TypeName.GCP_FOLDER, GcpNodeRead.IAM_POLICY): _gcp_iam(
        lambda c: f"gcloud resource-manager folders remove-iam-policy-binding {c.resource.removeprefix('folders/')}"
    ),
    (TypeName.GCP_ORGANIZATION, GcpNodeRead.IAM_POLICY): _gcp_iam(
        lambda c: f"gcloud organizations remove-iam-policy-binding {c.resource.removeprefix('organizations/')}"
    ),
}


def change_commands(change: Change) -> list[str]:
    """The commands that make ``change`` in the cloud, or a comment saying to apply its JSON Patch."""
    render = _RENDERERS.get((change.resource_type, change.read))
    made = list(render(change)) if render is not None else []
    return made or [f"# no command rendering for {change.resource_type} {change.read}: apply the JSON Patch"]


def commands_for(fix: Fix) -> list[str]:
    """Every change of ``fix`` as commands, in order."""
    return [command for change in fix.changes for command in change_commands(change)]


# Terraform resources whose whole argument is the policy document a change edits: (snapshot type, read, argument)
_TERRAFORM_POLICIES = {
    "aws_s3_bucket_policy": (TypeName.AWS_S3_BUCKET, S3BucketRead.POLICY, "policy"),
    "aws_dynamodb_resource_policy": (TypeName.AWS_DYNAMODB_TABLE, DynamoDbTableRead.RESOURCE_POLICY, "policy"),
    "aws_glue_resource_policy": (TypeName.AWS_GLUE_CATALOG, GlueCatalogRead.RESOURCE_POLICY, "policy_in_json"),
}
_TERRAFORM_MEMBERS = {  # one member and one role per resource: the fix removes the resource
    "google_storage_bucket_iam_member": (TypeName.GCP_STORAGE_BUCKET, GcsBucketRead.IAM_POLICY),
    "google_bigquery_table_iam_member": (TypeName.GCP_BIGQUERY_TABLE, BigQueryTableRead.IAM_POLICY),
    "google_project_iam_member": (TypeName.GCP_PROJECT, GcpNodeRead.IAM_POLICY),
}


def terraform_snippet(fix: Fix, address: str, type_: str) -> str | None:
    """The proven fix at the Terraform resource ``address`` (of ``type_``) that opens the finding, in HCL:
    the policy argument as it must be, or the member resource to remove.  None when seenby has no rendering
    for that resource type (the JSON Patch and the commands still say the change)."""
    name = address.rsplit(f"{type_}.", 1)[-1].split("[", 1)[0]
    if type_ in _TERRAFORM_POLICIES:
        resource_type, read, argument = _TERRAFORM_POLICIES[type_]
        change = next((c for c in fix.changes if (c.resource_type, c.read) == (resource_type, read)), None)
        if change is None:
            return None
        policy = _policy(change)
        if not policy.get("Statement"):
            return f"# remove {address}: the proven fix leaves its policy with no statement"
        body = json.dumps(policy, indent=2).replace("\n", "\n  ")
        head = f'resource "{type_}" "{name}" {{\n  # the other arguments as they are\n'
        return f"{head}  {argument} = jsonencode({body})\n}}"
    if type_ in _TERRAFORM_MEMBERS:
        resource_type, read = _TERRAFORM_MEMBERS[type_]
        for change in fix.changes:
            if (change.resource_type, change.read) == (resource_type, read):
                removed = ", ".join(f"{member} ({role})" for role, member in _bindings_removed(change))
                return f"# remove {address}: the proven fix removes {removed}"
    return None
