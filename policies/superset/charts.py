"""Who can see each Superset chart: whoever reads its datasource (docs/superset.md).

Superset 6.1.0's ``raise_for_access`` lets a chart's query run for whoever passes the
datasource check: ``schema_access`` or ``datasource_access`` on it, ``all_datasource_access``
or ``all_database_access`` (through ``can_access_schema``), or ownership of the datasource.
Through a dashboard two more audiences reach a chart, added with the dashboard
(:mod:`seenby.policies.superset.evaluate`): the viewers of a ``DASHBOARD_RBAC`` dashboard
with roles (a re-exposure from the dashboard) and the guests of an embedded one.  A chart's
owners edit it (admin), but see its data only with access to its datasource.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from seenby.model import AccessLevel, Dataset, DatasetKind, Evaluation, Evidence, EvidenceKind, Grant, Provider
from seenby.policies.superset.instance import Instance, object_id, role_principal, user_principal
from seenby.policies.superset.permissions import ADMIN_ROLE
from seenby.registry import SupersetInstanceRead

__all__ = ["Chart", "evaluate_charts", "load_charts"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Chart:
    key: int  # the chart's id on the server
    id: str  # superset://HOST/chart/ID
    name: str
    datasource: int | None  # the id of the dataset it queries (datasource_type "table")
    index: int  # its place in the instance's chart listing (evidence location)
    owners: tuple[str, ...]


def load_charts(inst: Instance) -> dict[int, Chart]:
    """The instance's chart listing (GET /api/v1/chart/), by chart id."""
    out: dict[int, Chart] = {}
    for i, c in enumerate((inst.res.document(SupersetInstanceRead.CHARTS) or {}).get("result") or []):
        if c.get("id") is None:
            continue
        source = c.get("datasource_id") if c.get("datasource_type") in (None, "table") else None
        owners = tuple(
            str(o.get("username") or inst.users.get(int(o.get("id", -1))) or "")
            for o in c.get("owners") or []
            if o.get("username") or int(o.get("id", -1)) in inst.users
        )
        out[int(c["id"])] = Chart(
            key=int(c["id"]),
            id=object_id(inst.url, "chart", c["id"]),
            name=str(c.get("slice_name") or f"chart {c['id']}"),
            datasource=int(source) if source is not None else None,
            index=i,
            owners=owners,
        )
    return out


def _is_guest(inst: Instance, principal_id: str) -> bool:
    return principal_id.startswith(f"superset:{inst.url}/embedded/")


def evaluate_charts(inst: Instance, ev: Evaluation, charts: Mapping[int, Chart], datasets: Mapping[int, str]) -> None:
    """Each chart a dataset of its own, read by its datasource's readers (before dashboards add theirs)."""
    readers_of: dict[str, list[Grant]] = {}  # dataset -> its read grants, indexed once (not per chart)
    for g in ev.grants:
        if g.level is AccessLevel.READ and not _is_guest(inst, g.principal.id):  # guests: their dashboard's only
            readers_of.setdefault(g.dataset, []).append(g)
    for chart in charts.values():
        ev.datasets[chart.id] = Dataset(
            id=chart.id, kind=DatasetKind.SUPERSET_CHART, provider=Provider.SUPERSET, name=chart.name, location=inst.url
        )
        source = datasets.get(chart.datasource) if chart.datasource is not None else None
        for g in readers_of.get(source, []) if source is not None else []:
            note = f"reads {source}, the chart's datasource"
            evidence = (g.evidence[0].with_note(note), *g.evidence[1:])
            ev.add_grant(
                Grant(
                    principal=g.principal,
                    dataset=chart.id,
                    level=AccessLevel.READ,
                    evidence=evidence,
                    conditions=g.conditions,
                )
            )
        if ADMIN_ROLE in inst.roles:
            evidence = inst.evidence(f"roles[{ADMIN_ROLE}]", {"name": ADMIN_ROLE}, "the Admin role reaches everything")
            for level in (AccessLevel.READ, AccessLevel.ADMIN):
                ev.add_grant(
                    Grant(
                        principal=role_principal(inst.url, ADMIN_ROLE),
                        dataset=chart.id,
                        level=level,
                        evidence=(evidence,),
                    )
                )
        for j, username in enumerate(chart.owners):
            evidence = Evidence(
                kind=EvidenceKind.ROLE_PERMISSION,
                source=inst.url,
                location=f"charts.result[{chart.index}].owners[{j}]",
                excerpt={"chart": chart.name, "owner": username},
                note="an owner edits the chart; its data needs access to the datasource",
            )
            ev.add_grant(
                Grant(
                    principal=user_principal(inst.url, username),
                    dataset=chart.id,
                    level=AccessLevel.ADMIN,
                    evidence=(evidence,),
                )
            )
