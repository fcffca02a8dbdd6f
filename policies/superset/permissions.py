"""Superset's permission names and the view-menu names it derives from databases and datasets.

Superset stores data access as FAB permission/view-menu pairs
(https://superset.apache.org/docs/security/#customizing-permissions):
``all_datasource_access``/``all_database_access`` on themselves, ``database_access`` on
``[DB].(id:N)``, ``catalog_access`` on ``[DB].[CATALOG]``, ``schema_access`` on
``[DB].[SCHEMA]`` (or ``[DB].[CATALOG].[SCHEMA]``) and ``datasource_access`` on
``[DB].[TABLE](id:N)``.  The API spells them with underscores, the roles page with spaces;
:func:`normal` makes both one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["DataPermission", "Perm", "data_permissions_for", "normal"]

ADMIN_ROLE = "Admin"  # AUTH_ROLE_ADMIN's default: Superset's is_admin() checks the role by name
PUBLIC_ROLE = "Public"  # AUTH_ROLE_PUBLIC's default: the role of anonymous visitors


class DataPermission(StrEnum):
    ALL_DATASOURCE = "all_datasource_access"
    ALL_DATABASE = "all_database_access"
    DATABASE = "database_access"
    CATALOG = "catalog_access"
    SCHEMA = "schema_access"
    DATASOURCE = "datasource_access"


def normal(name: str) -> str:
    return "_".join(str(name).strip().lower().split())


@dataclass(frozen=True, kw_only=True, slots=True)
class Perm:
    permission: str
    view_menu: str

    @classmethod
    def from_json(cls, entry: Mapping[str, Any]) -> Perm:
        return cls(permission=normal(entry.get("permission_name") or ""), view_menu=str(entry.get("view_menu_name")))


def data_permissions_for(dataset: Mapping[str, Any]) -> dict[DataPermission, frozenset[str]]:
    """The view menus on which each data permission reaches ``dataset`` (a GET /api/v1/dataset/{id} result)."""
    database = dataset.get("database") or {}
    db_name, db_id = database.get("database_name"), database.get("id")
    catalog, schema, table = dataset.get("catalog"), dataset.get("schema"), dataset.get("table_name")
    schemas = {f"[{db_name}].[{schema}]"} if schema else set()
    if schema and catalog:
        schemas.add(f"[{db_name}].[{catalog}].[{schema}]")
    return {
        DataPermission.ALL_DATASOURCE: frozenset({DataPermission.ALL_DATASOURCE.value}),
        DataPermission.ALL_DATABASE: frozenset({DataPermission.ALL_DATABASE.value}),
        DataPermission.DATABASE: frozenset({f"[{db_name}].(id:{db_id})"}),
        DataPermission.CATALOG: frozenset({f"[{db_name}].[{catalog}]"} if catalog else set()),
        DataPermission.SCHEMA: frozenset(schemas),
        DataPermission.DATASOURCE: frozenset({f"[{db_name}].[{table}](id:{dataset.get('id')})"}),
    }
