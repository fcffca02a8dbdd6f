"""Resource types that can change who reaches data but that the importer does not model yet.

A resource of one of these types that the plan creates or updates is never read as "no
effect": it becomes a coverage gap (outcome ``error``, error code ``NotModelled``) named
after its Terraform address, on the dataset it names when that dataset is in the planned
state, else on the account or project (every dataset there), else on the organisation or
folder it is attached to.  Deleting one only takes access away and is not a gap.  Types
outside this table and outside the importer's builders (``aws_s3_bucket_website_configuration``,
``aws_lambda_function``, …) are listed as "not modelled" on stderr and otherwise ignored.
"""

from __future__ import annotations

from collections.abc import Callable

from seenby.importers.terraform.context import Builder, Context
from seenby.importers.terraform.plan import PlannedResource
from seenby.importers.terraform.resolve import is_unknown
from seenby.importers.terraform.state import Draft
from seenby.model import ReadOutcome
from seenby.registry import TypeName
from seenby.snapshot import Read

__all__ = ["NOT_JUDGED_TYPES", "NOT_MODELLED", "UNMODELLED_BUILDERS", "not_judged"]

NOT_MODELLED = "NotModelled"

# type -> the API whose answer the resource would change (the gap read's `api`)
_AWS: dict[str, str] = {
    "aws_s3_access_point": "s3control:GetAccessPointPolicy",
    "aws_s3control_access_point_policy": "s3control:GetAccessPointPolicy",
    "aws_s3control_bucket_policy": "s3control:GetBucketPolicy",
    "aws_s3control_multi_region_access_point": "s3control:GetMultiRegionAccessPointPolicy",
    "aws_s3control_multi_region_access_point_policy": "s3control:GetMultiRegionAccessPointPolicy",
    "aws_s3control_object_lambda_access_point": "s3control:GetAccessPointPolicyForObjectLambda",
    "aws_s3control_object_lambda_access_point_policy": "s3control:GetAccessPointPolicyForObjectLambda",
    "aws_s3_directory_bucket": "s3express:GetBucketPolicy",
    "aws_iam_role_policies_exclusive": "iam:GetAccountAuthorizationDetails",
    "aws_iam_user_policies_exclusive": "iam:GetAccountAuthorizationDetails",
    "aws_iam_group_policies_exclusive": "iam:GetAccountAuthorizationDetails",
    "aws_iam_role_policy_attachments_exclusive": "iam:GetAccountAuthorizationDetails",
    "aws_iam_user_policy_attachments_exclusive": "iam:GetAccountAuthorizationDetails",
    "aws_iam_group_policy_attachments_exclusive": "iam:GetAccountAuthorizationDetails",
    "aws_organizations_policy": "organizations:DescribePolicy",
    "aws_organizations_policy_attachment": "organizations:ListPoliciesForTarget",
    "aws_ram_resource_share": "ram:GetResourceShares",
    "aws_ram_principal_association": "ram:GetResourceShareAssociations",
    "aws_ram_resource_association": "ram:GetResourceShareAssociations",
    "aws_kms_grant": "kms:ListGrants",
    "aws_lakeformation_data_lake_settings": "lakeformation:GetDataLakeSettings",
    "aws_lakeformation_resource_lf_tags": "lakeformation:GetResourceLFTags",
    "aws_quicksight_data_set": "quicksight:DescribeDataSetPermissions",
    "aws_quicksight_folder": "quicksight:DescribeFolderPermissions",
}
_GCP: dict[str, str] = {
    "google_storage_object_access_control": "storage.objectAccessControls.list",
    "google_storage_object_acl": "storage.objectAccessControls.list",
    "google_storage_managed_folder_iam_member": "storage.managedFolders.getIamPolicy",
    "google_storage_managed_folder_iam_binding": "storage.managedFolders.getIamPolicy",
    "google_storage_managed_folder_iam_policy": "storage.managedFolders.getIamPolicy",
    "google_iam_deny_policy": "iam.policies.get",
    "google_org_policy_policy": "orgpolicy.policies.list",
    "google_project_organization_policy": "orgpolicy.policies.list",
    "google_folder_organization_policy": "orgpolicy.policies.list",
    "google_organization_policy": "orgpolicy.policies.list",
    "google_project_iam_custom_role": "iam.projects.roles.list",
    "google_organization_iam_custom_role": "iam.organizations.roles.list",
    "google_service_account_iam_member": "iam.serviceAccounts.getIamPolicy",
    "google_service_account_iam_binding": "iam.serviceAccounts.getIamPolicy",
    "google_service_account_iam_policy": "iam.serviceAccounts.getIamPolicy",
    "google_storage_hmac_key": "storage.hmacKeys.list",
    "google_cloud_identity_group_membership": "cloudidentity.groups.memberships.list",
    "google_bigquery_routine": "bigquery.routines.get",
}


