"""Convenience members: ``projectViewer:p`` and kin are the holders of a basic role on p.

They appear in bucket allow policies (``projectViewer:p``), bucket and object ACLs
(``project-viewers-NUM``) and BigQuery access entries (``specialGroup: projectReaders``),
and stand for whoever holds roles/viewer (editor, owner) on the project
(https://cloud.google.com/storage/docs/access-control/iam#convenience-values,
https://cloud.google.com/bigquery/docs/access-control-basic-roles).

seenby models each as a GROUP principal with a MEMBER_OF edge from every holder of the
basic role, so grants stay on one node and the graph expands membership.  Holders
inherited from folders and the organisation count too (an organisation-level Viewer is
a Viewer of the project).  A basic-role binding's condition is decided where it does not
depend on a resource (time at collection: an expired binding makes no member); otherwise the
edge is conditional.
"""

from __future__ import annotations

from datetime import datetime

from seenby.model import Edge, EdgeKind, Evaluation
from seenby.policies.gcp.conditions import decide_unplaced
from seenby.policies.gcp.hierarchy import Hierarchy
from seenby.policies.gcp.members import convenience_principal, deleted_condition, member_principal, parse_convenience

__all__ = ["add_convenience_edges"]


def add_convenience_edges(out: Evaluation, hierarchy: Hierarchy, *, at: datetime | None = None) -> None:
    """Edges into every convenience principal the evaluation refers to."""
    for principal_id in sorted(out.principals):
        parsed = parse_convenience(principal_id)
        if parsed is None:
            continue
        role, project = parsed
        target = convenience_principal(role, project)
        for member in hierarchy.inherited_bindings(project):
            if member.role != role.value:
                continue
            source = member_principal(member.member)
            if source.id == target.id:
                continue
            decision = decide_unplaced(member.condition, at=at)
            if decision is None:
                continue  # the binding's condition is false at collection time: not a holder
            note = None if member.source == f"projects/{project}" else f"inherited by projects/{project}"
            deleted = deleted_condition(source)
            out.add_edge(
                Edge(
                    source=source,
                    target=target,
                    kind=EdgeKind.MEMBER_OF,
                    evidence=(member.evidence(note).with_decided(decision.decided),),
                    conditions=decision.conditions + ((deleted,) if deleted is not None else ()),
                )
            )
