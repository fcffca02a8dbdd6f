"""Lake Formation (``aws.lakeformation.settings``): who Lake Formation lets read, write or administer a table.

The permission model (https://docs.aws.amazon.com/lake-formation/latest/dg/lf-permissions-reference.html,
https://docs.aws.amazon.com/lake-formation/latest/dg/lake-formation-permissions.html):

* Table permissions map to levels (``data/lakeformation.json``): SELECT reads, INSERT and DELETE
  write, ALTER and DROP administer, ALL (Super) is all of them, DESCRIBE lists.  A permission
  held *with grant option* lets its holder grant it to anyone: ADMIN.
* A grant on ``{"Table": {"DatabaseName", "TableWildcard": {}}}`` (ALL_TABLES) reaches every table
  of the database; ``Database`` grants of ALL or with grant option administer its tables.
* Column-level grants (``TableWithColumns``) and data cells filters read part of the table:
  READ with a condition naming the columns or the filter (partial data, never dropped).
* LF-tag grants (``LFTagPolicy``) reach the tables whose LF-tags match; the tables' tags are not
  read, so such a grant reaches every table of the catalog, conditionally.
* Data lake administrators (``DataLakeAdmins``) can grant themselves anything: ADMIN on every
  table; read-only administrators list every table.
* ``IAM_ALLOWED_PRINCIPALS`` holding ALL on a table is "Use only IAM access control": IAM policies
  alone decide (https://docs.aws.amazon.com/lake-formation/latest/dg/change-settings.html).  It is
  not a principal; :attr:`TableAccess.iam_allowed` says the IAM path is open.  A location
  registered in hybrid access mode keeps both paths open
  (https://docs.aws.amazon.com/lake-formation/latest/dg/hybrid-access-mode.html).

Fail closed when Lake Formation's answers are missing or incomplete: the IAM path stays open
(hybrid, as if IAM_ALLOWED_PRINCIPALS held ALL) and :attr:`TableAccess.gap` asks for a coverage
note, rather than concluding that Lake Formation governs and dropping the IAM grants:

* ListPermissions failed (its own read gap) or returned nothing at all (an empty listing is what a
  caller without Lake Formation permissions sees as well);
* the data lake settings are unknown (not read, or not in the snapshot): Lake Formation's documented
  defaults give new databases and tables ``IAM_ALLOWED_PRINCIPALS``
  (https://docs.aws.amazon.com/lake-formation/latest/dg/change-settings.html);
* no permission in the listing names the table (nor its database, columns or a filter on it) while
  the settings' ``CreateTableDefaultPermissions`` still gives new tables ``IAM_ALLOWED_PRINCIPALS``:
  the table was created under that default and nothing shows it was revoked.

Lake Formation vends credentials only for S3 locations registered with it: for a table whose
location is under no registered location, SELECT, INSERT and DELETE reach the data only with
the grantee's own S3 permissions on it (https://docs.aws.amazon.com/athena/latest/ug/security-athena-lake-formation.html),
so those grants are kept, conditional, naming the location; the location's own readers reach
the table through :mod:`.glue`'s re-exposure.  Registrations that could not be read leave the
grants as they are (fail closed).

Grantees are mapped to seenby principals: ``ACCOUNT:IAMPrincipals`` (every IAM principal of
the account, https://docs.aws.amazon.com/lake-formation/latest/dg/lf-permissions-reference.html)
is the account's principal; IAM user and role ARNs (through the population, so
they join their groups and trust edges), account ids, organisation and OU ARNs; anything else
(Identity Center, SAML, QuickSight ARNs) keeps its ARN.  A grant is taken as sufficient on its
own: the grantee's IAM permissions (glue:GetTable, lakeformation:GetDataAccess) are not
intersected, which can over-report but never hides a reader (fail closed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from seenby.model import (
    AccessLevel,
    Condition,
    Evidence,
    EvidenceKind,
    Principal,
    PrincipalKind,
    Provider,
)
from seenby.policies.aws.population import Population
from seenby.registry import LakeFormationRead, TypeName
from seenby.snapshot import Resource

__all__ = [
    "IAM_ALLOWED_PRINCIPALS",
    "LakeFormation",
    "LfGrant",
    "TableAccess",
    "load_lake_formation",
    "permission_levels",
]

RESOURCE_TYPE = TypeName.AWS_LAKEFORMATION
IAM_ALLOWED_PRINCIPALS = "IAM_ALLOWED_PRINCIPALS"


@cache
def _data() -> dict[str, Any]:
    return json.loads(resources.files("seenby.policies.aws").joinpath("data/lakeformation.json").read_text())


def permission_levels(permissions: list[str], grantable: list[str] | None = None) -> list[AccessLevel]:
    """The levels a table grant gives: its permissions mapped by ``data/lakeformation.json``; grant option → ADMIN."""
    grantable = grantable or []
    given = {p.upper() for p in permissions} | {p.upper() for p in grantable}
    levels = [AccessLevel(level) for level, perms in _data()["table_levels"].items() if given & set(perms)]
    if grantable and AccessLevel.ADMIN not in levels:
        levels.append(AccessLevel.ADMIN)
    return levels


@dataclass(frozen=True, kw_only=True)
class LfGrant:
    """One principal's access to one table through Lake Formation."""

    principal: Principal
    level: AccessLevel
    evidence: Evidence
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TableAccess:
    """What Lake Formation says about one table: is the IAM path open, and who holds which grant."""

    iam_allowed: bool
    why_iam: str
    grants: tuple[LfGrant, ...] = ()
    gap: tuple[str, str] | None = None  # (read, message): Lake Formation's answer was missing or incomplete


