"""Who can see each Superset dataset and dashboard (docs/superset.md), and what they re-expose.

* Users are members of their roles (inactive users of none); anonymous visitors
  (``superset:URL/public``) hold every grant of the ``Public`` role.
* A dataset is read by roles holding ``all_datasource_access``, ``all_database_access``,
  ``database_access`` on its database, ``catalog_access``/``schema_access`` on its schema, or
  ``datasource_access`` on it; by the ``Admin`` role; by its owners.  Row-level security
  filters that apply to a role narrow the rows it reads: the grant is kept, with the filter
  as a decided DATA_PART condition (a partial grant, reported at full severity).
* A dashboard with roles, when ``DASHBOARD_RBAC`` is on, is seen (published only) by those
  roles, and its viewers query its charts' datasets through it (a re-exposure).  Otherwise
  it is seen by whoever can read one of its datasets (published or draft: Superset does not
  check ``published`` on this path), and a dashboard without datasets by every role with
  ``can read`` on ``Dashboard``.  Owners and ``Admin`` see it always.  An unknown
  ``DASHBOARD_RBAC`` keeps both readings, each conditional on the flag.
* An embedded dashboard is seen by the guests of whatever application embeds it: a
  conditional public grant (allowed domains restrict the framing page, not the viewer).
* A dataset over a BigQuery or Athena connection re-exposes the cloud table it reads
  (:mod:`seenby.policies.superset.lineage`), unless the connection impersonates the viewer
  (``impersonate_user``: the warehouse then checks the viewer's own access).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from seenby.model import (
    AccessLevel,
    Condition,
    ConditionFamily,
    Dataset,
    DatasetKind,
    DecidedCondition,
    Edge,
    EdgeKind,
    Evaluation,
    Evidence,
    EvidenceKind,
    Grant,
    Principal,
    PrincipalKind,
    Provider,
    Reexposure,
)
from seenby.policies.superset.lineage import cloud_tables
from seenby.policies.superset.permissions import (
    ADMIN_ROLE,
    PUBLIC_ROLE,
    DataPermission,
    Perm,
    data_permissions_for,
    normal,
)
from seenby.registry import TypeName
from seenby.snapshot import Resource, Snapshot

__all__ = ["evaluate_snapshot"]

INSTANCE_TYPE = "superset.instance"
DATASET_TYPE = "superset.dataset"
DASHBOARD_TYPE = "superset.dashboard"


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
class _Instance:
    """One server's roles, users, connections and RLS filters, indexed for the datasets and dashboards."""

    res: Resource
    roles: dict[str, list[tuple[int, Perm]]] = field(default_factory=dict)  # role name -> (index, permission)
    role_names: dict[int, str] = field(default_factory=dict)
    users: dict[int, str] = field(default_factory=dict)  # user id -> username
    uris: dict[int, str] = field(default_factory=dict)  # database id -> redacted SQLAlchemy URI
    impersonates: dict[int, bool] = field(default_factory=dict)  # database id -> queries as the viewer
    rls: list[tuple[int, Mapping[str, Any]]] = field(default_factory=list)
    rbac: bool | None = None

    @property
    def url(self) -> str:
        return self.res.id

    def evidence(self, location: str, excerpt: Any, note: str | None = None) -> Evidence:
        return Evidence(
            kind=EvidenceKind.ROLE_PERMISSION, source=self.url, location=location, excerpt=excerpt, note=note
        )


def _instance(res: Resource, ev: Evaluation) -> _Instance:
    inst = _Instance(res=res, rbac=(res.document("settings") or {}).get("DASHBOARD_RBAC"))
    for role in (res.document("roles") or {}).get("result") or []:
        name = str(role["name"])
        inst.role_names[int(role["id"])] = name
        inst.roles[name] = [(j, Perm.from_json(p)) for j, p in enumerate(role.get("permissions") or [])]
        ev.add_principal(role_principal(inst.url, name))
    for i, user in enumerate((res.document("users") or {}).get("result") or []):
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
    for db in (res.document("databases") or {}).get("result") or []:
        if db.get("id") is not None and db.get("sqlalchemy_uri"):
            inst.uris[int(db["id"])] = str(db["sqlalchemy_uri"])
            inst.impersonates[int(db["id"])] = bool(db.get("impersonate_user"))
    inst.rls = list(enumerate((res.document("rls") or {}).get("result") or []))
    return inst


