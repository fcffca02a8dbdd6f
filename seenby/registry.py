"""The one registry of resource types and the reads each one is made of.

A new resource type is one entry here, one evaluator in ``seenby.policies``, one
scanner module, one fixture and one test (docs/snapshot.md, "Adding a resource
type").  Each type declares its reads once, as a :class:`ReadContract` per read:
scanners write them under these names, importers fill them, evaluators read them,
and :func:`seenby.policies.gaps.collect_gaps` reports a **required** read that a
snapshot lacks as a coverage gap (error code :data:`NOT_IN_SNAPSHOT`), exactly as a
denied read.  ``dataset_kind`` is set for types that hold or show data.

Type names are :class:`TypeName` members and read names members of one
:class:`~enum.StrEnum` per type (``S3BucketRead.POLICY``): both are strings, so
snapshots, documents and dictionaries keyed by them are unchanged.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from seenby.model import DatasetKind, Provider

__all__ = [
    "NOT_IN_SNAPSHOT",
    "RESOURCE_TYPES",
    "AwsAccountRead",
    "BigQueryDatasetRead",
    "BigQueryTableRead",
    "DynamoDbTableRead",
    "GcpDomainRead",
    "GcpGroupRead",
    "GcpNodeRead",
    "GcsBucketRead",
    "GlueCatalogRead",
    "KmsKeyRead",
    "LakeFormationRead",
    "OrganizationRead",
    "QuickSightAccountRead",
    "QuickSightDashboardRead",
    "ReadContract",
    "ResourceType",
    "S3BucketRead",
    "SsoInstanceRead",
    "SupersetDashboardRead",
    "SupersetDatasetRead",
    "SupersetInstanceRead",
    "TypeName",
    "missing_reads",
    "resource_type",
]

NOT_IN_SNAPSHOT = "NotInSnapshot"
"""Error code of the gap a required read that the snapshot lacks becomes."""


class TypeName(StrEnum):
    """Every resource type a snapshot may hold."""

    AWS_ORGANIZATION = "aws.organizations.organization"
    AWS_ACCOUNT = "aws.account"
    AWS_S3_BUCKET = "aws.s3.bucket"
    AWS_KMS_KEY = "aws.kms.key"
    AWS_DYNAMODB_TABLE = "aws.dynamodb.table"
    AWS_SSO_INSTANCE = "aws.sso.instance"
    AWS_QUICKSIGHT_ACCOUNT = "aws.quicksight.account"
    AWS_QUICKSIGHT_DASHBOARD = "aws.quicksight.dashboard"
    AWS_GLUE_CATALOG = "aws.glue.catalog"
    AWS_LAKEFORMATION = "aws.lakeformation.settings"
    GCP_ORGANIZATION = "gcp.organization"
    GCP_FOLDER = "gcp.folder"
    GCP_PROJECT = "gcp.project"
    GCP_STORAGE_BUCKET = "gcp.storage.bucket"
    GCP_BIGQUERY_DATASET = "gcp.bigquery.dataset"
    GCP_BIGQUERY_TABLE = "gcp.bigquery.table"
    GCP_GROUP = "gcp.cloudidentity.group"
    GCP_DOMAIN = "gcp.directory.domain"
    SUPERSET_INSTANCE = "superset.instance"
    SUPERSET_DATASET = "superset.dataset"
    SUPERSET_DASHBOARD = "superset.dashboard"


# -- read names, one enum per type whose reads code names (docs/snapshot.md has their shapes) ----


class OrganizationRead(StrEnum):
    ORGANIZATION = "organization"
    ACCOUNTS = "accounts"
    TREE = "tree"
    POLICIES = "policies"


class AwsAccountRead(StrEnum):
    PUBLIC_ACCESS_BLOCK = "public_access_block"
    AUTHORIZATION_DETAILS = "authorization_details"
    # what the live scanner adds (docs/snapshot.md, "What the AWS scanner adds")
    BUCKETS = "buckets"
    ORGANIZATION = "organization"
    ASSUME_ROLE = "assume_role"
    VPCS = "vpcs"
    VPC_ENDPOINTS = "vpc_endpoints"
    DYNAMODB_TABLES = "dynamodb_tables"
    SSO_INSTANCES = "sso_instances"
    QUICKSIGHT_DASHBOARDS = "quicksight_dashboards"


class S3BucketRead(StrEnum):
    LOCATION = "location"
    POLICY = "policy"
    POLICY_STATUS = "policy_status"
    ACL = "acl"
    PUBLIC_ACCESS_BLOCK = "public_access_block"
    OWNERSHIP_CONTROLS = "ownership_controls"
    ENCRYPTION = "encryption"
    TAGS = "tags"
    REPLICATION = "replication"
    INVENTORY = "inventory"
    LOGGING = "logging"
    ACCESS_POINTS = "access_points"
    OBJECT_ACLS = "object_acls"
    ABAC = "abac"


class KmsKeyRead(StrEnum):
    METADATA = "metadata"
    POLICY = "policy"


class DynamoDbTableRead(StrEnum):
    DESCRIPTION = "description"
    RESOURCE_POLICY = "resource_policy"
    TAGS = "tags"
    EXPORTS = "exports"


class SsoInstanceRead(StrEnum):
    INSTANCE = "instance"
    PERMISSION_SETS = "permission_sets"
    ACCOUNT_ASSIGNMENTS = "account_assignments"
    USERS = "users"
    GROUPS = "groups"
    MEMBERSHIPS = "memberships"


class QuickSightAccountRead(StrEnum):
    USERS = "users"
    GROUPS = "groups"
    MEMBERSHIPS = "memberships"
    ACCOUNT_SETTINGS = "account_settings"


class QuickSightDashboardRead(StrEnum):
    DASHBOARD = "dashboard"
    PERMISSIONS = "permissions"
    DATA_SETS = "data_sets"
    DATA_SOURCES = "data_sources"


class GlueCatalogRead(StrEnum):
    RESOURCE_POLICY = "resource_policy"
    DATABASES = "databases"
    TABLES = "tables"


class LakeFormationRead(StrEnum):
    SETTINGS = "settings"
    PERMISSIONS = "permissions"
    RESOURCES = "resources"


class GcpNodeRead(StrEnum):
    """The reads of the resource hierarchy's nodes: organisation, folder and project (not all on each)."""

    METADATA = "metadata"
    IAM_POLICY = "iam_policy"
    ORG_POLICIES = "org_policies"
    DENY_POLICIES = "deny_policies"
    CUSTOM_ROLES = "custom_roles"  # organisation and project
    CHILDREN = "children"  # organisation and folder
    ANCESTRY = "ancestry"  # project, and the project's listings:
    BUCKETS = "buckets"
    DATASETS = "datasets"
    HMAC_KEYS = "hmac_keys"
    TRANSFER_CONFIGS = "transfer_configs"
    TRANSFER_JOBS = "transfer_jobs"


