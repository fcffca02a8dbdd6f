"""Which cloud tables a Superset dataset reads, from its database connection's URI.

The connection queries with its own credentials, so whoever can query the Superset dataset
reads the table behind it.  Dialects (the SQLAlchemy URI's scheme):

* ``bigquery://PROJECT[/DATASET]``: physical dataset ``SCHEMA.TABLE`` ->
  ``bigquery://PROJECT.SCHEMA.TABLE``; virtual datasets: every ``project.dataset.table`` or
  ``dataset.table`` their SQL names after FROM or JOIN.  When the snapshot holds the BigQuery
  dataset but not the table, the target is the dataset (``bigquery://PROJECT.SCHEMA``).
* ``awsathena+rest://…@athena.REGION.amazonaws.com…/SCHEMA``: ``SCHEMA.TABLE`` -> the Glue
  table ``arn:aws:glue:REGION:ACCOUNT:table/SCHEMA/TABLE`` in each account whose Glue
  catalog of REGION the snapshot holds (the URI does not name the account).
* anything else (Redshift, SQLite, Postgres …): not a warehouse seenby audits yet; nothing.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable, Mapping, Set
from typing import Any

__all__ = ["cloud_tables"]

_FROM = re.compile(r"\b(?:from|join)\s+[`\"]?([A-Za-z0-9_.:-]+)[`\"]?", re.I)
_ATHENA_HOST = re.compile(r"athena\.([a-z0-9-]+)\.amazonaws\.com")


def _bigquery(uri: urllib.parse.SplitResult, dataset: Mapping[str, Any], known: Set[str]) -> list[str]:
    project = uri.netloc.rsplit("@", 1)[-1]
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
    parts = urllib.parse.urlsplit(uri)
    dialect = parts.scheme.split("+", 1)[0].lower()
    if dialect == "bigquery":
        return _bigquery(parts, dataset, known)
    if dialect == "awsathena":
        return _athena(parts, dataset, glue_accounts)
    return []
