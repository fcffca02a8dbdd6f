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
from dataclasses import dataclass
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

__all__ = ["Placement", "change_commands", "commands_for", "terraform_snippet"]


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


# Terraform rendering.  Each change of a fix is rendered at the planned resource that holds its document:
# the resource that opens the finding, or the one ``places`` finds for the change's (resource, read), or a new
# block when the plan has none.  Provider docs:
# https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_policy,
# https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_acl,
# https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_public_access_block,
# https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/storage_bucket,
# https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/storage_bucket_iam.

Place = tuple[str, str]  # (Terraform address, Terraform type)


@dataclass(frozen=True, kw_only=True)
class Placement:
    """Where a plan holds what a change edits: ``read(resource, read)`` the resource holding that document
    (``read`` None: the resource defining ``resource``), ``member(resource, role, member)`` the resource
    granting one IAM member a role.  None where the plan has no such resource."""

    read: Callable[[str, str | None], Place | None]
    member: Callable[[str, str, str], Place | None]

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
    "google_folder_iam_member": (TypeName.GCP_FOLDER, GcpNodeRead.IAM_POLICY),
    "google_organization_iam_member": (TypeName.GCP_ORGANIZATION, GcpNodeRead.IAM_POLICY),
}
_TERRAFORM_BINDINGS = {  # authoritative for one role: the fix leaves that role's remaining members
    "google_storage_bucket_iam_binding": (TypeName.GCP_STORAGE_BUCKET, GcsBucketRead.IAM_POLICY),
    "google_bigquery_table_iam_binding": (TypeName.GCP_BIGQUERY_TABLE, BigQueryTableRead.IAM_POLICY),
    "google_project_iam_binding": (TypeName.GCP_PROJECT, GcpNodeRead.IAM_POLICY),
    "google_folder_iam_binding": (TypeName.GCP_FOLDER, GcpNodeRead.IAM_POLICY),
    "google_organization_iam_binding": (TypeName.GCP_ORGANIZATION, GcpNodeRead.IAM_POLICY),
}
_TERRAFORM_SETTINGS = {  # one document of the bucket, rendered whole
    "aws_s3_bucket_acl": (TypeName.AWS_S3_BUCKET, S3BucketRead.ACL),
    "aws_s3_bucket_public_access_block": (TypeName.AWS_S3_BUCKET, S3BucketRead.PUBLIC_ACCESS_BLOCK),
    "google_storage_bucket": (TypeName.GCP_STORAGE_BUCKET, GcsBucketRead.METADATA),
}
# The resource type a new block is written as when the plan has none for the change's document
_NEW_BLOCKS = {
    (TypeName.AWS_S3_BUCKET, S3BucketRead.POLICY): "aws_s3_bucket_policy",
    (TypeName.AWS_S3_BUCKET, S3BucketRead.PUBLIC_ACCESS_BLOCK): "aws_s3_bucket_public_access_block",
    (TypeName.AWS_S3_BUCKET, S3BucketRead.ACL): "aws_s3_bucket_acl",
}
_BPA_ARGUMENTS = (("BlockPublicAcls", "block_public_acls"), ("IgnorePublicAcls", "ignore_public_acls"),
                  ("BlockPublicPolicy", "block_public_policy"), ("RestrictPublicBuckets", "restrict_public_buckets"))
_GRANTEE_ARGUMENTS = (("ID", "id"), ("URI", "uri"), ("EmailAddress", "email_address"))


def _handles(type_: str) -> tuple[str, str] | None:
    """The (snapshot type, read) a Terraform resource type holds, if seenby renders it."""
    for table in (_TERRAFORM_POLICIES, _TERRAFORM_MEMBERS, _TERRAFORM_BINDINGS, _TERRAFORM_SETTINGS):
        if type_ in table:
            return table[type_][0], table[type_][1]
    return None


def _name(address: str, type_: str) -> str:
    return address.rsplit(f"{type_}.", 1)[-1].split("[", 1)[0]


