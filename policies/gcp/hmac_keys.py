"""Cloud Storage HMAC keys: long-lived credentials of a service account, as extra paths to it.

An HMAC key authenticates Cloud Storage requests (XML API, S3-compatible tools) *as its
service account*: whoever holds the secret has that account's access, for as long as the
key is ACTIVE; INACTIVE and DELETED keys authenticate nothing
(https://cloud.google.com/storage/docs/authentication/hmackeys).  Each ACTIVE key of a
project's ``hmac_keys`` read (``projects.hmacKeys.list`` items) becomes a principal
``hmac:ACCESS_ID`` (kind SERVICE_ACCOUNT, named "HMAC key X (service account Y)") with a
CAN_IMPERSONATE edge into ``serviceAccount:Y``, the key entry as evidence; the graph then
shows the key on every path the account opens.  A key in a state other than ACTIVE,
INACTIVE or DELETED is kept, its edge conditional (fail closed).  An unread list is a
coverage gap of the project (collected generically), never "no keys".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from seenby.model import (
    Condition,
    Edge,
    EdgeKind,
    Evaluation,
    Evidence,
    EvidenceKind,
    Principal,
    PrincipalKind,
    Provider,
)
from seenby.policies.gcp.members import member_principal
from seenby.registry import GcpNodeRead, TypeName
from seenby.snapshot import Snapshot

__all__ = ["HMAC_KEYS_READ", "add_hmac_edges", "hmac_principal"]

HMAC_KEYS_READ = GcpNodeRead.HMAC_KEYS
_INERT = frozenset({"INACTIVE", "DELETED"})


def hmac_principal(access_id: str, service_account: str, project: str | None) -> Principal:
    return Principal(
        id=f"hmac:{access_id}",
        kind=PrincipalKind.SERVICE_ACCOUNT,
        provider=Provider.GCP,
        account=project,
        name=f"HMAC key {access_id} (service account {service_account})",
    )


def _edge(project: str, index: int, key: Mapping[str, Any]) -> Edge | None:
    access_id = str(key.get("accessId") or "")
    email = str(key.get("serviceAccountEmail") or "")
    state = str(key.get("state") or "").upper()
    if not access_id or not email or state in _INERT:
        return None
    conditions: tuple[Condition, ...] = ()
    if state != "ACTIVE":
        conditions = (
            Condition(
                expression=f"state {key.get('state')!r}",
                keys=("state",),
                reason=f"HMAC key {access_id} has state {key.get('state')!r}, neither ACTIVE nor INACTIVE/DELETED",
            ),
        )
    evidence = Evidence(
        kind=EvidenceKind.HMAC_KEY,
        source=f"projects/{project}",
        location=f"{HMAC_KEYS_READ}.items[{index}]",
        excerpt=key,
        note=f"HMAC key {access_id} authenticates as {email}",
    )
    return Edge(
        source=hmac_principal(access_id, email, str(key.get("projectId") or project)),
        target=member_principal(f"serviceAccount:{email}"),
        kind=EdgeKind.CAN_IMPERSONATE,
        evidence=(evidence,),
        conditions=conditions,
    )


def add_hmac_edges(snapshot: Snapshot, out: Evaluation) -> None:
    """An edge from every usable HMAC key of the snapshot's projects into its service account."""
    for project in snapshot.of_type(TypeName.GCP_PROJECT):
        document = project.document(HMAC_KEYS_READ)
        items = document.get("items") if isinstance(document, Mapping) else None
        for index, key in enumerate(items or ()):
            edge = _edge(project.id.removeprefix("projects/"), index, key) if isinstance(key, Mapping) else None
            if edge is not None:
                out.add_edge(edge)
