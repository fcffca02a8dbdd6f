"""Seed a local Superset with the example organisation's BI layer, through its REST API (admin).

What it makes (docs/superset.md, "The example organisation"):

* connections: ``warehouse`` (SQLite, standing in for the warehouse) and ``corp-telemetry``
  (``bigquery://corp-telemetry``, imported as a ZIP so it is stored without being queried;
  needs ``sqlalchemy-bigquery`` in Superset's venv);
* datasets: ``keystrokes`` (BigQuery ``ml_raw.keystrokes``, the raw telemetry),
  ``keystrokes_by_team`` and ``daily_activity`` (SQLite);
* a role ``ml_team`` (schema access to the warehouse), and the built-in ``sql_lab`` role given
  ``database_access`` on the BigQuery connection (so its members query every table the
  connection reaches in SQL Lab);
* users ``alice`` (Gamma, ml_team), ``bob`` (Gamma), ``carol`` (Gamma, inactive), ``dave``
  (Gamma, sql_lab);
* a row-level security filter on ``keystrokes_by_team`` for ``ml_team``;
* the Public role: ``can read`` on Dashboard and datasource access to ``daily_activity``;
* dashboards: "Keystroke activity" (published, over the BigQuery keystrokes, with the Gamma
  role: under ``DASHBOARD_RBAC`` every Gamma user views it and so queries the raw keystrokes,
  the misconfiguration the demo finds), "Daily
  activity" (published, embedded for ``https://intranet.corp.example``) and "ML raw" (a
  draft with the ml_team role).

Seeding writes: it is never part of a scan.
"""

from __future__ import annotations

import io
import json
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from pathlib import Path
from typing import Any

__all__ = ["seed_superset"]

BQ_DATABASE_UUID = "6a3c1f0e-6f1b-4c3e-9a51-2f0c1e7d9b01"
BQ_DATASET_UUID = "0d7e8c2a-3b4f-4e6a-8c1d-5f2e9a7b6c02"


