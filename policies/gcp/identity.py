"""Cloud Identity groups and Workspace domains: who is in a group, how many people a domain holds.

* Each membership of a group is a direct MEMBER_OF edge from the member to the group;
  nested groups are expanded by the graph
  (https://cloud.google.com/identity/docs/reference/rest/v1/groups.memberships).
* A ``gcp.directory.domain`` users read counts the people behind ``domain:<d>``
  (https://developers.google.com/admin-sdk/directory/reference/rest/v1/users/list).
"""

from __future__ import annotations

from collections.abc import Mapping

from seenby.model import Edge, EdgeKind, Evaluation, Evidence, EvidenceKind
from seenby.policies.gcp.members import member_principal
from seenby.registry import GcpDomainRead, GcpGroupRead, TypeName
from seenby.snapshot import Snapshot

__all__ = ["evaluate_domains", "evaluate_groups"]

_MEMBER_PREFIX = {"USER": "user", "GROUP": "group", "SERVICE_ACCOUNT": "serviceAccount"}


def _member_string(membership: Mapping[str, object]) -> str | None:
    key = membership.get("preferredMemberKey")
    email = key.get("id") if isinstance(key, Mapping) else None
    if not email:
        return None
    email = str(email)
    kind = str(membership.get("type") or "")
    prefix = _MEMBER_PREFIX.get(kind)
    if prefix is None:
        prefix = "serviceAccount" if email.lower().endswith(".gserviceaccount.com") else "user"
    return f"{prefix}:{email}"


def evaluate_groups(snapshot: Snapshot, out: Evaluation) -> None:
    for resource in snapshot.of_type(TypeName.GCP_GROUP):
        group = member_principal(f"group:{resource.id.removeprefix('group:')}")
        out.add_principal(group)
        document = resource.document(GcpGroupRead.MEMBERSHIPS)
        if not isinstance(document, Mapping):
            continue  # unread: a coverage gap, reported generically
        for index, membership in enumerate(document.get("memberships") or ()):
            if not isinstance(membership, Mapping):
                continue
            member = _member_string(membership)
            if member is None:
                continue
            source = member_principal(member)
            if source.id == group.id:
                continue
            evidence = Evidence(
                kind=EvidenceKind.GROUP_MEMBERSHIP,
                source=group.id,
                location=f"memberships[{index}]",
                excerpt=membership,
            )
            out.add_edge(Edge(source=source, target=group, kind=EdgeKind.MEMBER_OF, evidence=(evidence,)))


def evaluate_domains(snapshot: Snapshot, out: Evaluation) -> None:
    for resource in snapshot.of_type(TypeName.GCP_DOMAIN):
        document = resource.document(GcpDomainRead.USERS)
        if not isinstance(document, Mapping):
            continue
        users = [u for u in document.get("users") or () if isinstance(u, Mapping)]
        domain = resource.id.removeprefix("domain:").lower()
        emails = {str(u.get("primaryEmail", "")).lower() for u in users if u.get("primaryEmail")}
        if len(emails) == len(users):
            out.set_class_members(f"domain:{domain}", (f"user:{e}" for e in emails))
        else:  # some entries carry no address: the count is all we know
            out.class_people[f"domain:{domain}"] = len(users)