def _escaped(text: str) -> str:
    """JSON text as an HCL literal: ``${`` and ``%{`` start interpolations and directives in HCL strings, so a
    policy variable such as ``${aws:username}`` is written ``$${aws:username}``
    (https://developer.hashicorp.com/terraform/language/expressions/strings#escape-sequences)."""
    return text.replace("${", "$${").replace("%{", "%%{")


def _hcl(value: Any) -> str:
    return _escaped(json.dumps(value))


def _head(type_: str, address: str) -> str:
    return f'resource "{type_}" "{_name(address, type_)}" {{\n  # {address}: the other arguments as they are\n'


def _policy_block(change: Change, address: str, type_: str) -> str:
    argument = _TERRAFORM_POLICIES[type_][2]
    policy = _policy(change)
    if not policy.get("Statement"):
        return f"# remove {address}: the proven fix leaves its policy with no statement"
    body = _escaped(json.dumps(policy, indent=2)).replace("\n", "\n  ")
    return f"{_head(type_, address)}  {argument} = jsonencode({body})\n}}"


def _acl_block(change: Change, address: str, type_: str) -> str:
    after = thaw_json(change.document_after)
    owner = (after.get("Owner") or {}).get("ID")
    grants = after.get("Grants", [])
    only_owner = all(
        g.get("Permission") == "FULL_CONTROL" and (g.get("Grantee") or {}).get("ID") == owner for g in grants
    )
    head = _head(type_, address)
    if only_owner:  # the canned ACL "private": the owner's FULL_CONTROL and nothing else
        return f'{head}  acl = "private"\n}}'
    lines = [head.rstrip("\n"), "  # no `acl` argument: access_control_policy states every grant",
             "  access_control_policy {"]
    for g in grants:
        grantee = g.get("Grantee") or {}
        lines += ["    grant {", "      grantee {", f"        type = {_hcl(grantee.get('Type'))}"]
        lines += [f"        {arg} = {_hcl(grantee[key])}" for key, arg in _GRANTEE_ARGUMENTS if grantee.get(key)]
        lines += ["      }", f"      permission = {_hcl(g.get('Permission'))}", "    }"]
    lines += ["    owner {", f"      id = {_hcl(owner)}", "    }", "  }", "}"]
    return "\n".join(lines)


def _public_access_block(change: Change, address: str, type_: str) -> str:
    config = thaw_json(change.document_after).get("PublicAccessBlockConfiguration", {})
    lines = [f"  {arg} = {str(bool(config.get(key))).lower()}" for key, arg in _BPA_ARGUMENTS]
    return _head(type_, address) + "\n".join(lines) + "\n}"


def _gcs_bucket(change: Change, address: str, type_: str) -> str | None:
    config = thaw_json(change.document_after).get("iamConfiguration") or {}
    if config.get("publicAccessPrevention") != "enforced":
        return None
    return f'{_head(type_, address)}  public_access_prevention = "enforced"\n}}'


def _binding_block(change: Change, address: str, type_: str, role: str) -> str:
    members = sorted(
        {m for b in thaw_json(change.document_after).get("bindings", []) if b.get("role") == role
         for m in b.get("members", [])}
    )
    if not members:
        return f"# remove {address}: the proven fix leaves role {role} with no member"
    body = ",\n".join(f"    {_hcl(m)}" for m in members)
    return f"{_head(type_, address)}  role    = {_hcl(role)}\n  members = [\n{body},\n  ]\n}}"