class GcsBucketRead(StrEnum):
    METADATA = "metadata"
    IAM_POLICY = "iam_policy"
    ACL = "acl"  # Cloud Asset Inventory imports only (a NotInExport placeholder)
    DEFAULT_OBJECT_ACL = "default_object_acl"  # as ``acl``
    OBJECT_ACLS = "object_acls"


class BigQueryDatasetRead(StrEnum):
    METADATA = "metadata"
    IAM_POLICY = "iam_policy"  # Cloud Asset Inventory imports
    ACCESS = "access"  # imports whose dataset resource has no access list (a placeholder)
    TABLES = "tables"
    ROUTINES = "routines"  # Cloud Asset Inventory imports


class BigQueryTableRead(StrEnum):
    METADATA = "metadata"
    IAM_POLICY = "iam_policy"


class GcpGroupRead(StrEnum):
    MEMBERSHIPS = "memberships"


class GcpDomainRead(StrEnum):
    USERS = "users"


class SupersetInstanceRead(StrEnum):
    ME = "me"
    ROLES = "roles"
    USERS = "users"
    DATABASES = "databases"
    RLS = "rls"
    CHARTS = "charts"
    SETTINGS = "settings"
    DATASETS = "datasets"
    DASHBOARDS = "dashboards"


class SupersetDatasetRead(StrEnum):
    DATASET = "dataset"


