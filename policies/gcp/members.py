"""IAM member strings, GCS ACL entities and BigQuery access entries → principals.

Normalised once, here (STYLE 9).  Ids are Google's own member spellings with the email
part lower-cased (Google account and group addresses are case-insensitive):

===========================================  ===================  =========================================
input                                        principal id         kind
===========================================  ===================  =========================================
``user:A@corp.example``                      ``user:a@corp…``     USER
``group:`` / ``serviceAccount:``             same, lower-cased    GROUP / SERVICE_ACCOUNT
``domain:corp.example``                      same                 DOMAIN (a class)
``allUsers`` / ``allAuthenticatedUsers``     same                 PUBLIC / ANY_AUTHENTICATED
``deleted:user:a@x?uid=1``                   kept as written      kind of the deleted member
``projectViewer:p`` (also Editor, Owner)     same                 GROUP — holders of roles/viewer on p
``principal://…/subject/S``                  kept as written      FEDERATED
``principalSet://…/group/G``, ``…/attribute.*/V``  kept          GROUP
``principalSet://…/*``, ``…/cloudIdentityCustomerId/C``  kept    ORGANIZATION (a class: a whole pool)
``principal://goog/subject/EMAIL``           ``user:email``       USER
``principalSet://goog/group/EMAIL``          ``group:email``      GROUP
``principalSet://goog/public:all`` (deny)    ``allUsers``         PUBLIC
``principal://iam…/serviceAccounts/EMAIL``   ``serviceAccount:…`` SERVICE_ACCOUNT
===========================================  ===================  =========================================

Convenience members are groups, not classes: :mod:`.convenience` adds a MEMBER_OF
edge from every holder of the basic role on the project, so the graph expands them
(https://cloud.google.com/storage/docs/access-control/iam#convenience-values).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from functools import lru_cache
from typing import Any

from seenby.model import GCP_ALL_AUTHENTICATED, GCP_ALL_USERS, Condition, Principal, PrincipalKind, Provider

__all__ = [
    "BasicRole",
    "acl_entity_member",
    "bigquery_entry_member",
    "convenience_principal",
    "deleted_condition",
    "member_principal",
    "parse_convenience",
]


class BasicRole(StrEnum):
    """The three basic roles, and the convenience-member prefix that stands for their holders."""

    VIEWER = "roles/viewer"
    EDITOR = "roles/editor"
    OWNER = "roles/owner"

    @property
    def member_prefix(self) -> str:
        return {"roles/viewer": "projectViewer", "roles/editor": "projectEditor", "roles/owner": "projectOwner"}[
            self.value
        ]


_PREFIX_KIND = {
    "user": PrincipalKind.USER,
    "group": PrincipalKind.GROUP,
    "serviceaccount": PrincipalKind.SERVICE_ACCOUNT,
    "domain": PrincipalKind.DOMAIN,
}
_CANONICAL_PREFIX = {"user": "user", "group": "group", "serviceaccount": "serviceAccount", "domain": "domain"}
_CONVENIENCE = {b.member_prefix.lower(): b for b in BasicRole}


def parse_convenience(member: str) -> tuple[BasicRole, str] | None:
    """``projectViewer:p`` → (VIEWER, "p"); anything else → None."""
    prefix, sep, rest = member.partition(":")
    role = _CONVENIENCE.get(prefix.lower())
    return (role, rest) if sep and role is not None and rest else None


def convenience_principal(role: BasicRole, project: str) -> Principal:
    noun = {BasicRole.VIEWER: "viewers", BasicRole.EDITOR: "editors", BasicRole.OWNER: "owners"}[role]
    return Principal(
        id=f"{role.member_prefix}:{project}",
        kind=PrincipalKind.GROUP,
        provider=Provider.GCP,
        account=project,
        name=f"{noun} of project {project} (basic role {role.value})",
    )


def _federated(member: str) -> Principal:
    if member == "principalSet://goog/public:all":
        return GCP_ALL_USERS
    head, _, rest = member.partition("://")
    path = rest.split("/")
    if head == "principal" and rest.startswith("iam.googleapis.com/projects/") and "/serviceAccounts/" in rest:
        return member_principal(f"serviceAccount:{rest.rsplit('/serviceAccounts/', 1)[1]}")
    if head == "principal" and len(path) == 3 and path[:2] == ["goog", "subject"]:
        return Principal(id=f"user:{path[2].lower()}", kind=PrincipalKind.USER, provider=Provider.GCP)
    if head == "principalSet" and len(path) == 3 and path[:2] == ["goog", "group"]:
        return Principal(id=f"group:{path[2].lower()}", kind=PrincipalKind.GROUP, provider=Provider.GCP)
    if head == "principal":
        return Principal(id=member, kind=PrincipalKind.FEDERATED, provider=Provider.GCP)
    whole_pool = path[-1] == "*" or "cloudIdentityCustomerId" in path
    kind = PrincipalKind.ORGANIZATION if whole_pool else PrincipalKind.GROUP
    return Principal(id=member, kind=kind, provider=Provider.GCP)


def _service_account_project(email: str) -> str | None:
    """``etl@corp-data.iam.gserviceaccount.com`` lives in project corp-data (user-managed accounts only)."""
    local, _, host = email.partition("@")
    project, _, suffix = host.partition(".")
    return project if local and suffix == "iam.gserviceaccount.com" else None


@lru_cache(maxsize=1 << 18)
def member_principal(member: str) -> Principal:
    """One IAM member string (as in a binding's ``members``) → its principal.

    Principals are immutable and a member string is met again in every binding, membership
    and deny rule that names it: each is made once (cached).
    """
    member = member.strip()
    prefix, sep, rest = member.partition(":")
    kind = _PREFIX_KIND.get(prefix.lower())
    if kind is not None and rest:  # user:, group:, serviceAccount:, domain: (most members), as at the end below
        return _email_principal(prefix, kind, rest)
    if member == "allUsers":
        return GCP_ALL_USERS
    if member == "allAuthenticatedUsers":
        return GCP_ALL_AUTHENTICATED
    if member.startswith(("principal://", "principalSet://")):
        return _federated(member)
    convenience = parse_convenience(member)
    if convenience is not None:
        return convenience_principal(*convenience)
    if prefix == "deleted" and sep:
        inner = member_principal(rest.split("?", 1)[0])
        return Principal(id=member, kind=inner.kind, provider=Provider.GCP, name=f"deleted {inner.id}")
    # An unknown member type: keep it as written, as a group (it may stand for many).
    return Principal(id=member, kind=PrincipalKind.GROUP, provider=Provider.GCP, name=f"unrecognised member {member}")


def _email_principal(prefix: str, kind: PrincipalKind, rest: str) -> Principal:
    """``user:``/``group:``/``serviceAccount:``/``domain:`` and the address: the canonical prefix, lower-cased."""
    email = rest.lower()
    return Principal(
        id=f"{_CANONICAL_PREFIX[prefix.lower()]}:{email}",
        kind=kind,
        provider=Provider.GCP,
        account=_service_account_project(email) if kind is PrincipalKind.SERVICE_ACCOUNT else None,
    )


_DELETED_REASON = (
    "the principal was deleted: a deleted principal's binding grants nothing while it stays deleted; "
    "if it is recovered (undeleted) the binding applies to it again"
)


def deleted_condition(principal: Principal) -> Condition | None:
    """The condition a ``deleted:`` member's access is under: that the principal is recovered.

    https://cloud.google.com/iam/docs/reference/rest/v1/Policy#Binding — ``deleted:user:E?uid=N``
    (also ``deleted:group:``, ``deleted:serviceAccount:``) is a recently deleted principal; if it
    is recovered the value reverts to ``user:E`` and the principal keeps the role.  So the grant
    is neither live nor gone: conditional, never dropped.
    """
    if not principal.id.startswith("deleted:"):
        return None
    return Condition(expression=principal.id, keys=("principal recovered",), reason=_DELETED_REASON)


_ACL_TEAMS = {"viewers": BasicRole.VIEWER, "editors": BasicRole.EDITOR, "owners": BasicRole.OWNER}


def acl_entity_member(entity: str, project_ids: Mapping[str, str]) -> str:
    """A Cloud Storage ACL entity → the equivalent IAM member string.

    ``project-viewers-NUM`` becomes ``projectViewer:PROJECT_ID`` when the project number
    is known (``project_ids``: number → id), else ``projectViewer:NUM``.
    https://cloud.google.com/storage/docs/access-control/lists#scopes
    """
    if entity in ("allUsers", "allAuthenticatedUsers"):
        return entity
    for prefix, member_prefix in (("user-", "user:"), ("group-", "group:"), ("domain-", "domain:")):
        if entity.startswith(prefix):
            return member_prefix + entity[len(prefix) :]
    if entity.startswith("project-"):
        _, team, number = [*entity.split("-", 2), "", ""][:3]
        role = _ACL_TEAMS.get(team)
        if role is not None and number:
            return f"{role.member_prefix}:{project_ids.get(number, number)}"
    return entity


_SPECIAL_GROUPS = {
    "projectReaders": BasicRole.VIEWER,
    "projectWriters": BasicRole.EDITOR,
    "projectOwners": BasicRole.OWNER,
}


def bigquery_entry_member(entry: Mapping[str, Any], project: str) -> str | None:
    """The member string of a dataset access entry, or None for view/routine/dataset entries.

    https://cloud.google.com/bigquery/docs/reference/rest/v2/datasets#Dataset.FIELDS.access
    """
    if entry.get("userByEmail"):
        email = str(entry["userByEmail"])
        # Service accounts are given as userByEmail too.
        prefix = "serviceAccount" if email.lower().endswith(".gserviceaccount.com") else "user"
        return f"{prefix}:{email}"
    if entry.get("groupByEmail"):
        return f"group:{entry['groupByEmail']}"
    if entry.get("domain"):
        return f"domain:{entry['domain']}"
    if entry.get("iamMember"):
        return str(entry["iamMember"])
    special = entry.get("specialGroup")
    if special:
        if special in _SPECIAL_GROUPS:
            return f"{_SPECIAL_GROUPS[special].member_prefix}:{project}"
        if special == "allAuthenticatedUsers":
            return "allAuthenticatedUsers"
        return f"specialGroup:{special}"
    return None
