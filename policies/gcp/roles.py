"""Roles to permissions, and permissions to seenby access levels.

The role catalogue is reference data (``data/roles.json``, which names its source and
date); the mapping from permissions to :class:`~seenby.model.AccessLevel` is seenby's
semantics and lives here.  Custom roles come from the scan through
:meth:`RoleCatalog.with_custom` (see :func:`custom_roles_from_snapshot`).

A role the catalogue does not know is *unknown*, not empty: if it could plausibly
touch data (a custom role, or a ``roles/storage.*`` / ``roles/bigquery.*`` role newer
than the catalogue) the caller turns it into a conditional grant (fail closed).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources as importlib_resources
from types import MappingProxyType

from seenby.model import AccessLevel
from seenby.snapshot import Snapshot

__all__ = [
    "HIERARCHY_ADMIN_PERMISSIONS",
    "Attachment",
    "RoleCatalog",
    "Target",
    "custom_roles_from_snapshot",
    "default_catalog",
    "levels_for",
]


class Target(StrEnum):
    """The kind of dataset a permission is evaluated against."""

    BUCKET = "bucket"
    BQ_DATASET = "bigquery-dataset"
    BQ_TABLE = "bigquery-table"


class Attachment(StrEnum):
    """Where the binding that carries the permission is attached, relative to the dataset."""

    RESOURCE = "resource"  # the bucket / dataset / table itself
    PARENT_DATASET = "parent-dataset"  # a table's dataset
    HIERARCHY = "hierarchy"  # project, folder or organisation


# Whoever can change an ancestor's allow policy can grant themselves anything below it.
HIERARCHY_ADMIN_PERMISSIONS = frozenset(
    {
        "resourcemanager.projects.setIamPolicy",
        "resourcemanager.folders.setIamPolicy",
        "resourcemanager.organizations.setIamPolicy",
    }
)

_BUCKET = {
    "storage.objects.get": AccessLevel.READ,
    "storage.objects.list": AccessLevel.LIST,
    "storage.objects.create": AccessLevel.WRITE,
    "storage.objects.delete": AccessLevel.WRITE,
    "storage.buckets.setIamPolicy": AccessLevel.ADMIN,
}
# Object ACLs exist only while a bucket uses fine-grained access; then whoever can set
# them can make objects public.
_BUCKET_ACL_ADMIN = "storage.objects.setIamPolicy"

_BQ_COMMON = {
    "bigquery.tables.getData": AccessLevel.READ,
    "bigquery.tables.get": AccessLevel.LIST,
    "bigquery.tables.updateData": AccessLevel.WRITE,
}
_BQ_DATASET_ADMIN = frozenset({"bigquery.datasets.update", "bigquery.datasets.setIamPolicy"})


def levels_for(
    permissions: Iterable[str], target: Target, attachment: Attachment, *, acls_active: bool = True
) -> frozenset[AccessLevel]:
    """The access levels ``permissions`` give on a dataset of kind ``target``.

    ``acls_active`` is False for a bucket with uniform bucket-level access, where object
    ACLs (and so ``storage.objects.setIamPolicy``) have no effect.
    """
    perms = frozenset(permissions)
    levels: set[AccessLevel] = set()
    if attachment is Attachment.HIERARCHY and perms & HIERARCHY_ADMIN_PERMISSIONS:
        levels.add(AccessLevel.ADMIN)
    if target is Target.BUCKET:
        levels.update(level for perm, level in _BUCKET.items() if perm in perms)
        if acls_active and _BUCKET_ACL_ADMIN in perms:
            levels.add(AccessLevel.ADMIN)
        return frozenset(levels)
    levels.update(level for perm, level in _BQ_COMMON.items() if perm in perms)
    if target is Target.BQ_DATASET and "bigquery.tables.list" in perms:
        levels.add(AccessLevel.LIST)
    dataset_level_binding = not (target is Target.BQ_TABLE and attachment is Attachment.RESOURCE)
    if dataset_level_binding and perms & _BQ_DATASET_ADMIN:
        levels.add(AccessLevel.ADMIN)
    if target is Target.BQ_TABLE and "bigquery.tables.setIamPolicy" in perms:
        levels.add(AccessLevel.ADMIN)
    return frozenset(levels)


_DATA_ROLE_PREFIXES = ("roles/storage.", "roles/bigquery.")


@dataclass(frozen=True, kw_only=True, slots=True)
class RoleCatalog:
    """Role name → permissions that matter, plus the legacy BigQuery dataset role names."""

    roles: Mapping[str, frozenset[str]]
    legacy_dataset_roles: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    source: str = ""

    def permissions(self, role: str) -> frozenset[str] | None:
        """The permissions of ``role``, or None when the catalogue does not know it."""
        return self.roles.get(self.canonical(role))

    def canonical(self, role: str) -> str:
        """``READER`` → ``roles/bigquery.dataViewer`` (BigQuery's legacy dataset role names)."""
        return self.legacy_dataset_roles.get(role, role)

    def may_touch_data(self, role: str) -> bool:
        """An unknown role that could open data: custom roles and storage/BigQuery roles."""
        name = self.canonical(role)
        return "/roles/" in name or name.startswith(_DATA_ROLE_PREFIXES)

    def with_custom(self, custom: Mapping[str, Iterable[str]]) -> RoleCatalog:
        """A catalogue that also knows ``custom`` roles (``projects/p/roles/x`` → permissions)."""
        merged = dict(self.roles)
        merged.update({name: frozenset(perms) for name, perms in custom.items()})
        return RoleCatalog(
            roles=MappingProxyType(merged), legacy_dataset_roles=self.legacy_dataset_roles, source=self.source
        )


@cache
def default_catalog() -> RoleCatalog:
    text = importlib_resources.files("seenby.policies.gcp").joinpath("data/roles.json").read_text()
    data = json.loads(text)
    return RoleCatalog(
        roles=MappingProxyType({name: frozenset(perms) for name, perms in data["roles"].items()}),
        legacy_dataset_roles=MappingProxyType(dict(data["legacy_dataset_roles"])),
        source=f"{data['source']} (retrieved {data['retrieved']})",
    )


# Hook for custom roles: an organisation or project may carry a ``custom_roles`` read,
# iam.roles.list with view=FULL → {"roles": [{"name": "projects/p/roles/x",
# "includedPermissions": [...]}]}.  Scanners that collect it get exact semantics; without
# it custom roles stay unknown and become conditional grants.
CUSTOM_ROLES_READ = "custom_roles"
_HIERARCHY_TYPES = ("gcp.organization", "gcp.folder", "gcp.project")


def custom_roles_from_snapshot(snapshot: Snapshot) -> dict[str, frozenset[str]]:
    found: dict[str, frozenset[str]] = {}
    for type_ in _HIERARCHY_TYPES:
        for resource in snapshot.of_type(type_):
            doc = resource.document(CUSTOM_ROLES_READ)
            if not isinstance(doc, Mapping):
                continue
            for role in doc.get("roles") or ():
                if isinstance(role, Mapping) and role.get("name"):
                    found[str(role["name"])] = frozenset(role.get("includedPermissions") or ())
    return found