class SupersetDashboardRead(StrEnum):
    DASHBOARD = "dashboard"
    CHARTS = "charts"
    EMBEDDED = "embedded"


@dataclass(frozen=True, kw_only=True, slots=True)
class ReadContract:
    """One read of a resource type: its name in ``reads``, the API it records and whether evaluation needs it.

    ``required``: a snapshot without this read is a coverage gap (an importer that cannot
    know it must record it as a gap itself).  Optional reads are those older snapshots lack
    and whose evaluation says what their absence means (docs/snapshot.md).
    """

    name: str
    api: str
    required: bool = True


def _reads(*pairs: tuple[str, str], optional: tuple[tuple[str, str], ...] = ()) -> tuple[ReadContract, ...]:
    return (
        *(ReadContract(name=n, api=a) for n, a in pairs),
        *(ReadContract(name=n, api=a, required=False) for n, a in optional),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class ResourceType:
    name: TypeName
    provider: Provider
    description: str
    dataset_kind: DatasetKind | None = None
    reads: tuple[ReadContract, ...] = ()

    def required(self) -> tuple[ReadContract, ...]:
        return tuple(r for r in self.reads if r.required)


_S3 = S3BucketRead
_ACCOUNT = AwsAccountRead
_NODE = GcpNodeRead
_GCS = GcsBucketRead
_BQ = BigQueryDatasetRead
_SUPERSET = SupersetInstanceRead
_CRM = "cloudresourcemanager"


def _node_reads(kind: str, *extra: tuple[str, str]) -> tuple[ReadContract, ...]:
    """A hierarchy node's reads: its metadata and IAM policy are required (bindings and the parent chain
    come from them); the rest only narrow an audience or list children, and older snapshots and the
    Terraform importer lack them, so they are optional (docs/snapshot.md, "Read contracts")."""
    return _reads(
        (_NODE.METADATA, f"{_CRM}.{kind}.get"),
        (_NODE.IAM_POLICY, f"{_CRM}.{kind}.getIamPolicy"),
        optional=((_NODE.ORG_POLICIES, "orgpolicy.policies.list"), (_NODE.DENY_POLICIES, "iam.policies.listPolicies"),
                  *extra),
    )  # fmt: skip

RESOURCE_TYPES: dict[str, ResourceType] = {
    t.name: t
    for t in (
        ResourceType(
            name=TypeName.AWS_ORGANIZATION,
            provider=Provider.AWS,
            description="AWS organisation, its tree and SCPs/RCPs",
            reads=_reads(
                (OrganizationRead.ORGANIZATION, "organizations:DescribeOrganization"),
                (OrganizationRead.ACCOUNTS, "organizations:ListAccounts"),
                (OrganizationRead.TREE, "organizations:ListAccountsForParent"),
                (OrganizationRead.POLICIES, "organizations:ListPolicies"),
            ),
        ),
        ResourceType(
            name=TypeName.AWS_ACCOUNT,
            provider=Provider.AWS,
            description="AWS account: IAM and account-level Block Public Access",
            reads=_reads(
                (_ACCOUNT.PUBLIC_ACCESS_BLOCK, "s3control:GetPublicAccessBlock"),
                (_ACCOUNT.AUTHORIZATION_DETAILS, "iam:GetAccountAuthorizationDetails"),
                optional=(
                    (_ACCOUNT.BUCKETS, "s3:ListBuckets"),
                    (_ACCOUNT.ORGANIZATION, "organizations:DescribeOrganization"),
                    (_ACCOUNT.ASSUME_ROLE, "sts:AssumeRole"),
                    (_ACCOUNT.VPCS, "ec2:DescribeVpcs"),
                    (_ACCOUNT.VPC_ENDPOINTS, "ec2:DescribeVpcEndpoints"),
                    (_ACCOUNT.DYNAMODB_TABLES, "dynamodb:ListTables"),
                    (_ACCOUNT.SSO_INSTANCES, "sso-admin:ListInstances"),
                    (_ACCOUNT.QUICKSIGHT_DASHBOARDS, "quicksight:ListDashboards"),
                ),
            ),
        ),
        ResourceType(
            name=TypeName.AWS_S3_BUCKET,
            provider=Provider.AWS,
            description="S3 bucket",
            dataset_kind=DatasetKind.S3_BUCKET,
            reads=_reads(
                (_S3.POLICY, "s3:GetBucketPolicy"),
                (_S3.ACL, "s3:GetBucketAcl"),
                (_S3.PUBLIC_ACCESS_BLOCK, "s3:GetBucketPublicAccessBlock"),
                (_S3.OWNERSHIP_CONTROLS, "s3:GetBucketOwnershipControls"),
                (_S3.ENCRYPTION, "s3:GetBucketEncryption"),
                (_S3.TAGS, "s3:GetBucketTagging"),
                optional=(
                    (_S3.LOCATION, "s3:GetBucketLocation"),  # only when ListBuckets gave no region
                    (_S3.POLICY_STATUS, "s3:GetBucketPolicyStatus"),  # not read since issue 17
                    (_S3.REPLICATION, "s3:GetBucketReplication"),  # flows: older snapshots lack them
                    (_S3.INVENTORY, "s3:ListBucketInventoryConfigurations"),
                    (_S3.LOGGING, "s3:GetBucketLogging"),
                    (_S3.ACCESS_POINTS, "s3control:ListAccessPoints"),
                    (_S3.OBJECT_ACLS, "s3:GetObjectAcl"),  # only while ACLs are in force
                    (_S3.ABAC, "s3:GetBucketAbac"),  # only for a tagged bucket some policy tests the tags of
                ),
            ),
        ),
        ResourceType(
            name=TypeName.AWS_KMS_KEY,
            provider=Provider.AWS,
            description="KMS key and its key policy",
            reads=_reads((KmsKeyRead.METADATA, "kms:DescribeKey"), (KmsKeyRead.POLICY, "kms:GetKeyPolicy")),
        ),
        ResourceType(
            name=TypeName.AWS_DYNAMODB_TABLE,
            provider=Provider.AWS,
            description="DynamoDB table and its resource policy",
            dataset_kind=DatasetKind.DYNAMODB_TABLE,
            reads=_reads(
                (DynamoDbTableRead.DESCRIPTION, "dynamodb:DescribeTable"),
                (DynamoDbTableRead.RESOURCE_POLICY, "dynamodb:GetResourcePolicy"),
                (DynamoDbTableRead.TAGS, "dynamodb:ListTagsOfResource"),
                optional=((DynamoDbTableRead.EXPORTS, "dynamodb:ListExports"),),
            ),
        ),
        ResourceType(
            name=TypeName.AWS_SSO_INSTANCE,
            provider=Provider.AWS,
            description="IAM Identity Center instance: permission sets, account assignments, identity-store directory",
            reads=_reads(
                (SsoInstanceRead.INSTANCE, "sso-admin:ListInstances"),
                (SsoInstanceRead.PERMISSION_SETS, "sso-admin:ListPermissionSets"),
                (SsoInstanceRead.ACCOUNT_ASSIGNMENTS, "sso-admin:ListAccountAssignments"),
                (SsoInstanceRead.USERS, "identitystore:ListUsers"),
                (SsoInstanceRead.GROUPS, "identitystore:ListGroups"),
                (SsoInstanceRead.MEMBERSHIPS, "identitystore:ListGroupMemberships"),
            ),
        ),
        ResourceType(
            name=TypeName.AWS_QUICKSIGHT_ACCOUNT,
            provider=Provider.AWS,
            description="QuickSight account: users, groups, memberships and the public-sharing setting",
            reads=_reads(
                (QuickSightAccountRead.USERS, "quicksight:ListUsers"),
                (QuickSightAccountRead.GROUPS, "quicksight:ListGroups"),
                (QuickSightAccountRead.MEMBERSHIPS, "quicksight:ListGroupMemberships"),
                (QuickSightAccountRead.ACCOUNT_SETTINGS, "quicksight:DescribeAccountSettings"),
            ),
        ),
        ResourceType(
            name=TypeName.AWS_QUICKSIGHT_DASHBOARD,
            provider=Provider.AWS,
            description="QuickSight dashboard, its permissions, link sharing and lineage",
            dataset_kind=DatasetKind.DASHBOARD,
            reads=_reads(
                (QuickSightDashboardRead.DASHBOARD, "quicksight:DescribeDashboard"),
                (QuickSightDashboardRead.PERMISSIONS, "quicksight:DescribeDashboardPermissions"),
                (QuickSightDashboardRead.DATA_SETS, "quicksight:DescribeDataSet"),
                (QuickSightDashboardRead.DATA_SOURCES, "quicksight:DescribeDataSource"),
            ),
        ),
        ResourceType(
            name=TypeName.AWS_GLUE_CATALOG,
            provider=Provider.AWS,
            description="Glue Data Catalog of one region: resource policy, databases, tables (each a dataset)",
            reads=_reads(
                (GlueCatalogRead.RESOURCE_POLICY, "glue:GetResourcePolicy"),
                (GlueCatalogRead.TABLES, "glue:GetTables"),
                # not evaluated: each table names its database (a failed listing fails ``tables`` too)
                optional=((GlueCatalogRead.DATABASES, "glue:GetDatabases"),),
            ),
        ),
        ResourceType(
            name=TypeName.AWS_LAKEFORMATION,
            provider=Provider.AWS,
            description="Lake Formation of one region: data lake settings, permissions, registered locations",
            reads=_reads(
                (LakeFormationRead.SETTINGS, "lakeformation:GetDataLakeSettings"),
                (LakeFormationRead.PERMISSIONS, "lakeformation:ListPermissions"),
                # without it, grants count as if their locations were registered (policies/aws/lakeformation.py)
                optional=((LakeFormationRead.RESOURCES, "lakeformation:ListResources"),),
            ),
        ),
        ResourceType(
            name=TypeName.GCP_ORGANIZATION,
            provider=Provider.GCP,
            description="Google Cloud organisation",
            reads=_node_reads(
                "organizations",
                (_NODE.CUSTOM_ROLES, "iam.organizations.roles.list"),
                (_NODE.CHILDREN, "cloudresourcemanager.projects.list"),
            ),
        ),
        ResourceType(
            name=TypeName.GCP_FOLDER,
            provider=Provider.GCP,
            description="Google Cloud folder",
            reads=_node_reads("folders", (_NODE.CHILDREN, "cloudresourcemanager.projects.list")),
        ),
        ResourceType(
            name=TypeName.GCP_PROJECT,
            provider=Provider.GCP,
            description="Google Cloud project",
            reads=_node_reads(
                "projects",
                (_NODE.CUSTOM_ROLES, "iam.projects.roles.list"),
                (_NODE.ANCESTRY, "cloudresourcemanager.projects.getAncestry"),
                # listings the scanner adds: their failure is the gap of what they list
                (_NODE.BUCKETS, "storage.buckets.list"),
                (_NODE.DATASETS, "bigquery.datasets.list"),
                (_NODE.HMAC_KEYS, "storage.hmacKeys.list"),
                (_NODE.TRANSFER_CONFIGS, "bigquerydatatransfer.projects.locations.transferConfigs.list"),
                (_NODE.TRANSFER_JOBS, "storagetransfer.transferJobs.list"),
            ),
        ),
        ResourceType(
            name=TypeName.GCP_STORAGE_BUCKET,
            provider=Provider.GCP,
            description="Cloud Storage bucket",
            dataset_kind=DatasetKind.GCS_BUCKET,
            reads=_reads(
                (_GCS.METADATA, "storage.buckets.get"),  # ACLs, uniform access, public access prevention
                (_GCS.IAM_POLICY, "storage.buckets.getIamPolicy"),
                optional=(
                    (_GCS.ACL, "storage.bucketAccessControls.list"),
                    (_GCS.DEFAULT_OBJECT_ACL, "storage.defaultObjectAccessControls.list"),
                    (_GCS.OBJECT_ACLS, "storage.objects.list"),  # only while ACLs are in force
                ),
            ),
        ),
        ResourceType(
            name=TypeName.GCP_BIGQUERY_DATASET,
            provider=Provider.GCP,
            description="BigQuery dataset",
            dataset_kind=DatasetKind.BIGQUERY_DATASET,
            reads=_reads(
                (_BQ.METADATA, "bigquery.datasets.get"),  # its access entries
                optional=(
                    (_BQ.IAM_POLICY, "bigquery.datasets.getIamPolicy"),
                    (_BQ.ACCESS, "bigquery.datasets.get"),
                    (_BQ.TABLES, "bigquery.tables.list"),
                    (_BQ.ROUTINES, "bigquery.routines.list"),
                ),
            ),
        ),
        ResourceType(
            name=TypeName.GCP_BIGQUERY_TABLE,
            provider=Provider.GCP,
            description="BigQuery table or view",
            dataset_kind=DatasetKind.BIGQUERY_TABLE,
            reads=_reads(
                (BigQueryTableRead.METADATA, "bigquery.tables.get"),
                (BigQueryTableRead.IAM_POLICY, "bigquery.tables.getIamPolicy"),
            ),
        ),
        ResourceType(
            name=TypeName.GCP_GROUP,
            provider=Provider.GCP,
            description="Cloud Identity group and its members",
            reads=_reads((GcpGroupRead.MEMBERSHIPS, "cloudidentity.groups.memberships.list")),
        ),
        ResourceType(
            name=TypeName.GCP_DOMAIN,
            provider=Provider.GCP,
            description="Google Workspace domain and its users",
            reads=_reads((GcpDomainRead.USERS, "admin.directory.users.list")),
        ),
        # Apache Superset (docs/superset.md)
        ResourceType(
            name=TypeName.SUPERSET_INSTANCE,
            provider=Provider.SUPERSET,
            description="Superset server: roles and permissions, users, database connections, RLS filters, charts",
            reads=_reads(
                (_SUPERSET.ROLES, "superset:GET /api/v1/security/roles/"),
                (_SUPERSET.USERS, "superset:GET /api/v1/security/users/"),
                (_SUPERSET.DATABASES, "superset:GET /api/v1/database/"),
                (_SUPERSET.RLS, "superset:GET /api/v1/rowlevelsecurity/"),
                (_SUPERSET.CHARTS, "superset:GET /api/v1/chart/"),
                (_SUPERSET.SETTINGS, "seenby:declared"),
                (_SUPERSET.DATASETS, "superset:GET /api/v1/dataset/"),
                (_SUPERSET.DASHBOARDS, "superset:GET /api/v1/dashboard/"),
                optional=((_SUPERSET.ME, "superset:GET /api/v1/me/"),),  # who scanned: not evaluated
            ),
        ),
        ResourceType(
            name=TypeName.SUPERSET_DATASET,
            provider=Provider.SUPERSET,
            description="Superset dataset (physical table or virtual SQL) over a database connection",
            dataset_kind=DatasetKind.SUPERSET_DATASET,
            reads=_reads((SupersetDatasetRead.DATASET, "superset:GET /api/v1/dataset/")),
        ),
        ResourceType(
            name=TypeName.SUPERSET_DASHBOARD,
            provider=Provider.SUPERSET,
            description="Superset dashboard: published state, owners, roles, charts, embedding",
            dataset_kind=DatasetKind.SUPERSET_DASHBOARD,
            reads=_reads(
                (SupersetDashboardRead.DASHBOARD, "superset:GET /api/v1/dashboard/{id}"),
                (SupersetDashboardRead.CHARTS, "superset:GET /api/v1/dashboard/{id}/charts"),
                (SupersetDashboardRead.EMBEDDED, "superset:GET /api/v1/dashboard/{id}/embedded"),
            ),
        ),
    )
}


def resource_type(name: str) -> ResourceType | None:
    return RESOURCE_TYPES.get(name)


def missing_reads(type_name: str, present: Collection[str]) -> tuple[ReadContract, ...]:
    """The required reads of ``type_name`` that are not among ``present`` (a resource's read names)."""
    declared = RESOURCE_TYPES.get(type_name)
    if declared is None:
        return ()
    return tuple(r for r in declared.reads if r.required and r.name not in present)
