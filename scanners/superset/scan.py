"""Scan one Superset server through its REST API (read-only) into snapshot resources.

Resources (docs/superset.md, docs/snapshot.md):

* ``superset.instance`` (id: the server's URL): ``me``, ``roles`` (each with its
  permissions, a composite read), ``users`` (with their roles), ``databases`` (each
  connection's redacted SQLAlchemy URI, a composite read), ``rls`` (row-level security
  filters), ``charts`` and ``settings`` (what the operator declared about ``DASHBOARD_RBAC``;
  the API does not expose feature flags).
* ``superset.dataset`` (id ``superset://HOST/dataset/ID``): ``dataset``, its entry in the
  dataset listing (no call of its own).
* ``superset.dashboard`` (id ``superset://HOST/dashboard/ID``): ``dashboard``, ``charts``
  and ``embedded`` (404: absent, not embedded).

The security and row-level-security endpoints need an admin, or a role with ``can read``
on ``Role``/``User``/``RowLevelSecurity`` (and ``FAB_ADD_SECURITY_API = True``); without it
those reads are denied and reported as coverage gaps.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from seenby.model import ReadOutcome
from seenby.registry import SupersetDashboardRead, SupersetDatasetRead, SupersetInstanceRead, TypeName
from seenby.scanners.reads import compose, require
from seenby.scanners.superset.client import LOGIN, LOGIN_PAGE, ME, SESSION_LOGIN, Credentials, SupersetClient, Transport
from seenby.scanners.superset.operation import HttpMethod, Operation
from seenby.scanners.superset.redact import redact
from seenby.snapshot import Read, Resource, Snapshot, new_snapshot

__all__ = ["OPERATIONS", "SupersetScanConfig", "print_policy", "resource_ids", "scan_superset"]

INSTANCE_TYPE = TypeName.SUPERSET_INSTANCE
DATASET_TYPE = TypeName.SUPERSET_DATASET
DASHBOARD_TYPE = TypeName.SUPERSET_DASHBOARD


def _get(path: str, permission: str, *, paged: bool = False, absent: bool = False) -> Operation:
    return Operation(method=HttpMethod.GET, path=path, permission=permission, paged=paged, absent_when_not_found=absent)


ROLES = _get("/api/v1/security/roles/", "can read on Role", paged=True)
ROLE_PERMISSIONS = _get("/api/v1/security/roles/{id}/permissions/", "can read on Role")
USERS = _get("/api/v1/security/users/", "can read on User", paged=True)
DATABASES = _get("/api/v1/database/", "can read on Database", paged=True)
DATABASE_CONNECTION = _get("/api/v1/database/{id}/connection", "can read on Database")
RLS = _get("/api/v1/rowlevelsecurity/", "can read on RowLevelSecurity", paged=True)
DATASETS = _get("/api/v1/dataset/", "can read on Dataset", paged=True)
CHARTS = _get("/api/v1/chart/", "can read on Chart", paged=True)
DASHBOARDS = _get("/api/v1/dashboard/", "can read on Dashboard", paged=True)
DASHBOARD = _get("/api/v1/dashboard/{id}", "can read on Dashboard")
DASHBOARD_CHARTS = _get("/api/v1/dashboard/{id}/charts", "can read on Dashboard")
DASHBOARD_EMBEDDED = _get("/api/v1/dashboard/{id}/embedded", "can read on Dashboard", absent=True)

OPERATIONS: tuple[Operation, ...] = (
    LOGIN_PAGE,
    SESSION_LOGIN,
    LOGIN,
    ME,
    ROLES,
    ROLE_PERMISSIONS,
    USERS,
    DATABASES,
    DATABASE_CONNECTION,
    RLS,
    DATASETS,
    CHARTS,
    DASHBOARDS,
    DASHBOARD,
    DASHBOARD_CHARTS,
    DASHBOARD_EMBEDDED,
)


@dataclass(frozen=True, kw_only=True, slots=True)
class SupersetScanConfig:
    url: str
    credentials: Credentials
    # DASHBOARD_RBAC as the operator knows it (None: unknown; the evaluator then keeps both readings)
    dashboard_rbac: bool | None = None
    jwt_login: bool = False  # username/password through /api/v1/security/login (a JWT), not the web form
    max_workers: int = 8


def resource_ids(url: str) -> tuple[str, str]:
    """The id prefixes of a server's datasets and dashboards: ``superset://HOST[:PORT][/PATH]``."""
    parts = urllib.parse.urlsplit(url.rstrip("/"))
    base = f"superset://{parts.netloc}{parts.path}"
    return f"{base}/dataset/", f"{base}/dashboard/"


def _clean(read: Read) -> Read:
    return Read(outcome=read.outcome, api=read.api, document=redact(read.document)) if read.ok else read


def _instance(client: SupersetClient, settings: dict[str, Any]) -> Resource:
    roles = client.read(ROLES)

    def role_permissions() -> dict[str, Any]:
        out = []
        for role in require(roles)["result"]:
            perms = require(client.read(ROLE_PERMISSIONS, id=role["id"]))
            out.append({"id": role["id"], "name": role["name"], "permissions": perms.get("result") or []})
        return {"result": out}

    databases = client.read(DATABASES)

    def connections() -> dict[str, Any]:
        out = []
        for db in require(databases)["result"]:
            out.append(redact(require(client.read(DATABASE_CONNECTION, id=db["id"])).get("result") or {}))
        return {"result": out}

    reads = {
        SupersetInstanceRead.ME: _clean(client.read(ME)),
        SupersetInstanceRead.ROLES: roles if not roles.ok else compose(ROLE_PERMISSIONS.api, role_permissions),
        SupersetInstanceRead.USERS: _clean(client.read(USERS)),
        SupersetInstanceRead.DATABASES: databases
        if not databases.ok
        else compose(DATABASE_CONNECTION.api, connections),
        SupersetInstanceRead.RLS: _clean(client.read(RLS)),
        SupersetInstanceRead.CHARTS: _clean(client.read(CHARTS)),
        SupersetInstanceRead.SETTINGS: Read(outcome=ReadOutcome.OK, api="seenby:declared", document=settings),
    }
    return Resource(type=INSTANCE_TYPE, id=client.url, name=f"Superset {client.url}", reads=reads)


