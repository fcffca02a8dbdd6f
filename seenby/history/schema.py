"""The store's SQLite schema, versioned in ``PRAGMA user_version`` and upgraded by migrations.

``PRAGMA application_id`` marks the file as a seenby history store, so a foreign SQLite
database is refused rather than written into.  Migrations run in order, each in the
transaction that bumps ``user_version``; a store whose version is newer than
:data:`SCHEMA_VERSION` is refused (upgrade seenby).

Layout (version 1)::

    documents    id, hash (sha256 of the canonical JSON of one read), body (zlib of that JSON)
    resources    id, ident (sha256 of the identity), type, rid, name, account, region, parent
    read_names   id, name
    states       id, hash, resource_id          one resource with one set of reads (content-addressed)
    state_reads  state_id, position, read_name_id, document_id
    scans        id, collected_at, collected_us, recorded_at, schema_version, collector, scope, source,
                 content_hash
    scan_resources  scan_id, position, state_id

A scan is a list of resource states; a state that did not change since the last scan is
shared, and so is every read document: a year of daily scans stores each distinct
document once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SCHEMA_VERSION"]

APPLICATION_ID = 0x53454542  # "SEEB"

_V1 = """
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    body BLOB NOT NULL
);
CREATE TABLE resources (
    id INTEGER PRIMARY KEY,
    ident BLOB NOT NULL UNIQUE,
    type TEXT NOT NULL,
    rid TEXT NOT NULL,
    name TEXT,
    account TEXT,
    region TEXT,
    parent TEXT
);
CREATE INDEX resources_rid ON resources (rid);
CREATE INDEX resources_name ON resources (name);
CREATE TABLE read_names (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE states (
    id INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    resource_id INTEGER NOT NULL REFERENCES resources (id)
);
CREATE INDEX states_resource ON states (resource_id);
CREATE TABLE state_reads (
    state_id INTEGER NOT NULL REFERENCES states (id),
    position INTEGER NOT NULL,
    read_name_id INTEGER NOT NULL REFERENCES read_names (id),
    document_id INTEGER NOT NULL REFERENCES documents (id),
    PRIMARY KEY (state_id, position)
) WITHOUT ROWID;
CREATE TABLE scans (
    id INTEGER PRIMARY KEY,
    collected_at TEXT NOT NULL,
    collected_us INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    schema_version TEXT NOT NULL,
    collector TEXT NOT NULL,
    scope TEXT NOT NULL,
    source TEXT,
    content_hash BLOB NOT NULL
);
CREATE INDEX scans_time ON scans (collected_us, id);
CREATE TABLE scan_resources (
    scan_id INTEGER NOT NULL REFERENCES scans (id),
    position INTEGER NOT NULL,
    state_id INTEGER NOT NULL REFERENCES states (id),
    PRIMARY KEY (scan_id, position)
) WITHOUT ROWID;
"""


def _v1(db: sqlite3.Connection) -> None:
    for statement in _V1.split(";"):
        if statement.strip():
            db.execute(statement)


# MIGRATIONS[i] takes a store from version i to version i + 1.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v1,)
SCHEMA_VERSION = len(MIGRATIONS)
