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
from seenby.registry import GcpNodeRead, TypeName
from seenby.snapshot import Snapshot

__all__ = [
    "HIERARCHY_ADMIN_PERMISSIONS",
    "Attachment",
    "RoleCatalog",
    "Scope",
    "Target",
    "custom_roles_from_snapshot",
    "default_catalog",
    "level_checks",
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

class Scope(StrEnum):
    """The resource a permission is checked on, relative to the dataset (what IAM Conditions see)."""

    BUCKET = "bucket"
    OBJECT = "object"  # some object of the bucket
    DATASET = "dataset"  # the BigQuery dataset (a table's own dataset for a table)
    TABLE = "table"  # the table, or some table of the dataset
    ANCESTOR = "ancestor"  # the project, folder or organisation the binding is attached to


_BUCKET = {
    "storage.objects.get": (AccessLevel.READ, Scope.OBJECT),
    "storage.objects.list": (AccessLevel.LIST, Scope.BUCKET),
    "storage.objects.create": (AccessLevel.WRITE, Scope.OBJECT),
    "storage.objects.delete": (AccessLevel.WRITE, Scope.OBJECT),
    "storage.buckets.setIamPolicy": (AccessLevel.ADMIN, Scope.BUCKET),
}
# Object ACLs exist only while a bucket uses fine-grained access; then whoever can set
# them can make objects public.
_BUCKET_ACL_ADMIN = "storage.objects.setIamPolicy"

_BQ_COMMON = {
    "bigquery.tables.getData": (AccessLevel.READ, Scope.TABLE),
    "bigquery.tables.get": (AccessLevel.LIST, Scope.TABLE),
    "bigquery.tables.updateData": (AccessLevel.WRITE, Scope.TABLE),
}
_BQ_DATASET_ADMIN = frozenset({"bigquery.datasets.update", "bigquery.datasets.setIamPolicy"})


def level_checks(
    permissions: Iterable[str], target: Target, attachment: Attachment, *, acls_active: bool = True
) -> dict[AccessLevel, frozenset[Scope]]:
    """Each access level ``permissions`` give on a dataset of kind ``target``, with where it is checked.

    A level is reached through *any one* of its permissions; each permission is checked on
    its own resource (``storage.objects.list`` on the bucket, ``storage.objects.get`` on an
    object), which is what an IAM Condition is evaluated against
    (https://cloud.google.com/iam/docs/conditions-resource-attributes).
    """
    perms = frozenset(permissions)
    found: dict[AccessLevel, set[Scope]] = {}

    def add(level: AccessLevel, scope: Scope) -> None:
        found.setdefault(level, set()).add(scope)

    if attachment is Attachment.HIERARCHY and perms & HIERARCHY_ADMIN_PERMISSIONS:
        add(AccessLevel.ADMIN, Scope.ANCESTOR)
    if target is Target.BUCKET:
        for perm, (level, scope) in _BUCKET.items():
            if perm in perms:
                add(level, scope)
        if acls_active and _BUCKET_ACL_ADMIN in perms:
            add(AccessLevel.ADMIN, Scope.OBJECT)
    else:
        for perm, (level, scope) in _BQ_COMMON.items():
            if perm in perms:
                add(level, scope)
        if target is Target.BQ_DATASET and "bigquery.tables.list" in perms:
            add(AccessLevel.LIST, Scope.DATASET)
        dataset_level_binding = not (target is Target.BQ_TABLE and attachment is Attachment.RESOURCE)
        if dataset_level_binding and perms & _BQ_DATASET_ADMIN:
            add(AccessLevel.ADMIN, Scope.DATASET)
        if target is Target.BQ_TABLE and "bigquery.tables.setIamPolicy" in perms:
            add(AccessLevel.ADMIN, Scope.TABLE)
    return {level: frozenset(scopes) for level, scopes in found.items()}


def levels_for(
    permissions: Iterable[str], target: Target, attachment: Attachment, *, acls_active: bool = True
) -> frozenset[AccessLevel]:
    """The access levels ``permissions`` give on a dataset of kind ``target``.

    ``acls_active`` is False for a bucket with uniform bucket-level access, where object
    ACLs (and so ``storage.objects.setIamPolicy``) have no effect.
    """
    return frozenset(level_checks(permissions, target, attachment, acls_active=acls_active))


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
CUSTOM_ROLES_READ = GcpNodeRead.CUSTOM_ROLES
_HIERARCHY_TYPES = (TypeName.GCP_ORGANIZATION, TypeName.GCP_FOLDER, TypeName.GCP_PROJECT)


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