def _dashboard(client: SupersetClient, prefix: str, summary: dict[str, Any]) -> Resource:
    key = summary["id"]
    reads = {
        SupersetDashboardRead.DASHBOARD: _clean(client.read(DASHBOARD, id=key)),
        SupersetDashboardRead.CHARTS: _clean(client.read(DASHBOARD_CHARTS, id=key)),
        SupersetDashboardRead.EMBEDDED: _clean(client.read(DASHBOARD_EMBEDDED, id=key)),
    }
    name = summary.get("dashboard_title")
    return Resource(
        type=DASHBOARD_TYPE, id=f"{prefix}{key}", name=str(name) if name else None, parent=client.url, reads=reads
    )


def _dataset(prefix: str, url: str, summary: dict[str, Any]) -> Resource:
    """A dataset as the listing shows it: database, catalog, schema, table or SQL, owners.

    The listing, not GET /api/v1/dataset/{id}: the single-dataset call inspects the table through
    the connection and fails (HTTP 500) where the server has no warehouse credentials, as
    Superset 6.1.0 does for a BigQuery connection without Application Default Credentials.
    """
    name = summary.get("table_name")
    read = Read(outcome=ReadOutcome.OK, api=DATASETS.api, document={"result": redact(summary)})
    return Resource(
        type=DATASET_TYPE,
        id=f"{prefix}{summary['id']}",
        name=str(name) if name else None,
        parent=url,
        reads={SupersetDatasetRead.DATASET: read},
    )


def _public_role_has_permissions(instance: Resource) -> bool:
    """Fail closed: True also when the roles could not be read."""
    roles = instance.document(SupersetInstanceRead.ROLES)
    if roles is None:
        return True
    return any(r.get("name") == "Public" and r.get("permissions") for r in roles.get("result") or [])


def _shadowed(read: Read) -> Read:
    """A listing made with a bearer token while the Public role has permissions: flask-appbuilder may have
    answered it as for an anonymous visitor (it did, on Superset 6.1.0), so what it lists is not known."""
    if not read.ok:
        return read
    return Read(
        outcome=ReadOutcome.ERROR,
        api=read.api,
        error_code="PublicRoleShadowsToken",
        message="listed with a bearer token while the Public role has permissions: the answer may be the "
        "anonymous view; scan with SUPERSET_USERNAME/SUPERSET_PASSWORD (a session login)",
    )


def scan_superset(
    config: SupersetScanConfig, *, transport: Transport | None = None, progress: Callable[[str], None] | None = None
) -> Snapshot:
    """Read one server; every failed read is recorded, never raised."""
    client = SupersetClient(config.url, config.credentials, transport=transport, session=not config.jwt_login)
    client.login()
    settings = {"DASHBOARD_RBAC": config.dashboard_rbac}
    instance = _instance(client, settings)
    dataset_prefix, dashboard_prefix = resource_ids(client.url)
    listings = {SupersetInstanceRead.DATASETS: client.read(DATASETS),
                SupersetInstanceRead.DASHBOARDS: client.read(DASHBOARDS)}  # fmt: skip
    if client.bearer and _public_role_has_permissions(instance):
        listings = {k: _shadowed(v) for k, v in listings.items()}
        instance = Resource(
            type=instance.type,
            id=instance.id,
            name=instance.name,
            reads={
                **instance.reads,
                SupersetInstanceRead.CHARTS: _shadowed(instance.reads[SupersetInstanceRead.CHARTS]),
            },
        )
    instance = Resource(
        type=instance.type,
        id=instance.id,
        name=instance.name,
        reads={**instance.reads, **{k: _clean(v) for k, v in listings.items()}},
    )
    jobs: list[Callable[[], Resource]] = []
    datasets, dashboards = listings[SupersetInstanceRead.DATASETS], listings[SupersetInstanceRead.DASHBOARDS]
    if datasets.ok:
        jobs += [lambda s=s: _dataset(dataset_prefix, client.url, s) for s in datasets.document["result"]]
    if dashboards.ok:
        jobs += [lambda s=s: _dashboard(client, dashboard_prefix, s) for s in dashboards.document["result"]]
    with ThreadPoolExecutor(max_workers=config.max_workers) as pool:
        resources = list(pool.map(lambda job: job(), jobs))
    if progress is not None:
        progress(f"read {len(resources)} datasets and dashboards from {client.url}")
    me = instance.document(SupersetInstanceRead.ME) or {}
    identity = ((me.get("result") or {}).get("username")) if isinstance(me, dict) else None
    return new_snapshot([instance, *resources], scope={"superset_urls": [client.url]}, mode="scan", identity=identity)


def print_policy() -> str:
    """Every call the scanner makes and the Superset permission it needs (for a read-only role)."""
    lines = ["# seenby scan superset: the calls it makes (GET only, after one login) and what each needs", ""]
    width = max(len(op.api) for op in OPERATIONS)
    for op in OPERATIONS:
        lines.append(f"{op.api.ljust(width)}  {op.permission}")
    lines += [
        "",
        "# the security and row-level-security endpoints need FAB_ADD_SECURITY_API = True and an admin,",
        "# or a role with can read on Role, User and RowLevelSecurity; without them those reads are coverage gaps",
    ]
    return "\n".join(lines) + "\n"
