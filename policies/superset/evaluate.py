"""Who can see each Superset dataset, chart and dashboard (docs/superset.md), and what they re-expose.

* Users are members of their roles (inactive users of none); anonymous visitors
  (``superset:URL/public``) hold every grant of the ``Public`` role.
* A dataset is read by roles holding ``all_datasource_access``, ``all_database_access``,
  ``database_access`` on its database, ``catalog_access``/``schema_access`` on its schema, or
  ``datasource_access`` on it; by the ``Admin`` role; by its owners.  Row-level security
  filters that apply to a role narrow the rows it reads: the grant is kept, with the filter
  as a decided DATA_PART condition (a partial grant, reported at full severity).
* A chart is seen by whoever reads its datasource (:mod:`seenby.policies.superset.charts`).
* A dashboard with roles, when ``DASHBOARD_RBAC`` is on, is seen (published only) by those
  roles, and its viewers (owners and Admin included, draft or not) query its charts and their
  datasets through it (a re-exposure).  Otherwise it is seen by whoever can read one of its
  datasets (published or draft: Superset does not check ``published`` on this path), and a
  dashboard without datasets by every role with ``can read`` on ``Dashboard``.  Owners and
  ``Admin`` see it always.  An unknown ``DASHBOARD_RBAC`` keeps both readings, each
  conditional on the flag.
* An embedded dashboard is seen by the guests of whatever application embeds it: a
  conditional public grant (allowed domains restrict the framing page, not the viewer), on
  the dashboard, its charts and their datasets.
* A dataset over a BigQuery or Athena connection re-exposes the cloud table it reads
  (:mod:`seenby.policies.superset.lineage`), unless the connection impersonates the viewer
  (``impersonate_user``: the warehouse then checks the viewer's own access).  SQL Lab
  (:mod:`seenby.policies.superset.sqllab`) re-exposes everything a connection reaches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from seenby.model import (
    AccessLevel,
    Condition,
    ConditionFamily,
    Dataset,
    DatasetKind,
    DecidedCondition,
    Evaluation,
    Evidence,
    EvidenceKind,
    Grant,
    Principal,
    Provider,
    Reexposure,
)
from seenby.policies.superset.charts import Chart, evaluate_charts, load_charts
from seenby.policies.superset.instance import (
    Instance,
    guest_principal,
    load_instance,
    public_principal,
    role_principal,
    user_principal,
)
from seenby.policies.superset.lineage import cloud_tables
from seenby.policies.superset.permissions import ADMIN_ROLE, PUBLIC_ROLE, DataPermission, data_permissions_for, normal
from seenby.policies.superset.sqllab import cloud_known, evaluate_connections, glue_accounts
from seenby.registry import SupersetDashboardRead, SupersetDatasetRead, TypeName
from seenby.snapshot import Resource, Snapshot

__all__ = ["dataset_readers", "evaluate_snapshot", "guest_principal", "role_principal", "user_principal"]

INSTANCE_TYPE = TypeName.SUPERSET_INSTANCE
DATASET_TYPE = TypeName.SUPERSET_DATASET
DASHBOARD_TYPE = TypeName.SUPERSET_DASHBOARD


def _rls_for(inst: Instance, dataset_id: int, role: str) -> tuple[DecidedCondition, ...]:
    """The row-level security filters that narrow what ``role`` reads of a dataset."""
    out = []
    for i, rule in inst.rls:
        if dataset_id not in {int(t.get("id", -1)) for t in rule.get("tables") or []}:
            continue
        roles = {str(r.get("name")) for r in rule.get("roles") or []}
        base = normal(rule.get("filter_type") or "") == "base"
        if (role in roles) != base:  # Regular: applies to its roles; Base: to everyone but its roles
            out.append(
                DecidedCondition(
                    key="superset:row_level_security",
                    family=ConditionFamily.DATA_PART,
                    how=f"rls.result[{i}] {rule.get('name')!r}: rows where {rule.get('clause')}",
                )
            )
    return tuple(out)


def _owners(inst: Instance, doc: Mapping[str, Any]) -> list[tuple[int, str]]:
    out = []
    for i, owner in enumerate(doc.get("owners") or []):
        username = owner.get("username") or inst.users.get(int(owner.get("id", -1)))
        if username:
            out.append((i, str(username)))
    return out


def dataset_readers(inst: Instance, doc: Mapping[str, Any]) -> dict[str, tuple[Evidence, ...]]:
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


def _add_dataset(inst: Instance, res: Resource, ev: Evaluation, kind: DatasetKind, title: object) -> None:
    """``res`` as a dataset of the evaluation, named by its title when it has one."""
    ev.datasets[res.id] = Dataset(
        id=res.id, kind=kind, provider=Provider.SUPERSET, name=str(title or res.name or res.id), location=inst.url
    )


def _evaluate_dataset(
    inst: Instance, res: Resource, ev: Evaluation, glue: Mapping[str, set[str]], known: frozenset[str]
) -> tuple[int | None, list[str]]:
    """Grants on the dataset; returns its connection's id and the cloud tables it re-exposes."""
    doc = (res.document(SupersetDatasetRead.DATASET) or {}).get("result") or {}
    _add_dataset(inst, res, ev, DatasetKind.SUPERSET_DATASET, doc.get("table_name"))
    if not doc:
        return None, []
    for role, evidence in dataset_readers(inst, doc).items():
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
    if not uri or inst.impersonates.get(int(db_id)):
        return (int(db_id) if db_id is not None else None), []
    targets = cloud_tables(uri, doc, glue, known)
    for target in targets:
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
    return int(db_id), targets


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
    inst: Instance,
    res: Resource,
    ev: Evaluation,
    datasets: Mapping[int, str],
    charts: Mapping[int, Chart],
    readers_of: Mapping[str, Sequence[Grant]],
) -> None:
    doc = (res.document(SupersetDashboardRead.DASHBOARD) or {}).get("result") or {}
    _add_dataset(inst, res, ev, DatasetKind.SUPERSET_DASHBOARD, doc.get("dashboard_title"))
    if not doc:
        return
    mine = [
        charts[int(c["id"])]
        for c in (res.document(SupersetDashboardRead.CHARTS) or {}).get("result") or []
        if int(c.get("id", -1)) in charts
    ]
    sources = [datasets[d] for d in sorted({c.datasource for c in mine if c.datasource is not None}) if d in datasets]
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
        # raise_for_access: with DASHBOARD_RBAC and roles on the dashboard, whoever may open it (its roles when
        # published; owners and Admin always) queries its charts' datasets through it
        for target in [*sources, *(c.id for c in mine)]:
            evidence = Evidence(
                kind=EvidenceKind.DASHBOARD_LINEAGE,
                source=res.id,
                location="charts",
                excerpt={"dataset": target, "charts": [c.name for c in mine]},
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
            for grant_ in readers_of.get(target, ()):
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
    embedded = (res.document(SupersetDashboardRead.EMBEDDED) or {}).get("result")
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
        for target in (res.id, *(c.id for c in mine), *sources):
            ev.add_grant(
                Grant(principal=guest, dataset=target, level=AccessLevel.READ, evidence=(evidence,), conditions=cond)
            )


def evaluate_snapshot(snapshot: Snapshot) -> Evaluation:
    ev = Evaluation()
    glue = glue_accounts(snapshot)
    known = cloud_known(snapshot)
    for res in snapshot.of_type(INSTANCE_TYPE):
        inst = load_instance(res, ev)
        datasets: dict[int, str] = {}
        reads: dict[int, list[tuple[str, list[str]]]] = {}  # database id -> (Superset dataset, cloud tables)
        for r in snapshot.of_type(DATASET_TYPE):
            if r.parent != inst.url:
                continue
            db_id, targets = _evaluate_dataset(inst, r, ev, glue, known)
            if db_id is not None:
                reads.setdefault(db_id, []).append((r.id, targets))
            key = ((r.document(SupersetDatasetRead.DATASET) or {}).get("result") or {}).get("id")
            datasets[int(key) if key is not None else int(r.id.rsplit("/", 1)[-1])] = r.id
        charts = load_charts(inst)
        evaluate_charts(inst, ev, charts, datasets)
        # each dataset's readers before any dashboard's grants (an embedding's guests see their dashboard only)
        readers_of: dict[str, list[Grant]] = {}
        for g in ev.grants:
            if g.level is AccessLevel.READ:
                readers_of.setdefault(g.dataset, []).append(g)
        for r in snapshot.of_type(DASHBOARD_TYPE):
            if r.parent == inst.url:
                _evaluate_dashboard(inst, r, ev, datasets, charts, readers_of)
        evaluate_connections(inst, ev, known, reads)
        _anonymous(inst, ev)
    return ev


def _anonymous(inst: Instance, ev: Evaluation) -> None:
    """Anonymous visitors hold the Public role (AUTH_ROLE_PUBLIC): each of its grants is theirs too.

    Given to the public class itself, not through a membership edge: the audit folds members
    reached through a group into the group, which would hide the public class behind a role.
    """
    public_role, public = role_principal(inst.url, PUBLIC_ROLE).id, public_principal(inst.url)
    note = "anonymous visitors hold the Public role (AUTH_ROLE_PUBLIC)"
    for grant in [g for g in ev.grants if g.principal.id == public_role]:
        ev.add_grant(grant.moved_to(public, note))
