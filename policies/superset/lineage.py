"""Which cloud tables a Superset dataset or connection reads, from the connection's URI.

The connection queries with its own credentials, so whoever can query the Superset dataset
(or the connection itself, in SQL Lab) reads the table behind it.  Dialects (the SQLAlchemy
URI's scheme, or the host):

* ``bigquery://PROJECT[/DATASET]``: physical dataset ``SCHEMA.TABLE`` ->
  ``bigquery://PROJECT.SCHEMA.TABLE``; virtual datasets: every ``project.dataset.table`` or
  ``dataset.table`` their SQL names after FROM or JOIN.  When the snapshot holds the BigQuery
  dataset but not the table, the target is the dataset (``bigquery://PROJECT.SCHEMA``).
* ``awsathena+rest://…@athena.REGION.amazonaws.com…/SCHEMA``: ``SCHEMA.TABLE`` -> the Glue
  table ``arn:aws:glue:REGION:ACCOUNT:table/SCHEMA/TABLE`` in each account whose Glue
  catalog of REGION the snapshot holds (the URI does not name the account).
* Redshift (``redshift+psycopg2://``, ``redshift+redshift_connector://``, or any URI whose
  host is a ``*.redshift.amazonaws.com`` cluster or ``*.redshift-serverless.amazonaws.com``
  workgroup): a cloud warehouse seenby does not audit; nothing is mapped, and the evaluator
  reports a coverage gap (:class:`Warehouse` ``REDSHIFT``).
* anything else (SQLite, Postgres, MySQL …): not a cloud warehouse; its tables are audited
  only as the Superset datasets over them.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable, Mapping, Set
from enum import StrEnum
from typing import Any

from seenby.sqlalchemy_uri import split_uri

__all__ = ["Warehouse", "cloud_tables", "connection_reach", "warehouse_of"]

_FROM = re.compile(r"\b(?:from|join)\s+[`\"]?([A-Za-z0-9_.:-]+)[`\"]?", re.I)
_ATHENA_HOST = re.compile(r"athena\.([a-z0-9-]+)\.amazonaws\.com")
_REDSHIFT_HOST = re.compile(r"\.([a-z0-9-]+)\.redshift(?:-serverless)?\.amazonaws\.com$")


class Warehouse(StrEnum):
    """What a connection's URI points at, as far as seenby's audit goes."""

    BIGQUERY = "bigquery"  # audited: BigQuery datasets and tables of the snapshot
    ATHENA = "athena"  # audited: Glue tables of the snapshot
    REDSHIFT = "redshift"  # a cloud warehouse seenby does not audit: a coverage gap
    OTHER = "other"  # not a cloud warehouse (SQLite, Postgres …)


def _host(parts: urllib.parse.SplitResult) -> str:
    return (parts.hostname or "").lower()


def warehouse_of(uri: str) -> Warehouse:
    parsed = split_uri(uri)
    parts, dialect = parsed.parts, parsed.dialect
    if dialect == "bigquery":
        return Warehouse.BIGQUERY
    if dialect == "awsathena":
        return Warehouse.ATHENA
    if dialect == "redshift" or _REDSHIFT_HOST.search(_host(parts)):
        return Warehouse.REDSHIFT
    return Warehouse.OTHER


def redshift_location(uri: str) -> str:
    """``cluster-or-workgroup (REGION), database DB`` for a gap message."""
    parts = split_uri(uri).parts
    host = _host(parts)
    match = _REDSHIFT_HOST.search(host)
    where = f"{host.split('.', 1)[0]} ({match.group(1)})" if match else host or "an unnamed host"
    database = parts.path.strip("/")
    return f"{where}, database {database}" if database else where


def _bigquery_project(uri: urllib.parse.SplitResult) -> str:
    return uri.netloc.rsplit("@", 1)[-1]


def _bigquery(uri: urllib.parse.SplitResult, dataset: Mapping[str, Any], known: Set[str]) -> list[str]:
    project = _bigquery_project(uri)
    default_schema = uri.path.strip("/") or None
    if not project:
        return []
    refs: list[tuple[str, str, str]] = []
    sql = dataset.get("sql")
    if sql:
        for name in _FROM.findall(str(sql)):
            parts = name.split(".")
            if len(parts) == 3:
                refs.append((parts[0], parts[1], parts[2]))
            elif len(parts) == 2:
                refs.append((project, parts[0], parts[1]))
    else:
        schema = dataset.get("schema") or default_schema
        if schema and dataset.get("table_name"):
            refs.append((project, str(schema), str(dataset["table_name"])))
    out = []
    for p, d, t in dict.fromkeys(refs):
        table, parent = f"bigquery://{p}.{d}.{t}", f"bigquery://{p}.{d}"
        out.append(parent if table not in known and parent in known else table)
    return list(dict.fromkeys(out))


def _athena(
    uri: urllib.parse.SplitResult, dataset: Mapping[str, Any], glue_accounts: Mapping[str, Iterable[str]]
) -> list[str]:
    match = _ATHENA_HOST.search(uri.netloc)
    if match is None:
        return []
    region = match.group(1)
    refs: list[tuple[str, str]] = []
    sql = dataset.get("sql")
    default_schema = dataset.get("schema") or uri.path.strip("/") or None
    if sql:
        for name in _FROM.findall(str(sql)):
            parts = name.split(".")
            if len(parts) >= 2:
                refs.append((parts[-2], parts[-1]))
            elif default_schema:
                refs.append((str(default_schema), parts[0]))
    elif default_schema and dataset.get("table_name"):
        refs.append((str(default_schema), str(dataset["table_name"])))
    return [
        f"arn:aws:glue:{region}:{account}:table/{db}/{table}"
        for account in sorted(glue_accounts.get(region, ()))
        for db, table in dict.fromkeys(refs)
    ]


def cloud_tables(
    uri: str, dataset: Mapping[str, Any], glue_accounts: Mapping[str, Iterable[str]], known: Set[str] = frozenset()
) -> list[str]:
    """The seenby ids of the cloud tables ``dataset`` reads through a connection with ``uri``."""
    parts = split_uri(uri).parts
    warehouse = warehouse_of(uri)
    if warehouse is Warehouse.BIGQUERY:
        return _bigquery(parts, dataset, known)
    if warehouse is Warehouse.ATHENA:
        return _athena(parts, dataset, glue_accounts)
    return []


def connection_reach(uri: str, known: Set[str]) -> list[str]:
    """Every dataset of the snapshot (``known`` ids) a connection with ``uri`` could query in SQL Lab.

    BigQuery: every dataset and table of the URI's project; Athena: every Glue table of the
    URI's region (``known`` holds Glue table ARNs).  Whether the connection's credentials can
    read each of them is not in the snapshot.
    """
    parts = split_uri(uri).parts
    warehouse = warehouse_of(uri)
    if warehouse is Warehouse.BIGQUERY:
        project = _bigquery_project(parts)
        return sorted(k for k in known if project and k.startswith(f"bigquery://{project}."))
    if warehouse is Warehouse.ATHENA:
        match = _ATHENA_HOST.search(parts.netloc)
        if match is None:
            return []
        return sorted(k for k in known if k.startswith(f"arn:aws:glue:{match.group(1)}:") and ":table/" in k)
    return []