def _rls_for(inst: _Instance, dataset_id: int, role: str) -> tuple[DecidedCondition, ...]:
    """The row-level security filters that narrow what ``role`` reads of a dataset."""
    out = []
    for i, rule in inst.rls:
        if dataset_id not in {int(t.get("id", -1)) for t in rule.get("tables") or []}:
            continue
        roles = {str(r.get("name")) for r in rule.get("roles") or []}
        base = normal(rule.get("filter_type") or "") == "base"
        if (role in roles) != base:  # Regular: applies to its roles; Base: to everyone but its roles
            (
                out.append(
                    DecidedCondition(
                        key="superset:row_level_security",
                        family=ConditionFamily.DATA_PART,
                        how=f"rls.result[{i}] {rule.get('name')!r}: rows where {rule.get('clause')}",
                    )
                ),
            )
    return tuple(out)


def _owners(inst: _Instance, doc: Mapping[str, Any]) -> list[tuple[int, str]]:
    out = []
    for i, owner in enumerate(doc.get("owners") or []):
        username = owner.get("username") or inst.users.get(int(owner.get("id", -1)))
        if username:
            out.append((i, str(username)))
    return out


def _dataset_readers(inst: _Instance, doc: Mapping[str, Any]) -> dict[str, tuple[Evidence, ...]]:
    """Role name -> the permissions that let it read the dataset ``doc``."""
    wanted = data_permissions_for(doc)
    out: dict[str, tuple[Evidence, ...]] = {}
    for role, perms in inst.roles.items():
        found = [
            inst.evidence(
                f"roles[{role}].permissions[{j}]", {"permission_name": p.permission, "view_menu_name": p.view_menu}
            )
            for j, p in perms
            if p.permission in DataPermission.__members__.values()
            and p.view_menu in wanted[DataPermission(p.permission)]
        ]
        if role == ADMIN_ROLE and not found:
            found = [inst.evidence(f"roles[{role}]", {"name": role}, "the Admin role reaches everything")]
        if found:
            out[role] = tuple(found)
    return out


def _add_dataset(inst: _Instance, res: Resource, ev: Evaluation, kind: DatasetKind, title: object) -> None:
    """``res`` as a dataset of the evaluation, named by its title when it has one."""
    ev.datasets[res.id] = Dataset(
        id=res.id, kind=kind, provider=Provider.SUPERSET, name=str(title or res.name or res.id), location=inst.url
    )


def _evaluate_dataset(
    inst: _Instance, res: Resource, ev: Evaluation, glue: Mapping[str, set[str]], known: frozenset[str]
) -> None:
    doc = (res.document("dataset") or {}).get("result") or {}
    _add_dataset(inst, res, ev, DatasetKind.SUPERSET_DATASET, doc.get("table_name"))
    if not doc:
        return
    for role, evidence in _dataset_readers(inst, doc).items():
        rls = _rls_for(inst, int(doc.get("id", -1)), role)
        first = evidence[0].with_decided(rls) if rls else evidence[0]
        ev.add_grant(
            Grant(
                principal=role_principal(inst.url, role),
                dataset=res.id,
                level=AccessLevel.READ,
                evidence=(first, *evidence[1:]),
            )
        )
        if role == ADMIN_ROLE:
            ev.add_grant(
                Grant(
                    principal=role_principal(inst.url, role), dataset=res.id, level=AccessLevel.ADMIN, evidence=evidence
                )
            )
    for i, username in _owners(inst, doc):
        evidence = Evidence(
            kind=EvidenceKind.ROLE_PERMISSION,
            source=res.id,
            location=f"result.owners[{i}]",
            excerpt={"owner": username},
            note="an owner queries and edits the dataset",
        )
        for level in (AccessLevel.READ, AccessLevel.ADMIN):
            ev.add_grant(
                Grant(principal=user_principal(inst.url, username), dataset=res.id, level=level, evidence=(evidence,))
            )
    db_id = (doc.get("database") or {}).get("id")
    uri = inst.uris.get(int(db_id)) if db_id is not None else None
    for target in cloud_tables(uri, doc, glue, known) if uri and not inst.impersonates.get(int(db_id)) else []:
        evidence = Evidence(
            kind=EvidenceKind.DASHBOARD_LINEAGE,
            source=res.id,
            location="result",
            excerpt={
                "database": (doc.get("database") or {}).get("database_name"),
                "uri": uri,
                "schema": doc.get("schema"),
                "table_name": doc.get("table_name"),
                "sql": doc.get("sql"),
            },
            note="Superset queries with the connection's credentials, not the viewer's",
        )
        ev.reexposures.append(Reexposure(via=res.id, dataset=target, evidence=(evidence,)))


