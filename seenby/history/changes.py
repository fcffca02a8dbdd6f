"""Which read documents changed between two recorded scans, and which of them lie on a path."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from seenby.findings import PathStep
from seenby.history_results import ChangeKind
from seenby.snapshot import Snapshot

__all__ = ["changed_reads", "path_resources", "read_json"]


def changed_reads(
    old: Mapping[tuple[str, str], Mapping[str, bytes]],
    new: Mapping[tuple[str, str], Mapping[str, bytes]],
) -> list[tuple[str, str, str, ChangeKind]]:
    """``(type, id, read, kind)`` for every read whose document hash differs (hashes from the store)."""
    out = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key, {}), new.get(key, {})
        for name in sorted(set(before) | set(after)):
            if name not in before:
                out.append((*key, name, ChangeKind.ADDED))
            elif name not in after:
                out.append((*key, name, ChangeKind.REMOVED))
            elif before[name] != after[name]:
                out.append((*key, name, ChangeKind.CHANGED))
    return out


def path_resources(dataset_id: str, paths: Iterable[tuple[PathStep, ...]]) -> set[str]:
    """Snapshot resource ids whose documents decide these paths.

    The dataset itself, every node and evidence source on the paths, and for IAM
    principals (``arn:aws:iam::ACCOUNT:…``) the ``aws.account`` that holds their
    authorization details; Google group members map to the group's resource id.
    """
    ids = {dataset_id}
    for path in paths:
        for step in path:
            ids.add(step.node)
            ids.update(e.source for e in step.evidence)
    for rid in list(ids):
        parts = rid.split(":")
        if rid.startswith("arn:aws") and len(parts) > 4 and parts[4]:
            ids.add(parts[4])
        if rid.startswith("group:"):
            ids.add(rid.split(":", 1)[1])
    return ids


def read_json(snapshot: Snapshot | None, resource_type: str, resource_id: str, read: str) -> dict[str, Any] | None:
    """One read of one resource as JSON (None when the scan does not have it)."""
    if snapshot is None:
        return None
    for r in snapshot.of_type(resource_type):
        if r.id == resource_id:
            found = r.reads.get(read)
            return _decoded(found.to_json()) if found is not None else None
    return None


def _decoded(value: Any) -> Any:
    """JSON documents embedded as strings (an S3 ``Policy``) decoded, so a change reads as a change of statements."""
    if isinstance(value, dict):
        return {k: _decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return _decoded(json.loads(value))
        except ValueError:
            return value
    return value