@dataclass(kw_only=True)
class LakeFormation:
    """One account's Lake Formation in one region, as read."""

    source: str
    account: str | None
    settings: Mapping[str, Any] | None
    permissions: list[Mapping[str, Any]] | None  # None: unknown (a gap)
    locations: list[Mapping[str, Any]] = field(default_factory=list)
    locations_known: bool = True  # ListResources read; False: registrations unknown
    settings_failed: bool = False  # the settings read is itself a gap (reported as such by policies/gaps.py)

    def _registered(self, location: str | None) -> bool | None:
        """Is ``location`` under a location registered with Lake Formation?  None: not an S3 path, or unknown."""
        if not self.locations_known or not location or "://" not in location:
            return None
        scheme, _, rest = location.partition("://")
        if scheme.lower() not in ("s3", "s3a", "s3n"):
            return None
        path = rest.rstrip("/") + "/"
        for info in self.locations:
            registered = str(info.get("ResourceArn") or "").split(":::", 1)[-1].rstrip("/")
            if registered and path.startswith(registered + "/"):
                return True
        return False

    def _hybrid(self, location: str | None) -> bool:
        if not location:
            return False
        bucket_path = location.replace("s3://", "", 1).rstrip("/")
        for info in self.locations:
            arn = str(info.get("ResourceArn") or "")
            registered = arn.split(":::", 1)[-1].rstrip("/")
            if info.get("HybridAccessEnabled") and (bucket_path + "/").startswith(registered + "/"):
                return True
        return False

    def _applies(self, resource: Mapping[str, Any], database: str, table: str) -> str | None:
        """How ``resource`` covers the table: 'table', 'columns', 'filter', 'database', 'tags', or None."""
        catalog = self.account

        def ours(part: Mapping[str, Any], key: str = "CatalogId") -> bool:
            return not part.get(key) or catalog is None or str(part.get(key)) == catalog

        if (t := resource.get("Table")) is not None:
            if ours(t) and t.get("DatabaseName") == database and ("TableWildcard" in t or t.get("Name") == table):
                return "table"
        elif (t := resource.get("TableWithColumns")) is not None:
            if ours(t) and t.get("DatabaseName") == database and t.get("Name") == table:
                wildcard = t.get("ColumnWildcard")
                whole = wildcard is not None and not wildcard.get("ExcludedColumnNames")
                return "table" if whole else "columns"
        elif (f := resource.get("DataCellsFilter")) is not None:
            if ours(f, "TableCatalogId") and f.get("DatabaseName") == database and f.get("TableName") == table:
                return "filter"
        elif (d := resource.get("Database")) is not None:
            if ours(d) and d.get("Name") == database:
                return "database"
        elif resource.get("LFTagPolicy") is not None and ours(resource["LFTagPolicy"]):
            return "tags"
        return None

    def table_access(self, pop: Population, *, database: str, table: str, location: str | None) -> TableAccess:
        if self.permissions is None:
            return TableAccess(iam_allowed=True, why_iam=f"{self.source}: Lake Formation permissions unknown (gap)")
        iam_allowed = False
        why = "Lake Formation permissions govern the table (IAM_ALLOWED_PRINCIPALS holds nothing on it)"
        grants: list[LfGrant] = []
        named = False
        for i, entry in enumerate(self.permissions):
            how = self._applies(entry.get("Resource") or {}, database, table)
            if how is None:
                continue
            named = named or how != "tags"
            ident = str((entry.get("Principal") or {}).get("DataLakePrincipalIdentifier") or "")
            perms = [str(p) for p in entry.get("Permissions") or []]
            grantable = [str(p) for p in entry.get("PermissionsWithGrantOption") or []]
            if ident == IAM_ALLOWED_PRINCIPALS:
                if how == "table" and "ALL" in {p.upper() for p in perms}:
                    iam_allowed = True
                    why = f"{self.source} PrincipalResourcePermissions[{i}]: IAM_ALLOWED_PRINCIPALS holds ALL"
                continue
            evidence = Evidence(kind=EvidenceKind.LAKE_FORMATION_PERMISSION, source=self.source,
                                location=f"PrincipalResourcePermissions[{i}]", excerpt=entry)  # fmt: skip
            principal = lf_principal(pop, ident, self.account)
            if principal is None:
                continue
            grants.extend(_entry_grants(principal, how, perms, grantable, entry, evidence))
        if self._registered(location) is False:
            grants = [_unregistered(g, location) for g in grants]
        if not iam_allowed and self._hybrid(location):
            iam_allowed, why = True, f"{self.source}: the table's location is registered in hybrid access mode"
        gap: tuple[str, str] | None = None
        if not iam_allowed:
            iam_allowed, why, gap = self._fail_closed(named)
        for i, admin in enumerate((self.settings or {}).get("DataLakeAdmins") or []):
            principal = lf_principal(pop, str(admin.get("DataLakePrincipalIdentifier") or ""), self.account)
            if principal is not None:
                evidence = Evidence(kind=EvidenceKind.LAKE_FORMATION_PERMISSION, source=self.source,
                                    location=f"DataLakeSettings.DataLakeAdmins[{i}]", excerpt=admin,
                                    note="a data lake administrator can grant itself any permission")  # fmt: skip
                grants.append(LfGrant(principal=principal, level=AccessLevel.ADMIN, evidence=evidence))
        for i, admin in enumerate((self.settings or {}).get("ReadOnlyAdmins") or []):
            principal = lf_principal(pop, str(admin.get("DataLakePrincipalIdentifier") or ""), self.account)
            if principal is not None:
                evidence = Evidence(kind=EvidenceKind.LAKE_FORMATION_PERMISSION, source=self.source,
                                    location=f"DataLakeSettings.ReadOnlyAdmins[{i}]", excerpt=admin)  # fmt: skip
                grants.append(LfGrant(principal=principal, level=AccessLevel.LIST, evidence=evidence))
        return TableAccess(iam_allowed=iam_allowed, why_iam=why, grants=tuple(grants), gap=gap)

    def _fail_closed(self, named: bool) -> tuple[bool, str, tuple[str, str] | None]:
        """Whether Lake Formation's answers are too thin to drop the IAM path: (IAM open, why, coverage note)."""
        if not self.permissions:
            why = f"{self.source}: ListPermissions returned no permissions, so Lake Formation is not taken to govern"
            return True, why, (LakeFormationRead.PERMISSIONS, why + " (IAM path kept)")
        if self.settings is None:
            why = (f"{self.source}: the data lake settings are unknown; by default new tables give "
                   "IAM_ALLOWED_PRINCIPALS ALL")  # fmt: skip
            return True, why, (None if self.settings_failed else (LakeFormationRead.SETTINGS, why + " (IAM path kept)"))
        if not named and _defaults_to_iam(self.settings):
            why = (f"{self.source}: no permission names the table and CreateTableDefaultPermissions gives "
                   "new tables IAM_ALLOWED_PRINCIPALS")  # fmt: skip
            return True, why, None
        return False, "Lake Formation permissions govern the table (IAM_ALLOWED_PRINCIPALS holds nothing on it)", None


