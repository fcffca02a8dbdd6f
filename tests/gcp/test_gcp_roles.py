"""The role catalogue and the levels each role opens on buckets, datasets and tables."""

from __future__ import annotations

import pytest

from seenby.model import AccessLevel
from seenby.policies.gcp.bindings import role_levels
from seenby.policies.gcp.roles import Attachment, Target, default_catalog

R, W, A, L = AccessLevel.READ, AccessLevel.WRITE, AccessLevel.ADMIN, AccessLevel.LIST

BUCKET_ROLES = [
    ("roles/storage.objectViewer", {R, L}),
    ("roles/storage.objectCreator", {W}),
    ("roles/storage.objectUser", {R, W, L}),
    ("roles/storage.objectAdmin", {R, W, L, A}),
    ("roles/storage.admin", {R, W, L, A}),
    ("roles/storage.legacyBucketReader", {L}),
    ("roles/storage.legacyBucketWriter", {W, L}),
    ("roles/storage.legacyBucketOwner", {W, L, A}),
    ("roles/storage.legacyObjectReader", {R}),
    ("roles/storage.legacyObjectOwner", {R, A}),
    ("roles/viewer", set()),
    ("roles/editor", set()),
]


@pytest.mark.parametrize(("role", "levels"), BUCKET_ROLES, ids=[r[0] for r in BUCKET_ROLES])
def test_bucket_role_levels(role: str, levels: set[AccessLevel]) -> None:
    """Storage roles open the documented object/bucket access; basic roles open no object data; https://cloud.google.com/storage/docs/access-control/iam-roles"""
    result = role_levels(default_catalog(), role, Target.BUCKET, Attachment.RESOURCE, acls_active=True)
    assert set(result.levels) == levels


def test_object_acl_admin_needs_fine_grained_access() -> None:
    """storage.objects.setIamPolicy (object ACLs) is admin only while ACLs are active; https://cloud.google.com/storage/docs/uniform-bucket-level-access"""
    result = role_levels(default_catalog(), "roles/storage.objectAdmin", Target.BUCKET, Attachment.RESOURCE,
                         acls_active=False)
    assert A not in result.levels


BIGQUERY_ROLES = [
    ("roles/bigquery.dataViewer", Target.BQ_DATASET, Attachment.RESOURCE, {R, L}),
    ("roles/bigquery.dataEditor", Target.BQ_DATASET, Attachment.RESOURCE, {R, W, L}),
    ("roles/bigquery.dataOwner", Target.BQ_DATASET, Attachment.RESOURCE, {R, W, L, A}),
    ("roles/bigquery.admin", Target.BQ_DATASET, Attachment.HIERARCHY, {R, W, L, A}),
    ("roles/bigquery.metadataViewer", Target.BQ_DATASET, Attachment.HIERARCHY, {L}),
    ("roles/bigquery.jobUser", Target.BQ_DATASET, Attachment.HIERARCHY, set()),
    ("roles/bigquery.user", Target.BQ_DATASET, Attachment.HIERARCHY, {L}),
    ("READER", Target.BQ_DATASET, Attachment.RESOURCE, {R, L}),
    ("WRITER", Target.BQ_TABLE, Attachment.PARENT_DATASET, {R, W, L}),
    ("OWNER", Target.BQ_TABLE, Attachment.PARENT_DATASET, {R, W, L, A}),
    ("roles/bigquery.dataViewer", Target.BQ_TABLE, Attachment.RESOURCE, {R, L}),
    ("roles/bigquery.dataOwner", Target.BQ_TABLE, Attachment.RESOURCE, {R, W, L, A}),
    ("roles/viewer", Target.BQ_DATASET, Attachment.HIERARCHY, set()),
    ("roles/owner", Target.BQ_DATASET, Attachment.HIERARCHY, {A}),
]


@pytest.mark.parametrize(
    ("role", "target", "attachment", "levels"), BIGQUERY_ROLES, ids=[f"{r[0]}-{r[1]}" for r in BIGQUERY_ROLES]
)
def test_bigquery_role_levels(role: str, target: Target, attachment: Attachment, levels: set[AccessLevel]) -> None:
    """BigQuery roles (and legacy READER/WRITER/OWNER) open the documented levels; basic roles no data; https://cloud.google.com/bigquery/docs/access-control"""
    assert set(role_levels(default_catalog(), role, target, attachment).levels) == levels


def test_project_owner_is_admin_of_buckets_below() -> None:
    """roles/owner at the project can change the allow policy every bucket inherits, so it is admin; https://cloud.google.com/iam/docs/resource-hierarchy-access-control"""
    result = role_levels(default_catalog(), "roles/owner", Target.BUCKET, Attachment.HIERARCHY)
    assert set(result.levels) == {A}


UNKNOWN_ROLES = [
    ("projects/corp-telemetry/roles/dataReader", True),
    ("organizations/100/roles/auditor", True),
    ("roles/storage.brandNewRole", True),
    ("roles/compute.viewer", False),
]


@pytest.mark.parametrize(("role", "conditional"), UNKNOWN_ROLES, ids=[r[0] for r in UNKNOWN_ROLES])
def test_unknown_role_fails_closed(role: str, conditional: bool) -> None:
    """An unknown custom/storage/BigQuery role opens R/W/A conditionally, other roles nothing; https://cloud.google.com/iam/docs/understanding-custom-roles"""
    result = role_levels(default_catalog(), role, Target.BUCKET, Attachment.RESOURCE)
    assert bool(result.conditions) is conditional
    assert set(result.levels) == ({R, W, A} if conditional else set())


def test_custom_role_hook_gives_exact_levels() -> None:
    """A custom role defined in the scan is evaluated from its permissions, unconditionally; https://cloud.google.com/iam/docs/reference/rest/v1/projects.roles/list"""
    catalog = default_catalog().with_custom({"projects/p/roles/reader": ["storage.objects.get"]})
    result = role_levels(catalog, "projects/p/roles/reader", Target.BUCKET, Attachment.RESOURCE)
    assert (set(result.levels), result.conditions) == ({R}, ())


def test_catalogue_states_source_and_date() -> None:
    """The role catalogue names Google's roles reference and when it was read; https://cloud.google.com/iam/docs/roles-permissions"""
    assert "cloud.google.com/iam/docs/roles-permissions" in default_catalog().source
    assert "retrieved 20" in default_catalog().source
