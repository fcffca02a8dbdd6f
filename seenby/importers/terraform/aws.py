"""AWS resources of a plan → snapshot documents (docs/snapshot.md), one builder per Terraform type.

Attribute names are the AWS provider's (https://registry.terraform.io/providers/hashicorp/aws/latest/docs);
document shapes are the API responses the scanner stores.  Defaults for a bucket the plan
*creates* are AWS's documented defaults for new buckets
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/create-bucket-overview.html): all four
Block Public Access settings on, Object Ownership ``BucketOwnerEnforced`` (ACLs disabled),
SSE-S3 encryption, no bucket policy; each is replaced by the plan's own resource when it has one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from seenby.importers.terraform.context import Builder, Context, decode_policy, unplaced_gap
from seenby.importers.terraform.plan import PlannedResource
from seenby.importers.terraform.resolve import UNKNOWN_REGION, Unknown, is_unknown, name_prefix, unknown_name
from seenby.importers.terraform.state import Draft, absent, ok, unknown
from seenby.registry import (
    DynamoDbTableRead,
    GlueCatalogRead,
    KmsKeyRead,
    LakeFormationRead,
    QuickSightDashboardRead,
    S3BucketRead,
    TypeName,
)

__all__ = [
    "AWS_BUILDERS",
    "AWS_DELETERS",
    "CANNED_ACLS",
    "acl_document",
    "bucket_draft",
    "delete_bucket_setting",
    "finish_glue",
    "name_gap",
    "owner_id",
    "target_bucket",
]

_ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
_AUTHENTICATED = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
_LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"

# Canned ACLs on a bucket or object beyond the owner's FULL_CONTROL
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl).
CANNED_ACLS: dict[str, list[tuple[str, str]]] = {
    "private": [],
    "public-read": [(_ALL_USERS, "READ")],
    "public-read-write": [(_ALL_USERS, "READ"), (_ALL_USERS, "WRITE")],
    "authenticated-read": [(_AUTHENTICATED, "READ")],
    "log-delivery-write": [(_LOG_DELIVERY, "WRITE"), (_LOG_DELIVERY, "READ_ACP")],
    "bucket-owner-read": [],
    "bucket-owner-full-control": [],
    "aws-exec-read": [],
}
_PLANNED_OWNER = "terraform-planned-bucket-owner"


def _bucket_name(ctx: Context, res: PlannedResource, attribute: str = "bucket") -> str | Unknown:
    value = ctx.get(res, attribute, shape=lambda v: isinstance(v, str) and bool(v))
    if isinstance(value, str) and value.startswith("arn:"):
        value = value.split(":::", 1)[-1]
    return value


def owner_id(ctx: Context, account: str | None) -> str:
    """The canonical id of the account's bucket owner, from a baseline bucket of that account."""
    for d in ctx.state.drafts.values():
        if d.type == TypeName.AWS_S3_BUCKET and d.account == account and d.in_baseline:
            acl = d.reads.get(S3BucketRead.ACL)
            owner = ((acl.document or {}).get("Owner") or {}).get("ID") if acl is not None and acl.ok else None
            if owner:
                return str(owner)
    return _PLANNED_OWNER


