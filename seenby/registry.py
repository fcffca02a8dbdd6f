"""The one registry of resource types.

A new resource type is one entry here, one evaluator in ``seenby.policies``, one
scanner module, one fixture and one test (see docs/snapshot.md for the document
shapes).  ``dataset_kind`` is set for types that hold or show data.
"""

from __future__ import annotations

from dataclasses import dataclass

from seenby.model import DatasetKind, Provider

__all__ = ["RESOURCE_TYPES", "ResourceType", "resource_type"]


@dataclass(frozen=True, kw_only=True, slots=True)
class ResourceType:
    name: str
    provider: Provider
    description: str
    dataset_kind: DatasetKind | None = None


RESOURCE_TYPES: dict[str, ResourceType] = {
    t.name: t
    for t in (
        ResourceType(
            name="aws.organizations.organization",
            provider=Provider.AWS,
            description="AWS organisation, its tree and SCPs/RCPs",
        ),
        ResourceType(
            name="aws.account",
            provider=Provider.AWS,
            description="AWS account: IAM and account-level Block Public Access",
        ),
        ResourceType(
            name="aws.s3.bucket", provider=Provider.AWS, description="S3 bucket", dataset_kind=DatasetKind.S3_BUCKET
        ),
        ResourceType(name="aws.kms.key", provider=Provider.AWS, description="KMS key and its key policy"),
        ResourceType(
            name="aws.dynamodb.table",
            provider=Provider.AWS,
            description="DynamoDB table and its resource policy",
            dataset_kind=DatasetKind.DYNAMODB_TABLE,
        ),
        ResourceType(
            name="aws.sso.instance",
            provider=Provider.AWS,
            description="IAM Identity Center instance: permission sets, account assignments, identity-store directory",
        ),
        ResourceType(
            name="aws.quicksight.account",
            provider=Provider.AWS,
            description="QuickSight account: users, groups, memberships and the public-sharing setting",
        ),
        ResourceType(
            name="aws.quicksight.dashboard",
            provider=Provider.AWS,
            description="QuickSight dashboard, its permissions, link sharing and lineage",
            dataset_kind=DatasetKind.DASHBOARD,
        ),
        ResourceType(
            name="aws.glue.catalog",
            provider=Provider.AWS,
            description="Glue Data Catalog of one region: resource policy, databases, tables (each a dataset)",
        ),
        ResourceType(
            name="aws.lakeformation.settings",
            provider=Provider.AWS,
            description="Lake Formation of one region: data lake settings, permissions, registered locations",
        ),
        ResourceType(name="gcp.organization", provider=Provider.GCP, description="Google Cloud organisation"),
        ResourceType(name="gcp.folder", provider=Provider.GCP, description="Google Cloud folder"),
        ResourceType(name="gcp.project", provider=Provider.GCP, description="Google Cloud project"),
        ResourceType(
            name="gcp.storage.bucket",
            provider=Provider.GCP,
            description="Cloud Storage bucket",
            dataset_kind=DatasetKind.GCS_BUCKET,
        ),
        ResourceType(
            name="gcp.bigquery.dataset",
            provider=Provider.GCP,
            description="BigQuery dataset",
            dataset_kind=DatasetKind.BIGQUERY_DATASET,
        ),
        ResourceType(
            name="gcp.bigquery.table",
            provider=Provider.GCP,
            description="BigQuery table or view",
            dataset_kind=DatasetKind.BIGQUERY_TABLE,
        ),
        ResourceType(
            name="gcp.cloudidentity.group", provider=Provider.GCP, description="Cloud Identity group and its members"
        ),
        ResourceType(
            name="gcp.directory.domain", provider=Provider.GCP, description="Google Workspace domain and its users"
        ),
        # Apache Superset (docs/superset.md)
        ResourceType(
            name="superset.instance",
            provider=Provider.SUPERSET,
            description="Superset server: roles and permissions, users, database connections, RLS filters, charts",
        ),
        ResourceType(
            name="superset.dataset",
            provider=Provider.SUPERSET,
            description="Superset dataset (physical table or virtual SQL) over a database connection",
            dataset_kind=DatasetKind.SUPERSET_DATASET,
        ),
        ResourceType(
            name="superset.dashboard",
            provider=Provider.SUPERSET,
            description="Superset dashboard: published state, owners, roles, charts, embedding",
            dataset_kind=DatasetKind.SUPERSET_DASHBOARD,
        ),
    )
}


def resource_type(name: str) -> ResourceType | None:
    return RESOURCE_TYPES.get(name)