class _Admin:
    def __init__(self, url: str, username: str, password: str) -> None:
        self.url = url
        body = {"username": username, "password": password, "provider": "db", "refresh": False}
        self.token = self._send("POST", "/api/v1/security/login", body, auth=False)["access_token"]

    def _send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        auth: bool = True,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> Any:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{method} {path}: HTTP {exc.code} {exc.read()[:500]!r}") from None

    def get(self, path: str) -> Any:
        return self._send("GET", path)

    def post(self, path: str, body: Any) -> Any:
        return self._send("POST", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self._send("PUT", path, body)

    def all(self, path: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        page = 0
        while True:
            doc = self.get(f"{path}?q=" + urllib.parse.quote(f"(page:{page},page_size:100)"))
            out.extend(doc["result"])
            if not doc["result"] or len(out) >= doc["count"]:
                return out
            page += 1


def _warehouse(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS keystrokes_by_team (employee TEXT, team TEXT, keys INTEGER)")
        db.execute("CREATE TABLE IF NOT EXISTS daily_activity (day TEXT, active_employees INTEGER)")


def _bigquery_zip() -> bytes:
    """An export bundle with the BigQuery connection and its keystrokes dataset (no credentials in it)."""
    meta = "version: 1.0.0\ntype: Database\ntimestamp: '2026-01-01T00:00:00+00:00'\n"
    database = (
        "database_name: corp-telemetry\nsqlalchemy_uri: bigquery://corp-telemetry\ncache_timeout: null\n"
        "expose_in_sqllab: true\nallow_run_async: false\nallow_ctas: false\nallow_cvas: false\n"
        "allow_file_upload: false\nextra: {}\n"
        f"uuid: {BQ_DATABASE_UUID}\nversion: 1.0.0\n"
    )
    dataset = (
        "table_name: keystrokes\nmain_dttm_col: null\ndescription: null\ndefault_endpoint: null\noffset: 0\n"
        "cache_timeout: null\nschema: ml_raw\nsql: null\nparams: null\ntemplate_params: null\n"
        "filter_select_enabled: true\nfetch_values_predicate: null\nextra: null\n"
        f"uuid: {BQ_DATASET_UUID}\nmetrics:\n- metric_name: count\n  expression: COUNT(*)\n"
        "columns:\n- column_name: employee\n  type: STRING\n  is_dttm: false\n  groupby: true\n  filterable: true\n"
        f"version: 1.0.0\ndatabase_uuid: {BQ_DATABASE_UUID}\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("bundle/metadata.yaml", meta)
        bundle.writestr("bundle/databases/corp-telemetry.yaml", database)
        bundle.writestr("bundle/datasets/corp-telemetry/keystrokes.yaml", dataset)
    return buffer.getvalue()


def _import_bigquery(admin: _Admin) -> None:
    boundary = uuid.uuid4().hex
    parts = [
        (
            b'Content-Disposition: form-data; name="formData"; filename="bundle.zip"\r\n'
            b"Content-Type: application/zip\r\n\r\n" + _bigquery_zip()
        ),
        b'Content-Disposition: form-data; name="overwrite"\r\n\r\ntrue',
    ]
    body = b"".join(f"--{boundary}\r\n".encode() + p + b"\r\n" for p in parts) + f"--{boundary}--\r\n".encode()
    admin._send("POST", "/api/v1/database/import/", raw=body, content_type=f"multipart/form-data; boundary={boundary}")


def _grant(admin: _Admin, role_id: int, wanted: list[tuple[str, str]], index: dict[tuple[str, str], int]) -> None:
    """Add permissions to a role, keeping the ones it has (the API sets the whole list)."""
    have = [p["id"] for p in admin.get(f"/api/v1/security/roles/{role_id}/permissions/")["result"]]
    ids = sorted({*have, *(index[w] for w in wanted)})
    admin.post(f"/api/v1/security/roles/{role_id}/permissions", {"permission_view_menu_ids": ids})


def seed_superset(url: str, *, admin_user: str, admin_password: str, work: Path) -> dict[str, int]:
    """Seed the example; returns the ids it made, by name."""
    admin = _Admin(url, admin_user, admin_password)
    warehouse_file = work / "warehouse.db"
    _warehouse(warehouse_file)
    warehouse = admin.post(
        "/api/v1/database/", {"database_name": "warehouse", "sqlalchemy_uri": f"sqlite:///{warehouse_file}"}
    )["id"]
    _import_bigquery(admin)
    datasets = {d["table_name"]: d["id"] for d in admin.all("/api/v1/dataset/")}
    for table in ("keystrokes_by_team", "daily_activity"):
        datasets[table] = admin.post(
            "/api/v1/dataset/", {"database": warehouse, "schema": "main", "table_name": table}
        )["id"]
    roles = {r["name"]: r["id"] for r in admin.all("/api/v1/security/roles/")}
    roles["ml_team"] = admin.post("/api/v1/security/roles/", {"name": "ml_team"})["id"]
    index = {
        (p["permission"]["name"], p["view_menu"]["name"]): p["id"]
        for p in admin.all("/api/v1/security/permissions-resources/")
    }
    databases = {d["database_name"]: d["id"] for d in admin.all("/api/v1/database/")}
    _grant(
        admin, roles["sql_lab"], [("database_access", f"[corp-telemetry].(id:{databases['corp-telemetry']})")], index
    )
    _grant(admin, roles["ml_team"], [("schema_access", "[warehouse].[main]")], index)
    _grant(
        admin,
        roles["Public"],
        [
            ("can_read", "Dashboard"),
            ("can_read", "Chart"),
            ("datasource_access", f"[warehouse].[daily_activity](id:{datasets['daily_activity']})"),
        ],
        index,
    )
    users = {}
    for name, role_names, active in (
        ("alice", ["Gamma", "ml_team"], True),
        ("bob", ["Gamma"], True),
        ("carol", ["Gamma"], False),
        ("dave", ["Gamma", "sql_lab"], True),
    ):
        users[name] = admin.post(
            "/api/v1/security/users/",
            {
                "first_name": name,
                "last_name": "example",
                "username": name,
                "email": f"{name}@corp.example",
                "password": uuid.uuid4().hex,
                "active": active,
                "roles": [roles[r] for r in role_names],
            },
        )["id"]
    admin.post(
        "/api/v1/rowlevelsecurity/",
        {
            "name": "ml team rows",
            "filter_type": "Regular",
            "tables": [datasets["keystrokes_by_team"]],
            "roles": [roles["ml_team"]],
            "clause": "team = 'ml'",
            "group_key": "",
        },
    )
    dashboards = {}
    for title, published, dash_roles, table in (
        ("Keystroke activity", True, ["Gamma"], "keystrokes"),
        ("Daily activity", True, [], "daily_activity"),
        ("ML raw", False, ["ml_team"], "keystrokes_by_team"),
    ):
        dashboards[title] = admin.post(
            "/api/v1/dashboard/",
            {
                "dashboard_title": title,
                "published": published,
                "roles": [roles[r] for r in dash_roles],
                "owners": [users["alice"]],
            },
        )["id"]
        admin.post(
            "/api/v1/chart/",
            {
                "slice_name": f"{title}: {table}",
                "viz_type": "table",
                "datasource_id": datasets[table],
                "datasource_type": "table",
                "params": "{}",
                "dashboards": [dashboards[title]],
            },
        )
    admin.post(
        f"/api/v1/dashboard/{dashboards['Daily activity']}/embedded",
        {"allowed_domains": ["https://intranet.corp.example"]},
    )
    return {
        **{f"dataset:{k}": v for k, v in datasets.items()},
        **{f"dashboard:{k}": v for k, v in dashboards.items()},
        **{f"role:{k}": v for k, v in roles.items()},
        **{f"user:{k}": v for k, v in users.items()},
    }
