"""Convenience members resolved: ``projectViewer:p`` and kin become the holders of the basic role on p.

They appear in bucket allow policies (``projectViewer:p``, ``projectEditor:p``,
``projectOwner:p``), bucket and object ACLs (``project-viewers-NUM`` …) and BigQuery access
entries (``specialGroup: projectReaders/projectWriters/projectOwners``), and stand for whoever
holds roles/viewer (editor, owner) on the project
(https://cloud.google.com/storage/docs/access-control/iam#convenience-values,
https://cloud.google.com/storage/docs/access-control/lists#scopes,
https://cloud.google.com/bigquery/docs/access-control-basic-roles).

Each grant to a convenience member is *expanded*: one grant per holder of the matching basic
role in the project's effective allow policy (its own bindings and those inherited from its
folders and organisation), evidence the grant's own document (noting the convenience member)
and the basic-role binding that makes the holder one.  So a declaration covers a convenience
member exactly when it covers every holder, people counts follow the holders (a holder group's
members), and deny policies apply to the holders' grants like to any other.  A holder binding's
condition is decided where it does not depend on a resource (time at collection: an expired
binding holds nothing) and is otherwise carried on the holder's grant.

Each holder also gets a MEMBER_OF edge into the convenience member (``user:x → projectOwner:p``),
which carries no grant of its own: it lets a declaration that names ``projectOwner:p`` cover the
project's owners, and lets ``what-can-read projectOwner:p`` list what they reach.

Fail closed: when the holders cannot be known — the project is not in the snapshot (or its
number is not tied to an id), its allow policy is missing or could not be read, or an
ancestor's could not be read (an ancestor without the read binds nothing, as for organisation
policies) — the grant
stays on the convenience member, turned into a broad class ("anyone holding roles/viewer on p",
kind ORGANIZATION), and the unread policy is a coverage gap of every dataset it reaches.
Grants stay linear in the input: a project has few basic-role holders.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from seenby.model import (
    Condition,
    CoverageGap,
    Edge,
    EdgeKind,
    Evaluation,
    Evidence,
    Grant,
    Principal,
    PrincipalKind,
    ReadOutcome,
)
from seenby.policies.gcp.access_levels import narrowed
from seenby.policies.gcp.bindings import BindingMember
from seenby.policies.gcp.cel import ACCESS_LEVELS, CelMemo
from seenby.policies.gcp.conditions import LevelDecision, decide_unplaced
from seenby.policies.gcp.hierarchy import Hierarchy, project_node_id
from seenby.policies.gcp.members import (
    BasicRole,
    convenience_principal,
    deleted_condition,
    member_principal,
    parse_convenience,
)
from seenby.registry import GcpNodeRead, TypeName

__all__ = ["Missing", "add_holder_edges", "expand_convenience_grants"]

_NOT_IN_SNAPSHOT = "NotInSnapshot"


class Missing(StrEnum):
    """What an allow policy the snapshot does not hold at all is (an unread one is always a gap)."""

    GAP = "gap"  # a scan or export: it should be there, so its absence is a coverage gap
    OUTSIDE_THE_PLAN = "outside-the-plan"  # a Terraform plan: what it does not change is not seen, not a gap


@dataclass(frozen=True, kw_only=True, slots=True)
class _Unknown:
    """Why the holders of a project's basic roles cannot be known, and the allow policy that is missing."""

    why: str
    resource: str  # the project or ancestor whose allow policy is missing or unread
    gap: CoverageGap | None  # a gap to report when the snapshot records none (a missing read)


def _unknown_holders(hierarchy: Hierarchy, project: str) -> _Unknown | None:
    """Why the holders of a basic role on ``project`` cannot be known, or None when they can."""
    node_id = project_node_id(project)
    if node_id not in hierarchy.nodes:
        why = f"project {project} is not in the snapshot"
        message = f"{why}: the holders of its basic roles (projectViewer:, project-viewers-N …) are unknown"
        gap = CoverageGap(
            resource=node_id,
            resource_type=TypeName.GCP_PROJECT,
            read=GcpNodeRead.IAM_POLICY,
            api="projects.getIamPolicy",
            outcome=ReadOutcome.ERROR,
            error_code=_NOT_IN_SNAPSHOT,
            message=message,
            account=project,
        )
        return _Unknown(why=why, resource=node_id, gap=gap)
    for node in hierarchy.chain(project):
        read = node.resource.read(GcpNodeRead.IAM_POLICY)
        if read is None and node.id != node_id:
            continue  # an ancestor without the read is taken to bind nothing, as for its organisation policies
        if read is None:
            why = f"the allow policy of {node.id} is not in the snapshot"
            gap = CoverageGap(
                resource=node.id,
                resource_type=node.resource.type,
                read=GcpNodeRead.IAM_POLICY,
                api="getIamPolicy",
                outcome=ReadOutcome.ERROR,
                error_code=_NOT_IN_SNAPSHOT,
                message=f"{why}: basic-role holders unknown",
                account=node.resource.account,
            )
            return _Unknown(why=why, resource=node.id, gap=gap)
        if read.outcome.is_gap:
            why = f"the allow policy of {node.id} could not be read ({read.outcome.value})"
            return _Unknown(why=why, resource=node.id, gap=None)
    return None


