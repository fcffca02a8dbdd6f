"""Cloud Identity group memberships from the JSON gcloud prints, for people counts without directory access.

Two gcloud outputs are accepted, each item as the Cloud Identity API returns it:

* ``gcloud identity groups memberships list --group-email=G --format=json``: a list of
  ``Membership`` (``preferredMemberKey: {"id"}``, ``type``: USER / GROUP / SERVICE_ACCOUNT,
  ``roles``), the *direct* members of G
  (https://cloud.google.com/identity/docs/reference/rest/v1/groups.memberships#Membership);
* ``gcloud identity groups memberships search-transitive-memberships --group-email=G
  --format=json``: a list of ``MemberRelation`` (``member``: ``users/…`` or ``groups/…``,
  ``preferredMemberKey: [{"id"}]``, ``relationType``: DIRECT / INDIRECT / DIRECT_AND_INDIRECT),
  every member of G, nested groups included
  (https://cloud.google.com/identity/docs/reference/rest/v1/groups.memberships/searchTransitiveMemberships).

gcloud does not repeat the group in its output, so a file says which group it lists: either a
JSON object ``{"G": [<items>…], …}`` (one entry per group), or a bare list in a file named after
the group (``ops@corp.example.json``).  Each group becomes a ``gcp.cloudidentity.group`` resource
with a ``memberships`` read (``{"memberships": [<Membership>…]}``, MemberRelations converted),
the scanner's shape, so evaluation adds one MEMBER_OF edge per member and the audit counts the
people behind a group.  A transitive member is an edge straight into G (the graph needs no
chain for it); nested groups listed in their own entry are expanded as usual.

:func:`with_directory` adds the groups to a snapshot: a group the snapshot read (``ok``) keeps
its live read; one whose read is missing, denied or failed takes the file's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from seenby.errors import InputError
from seenby.model import ReadOutcome
from seenby.registry import GcpGroupRead, TypeName
from seenby.snapshot import Read, Resource, Snapshot

__all__ = ["DirectoryError", "directory_groups", "with_directory"]

RESOURCE_TYPE = TypeName.GCP_GROUP
_LIST_API = "cloudidentity.groups.memberships.list"
_TRANSITIVE_API = "cloudidentity.groups.memberships.searchTransitiveMemberships"


class DirectoryError(InputError):
    """A group-membership file that cannot be read."""


def _email_of(item: Mapping[str, Any]) -> str | None:
    key = item.get("preferredMemberKey")
    if isinstance(key, list):  # MemberRelation: a list of entity keys
        key = next((k for k in key if isinstance(k, Mapping) and k.get("id")), None)
    email = key.get("id") if isinstance(key, Mapping) else None
    return str(email).lower() if email else None


def _membership(item: Mapping[str, Any]) -> dict[str, Any] | None:
    """A Membership or MemberRelation as a Membership (``preferredMemberKey.id``, ``type``)."""
    email = _email_of(item)
    if email is None:
        return None
    kind = item.get("type")
    if not kind:
        member = str(item.get("member") or "")
        if member.startswith("groups/"):
            kind = "GROUP"
        elif email.endswith(".gserviceaccount.com"):
            kind = "SERVICE_ACCOUNT"
        else:
            kind = "USER"
    out: dict[str, Any] = {"preferredMemberKey": {"id": email}, "type": str(kind), "roles": item.get("roles") or []}
    if item.get("relationType"):
        out["relationType"] = item["relationType"]
    return out


def _entries(path: Path, data: Any) -> list[tuple[str, list[Any]]]:
    if isinstance(data, list):
        email = path.stem if path.suffix == ".json" else path.name
        if "@" not in email:
            raise DirectoryError(
                "a bare list of memberships needs a file named after its group (GROUP_EMAIL.json), "
                "or wrap it as {\"GROUP_EMAIL\": [...]}",
                file=str(path),
            )
        return [(email, data)]
    if isinstance(data, Mapping):
        out = []
        for email, items in data.items():
            if not isinstance(items, list):
                raise DirectoryError(f"{email}: the memberships of a group are a JSON list", file=str(path))
            out.append((str(email), items))
        return out
    raise DirectoryError("expected gcloud's JSON list of memberships, or {GROUP_EMAIL: [...]}", file=str(path))


def directory_groups(paths: Iterable[str | Path]) -> list[Resource]:
    """One ``gcp.cloudidentity.group`` resource per group the files list (later files win for a group)."""
    groups: dict[str, Resource] = {}
    for path in map(Path, paths):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise DirectoryError(f"cannot read: {exc}", file=str(path)) from None
        except json.JSONDecodeError as exc:
            raise DirectoryError(f"not valid JSON: {exc.msg}", file=str(path), where=f"line {exc.lineno}") from None
        for email, items in _entries(path, data):
            email = email.lower().removeprefix("group:")
            memberships = []
            transitive = False
            for index, item in enumerate(items):
                if not isinstance(item, Mapping):
                    raise DirectoryError(f"{email}: item {index} is not a JSON object", file=str(path))
                transitive = transitive or "relationType" in item or isinstance(item.get("preferredMemberKey"), list)
                converted = _membership(item)
                if converted is not None:
                    memberships.append(converted)
            read = Read(
                outcome=ReadOutcome.OK,
                api=_TRANSITIVE_API if transitive else _LIST_API,
                document={"memberships": memberships},
            )
            groups[email] = Resource(type=RESOURCE_TYPE, id=email, name=email, reads={GcpGroupRead.MEMBERSHIPS: read})
    return list(groups.values())


def with_directory(snapshot: Snapshot, groups: Iterable[Resource]) -> Snapshot:
    """``snapshot`` with ``groups`` added: a group it read keeps its read, an unread or missing one takes the file's."""
    resources = {(r.type, r.id): r for r in snapshot.resources}
    for group in groups:
        key = (group.type, group.id)
        current = resources.get(key)
        live = current.read(GcpGroupRead.MEMBERSHIPS) if current is not None else None
        if live is not None and live.ok:
            continue
        resources[key] = group
    return replace(snapshot, resources=tuple(resources.values()))