def _defaults_to_iam(settings: Mapping[str, Any]) -> bool:
    """The settings give new tables IAM_ALLOWED_PRINCIPALS (the documented default when the key is missing)."""
    defaults = settings.get("CreateTableDefaultPermissions")
    if defaults is None:
        return True
    return any(
        (d.get("Principal") or {}).get("DataLakePrincipalIdentifier") == IAM_ALLOWED_PRINCIPALS for d in defaults
    )


def _unregistered(grant: LfGrant, location: str | None) -> LfGrant:
    """A data grant on a table whose location is not registered: the grantee needs S3 access of its own."""
    if grant.level not in (AccessLevel.READ, AccessLevel.WRITE):
        return grant
    reason = (f"the location {location} is not registered with Lake Formation: the data is reached only "
              "with the grantee's own S3 permissions on it")  # fmt: skip
    condition = Condition(expression={"Location": location, "RegisteredWithLakeFormation": False},
                          keys=("s3:GetObject",), reason=reason)  # fmt: skip
    return LfGrant(principal=grant.principal, level=grant.level, evidence=grant.evidence,
                   conditions=(*grant.conditions, condition))  # fmt: skip


def _entry_grants(
    principal: Principal, how: str, perms: list[str], grantable: list[str], entry: Mapping[str, Any], evidence: Evidence
) -> list[LfGrant]:
    if how == "database":
        upper = {p.upper() for p in perms}
        if "ALL" in upper or grantable:
            return [LfGrant(principal=principal, level=AccessLevel.ADMIN, evidence=evidence)]
        return []
    conditions: tuple[Condition, ...] = ()
    resource = entry.get("Resource") or {}
    if how == "columns":
        part = resource["TableWithColumns"]
        named = part.get("ColumnNames")
        expression = (
            {"ColumnNames": named}
            if named
            else {"ExcludedColumnNames": (part.get("ColumnWildcard") or {}).get("ExcludedColumnNames") or []}
        )
        columns = ", ".join(named) if named else "all but " + ", ".join(expression["ExcludedColumnNames"])
        conditions = (Condition(expression=expression, keys=("ColumnNames",),
                                reason=f"partial data: only the columns {columns}"),)  # fmt: skip
    elif how == "filter":
        name = resource["DataCellsFilter"].get("Name")
        reason = f"partial data: the rows and columns data cells filter {name} lets through"
        conditions = (Condition(expression={"DataCellsFilter": name}, keys=("DataCellsFilter",), reason=reason),)
    elif how == "tags":
        reason = "if the table's LF-tags match the expression (table LF-tags are not read)"
        conditions = (Condition(expression=resource["LFTagPolicy"], keys=("LFTagPolicy",), reason=reason),)
    return [
        LfGrant(principal=principal, level=level, evidence=evidence, conditions=conditions)
        for level in permission_levels(perms, grantable)
    ]