def _broad(principal: Principal, role: BasicRole, project: str, why: str) -> Principal:
    """The convenience member as an unknown broad audience (its holders could not be read)."""
    return Principal(
        id=principal.id,
        kind=PrincipalKind.ORGANIZATION,
        provider=principal.provider,
        account=project,
        name=f"anyone holding {role.value} on project {project} (unknown: {why})",
    )


def _holders(hierarchy: Hierarchy, role: BasicRole, project: str) -> list[BindingMember]:
    return [m for m in hierarchy.inherited_bindings(project) if m.role == role.value]


def _outer_levels(grant: Grant) -> tuple[str, ...]:
    """The access levels the grant to the convenience member is open from (its binding's condition), if any."""
    return next((d.values for d in grant.evidence[0].decided if d.key == ACCESS_LEVELS and d.values), ())


@dataclass(frozen=True, kw_only=True, slots=True)
class _Holding:
    """What one basic-role binding makes its member, for one convenience member: the same for every grant to it."""

    principal: Principal
    decision: LevelDecision
    binding: Evidence  # the holder's binding, noting whose holder it makes the member
    deleted: Condition | None


class _Holdings:
    """The holders of each project's basic roles, decided once per evaluation rather than once per grant.

    A convenience member is granted on every bucket and dataset of its project: whether its holders can be
    known, who they are, and what each holder's binding decides depend on the project and the binding only.
    """

    def __init__(self, hierarchy: Hierarchy, at: datetime | None, cel: CelMemo | None) -> None:
        self.hierarchy = hierarchy
        self.at = at
        self.cel = CelMemo() if cel is None else cel
        self._unknown: dict[str, _Unknown | None] = {}
        self._holders: dict[tuple[BasicRole, str], list[BindingMember]] = {}
        self._holdings: dict[tuple[BindingMember, str], list[_Holding]] = {}

    def unknown(self, project: str) -> _Unknown | None:
        if project not in self._unknown:
            self._unknown[project] = _unknown_holders(self.hierarchy, project)
        return self._unknown[project]

    def holders(self, role: BasicRole, project: str) -> list[BindingMember]:
        found = self._holders.get((role, project))
        if found is None:
            found = self._holders[role, project] = _holders(self.hierarchy, role, project)
        return found

    def holdings(self, holder: BindingMember, convenience: str) -> list[_Holding]:
        """One per set of callers ``holder``'s binding opens to (none: false at collection time for every caller)."""
        key = (holder, convenience)
        found = self._holdings.get(key)
        if found is None:
            found = self._holdings[key] = _holdings(holder, convenience, self.at, self.cel)
        return found


def _holdings(holder: BindingMember, convenience: str, at: datetime | None, cel: CelMemo) -> list[_Holding]:
    principal = member_principal(holder.member)
    if parse_convenience(principal.id) is not None:
        return []  # a convenience member bound to a basic role adds no holder of its own
    return [
        _Holding(
            principal=principal,
            decision=decision,
            binding=holder.evidence(f"makes {principal.id} one of {convenience}").with_decided(decision.decided),
            deleted=deleted_condition(principal),
        )
        for decision in decide_unplaced(holder.condition, at=at, memo=cel)
    ]


def _holder_grants(grant: Grant, holdings: list[_Holding]) -> list[Grant]:
    """The grant held by one holder of the basic role: one per set of callers the holder's binding opens to.

    A caller reaches the data only when both conditions let it in: the binding to the convenience member and
    the holder's basic-role binding.  Each names the access levels its callers must call from
    (https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels), so the holder is narrowed
    to callers meeting both sets (:func:`.access_levels.narrowed`), as a binding to the holder itself would be.
    """
    out = []
    for holding in holdings:
        principal, decision, binding, deleted = holding.principal, holding.decision, holding.binding, holding.deleted
        note = f"{grant.principal.id} stands for the holders of the basic role; {principal.id} holds it"
        conditions = (*grant.conditions, *decision.conditions, *((deleted,) if deleted is not None else ()))
        levels = tuple(dict.fromkeys((*_outer_levels(grant), *decision.access_levels)))
        shown, first = narrowed(principal, levels, grant.evidence[0].with_note(note))
        out.append(
            Grant(
                principal=shown,
                dataset=grant.dataset,
                level=grant.level,
                evidence=(first, *grant.evidence[1:], binding),
                conditions=tuple(dict.fromkeys(conditions)),
            )
        )
    return out