def acl_document(owner: str, extra: list[tuple[str, str]]) -> dict[str, Any]:
    grants = [{"Grantee": {"ID": owner, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}]
    grants += [{"Grantee": {"Type": "Group", "URI": uri}, "Permission": perm} for uri, perm in extra]
    return {"Owner": {"ID": owner}, "Grants": grants}


def bucket_draft(ctx: Context, name: str, res: PlannedResource | None = None) -> Draft:
    """The bucket's draft: from the baseline, or a new one in the plan's account."""
    arn = f"arn:{ctx.partition}:s3:::{name}"
    existing = ctx.state.get(TypeName.AWS_S3_BUCKET, arn)
    if existing is not None:
        return existing
    region = ctx.resolver.region_of(res) if res is not None else ctx.resolver.region
    return ctx.state.draft(TypeName.AWS_S3_BUCKET, arn, name=name, account=ctx.account, region=region)


def target_bucket(ctx: Context, res: PlannedResource) -> Draft | None:
    """The bucket ``res`` configures; when its name is unknown and not this plan's bucket, a gap on the account."""
    name = _bucket_name(ctx, res)
    if is_unknown(name) or not name:
        what = name if is_unknown(name) else Unknown(address=res.address, attribute="bucket",
                                                      where=res.place("bucket"))
        unplaced_gap(ctx, res, what, api="s3:ListBuckets",
                     why="the bucket it configures is known only after apply: it may be any bucket of the account")
        return None
    return bucket_draft(ctx, name, res)


def name_gap(ctx: Context, res: PlannedResource, d: Draft, attribute: str, api: str) -> None:
    """The dataset's name is known only after apply: a gap on its ``name`` read (the declaration it falls under)."""
    what = Unknown(address=res.address, attribute=attribute, where=res.place(attribute))
    ctx.state.set_read(d, "name", unknown(api, what), ctx.origin(res))


def _tags(ctx: Context, res: PlannedResource) -> dict[str, str]:
    for key in ("tags_all", "tags"):
        value = ctx.get(res, key)
        if isinstance(value, Mapping):
            return {str(k): str(v) for k, v in value.items() if v is not None}
    return {}


def s3_bucket(ctx: Context, res: PlannedResource) -> None:
    name = _bucket_name(ctx, res)
    name_known = not is_unknown(name) and bool(name)
    d = bucket_draft(ctx, str(name) if name_known else unknown_name(res.address, name_prefix(res)), res)
    origin = ctx.origin(res)
    ctx.state.defines(d, origin)
    if not name_known:
        name_gap(ctx, res, d, "bucket", "s3:ListBuckets")
    region = ctx.resolver.region_of(res)
    d.region = d.region or region
    if not d.in_baseline:
        # AWS's defaults for a new bucket (module docstring); a plan resource for the setting replaces it.
        defaults = {
            S3BucketRead.LOCATION: ok("s3:GetBucketLocation", {"LocationConstraint": region}),
            S3BucketRead.POLICY: absent("s3:GetBucketPolicy", "NoSuchBucketPolicy"),
            S3BucketRead.ACL: ok("s3:GetBucketAcl", acl_document(owner_id(ctx, ctx.account), [])),
            S3BucketRead.PUBLIC_ACCESS_BLOCK: ok("s3:GetBucketPublicAccessBlock", {"PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True}}),
            S3BucketRead.OWNERSHIP_CONTROLS: ok("s3:GetBucketOwnershipControls",
                                     {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}),
            S3BucketRead.ENCRYPTION: ok("s3:GetBucketEncryption", {"ServerSideEncryptionConfiguration": {"Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]}}),
        }
        for read_name, read in defaults.items():
            d.reads.setdefault(read_name, read)
            ctx.state.index.reads.setdefault((d.id, read_name), origin)
    tags = _tags(ctx, res)
    ctx.state.set_read(d, S3BucketRead.TAGS, ok("s3:GetBucketTagging", {"TagSet": [{"Key": k, "Value": v}
                                                                         for k, v in sorted(tags.items())]})
                       if tags else absent("s3:GetBucketTagging", "NoSuchTagSet"), origin)
    # Arguments the provider deprecated but still applies when written in the configuration.
    if "policy" in res.expressions:
        _set_policy(ctx, res, d, "policy")
    if "grant" in res.expressions:
        _set_grants(ctx, res, d)
    elif "acl" in res.expressions:
        _set_canned_acl(ctx, res, d)


def _set_grants(ctx: Context, res: PlannedResource, d: Draft) -> None:
    """Provider v3's ``grant`` blocks on ``aws_s3_bucket``: the bucket ACL is the owner's FULL_CONTROL and these."""
    blocks = ctx.get(res, "grant")
    origin = ctx.origin(res)
    if is_unknown(blocks):
        ctx.state.set_read(d, S3BucketRead.ACL, unknown("s3:GetBucketAcl", blocks), origin)
        return
    owner = owner_id(ctx, d.account)
    grants = acl_document(owner, [])["Grants"]
    for i, g in enumerate(blocks or []):
        permissions = ctx.get(res, "grant", i, "permissions")
        if is_unknown(permissions):
            ctx.state.set_read(d, S3BucketRead.ACL, unknown("s3:GetBucketAcl", permissions), origin)
            return
        entry: dict[str, Any] = {"Type": g.get("type")}
        if g.get("id"):
            entry["ID"] = g["id"]
        if g.get("uri"):
            entry["URI"] = g["uri"]
        grants += [{"Grantee": dict(entry), "Permission": p} for p in sorted(permissions or [])]
    ctx.state.set_read(d, S3BucketRead.ACL, ok("s3:GetBucketAcl", {"Owner": {"ID": owner}, "Grants": grants}), origin)


def _set_policy(ctx: Context, res: PlannedResource, d: Draft, attribute: str) -> None:
    policy = decode_policy(ctx, res, ctx.get(res, attribute), attribute)
    origin = ctx.origin(res)
    if is_unknown(policy):
        ctx.state.set_read(d, S3BucketRead.POLICY, unknown("s3:GetBucketPolicy", policy), origin)
    elif policy:
        ctx.state.set_read(d, S3BucketRead.POLICY, ok("s3:GetBucketPolicy", {"Policy": json.dumps(policy)}), origin)
    else:
        ctx.state.set_read(d, S3BucketRead.POLICY, absent("s3:GetBucketPolicy", "NoSuchBucketPolicy"), origin)


def s3_bucket_policy(ctx: Context, res: PlannedResource) -> None:
    d = target_bucket(ctx, res)
    if d is not None:
        _set_policy(ctx, res, d, "policy")


def _set_canned_acl(ctx: Context, res: PlannedResource, d: Draft) -> None:
    canned = ctx.get(res, "acl")
    origin = ctx.origin(res)
    if is_unknown(canned):
        ctx.state.set_read(d, S3BucketRead.ACL, unknown("s3:GetBucketAcl", canned), origin)
    elif isinstance(canned, str) and canned:
        extra = CANNED_ACLS.get(canned)
        if extra is None:
            what = Unknown(address=res.address, attribute=f"acl ({canned!r} is not a canned ACL seenby knows)",
                           where=res.place("acl"))
            ctx.state.set_read(d, S3BucketRead.ACL, unknown("s3:GetBucketAcl", what), origin)
        else:
            ctx.state.set_read(d, S3BucketRead.ACL,
                               ok("s3:GetBucketAcl", acl_document(owner_id(ctx, d.account), extra)),
                               origin)


def s3_bucket_acl(ctx: Context, res: PlannedResource) -> None:
    d = target_bucket(ctx, res)
    if d is None:
        return
    policy = ctx.get(res, "access_control_policy")
    if is_unknown(policy) and "access_control_policy" not in res.expressions and ctx.get(res, "acl"):
        # `acl` written: the provider computes access_control_policy from the canned ACL after apply.
        _set_canned_acl(ctx, res, d)
        return
    if is_unknown(policy):
        ctx.state.set_read(d, S3BucketRead.ACL, unknown("s3:GetBucketAcl", policy), ctx.origin(res))
        return
    if not policy:
        _set_canned_acl(ctx, res, d)
        return
    block = policy[0]
    owner = ((block.get("owner") or [{}])[0] or {}).get("id") or owner_id(ctx, d.account)
    grants = []
    for g in block.get("grant") or []:
        grantee = (g.get("grantee") or [{}])[0] or {}
        entry: dict[str, Any] = {"Type": grantee.get("type")}
        for key, api_key in (("id", "ID"), ("uri", "URI"), ("email_address", "EmailAddress")):
            if grantee.get(key):
                entry[api_key] = grantee[key]
        grants.append({"Grantee": entry, "Permission": g.get("permission")})
    ctx.state.set_read(d, S3BucketRead.ACL, ok("s3:GetBucketAcl", {"Owner": {"ID": owner}, "Grants": grants}),
                       ctx.origin(res))


_BPA_FIELDS = (("block_public_acls", "BlockPublicAcls"), ("ignore_public_acls", "IgnorePublicAcls"),
               ("block_public_policy", "BlockPublicPolicy"), ("restrict_public_buckets", "RestrictPublicBuckets"))


def _bpa_document(ctx: Context, res: PlannedResource) -> dict[str, Any] | Unknown:
    out: dict[str, Any] = {}
    for attr, key in _BPA_FIELDS:
        value = ctx.get(res, attr)
        if is_unknown(value):
            return value
        out[key] = bool(value)
    return {"PublicAccessBlockConfiguration": out}


def s3_public_access_block(ctx: Context, res: PlannedResource) -> None:
    d = target_bucket(ctx, res)
    if d is None:
        return
    doc = _bpa_document(ctx, res)
    api = "s3:GetBucketPublicAccessBlock"
    ctx.state.set_read(d, S3BucketRead.PUBLIC_ACCESS_BLOCK, unknown(api, doc) if is_unknown(doc) else ok(api, doc),
                       ctx.origin(res))


def account_draft(ctx: Context, account: str) -> Draft:
    return ctx.state.draft(TypeName.AWS_ACCOUNT, account, account=account)


def s3_account_public_access_block(ctx: Context, res: PlannedResource) -> None:
    account = ctx.get(res, "account_id")
    account = account if isinstance(account, str) and account else ctx.account
    if account is None:
        ctx.unplaced.append(res.address)
        return
    doc = _bpa_document(ctx, res)
    api = "s3control:GetPublicAccessBlock"
    ctx.state.set_read(account_draft(ctx, account), "public_access_block",
                       unknown(api, doc) if is_unknown(doc) else ok(api, doc), ctx.origin(res))


def s3_ownership_controls(ctx: Context, res: PlannedResource) -> None:
    d = target_bucket(ctx, res)
    if d is None:
        return
    value = ctx.get(res, "rule", 0, "object_ownership")
    api = "s3:GetBucketOwnershipControls"
    read = unknown(api, value) if is_unknown(value) else ok(
        api, {"OwnershipControls": {"Rules": [{"ObjectOwnership": value}]}})
    ctx.state.set_read(d, S3BucketRead.OWNERSHIP_CONTROLS, read, ctx.origin(res))


def s3_encryption(ctx: Context, res: PlannedResource) -> None:
    d = target_bucket(ctx, res)
    if d is None:
        return
    api = "s3:GetBucketEncryption"
    rules = []
    for i, rule in enumerate(ctx.get(res, "rule") or []):
        default = (rule.get("apply_server_side_encryption_by_default") or [{}])[0] or {}
        entry: dict[str, Any] = {"SSEAlgorithm": default.get("sse_algorithm")}
        key = ctx.get(res, "rule", i, "apply_server_side_encryption_by_default", 0, "kms_master_key_id",
                      shape=lambda v: isinstance(v, str) and v.startswith("arn:"))
        if is_unknown(key):
            ctx.state.set_read(d, S3BucketRead.ENCRYPTION, unknown(api, key), ctx.origin(res))
            return
        if key:
            entry["KMSMasterKeyID"] = key
        rules.append({"ApplyServerSideEncryptionByDefault": entry,
                      "BucketKeyEnabled": bool(rule.get("bucket_key_enabled"))})
    ctx.state.set_read(d, S3BucketRead.ENCRYPTION, ok(api, {"ServerSideEncryptionConfiguration": {"Rules": rules}}),
                       ctx.origin(res))


def _default_key_policy(account: str, partition: str) -> dict[str, Any]:
    """The default key policy of a key created without one
    (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html)."""
    return {"Version": "2012-10-17", "Id": "key-default-1", "Statement": [{
        "Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"}]}


def _key_arn(ctx: Context, res: PlannedResource, value: Any) -> str | None:
    if isinstance(value, str) and value.startswith("arn:"):
        return value
    region = ctx.resolver.region_of(res)
    if isinstance(value, str) and value and ctx.account and region:
        return f"arn:{ctx.partition}:kms:{region}:{ctx.account}:key/{value}"
    return None


def kms_key(ctx: Context, res: PlannedResource) -> None:
    arn = ctx.get(res, "arn")
    arn = arn if isinstance(arn, str) else ctx.resolver.kms_placeholder(res)
    if arn is None:
        ctx.unplaced.append(res.address)
        return
    origin = ctx.origin(res)
    region = ctx.resolver.region_of(res)
    d = ctx.state.draft(TypeName.AWS_KMS_KEY, arn, account=ctx.account, region=region)
    ctx.state.defines(d, origin)
    key_id = arn.rsplit("/", 1)[-1]
    ctx.state.set_read(d, KmsKeyRead.METADATA, ok("kms:DescribeKey", {"KeyMetadata": {
        "AWSAccountId": ctx.account, "KeyId": key_id, "Arn": arn, "KeyManager": "CUSTOMER",
        "KeyState": "Enabled" if ctx.get(res, "is_enabled") is not False else "Disabled",
        "Enabled": ctx.get(res, "is_enabled") is not False, "KeyUsage": "ENCRYPT_DECRYPT"}}), origin)
    if "policy" in res.expressions or not res.is_unknown("policy"):
        _set_key_policy(ctx, res, d)
    elif not d.in_baseline and ctx.account:
        ctx.state.set_read(d, KmsKeyRead.POLICY, ok("kms:GetKeyPolicy", {
            "Policy": json.dumps(_default_key_policy(ctx.account, ctx.partition)), "PolicyName": "default"}), origin)


def _set_key_policy(ctx: Context, res: PlannedResource, d: Draft) -> None:
    policy = decode_policy(ctx, res, ctx.get(res, "policy"), "policy")
    api = "kms:GetKeyPolicy"
    read = unknown(api, policy) if is_unknown(policy) else ok(
        api, {"Policy": json.dumps(policy or {}), "PolicyName": "default"})
    ctx.state.set_read(d, KmsKeyRead.POLICY, read, ctx.origin(res))


def kms_key_policy(ctx: Context, res: PlannedResource) -> None:
    arn = _key_arn(ctx, res, ctx.get(res, "key_id", shape=lambda v: isinstance(v, str)))
    if arn is None:
        what = Unknown(address=res.address, attribute="key_id", where=res.place("key_id"))
        unplaced_gap(ctx, res, what, api="kms:ListKeys",
                     why="the key it sets the policy of is known only after apply: it may be any key of the account")
        return
    d = ctx.state.draft(TypeName.AWS_KMS_KEY, arn, account=ctx.account, region=ctx.resolver.region_of(res))
    _set_key_policy(ctx, res, d)


# -- DynamoDB, Glue, Lake Formation, QuickSight ---------------------------------------------------


def dynamodb_table(ctx: Context, res: PlannedResource) -> None:
    name = ctx.get(res, "name")
    arn = ctx.get(res, "arn", shape=lambda v: isinstance(v, str))
    if is_unknown(arn) or not arn:
        arn = ctx.resolver.computed(res, "arn")
    if not isinstance(arn, str):
        unplaced_gap(ctx, res, Unknown(address=res.address, attribute="arn", where=res.place("arn")),
                     api="dynamodb:ListTables", why="its ARN cannot be formed (the AWS account is unknown)")
        return
    name_known = isinstance(name, str) and bool(name)
    name = name if name_known else unknown_name(res.address, name_prefix(res))
    origin = ctx.origin(res)
    region = ctx.resolver.region_of(res)
    d = ctx.state.draft(
        TypeName.AWS_DYNAMODB_TABLE, arn, name=name, account=ctx.account, region=region or UNKNOWN_REGION
    )
    ctx.state.defines(d, origin)
    if not name_known:
        name_gap(ctx, res, d, "name", "dynamodb:ListTables")
    if region is None:
        what = Unknown(address=res.address, attribute="region (neither the resource, its provider nor a plan "
                       "variable gives it)", where=res.place("region"))
        ctx.state.set_read(d, "region", unknown("dynamodb:ListTables", what), origin)
    ctx.state.set_read(d, DynamoDbTableRead.DESCRIPTION, ok("dynamodb:DescribeTable", {"Table": {
        "TableName": name, "TableArn": arn, "TableStatus": "ACTIVE"}}), origin)
    tags = _tags(ctx, res)
    ctx.state.set_read(d, DynamoDbTableRead.TAGS, ok("dynamodb:ListTagsOfResource", {"Tags": [{"Key": k, "Value": v}
                                                                              for k, v in sorted(tags.items())]}),
                       origin)
    if not d.in_baseline:
        d.reads.setdefault("resource_policy", absent("dynamodb:GetResourcePolicy", "PolicyNotFoundException"))
        ctx.state.index.reads.setdefault((d.id, "resource_policy"), origin)


def dynamodb_resource_policy(ctx: Context, res: PlannedResource) -> None:
    arn = ctx.get(res, "resource_arn", shape=lambda v: isinstance(v, str) and v.startswith("arn:"))
    if not isinstance(arn, str):
        what = arn if is_unknown(arn) else Unknown(address=res.address, attribute="resource_arn",
                                                    where=res.place("resource_arn"))
        unplaced_gap(ctx, res, what, api="dynamodb:ListTables",
                     why="the table it configures is known only after apply: it may be any table of the account")
        return
    d = ctx.state.draft(TypeName.AWS_DYNAMODB_TABLE, arn, name=arn.rsplit("/", 1)[-1], account=ctx.account)
    policy = decode_policy(ctx, res, ctx.get(res, "policy"), "policy")
    api = "dynamodb:GetResourcePolicy"
    read = unknown(api, policy) if is_unknown(policy) else ok(api, {"Policy": json.dumps(policy)})
    ctx.state.set_read(d, DynamoDbTableRead.RESOURCE_POLICY, read, ctx.origin(res))


_UNKNOWN_DATABASE = "terraform-unknown-database"
_UNKNOWN_TABLE = "terraform-unknown-table"
_IAM_ALLOWED = "IAM_ALLOWED_PRINCIPALS"


def _catalog_draft(ctx: Context, res: PlannedResource, catalog_id: Any = None) -> Draft | None:
    """The Glue Data Catalog (``aws.glue.catalog``) of the resource's account and region."""
    region = ctx.resolver.region_of(res) or UNKNOWN_REGION
    account = catalog_id if isinstance(catalog_id, str) and catalog_id.isdigit() else ctx.account
    if account is None:
        return None
    arn = f"arn:{ctx.partition}:glue:{region}:{account}:catalog"
    d = ctx.state.draft(TypeName.AWS_GLUE_CATALOG, arn, account=account, region=region)
    ctx.state.index.resources.setdefault(arn, ctx.origin(res))
    return d


def _lf_draft(ctx: Context, res: PlannedResource, catalog_id: Any = None) -> Draft | None:
    """Lake Formation of the resource's account and region (``aws.lakeformation.settings``)."""
    region = ctx.resolver.region_of(res) or UNKNOWN_REGION
    account = catalog_id if isinstance(catalog_id, str) and catalog_id.isdigit() else ctx.account
    if account is None:
        return None
    arn = f"arn:{ctx.partition}:lakeformation:{region}:{account}:settings"
    return ctx.state.draft(TypeName.AWS_LAKEFORMATION, arn, account=account, region=region)


def _table_list(d: Draft) -> list[dict[str, Any]]:
    read = d.reads.get(GlueCatalogRead.TABLES)
    return [dict(t) for t in ((read.document or {}).get("TableList") or [])] if read is not None and read.ok else []


def _add_table(ctx: Context, d: Draft, table: dict[str, Any], origin: Any) -> None:
    tables = [t for t in _table_list(d)
              if (t.get("DatabaseName"), t.get("Name")) != (table["DatabaseName"], table["Name"])]
    tables.append(table)
    ctx.state.set_read(d, GlueCatalogRead.TABLES, ok("glue:GetTables", {"TableList": tables}), origin)


def glue_resource_policy(ctx: Context, res: PlannedResource) -> None:
    d = _catalog_draft(ctx, res)
    if d is None:
        ctx.unplaced.append(res.address)
        return
    policy = decode_policy(ctx, res, ctx.get(res, "policy"), "policy")
    api = "glue:GetResourcePolicy"
    read = unknown(api, policy) if is_unknown(policy) else ok(api, {"PolicyInJson": json.dumps(policy)}) if policy \
        else absent(api, "EntityNotFoundException")
    ctx.state.set_read(d, GlueCatalogRead.RESOURCE_POLICY, read, ctx.origin(res))


def glue_catalog_table(ctx: Context, res: PlannedResource) -> None:
    """A table of the catalog (a dataset): its database, name and S3 location, as glue:GetTables lists it."""
    d = _catalog_draft(ctx, res, ctx.get(res, "catalog_id"))
    if d is None:
        ctx.unplaced.append(res.address)
        return
    origin = ctx.origin(res)
    database, name = ctx.get(res, "database_name"), ctx.get(res, "name")
    table: dict[str, Any] = {"DatabaseName": database if isinstance(database, str) and database else _UNKNOWN_DATABASE,
                             "Name": name if isinstance(name, str) and name else unknown_name(res.address)}
    location = ctx.get(res, "storage_descriptor", 0, "location")
    if isinstance(location, str) and location:
        table["StorageDescriptor"] = {"Location": location}
    _add_table(ctx, d, table, origin)
    head = d.id.rsplit(":catalog", 1)[0]
    ctx.state.index.resources[f"{head}:table/{table['DatabaseName']}/{table['Name']}"] = origin
    if is_unknown(location):
        ctx.state.set_read(d, f"{res.address}.storage_descriptor", unknown("glue:GetTables", location), origin)


def _lf_resource(ctx: Context, res: PlannedResource) -> dict[str, Any] | Unknown:
    resource: dict[str, Any] = {}
    for block, key, fields in (("table", "Table", {"database_name": "DatabaseName", "name": "Name",
                                                   "catalog_id": "CatalogId"}),
                               ("table_with_columns", "TableWithColumns",
                                {"database_name": "DatabaseName", "name": "Name", "catalog_id": "CatalogId"}),
                               ("database", "Database", {"name": "Name", "catalog_id": "CatalogId"}),
                               ("data_location", "DataLocation", {"arn": "ResourceArn", "catalog_id": "CatalogId"}),
                               ("lf_tag_policy", "LFTagPolicy", {"catalog_id": "CatalogId"})):
        blocks = ctx.get(res, block)
        if is_unknown(blocks):
            return blocks
        value = (blocks or [None])[0]
        if not value:
            continue
        entry = {}
        for k, api_key in fields.items():
            v = ctx.get(res, block, 0, k)
            if is_unknown(v):
                return v
            if v not in (None, ""):
                entry[api_key] = v
        if value.get("wildcard"):
            entry["TableWildcard"] = {}
        if block == "table_with_columns":
            excluded = value.get("excluded_column_names") or []
            if value.get("wildcard") or excluded:
                entry.pop("TableWildcard", None)
                entry["ColumnWildcard"] = {"ExcludedColumnNames": list(excluded)}
            else:
                entry["ColumnNames"] = list(value.get("column_names") or [])
        resource[key] = entry
    return resource


def lakeformation_permissions(ctx: Context, res: PlannedResource) -> None:
    """One Lake Formation grant (``lakeformation:ListPermissions`` entry); the table it names joins the catalog."""
    d = _lf_draft(ctx, res, ctx.get(res, "catalog_id"))
    if d is None:
        ctx.unplaced.append(res.address)
        return
    api = "lakeformation:ListPermissions"
    origin = ctx.origin(res)
    principal = ctx.get(res, "principal", shape=lambda v: isinstance(v, str) and bool(v))
    resource = _lf_resource(ctx, res)
    for value in (principal, resource):
        if is_unknown(value):
            ctx.state.set_read(d, f"permissions:{res.address}", unknown(api, value), origin)
            return
    assert isinstance(resource, dict)
    entry = {"Principal": {"DataLakePrincipalIdentifier": principal}, "Resource": resource,
             "Permissions": sorted(ctx.get(res, "permissions") or []),
             "PermissionsWithGrantOption": sorted(ctx.get(res, "permissions_with_grant_option") or [])}
    read = d.reads.get(LakeFormationRead.PERMISSIONS)
    entries = list((read.document or {}).get("PrincipalResourcePermissions", [])) if read and read.ok else []
    entries.append(entry)
    ctx.state.set_read(d, LakeFormationRead.PERMISSIONS, ok(api, {"PrincipalResourcePermissions": entries}), origin)
    ctx.state.index.reads[(d.id, f"PrincipalResourcePermissions[{len(entries) - 1}]")] = origin
    table = resource.get("Table") or resource.get("TableWithColumns") or {}
    database = table.get("DatabaseName") or (resource.get("Database") or {}).get("Name")
    if database:  # the table (or some table of the database) the grant is on exists: judge it
        catalog = _catalog_draft(ctx, res, table.get("CatalogId") or (resource.get("Database") or {}).get("CatalogId"))
        names = {(t.get("DatabaseName"), t.get("Name")) for t in _table_list(catalog)} if catalog else set()
        name = table.get("Name") or _UNKNOWN_TABLE
        if catalog is not None and (database, name) not in names and \
                (name != _UNKNOWN_TABLE or not any(db == database for db, _ in names)):
            _add_table(ctx, catalog, {"DatabaseName": database, "Name": name}, origin)


def finish_glue(ctx: Context) -> None:
    """Catalogs and Lake Formation the baseline does not have: what exists outside the plan is assumed open.

    A catalog the plan touches but no baseline lists gets a placeholder table standing for every
    table outside the plan (its findings show what the catalog policy opens), and a note.  Lake
    Formation without a baseline keeps the default of new accounts, IAM_ALLOWED_PRINCIPALS holding
    ALL on every table (IAM decides), plus the plan's grants, counted as if their locations were
    registered.
    """
    for d in [d for d in ctx.state.drafts.values() if d.type == TypeName.AWS_GLUE_CATALOG and not d.in_baseline]:
        _add_table(ctx, d, {"DatabaseName": _UNKNOWN_DATABASE, "Name": _UNKNOWN_TABLE}, None)
        origin = ctx.state.index.resources.get(d.id)
        if origin is not None:
            ctx.state.index.resources.setdefault(
                d.id.rsplit(":catalog", 1)[0] + f":table/{_UNKNOWN_DATABASE}/{_UNKNOWN_TABLE}", origin)
        ctx.notes.append(f"no baseline lists the tables of {d.id}: the tables outside this plan are judged as one "
                         f"table, {_UNKNOWN_DATABASE}/{_UNKNOWN_TABLE}")
    for d in [d for d in ctx.state.drafts.values() if d.type == TypeName.AWS_LAKEFORMATION and not d.in_baseline]:
        catalog_arn = d.id.replace(":lakeformation:", ":glue:").replace(":settings", ":catalog")
        catalog = ctx.state.get(TypeName.AWS_GLUE_CATALOG, catalog_arn)
        databases = sorted({str(t.get("DatabaseName")) for t in _table_list(catalog)}) if catalog else []
        read = d.reads.get(LakeFormationRead.PERMISSIONS)
        entries = list((read.document or {}).get("PrincipalResourcePermissions", [])) if read and read.ok else []
        defaults = [{"Principal": {"DataLakePrincipalIdentifier": _IAM_ALLOWED},
                     "Resource": {"Table": {"DatabaseName": db, "TableWildcard": {}}}, "Permissions": ["ALL"],
                     "PermissionsWithGrantOption": []} for db in databases]
        d.reads[LakeFormationRead.PERMISSIONS] = ok("lakeformation:ListPermissions", {"PrincipalResourcePermissions":
                                                                      defaults + entries})
        if defaults:  # the plan's entries move down: their origins (evidence locations) with them
            moved = {i: ctx.state.index.reads.pop((d.id, f"PrincipalResourcePermissions[{i}]"), None)
                     for i in range(len(entries))}
            for i, origin in moved.items():
                if origin is not None:
                    ctx.state.index.reads[(d.id, f"PrincipalResourcePermissions[{i + len(defaults)}]")] = origin
        d.reads.setdefault("settings", ok("lakeformation:GetDataLakeSettings", {"DataLakeSettings": {}}))
        # `resources` (registered locations) is left unread: a grant counts as if its location were registered


def _dashboard_data_sets(ctx: Context, res: PlannedResource) -> list[str] | Unknown:
    """The data sets a dashboard shows: its definition's declarations, or its source template's references."""
    arns: list[str] = []
    for path in (("definition", 0, "data_set_identifiers_declarations"),
                 ("source_entity", 0, "source_template", 0, "data_set_references")):
        blocks = ctx.get(res, *path)
        if is_unknown(blocks):
            return blocks
        for i, _ in enumerate(blocks or []):
            arn = ctx.get(res, *path, i, "data_set_arn", shape=lambda v: isinstance(v, str) and v.startswith("arn:"))
            if is_unknown(arn):
                return arn
            if isinstance(arn, str):
                arns.append(arn)
    return sorted(set(arns))


def quicksight_dashboard(ctx: Context, res: PlannedResource) -> None:
    dashboard_id = ctx.get(res, "dashboard_id")
    account = ctx.get(res, "aws_account_id")
    account = account if isinstance(account, str) and account else ctx.account
    region = ctx.resolver.region_of(res)
    if not isinstance(dashboard_id, str) or account is None or region is None:
        what = Unknown(address=res.address, attribute="dashboard_id, aws_account_id or region",
                       where=res.place("dashboard_id"))
        unplaced_gap(ctx, res, what, api="quicksight:ListDashboards",
                     why="the dashboard's ARN cannot be formed from the plan")
        return
    arn = f"arn:{ctx.partition}:quicksight:{region}:{account}:dashboard/{dashboard_id}"
    origin = ctx.origin(res)
    d = ctx.state.draft(TypeName.AWS_QUICKSIGHT_DASHBOARD, arn, name=ctx.get(res, "name") or dashboard_id,
                        account=account, region=region)
    ctx.state.defines(d, origin)
    data_sets = _dashboard_data_sets(ctx, res)
    dashboard_api = "quicksight:DescribeDashboard"
    ctx.state.set_read(d, QuickSightDashboardRead.DASHBOARD,
                       unknown(dashboard_api, data_sets) if is_unknown(data_sets) else ok(
        dashboard_api, {"Dashboard": {"DashboardId": dashboard_id, "Arn": arn, "Name": d.name,
                                      "Version": {"DataSetArns": data_sets}}}), origin)
    api = "quicksight:DescribeDashboardPermissions"
    permissions = ctx.get(res, "permissions")
    if is_unknown(permissions):
        ctx.state.set_read(d, QuickSightDashboardRead.PERMISSIONS, unknown(api, permissions), origin)
        return
    doc = {"DashboardId": dashboard_id, "DashboardArn": arn,
           "Permissions": [{"Principal": p.get("principal"), "Actions": sorted(p.get("actions") or [])}
                           for p in permissions or []]}
    ctx.state.set_read(d, QuickSightDashboardRead.PERMISSIONS, ok(api, doc), origin)


AWS_BUILDERS: dict[str, Builder] = {
    "aws_s3_bucket": s3_bucket,
    "aws_kms_key": kms_key,
    "aws_dynamodb_table": dynamodb_table,
    "aws_s3_bucket_policy": s3_bucket_policy,
    "aws_s3_bucket_acl": s3_bucket_acl,
    "aws_s3_bucket_public_access_block": s3_public_access_block,
    "aws_s3_account_public_access_block": s3_account_public_access_block,
    "aws_s3_bucket_ownership_controls": s3_ownership_controls,
    "aws_s3_bucket_server_side_encryption_configuration": s3_encryption,
    "aws_kms_key_policy": kms_key_policy,
    "aws_dynamodb_resource_policy": dynamodb_resource_policy,
    "aws_glue_resource_policy": glue_resource_policy,
    "aws_lakeformation_permissions": lakeformation_permissions,
    "aws_glue_catalog_table": glue_catalog_table,
    "aws_quicksight_dashboard": quicksight_dashboard,
}


# -- deletions: what the setting falls back to once the resource is destroyed ---------------------


def delete_bucket_setting(read_name: str, fallback: Any) -> Builder:
    """A deleter of a bucket setting resource: the bucket's ``read_name`` falls back to ``fallback``."""

    def delete(ctx: Context, res: PlannedResource) -> None:
        name = res.value("bucket")
        if not isinstance(name, str):
            return
        d = ctx.state.get(TypeName.AWS_S3_BUCKET, f"arn:{ctx.partition}:s3:::{name}")
        if d is not None:
            ctx.state.set_read(d, read_name, fallback, ctx.origin(res))

    return delete


def _delete_resource(type_: str, arn_attr: str) -> Builder:
    def delete(ctx: Context, res: PlannedResource) -> None:
        arn = res.value(arn_attr)
        if isinstance(arn, str):
            ctx.state.remove(type_, arn)
            ctx.origin(res)

    return delete


AWS_DELETERS: dict[str, Builder] = {
    "aws_s3_bucket": _delete_resource(TypeName.AWS_S3_BUCKET, "arn"),
    "aws_dynamodb_table": _delete_resource(TypeName.AWS_DYNAMODB_TABLE, "arn"),
    "aws_s3_bucket_policy": delete_bucket_setting("policy", absent("s3:GetBucketPolicy", "NoSuchBucketPolicy")),
    "aws_s3_bucket_public_access_block": delete_bucket_setting(
        "public_access_block", absent("s3:GetBucketPublicAccessBlock", "NoSuchPublicAccessBlockConfiguration")),
    "aws_s3_bucket_ownership_controls": delete_bucket_setting(
        "ownership_controls", absent("s3:GetBucketOwnershipControls", "OwnershipControlsNotFoundError")),
}