def _rbac_condition(on: bool) -> tuple[Condition, ...]:
    state = "on" if on else "off"
    return (
        Condition(
            expression={"DASHBOARD_RBAC": state},
            keys=("DASHBOARD_RBAC",),
            reason=f"if the DASHBOARD_RBAC feature flag is {state} (not declared to the scan)",
        ),
    )


def _evaluate_dashboard(
    inst: _Instance, res: Resource, ev: Evaluation, datasets: Mapping[int, str], charts: Mapping[int, int]
) -> None:
    doc = (res.document("dashboard") or {}).get("result") or {}
    _add_dataset(inst, res, ev, DatasetKind.SUPERSET_DASHBOARD, doc.get("dashboard_title"))
    if not doc:
        return
    source_ids = sorted(
        {
            charts[int(c["id"])]
            for c in (res.document("charts") or {}).get("result") or []
            if int(c.get("id", -1)) in charts
        }
    )
    sources = [datasets[d] for d in source_ids if d in datasets]
    published = bool(doc.get("published"))
    roles = [str(r.get("name")) for r in doc.get("roles") or [] if r.get("name")]

    def grant(principal: Principal, evidence: Evidence, conditions: tuple[Condition, ...] = ()) -> None:
        ev.add_grant(
            Grant(
                principal=principal, dataset=res.id, level=AccessLevel.READ, evidence=(evidence,), conditions=conditions
            )
        )

    # the reading with DASHBOARD_RBAC on (only when the dashboard has roles does it differ)
    rbac_possible = bool(roles) and inst.rbac is not False
    rbac_only = bool(roles) and inst.rbac is True
    if rbac_possible:
        cond = () if inst.rbac else _rbac_condition(True)
        for role in roles if published else []:
            grant(
                role_principal(inst.url, role),
                Evidence(
                    kind=EvidenceKind.DASHBOARD_PERMISSION,
                    source=res.id,
                    location="result.roles",
                    excerpt={"role": role, "published": published},
                ),
                cond,
            )
        for target in sources if published else []:
            evidence = Evidence(
                kind=EvidenceKind.DASHBOARD_LINEAGE,
                source=res.id,
                location="charts",
                excerpt={"dataset": target},
                note="with DASHBOARD_RBAC, a dashboard's viewers query its charts' datasets",
            )
            ev.reexposures.append(Reexposure(via=res.id, dataset=target, evidence=(evidence,), conditions=cond))
    if not rbac_only:
        cond = _rbac_condition(False) if roles else ()
        if not sources:  # a dashboard without datasets opens to whoever may read dashboards
            for role, perms in inst.roles.items():
                for j, p in perms:
                    if p.permission == "can_read" and p.view_menu == "Dashboard":
                        excerpt = {"permission_name": p.permission, "view_menu_name": p.view_menu}
                        note = "a dashboard without datasets opens to can read on Dashboard"
                        grant(
                            role_principal(inst.url, role),
                            inst.evidence(f"roles[{role}].permissions[{j}]", excerpt, note),
                            cond,
                        )
        for target in sources:
            for grant_ in [g for g in ev.grants if g.dataset == target and g.level is AccessLevel.READ]:
                grant(
                    grant_.principal, grant_.evidence[0].with_note(f"reads {target}, a dataset of the dashboard"), cond
                )
    for i, username in _owners(inst, doc):
        evidence = Evidence(
            kind=EvidenceKind.ROLE_PERMISSION,
            source=res.id,
            location=f"result.owners[{i}]",
            excerpt={"owner": username},
        )
        for level in (AccessLevel.READ, AccessLevel.ADMIN):
            ev.add_grant(
                Grant(principal=user_principal(inst.url, username), dataset=res.id, level=level, evidence=(evidence,))
            )
    if ADMIN_ROLE in inst.roles:
        evidence = inst.evidence(f"roles[{ADMIN_ROLE}]", {"name": ADMIN_ROLE}, "the Admin role reaches everything")
        for level in (AccessLevel.READ, AccessLevel.ADMIN):
            ev.add_grant(
                Grant(principal=role_principal(inst.url, ADMIN_ROLE), dataset=res.id, level=level, evidence=(evidence,))
            )
    embedded = (res.document("embedded") or {}).get("result")
    if embedded:
        domains = list(embedded.get("allowed_domains") or [])
        guest = guest_principal(inst.url, str(embedded.get("uuid")))
        evidence = Evidence(
            kind=EvidenceKind.ROLE_PERMISSION,
            source=res.id,
            location="embedded.result",
            excerpt={"uuid": embedded.get("uuid"), "allowed_domains": domains},
            note="allowed domains restrict the page that frames the dashboard, not who views it",
        )
        cond = (
            Condition(
                expression={"embedded": str(embedded.get("uuid")), "allowed_domains": domains},
                keys=("guest_token",),
                reason="whoever the embedding application issues guest tokens to",
            ),
        )
        for target in (res.id, *sources):
            ev.add_grant(
                Grant(principal=guest, dataset=target, level=AccessLevel.READ, evidence=(evidence,), conditions=cond)
            )