# Types that commonly carry a data-access policy on something seenby does not model as a dataset
# (search domains, shared snapshots and images, queues, secrets …).  A change to one is listed
# once as "not judged", with its address; it is not a gap (no dataset of the planned state
# depends on it).  The types of _AWS/_GCP above are listed too: they are gaps as well.
NOT_JUDGED_TYPES: frozenset[str] = frozenset({
    "aws_elasticsearch_domain_policy", "aws_opensearch_domain_policy", "aws_elasticsearch_domain",
    "aws_opensearch_domain", "aws_opensearchserverless_access_policy",
    "aws_db_snapshot", "aws_db_cluster_snapshot", "aws_snapshot_create_volume_permission",
    "aws_ami_launch_permission", "aws_redshift_snapshot_copy_grant",
    "aws_sqs_queue_policy", "aws_sns_topic_policy", "aws_secretsmanager_secret_policy", "aws_ecr_repository_policy",
    "aws_efs_file_system_policy", "aws_backup_vault_policy", "aws_lambda_permission",
    "aws_cloudwatch_log_resource_policy", "aws_glacier_vault", "aws_redshift_cluster_iam_roles",
    "google_secret_manager_secret_iam_member", "google_secret_manager_secret_iam_binding",
    "google_secret_manager_secret_iam_policy", "google_pubsub_topic_iam_member", "google_pubsub_topic_iam_binding",
    "google_pubsub_subscription_iam_member", "google_kms_crypto_key_iam_member", "google_kms_crypto_key_iam_binding",
    "google_spanner_database_iam_member", "google_bigtable_instance_iam_member",
})


def not_judged(type_: str) -> bool:
    """A type whose effect on who reaches data seenby does not judge (listed by address in the gate's output)."""
    return type_ in NOT_JUDGED_TYPES or type_ in _AWS or type_ in _GCP


def _gap_read(res: PlannedResource, api: str) -> Read:
    return Read(outcome=ReadOutcome.ERROR, api=api, error_code=NOT_MODELLED,
                message=f"{res.address} ({res.type}) can change who reaches this data and seenby does not model "
                        f"{res.type} yet: review it by hand")


def _known(ctx: Context, res: PlannedResource, attribute: str) -> str | None:
    value = ctx.get(res, attribute, shape=lambda v: isinstance(v, str) and bool(v))
    return value if isinstance(value, str) and value and not is_unknown(value) else None


def _aws_target(ctx: Context, res: PlannedResource) -> Draft | None:
    bucket = _known(ctx, res, "bucket")
    if bucket is not None:
        name = bucket.split(":::", 1)[-1]
        d = ctx.state.get(TypeName.AWS_S3_BUCKET, f"arn:{ctx.partition}:s3:::{name}")
        if d is not None:
            return d
    if ctx.account is None:
        return None
    return ctx.state.draft(TypeName.AWS_ACCOUNT, ctx.account, account=ctx.account)


def _gcp_target(ctx: Context, res: PlannedResource) -> Draft | None:
    bucket = _known(ctx, res, "bucket")
    if bucket is not None and (d := ctx.state.get(TypeName.GCP_STORAGE_BUCKET, f"gs://{bucket.removeprefix('b/')}")):
        return d
    for attr, type_, prefix in (
        ("org_id", TypeName.GCP_ORGANIZATION, "organizations/"),
        ("folder", TypeName.GCP_FOLDER, "folders/"),
    ):
        value = _known(ctx, res, attr)
        if value is not None and not res.type.startswith("google_project"):
            node = value if value.startswith(prefix) else f"{prefix}{value}"
            return ctx.state.draft(type_, node)
    parent = _known(ctx, res, "parent")
    if parent is not None and parent.startswith(("organizations/", "folders/")) and "/" not in parent.split("/", 1)[1]:
        return ctx.state.draft(TypeName.GCP_ORGANIZATION if parent.startswith("o") else TypeName.GCP_FOLDER, parent)
    project = parent if parent is not None and parent.startswith("projects/") else ctx.resolver.project_of(res)
    if project is None:
        return None
    project = project.removeprefix("projects/")
    return ctx.state.draft(TypeName.GCP_PROJECT, f"projects/{project}", name=project, account=project)


def _builder(api: str, target: Callable[[Context, PlannedResource], Draft | None]) -> Builder:
    def build(ctx: Context, res: PlannedResource) -> None:
        if not res.changed:
            return  # it exists already: a scan of the baseline reads (or misses) it
        d = target(ctx, res)
        if d is not None:
            ctx.state.set_read(d, res.address, _gap_read(res, api), ctx.origin(res))
        else:
            ctx.unplaced.append(res.address)

    return build


UNMODELLED_BUILDERS: dict[str, Builder] = {
    **{t: _builder(api, _aws_target) for t, api in _AWS.items()},
    **{t: _builder(api, _gcp_target) for t, api in _GCP.items()},
}