def lf_principal(pop: Population, ident: str, account: str | None) -> Principal | None:
    """The seenby principal a ``DataLakePrincipalIdentifier`` names."""
    if not ident:
        return None
    if ident.isdigit() and len(ident) == 12:
        return pop.account(ident).principal
    head, sep, tail = ident.partition(":")
    if sep and head.isdigit() and len(head) == 12 and tail.lower() == "iamprincipals":
        return pop.account(head).principal
    parts = ident.split(":", 5)
    if len(parts) == 6 and parts[2] == "iam":
        owner = parts[4] or account or ""
        resource = parts[5]
        if resource == "root":
            return pop.account(owner).principal
        if resource.startswith(("user/", "role/")):
            return pop.arn(ident, owner).principal
        return Principal(id=ident, kind=PrincipalKind.FEDERATED, provider=Provider.AWS, account=owner or None)
    if len(parts) == 6 and parts[2] == "organizations":
        resource = parts[5]
        if resource.startswith("organization/"):
            return pop.organization(resource.split("/", 1)[1]).principal
        return Principal(id=ident, kind=PrincipalKind.ORG_UNIT, provider=Provider.AWS, name=resource)
    kind = PrincipalKind.GROUP if ":group/" in ident else PrincipalKind.USER
    return Principal(id=ident, kind=kind, provider=Provider.AWS, account=account)


def load_lake_formation(res: Resource) -> LakeFormation:
    settings_doc = res.document(LakeFormationRead.SETTINGS)
    settings = settings_doc.get("DataLakeSettings") if isinstance(settings_doc, Mapping) else None
    perms_read = res.read(LakeFormationRead.PERMISSIONS)
    permissions = None
    if perms_read is not None and perms_read.ok:
        permissions = list((perms_read.document or {}).get("PrincipalResourcePermissions") or [])
    resources_read = res.read(LakeFormationRead.RESOURCES)
    locations = list((res.document(LakeFormationRead.RESOURCES) or {}).get("ResourceInfoList") or [])
    known = resources_read is not None and (resources_read.ok or not resources_read.outcome.is_gap)
    settings_read = res.read(LakeFormationRead.SETTINGS)
    return LakeFormation(source=res.id, account=res.account, settings=settings, permissions=permissions,
                         locations=locations, locations_known=known,
                         settings_failed=settings_read is not None and settings_read.outcome.is_gap)  # fmt: skip