def _iam_blocks(change: Change, index: int, address: str, type_: str, places: Placement | None) -> list[str]:
    """An IAM policy change as the member resources to remove and the binding resources as they must be, each
    found by the (role, member) it grants; a removed member the plan grants nowhere is said, not guessed."""
    blocks: list[str] = []
    unplaced: list[str] = []
    for role, member in _bindings_removed(change):
        at = places.member(change.resource, role, member) if places is not None else None
        if places is None and _handles(type_) == (change.resource_type, change.read):
            at = (address, type_)  # no plan index: the resource that opens the finding
        if at is not None and at[1] in _TERRAFORM_MEMBERS:
            blocks.append(f"# remove {at[0]}: the proven fix removes {member} ({role})")
        elif at is not None and at[1] in _TERRAFORM_BINDINGS:
            blocks.append(_binding_block(change, at[0], at[1], role))
        else:
            unplaced.append(f"{member} ({role})" + (f" granted by {at[0]}" if at is not None else ""))
    if unplaced:
        blocks.append(f"{_unrendered(change, index)}; no member or binding resource of the plan to change for: "
                      + ", ".join(unplaced))
    return blocks


_BLOCKS: dict[str, Callable[[Change, str, str], str | None]] = {
    **{t: _policy_block for t in _TERRAFORM_POLICIES},
    "aws_s3_bucket_acl": _acl_block,
    "aws_s3_bucket_public_access_block": _public_access_block,
    "google_storage_bucket": _gcs_bucket,
}
_IAM_READS = {(t, r) for t, r in (*_TERRAFORM_MEMBERS.values(), *_TERRAFORM_BINDINGS.values())}


def _unrendered(change: Change, index: int) -> str:
    return (f"# no Terraform rendering for {change.kind.value} on {change.resource_type} {change.read} of "
            f"{change.resource}: apply the JSON Patch fix.changes[{index}].patch ({change.summary})")


def _new_block(change: Change, index: int, places: Placement | None) -> str:
    """A block the plan does not have yet, attached to the planned bucket (or naming the bucket)."""
    type_ = _NEW_BLOCKS.get((change.resource_type, change.read))
    if type_ is None:
        return _unrendered(change, index)
    bucket = places.read(change.resource, None) if places is not None else None
    if bucket is not None:
        name = _name(*bucket)
        reference = f"{bucket[1]}.{bucket[0].rsplit(f'{bucket[1]}.', 1)[-1]}.id"
        where = f"a new {type_} for {bucket[0]}: the plan has none"
    else:
        name = "fix"
        reference = _hcl(_bucket_name(change.resource))
        where = f"a new {type_} for bucket {_bucket_name(change.resource)}: the plan has neither it nor the bucket"
    block = _BLOCKS[type_](change, f"{type_}.{name}", type_)
    if block is None or not block.startswith("resource "):
        return f"# {where}\n{block or _unrendered(change, index)}"
    head, rest = block.split("\n", 1)
    rest = rest.split("\n", 1)[1]  # a new block has no other arguments
    return f"# {where}\n{head}\n  bucket = {reference}\n{rest}"


def _change_blocks(change: Change, index: int, address: str, type_: str, places: Placement | None) -> list[str]:
    held = (change.resource_type, change.read)
    if held in _IAM_READS:
        return _iam_blocks(change, index, address, type_, places)
    at = (address, type_) if _handles(type_) == held else None
    if at is None and places is not None:
        at = places.read(change.resource, change.read)
        if at is None and change.read == GcsBucketRead.METADATA:
            at = places.read(change.resource, None)  # google_storage_bucket holds its own metadata
    if at is None:
        return [_new_block(change, index, places)]
    render = _BLOCKS.get(at[1]) if _handles(at[1]) == held else None
    block = render(change, *at) if render is not None else None
    return [block or f"{_unrendered(change, index)}; the plan holds it in {at[0]}"]


def terraform_snippet(fix: Fix, address: str, type_: str, places: Placement | None = None) -> str:
    """The proven fix in HCL: each change at the planned resource that holds its document (``address`` of
    ``type_`` opens the finding; ``places`` finds the others in the plan), a new block where the plan has none,
    and for a change seenby cannot render, a comment naming it and pointing to its JSON Patch."""
    blocks = [b for i, change in enumerate(fix.changes) for b in _change_blocks(change, i, address, type_, places)]
    return "\n\n".join(dict.fromkeys(blocks))
