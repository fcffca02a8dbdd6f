"""One Superset server's principals, roles, connections and RLS filters, indexed for the evaluators.

Principal ids (docs/superset.md): ``superset:URL/role/NAME``, ``superset:URL/user/USERNAME``,
``superset:URL/public`` (anonymous visitors: the Public role, ``AUTH_ROLE_PUBLIC``) and
``superset:URL/embedded/UUID`` (guests of an application embedding a dashboard).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from seenby.model import (
    Edge,
    EdgeKind,
    Evaluation,
    Evidence,
    EvidenceKind,
    Principal,
    PrincipalKind,
    Provider,
)
from seenby.policies.superset.permissions import Perm
from seenby.registry import SupersetInstanceRead
from seenby.snapshot import Resource

__all__ = [
    "Instance",
    "guest_principal",
    "load_instance",
    "object_id",
    "public_principal",
    "role_principal",
    "user_principal",
]


def object_id(url: str, kind: str, key: object) -> str:
    """``superset://HOST[:PORT][/PATH]/KIND/ID``: a dataset, dashboard, chart or database of the server at ``url``
    (the scanner's ``resource_ids`` for datasets and dashboards)."""
    parts = urllib.parse.urlsplit(url.rstrip("/"))
    return f"superset://{parts.netloc}{parts.path}/{kind}/{key}"


def role_principal(url: str, name: str) -> Principal:
    return Principal(
        id=f"superset:{url}/role/{name}",
        kind=PrincipalKind.GROUP,
        provider=Provider.SUPERSET,
        name=f"{name} (Superset role)",
    )


def user_principal(url: str, username: str) -> Principal:
    return Principal(
        id=f"superset:{url}/user/{username}", kind=PrincipalKind.USER, provider=Provider.SUPERSET, name=username
    )


def public_principal(url: str) -> Principal:
    return Principal(
        id=f"superset:{url}/public",
        kind=PrincipalKind.PUBLIC,
        provider=Provider.SUPERSET,
        name=f"anonymous visitors of {url}",
    )


def guest_principal(url: str, uuid: str) -> Principal:
    return Principal(
        id=f"superset:{url}/embedded/{uuid}",
        kind=PrincipalKind.PUBLIC,
        provider=Provider.SUPERSET,
        name=f"guests of the application embedding {uuid}",
    )


@dataclass(kw_only=True)
class Instance:
    """One server's roles, users, connections and RLS filters, indexed for the datasets and dashboards."""

    res: Resource
    roles: dict[str, list[tuple[int, Perm]]] = field(default_factory=dict)  # role name -> (index, permission)
    role_names: dict[int, str] = field(default_factory=dict)
    users: dict[int, str] = field(default_factory=dict)  # user id -> username
    uris: dict[int, str] = field(default_factory=dict)  # database id -> redacted SQLAlchemy URI
    impersonates: dict[int, bool] = field(default_factory=dict)  # database id -> queries as the viewer
    databases: dict[int, Mapping[str, Any]] = field(default_factory=dict)  # database id -> its connection document
    rls: list[tuple[int, Mapping[str, Any]]] = field(default_factory=list)
    rbac: bool | None = None

    @property
    def url(self) -> str:
        return self.res.id

    def evidence(self, location: str, excerpt: Any, note: str | None = None) -> Evidence:
        return Evidence(
            kind=EvidenceKind.ROLE_PERMISSION, source=self.url, location=location, excerpt=excerpt, note=note
        )


def load_instance(res: Resource, ev: Evaluation) -> Instance:
    inst = Instance(res=res, rbac=(res.document(SupersetInstanceRead.SETTINGS) or {}).get("DASHBOARD_RBAC"))
    for role in (res.document(SupersetInstanceRead.ROLES) or {}).get("result") or []:
        name = str(role["name"])
        inst.role_names[int(role["id"])] = name
        inst.roles[name] = [(j, Perm.from_json(p)) for j, p in enumerate(role.get("permissions") or [])]
        ev.add_principal(role_principal(inst.url, name))
    for i, user in enumerate((res.document(SupersetInstanceRead.USERS) or {}).get("result") or []):
        username = str(user.get("username"))
        inst.users[int(user["id"])] = username
        if user.get("active") is False:
            continue  # an inactive user cannot sign in
        for role in user.get("roles") or []:
            name = role.get("name") or inst.role_names.get(int(role.get("id", -1)))
            if not name:
                continue
            evidence = Evidence(
                kind=EvidenceKind.GROUP_MEMBERSHIP,
                source=inst.url,
                location=f"users.result[{i}]",
                excerpt={"username": username, "role": name},
            )
            ev.add_edge(
                Edge(
                    source=user_principal(inst.url, username),
                    target=role_principal(inst.url, str(name)),
                    kind=EdgeKind.MEMBER_OF,
                    evidence=(evidence,),
                )
            )
    for db in (res.document(SupersetInstanceRead.DATABASES) or {}).get("result") or []:
        if db.get("id") is not None and db.get("sqlalchemy_uri"):
            inst.uris[int(db["id"])] = str(db["sqlalchemy_uri"])
            inst.impersonates[int(db["id"])] = bool(db.get("impersonate_user"))
            inst.databases[int(db["id"])] = db
    inst.rls = list(enumerate((res.document(SupersetInstanceRead.RLS) or {}).get("result") or []))
    return inst
