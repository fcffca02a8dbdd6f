"""Cloud Identity groups: the direct members of every group the scanned policies name.

``groups.lookup`` (``groupKey.id`` = the email) finds the group's resource name;
``groups.memberships.list`` (``view=FULL``, every page) lists its members
(https://cloud.google.com/identity/docs/reference/rest/v1/groups.memberships/list).  The
read recorded is ``memberships`` on ``gcp.cloudidentity.group``: a lookup that fails is
recorded with the lookup's outcome; a group the directory does not hold (404 on lookup,
a group of another organisation) is ``absent``.  Nested groups are read in turn.

Cloud Identity is governed by Workspace admin roles (Groups Reader), not IAM
permissions, so these operations declare none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from seenby.registry import GcpGroupRead, TypeName
from seenby.scanners.gcp.calls import Caller, rest_read
from seenby.scanners.gcp.operation import HttpMethod, Operation
from seenby.scanners.reads import compose, require
from seenby.snapshot import Resource

__all__ = ["OPERATIONS", "group_emails", "nested_groups", "read_group"]

RESOURCE_TYPE = TypeName.GCP_GROUP
_CI = "https://cloudidentity.googleapis.com/v1"

LOOKUP_GROUP = Operation(
    api="cloudidentity.groups.lookup",
    method=HttpMethod.GET,
    url=f"{_CI}/groups:lookup",
    absent_when_not_found=True,
)
LIST_MEMBERSHIPS = Operation(
    api="cloudidentity.groups.memberships.list",
    method=HttpMethod.GET,
    url=f"{_CI}/{{group}}/memberships",
    pages="memberships",
)
OPERATIONS = (LOOKUP_GROUP, LIST_MEMBERSHIPS)

_GROUP_MEMBER = re.compile(r"^(?:deleted:)?group:([^?\s]+)", re.IGNORECASE)
_GROUP_SET = re.compile(r"^principalSet://goog/group/([^?\s]+)$")


def read_group(caller: Caller, email: str) -> Resource:
    lookup = rest_read(caller, LOOKUP_GROUP, params={"groupKey.id": email})

    def build() -> Any:
        name = str(require(lookup).get("name") or "")
        return require(rest_read(caller, LIST_MEMBERSHIPS, group=name, params={"view": "FULL"}))

    memberships = compose(LIST_MEMBERSHIPS.api, build) if lookup.ok else lookup
    return Resource(type=RESOURCE_TYPE, id=email, name=email, reads={GcpGroupRead.MEMBERSHIPS: memberships})


def _from_member(member: str) -> str | None:
    match = _GROUP_MEMBER.match(member) or _GROUP_SET.match(member)
    return match.group(1).lower() if match else None


def _groups_in(document: Any) -> Iterator[str]:
    """Groups a document names: member strings (``group:``, ``principalSet://goog/group/``),
    BigQuery ``groupByEmail`` and Cloud Storage ACL ``group-`` entities."""
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            email = _from_member(item)
            if email:
                yield email
        elif isinstance(item, Mapping):
            if item.get("groupByEmail"):
                yield str(item["groupByEmail"]).lower()
            entity = item.get("entity")
            if isinstance(entity, str) and entity.startswith("group-"):
                yield entity.removeprefix("group-").lower()
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def group_emails(resources: Iterable[Resource]) -> set[str]:
    """Every group an allow policy, access entry, ACL or deny policy of ``resources`` names."""
    return {email for r in resources for read in r.reads.values() if read.ok for email in _groups_in(read.document)}


def nested_groups(group: Resource) -> list[str]:
    """Groups that are direct members of ``group``."""
    doc = group.document(GcpGroupRead.MEMBERSHIPS) or {}
    out = []
    for membership in doc.get("memberships") or []:
        key = (membership.get("preferredMemberKey") or {}).get("id")
        if membership.get("type") == "GROUP" and key:
            out.append(str(key).lower())
    return out