def expand_convenience_grants(
    out: Evaluation,
    hierarchy: Hierarchy,
    *,
    at: datetime | None = None,
    missing: Missing = Missing.GAP,
    cel: CelMemo | None = None,
) -> None:
    """Replace every grant to a convenience member by grants to the basic role's holders (or a broad class).

    ``cel``: the evaluation's memo of decided conditions (None: one for this call)."""
    kept: list[Grant] = []
    gaps: dict[str, CoverageGap] = {}
    reached: dict[str, set[str]] = defaultdict(set)  # gap resource → datasets it reaches through a member
    known = _Holdings(hierarchy, at, cel)
    parsed_ids: dict[str, tuple[BasicRole, str] | None] = {}  # a principal is granted many datasets: parsed once
    for grant in out.grants:
        pid = grant.principal.id
        parsed = parsed_ids[pid] if pid in parsed_ids else parsed_ids.setdefault(pid, parse_convenience(pid))
        if parsed is None:
            kept.append(grant)
            continue
        role, project = parsed
        unknown = known.unknown(project)
        if unknown is not None:
            note = (
                f"the holders of {role.value} on project {project} are unknown ({unknown.why}): "
                "an unknown broad audience"
            )
            kept.append(grant.moved_to(_broad(grant.principal, role, project, unknown.why), note))
            if unknown.gap is None or missing is Missing.GAP:
                reached[unknown.resource].add(grant.dataset)
            if unknown.gap is not None and missing is Missing.GAP:
                gaps.setdefault(unknown.resource, unknown.gap)
            continue
        for holder in known.holders(role, project):
            kept.extend(_holder_grants(grant, known.holdings(holder, grant.principal.id)))
    out.grants[:] = kept
    _refresh_principals(out, kept)
    _record_gaps(out, hierarchy, gaps, reached)


def _refresh_principals(out: Evaluation, grants: Iterable[Grant]) -> None:
    """Principals as the grants now name them: convenience members replaced by holders or broad classes."""
    for grant in grants:
        current = out.principals.get(grant.principal.id)
        if current is None or current.kind is not grant.principal.kind:
            out.principals[grant.principal.id] = grant.principal
    referenced = {g.principal.id for g in grants} | {e.source.id for e in out.edges} | {e.target.id for e in out.edges}
    for pid in [p for p in out.principals if parse_convenience(p) is not None and p not in referenced]:
        del out.principals[pid]


def _record_gaps(
    out: Evaluation, hierarchy: Hierarchy, gaps: dict[str, CoverageGap], reached: dict[str, set[str]]
) -> None:
    """One coverage gap per unread allow policy, listing every dataset a convenience member reaches through it."""
    for resource, datasets in reached.items():
        gap = gaps.get(resource)
        if gap is None:  # a denied or failed read of the snapshot: widen the generic gap to these datasets
            node = hierarchy.nodes.get(resource)
            read = node.resource.read(GcpNodeRead.IAM_POLICY) if node is not None else None
            if node is None or read is None or not read.outcome.is_gap:
                continue
            account = node.resource.account
            own = {d.id for d in out.datasets.values() if not account or d.account == account}
            gap = CoverageGap(
                resource=resource,
                resource_type=node.resource.type,
                read=GcpNodeRead.IAM_POLICY,
                api=read.api,
                outcome=read.outcome,
                error_code=read.error_code,
                message=read.message,
                account=node.resource.account,
                datasets=tuple(sorted(own | datasets)),
            )
        else:
            gap = replace(gap, datasets=tuple(sorted(set(gap.datasets) | datasets)))
        out.gaps.append(gap)



def add_holder_edges(
    out: Evaluation, hierarchy: Hierarchy, *, at: datetime | None = None, cel: CelMemo | None = None
) -> None:
    """A MEMBER_OF edge from each basic-role holder of each project into its convenience member."""
    cel = CelMemo() if cel is None else cel
    for node in hierarchy.nodes.values():
        if node.resource.type != TypeName.GCP_PROJECT or _unknown_holders(hierarchy, node.id) is not None:
            continue
        project = node.id.removeprefix("projects/")
        for role in BasicRole:
            target = convenience_principal(role, project)
            for holder in _holders(hierarchy, role, project):
                member = member_principal(holder.member)
                if member.id == target.id or parse_convenience(member.id) is not None:
                    continue
                for decision in decide_unplaced(holder.condition, at=at, memo=cel):  # none: false for every caller
                    note = None if holder.source == node.id else f"inherited by {node.id}"
                    source, evidence = narrowed(member, decision.access_levels, holder.evidence(note))
                    deleted = deleted_condition(member)
                    out.add_principal(target)
                    out.add_edge(
                        Edge(
                            source=source,
                            target=target,
                            kind=EdgeKind.MEMBER_OF,
                            evidence=(evidence.with_decided(decision.decided),),
                            conditions=decision.conditions + ((deleted,) if deleted is not None else ()),
                        )
                    )
