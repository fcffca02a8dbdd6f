"""SQL Lab: whoever may run SQL on a connection reads everything the connection reaches (docs/superset.md).

Each database connection is a dataset of its own (``superset://HOST/database/ID``, kind
``superset-database``).  Superset 6.1.0's ``raise_for_access`` lets a SQL Lab query on a
connection run for every table when the user ``can_access_database`` (``all_datasource_access``,
``all_database_access``, or ``database_access`` on ``[DB].(id:N)``); running SQL at all needs
``can execute_sql_query on SQLLab`` (``can sql_json`` in older releases).  Row-level security
is not applied in SQL Lab unless the ``RLS_IN_SQLLAB`` feature flag is on (off by default; the
API does not expose it), so these grants are whole.  See
https://superset.apache.org/docs/security/ ("SQL Lab" role, "Customizing permissions").

A connection queries with its own credentials, so it re-exposes every cloud dataset it
reaches (:func:`seenby.policies.superset.lineage.connection_reach`): unconditionally those its
Superset datasets already read, conditionally ("if the connection's credentials can read it")
the rest of its project or region, since the credentials are never in the snapshot.  A
connection to a cloud warehouse seenby does not audit (Redshift), or to one this snapshot does
not hold (a BigQuery project or Athena region not scanned), is a coverage gap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from seenby.model import (
    AccessLevel,
    Condition,
    CoverageGap,
    Dataset,
    DatasetKind,
    Evaluation,
    Evidence,
    EvidenceKind,
    Grant,
    Provider,
    ReadOutcome,
    Reexposure,
)
from seenby.policies.superset.instance import Instance, object_id, role_principal
from seenby.policies.superset.lineage import Warehouse, connection_reach, redshift_location, warehouse_of
from seenby.policies.superset.permissions import ADMIN_ROLE, DataPermission
from seenby.registry import GlueCatalogRead, TypeName
from seenby.snapshot import Snapshot

__all__ = [
    "NOT_AUDITED",
    "NOT_SCANNED",
    "SQLLAB_EXECUTE",
    "cloud_known",
    "evaluate_connections",
    "glue_accounts",
]

# (permission, view menu) pairs that let a role run SQL in SQL Lab (Superset 6: the first; before 4: can sql_json)
SQLLAB_EXECUTE = frozenset(
    {("can_execute_sql_query", "SQLLab"), ("can_sql_json", "Superset"), ("can_sql_json", "SQLLab")}
)
NOT_AUDITED = "WarehouseNotAudited"  # a cloud warehouse seenby has no evaluator for (Redshift)
NOT_SCANNED = "WarehouseNotScanned"  # BigQuery or Glue tables this snapshot does not hold
_CONNECTION_API = "superset:GET /api/v1/database/{id}/connection"


def glue_accounts(snapshot: Snapshot) -> dict[str, set[str]]:
    """Region -> the accounts whose Glue catalog of that region the snapshot holds."""
    out: dict[str, set[str]] = {}
    for res in snapshot.of_type(TypeName.AWS_GLUE_CATALOG):
        if res.region and res.account:
            out.setdefault(res.region, set()).add(res.account)
    return out


def cloud_known(snapshot: Snapshot) -> frozenset[str]:
    """The ids of the BigQuery datasets and tables and the Glue tables the snapshot holds."""
    ids = {r.id for t in (TypeName.GCP_BIGQUERY_DATASET, TypeName.GCP_BIGQUERY_TABLE) for r in snapshot.of_type(t)}
    for res in snapshot.of_type(TypeName.AWS_GLUE_CATALOG):
        for table in (res.document(GlueCatalogRead.TABLES) or {}).get("TableList") or []:
            account = table.get("CatalogId") or res.account
            ids.add(f"arn:aws:glue:{res.region}:{account}:table/{table.get('DatabaseName')}/{table.get('Name')}")
    return frozenset(ids)


def _sql_grants(inst: Instance, ev: Evaluation, node: str, name: str, db_id: int) -> None:
    """Roles that may run SQL and access the whole connection read it; Admin also administers it."""
    db_view = f"[{name}].(id:{db_id})"
    whole = {DataPermission.ALL_DATASOURCE.value, DataPermission.ALL_DATABASE.value}
    for role, perms in inst.roles.items():
        sql = next(((j, p) for j, p in perms if (p.permission, p.view_menu) in SQLLAB_EXECUTE), None)
        data = next(
            (
                (j, p)
                for j, p in perms
                if p.permission in whole or (p.permission == DataPermission.DATABASE.value and p.view_menu == db_view)
            ),
            None,
        )
        if sql is None or data is None:
            continue
        evidence = tuple(
            inst.evidence(
                f"roles[{role}].permissions[{j}]",
                {"permission_name": p.permission, "view_menu_name": p.view_menu},
                note,
            )
            for (j, p), note in (
                (sql, "runs SQL in SQL Lab"),
                (data, f"on every table of {name} (RLS is not applied in SQL Lab unless RLS_IN_SQLLAB)"),
            )
        )
        levels = (AccessLevel.READ, AccessLevel.ADMIN) if role == ADMIN_ROLE else (AccessLevel.READ,)
        for level in levels:
            ev.add_grant(Grant(principal=role_principal(inst.url, role), dataset=node, level=level, evidence=evidence))


def _gap(node: str, name: str, code: str, message: str, datasets: Sequence[str]) -> CoverageGap:
    return CoverageGap(
        resource=node,
        resource_type="superset.database",
        read=f"tables behind {name}",
        api=_CONNECTION_API,
        outcome=ReadOutcome.ERROR,
        error_code=code,
        message=message,
        datasets=(node, *datasets),
    )


def evaluate_connections(
    inst: Instance, ev: Evaluation, known: frozenset[str], reads: Mapping[int, Sequence[tuple[str, Sequence[str]]]]
) -> None:
    """Every connection: its SQL Lab readers, what it re-exposes, and the gap when its warehouse is not audited.

    ``reads`` maps a database id to its Superset datasets and the cloud tables each re-exposes.
    """
    for db_id, doc in inst.databases.items():
        name = str(doc.get("database_name") or f"database {db_id}")
        node = object_id(inst.url, "database", db_id)
        ev.datasets[node] = Dataset(
            id=node, kind=DatasetKind.SUPERSET_DATABASE, provider=Provider.SUPERSET, name=name, location=inst.url
        )
        _sql_grants(inst, ev, node, name, db_id)
        uri = inst.uris[db_id]
        if inst.impersonates.get(db_id):
            continue  # the warehouse checks the viewer's own access
        superset_datasets = [d for d, _ in reads.get(db_id, ())]
        used = {t for _, targets in reads.get(db_id, ()) for t in targets}
        warehouse = warehouse_of(uri)
        if warehouse is Warehouse.REDSHIFT:
            message = (
                f"{name} queries the Redshift warehouse {redshift_location(uri)} with its own credentials; seenby "
                "does not audit Redshift, so whose declarations the re-exposed tables break is unknown"
            )
            ev.gaps.append(_gap(node, name, NOT_AUDITED, message, superset_datasets))
            continue
        if warehouse is Warehouse.OTHER:
            continue  # not a cloud warehouse: its tables are audited as the Superset datasets over them
        reach = connection_reach(uri, known)
        missing = sorted(t for t in used if t not in known)
        unmapped = [d for d, targets in reads.get(db_id, ()) if not targets]
        if missing or unmapped or not reach:
            what = ", ".join(missing) if missing else "the project or region it names"
            message = (
                f"{name} ({warehouse.value}) reads {what}, which this snapshot does not hold: scan that warehouse "
                "and audit both snapshots together to see whose declarations Superset's readers break"
            )
            ev.gaps.append(_gap(node, name, NOT_SCANNED, message, superset_datasets))
        for target in sorted({*reach, *(t for t in used if t in known)}):
            evidence = Evidence(
                kind=EvidenceKind.DASHBOARD_LINEAGE,
                source=node,
                location=f"databases[{db_id}]",
                excerpt={"database": name, "uri": uri},
                note="SQL Lab runs any SQL with the connection's credentials, not the viewer's",
            )
            conditions = (
                ()
                if target in used
                else (
                    Condition(
                        expression={"connection": name, "reads": target},
                        keys=("superset:connection_credentials",),
                        reason="if the connection's credentials can read it (they are not in the snapshot)",
                    ),
                )
            )
            ev.reexposures.append(Reexposure(via=node, dataset=target, evidence=(evidence,), conditions=conditions))