def _glue_accounts(snapshot: Snapshot) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for res in snapshot.of_type(TypeName.AWS_GLUE_CATALOG):
        if res.region and res.account:
            out.setdefault(res.region, set()).add(res.account)
    return out


def evaluate_snapshot(snapshot: Snapshot) -> Evaluation:
    ev = Evaluation()
    glue = _glue_accounts(snapshot)
    known = frozenset(r.id for t in ("gcp.bigquery.dataset", "gcp.bigquery.table") for r in snapshot.of_type(t))
    for res in snapshot.of_type(INSTANCE_TYPE):
        inst = _instance(res, ev)
        mine = [r for r in snapshot.of_type(DATASET_TYPE) if r.parent == inst.url]
        datasets: dict[int, str] = {}
        for r in mine:
            _evaluate_dataset(inst, r, ev, glue, known)
            key = ((r.document("dataset") or {}).get("result") or {}).get("id")
            datasets[int(key) if key is not None else int(r.id.rsplit("/", 1)[-1])] = r.id
        charts = {
            int(c["id"]): int(c["datasource_id"])
            for c in (res.document("charts") or {}).get("result") or []
            if c.get("datasource_id") is not None
        }
        for r in snapshot.of_type(DASHBOARD_TYPE):
            if r.parent == inst.url:
                _evaluate_dashboard(inst, r, ev, datasets, charts)
        _anonymous(inst, ev)
    return ev


def _anonymous(inst: _Instance, ev: Evaluation) -> None:
    """Anonymous visitors hold the Public role (AUTH_ROLE_PUBLIC): each of its grants is theirs too.

    Given to the public class itself, not through a membership edge: the audit folds members
    reached through a group into the group, which would hide the public class behind a role.
    """
    public_role, public = role_principal(inst.url, PUBLIC_ROLE).id, public_principal(inst.url)
    note = "anonymous visitors hold the Public role (AUTH_ROLE_PUBLIC)"
    for grant in [g for g in ev.grants if g.principal.id == public_role]:
        ev.add_grant(grant.moved_to(public, note))
