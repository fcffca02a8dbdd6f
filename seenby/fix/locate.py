"""Where a piece of evidence is in the snapshot: which resource, which read, which part of its document.

Evidence quotes its piece "exactly as written" (:attr:`seenby.model.Evidence.excerpt`) and
names the resource it belongs to and where in the document it is (``Statement[0]``,
``telemetry-debugging:Statement[0]``, ``Grants[1]``).  The locator looks for that very
value in the stored documents, descending into policies stored as JSON strings
(``{"Policy": "{…}"}``), and prefers the places whose path ends as the evidence's location
says.  It reads only the snapshot and the evidence, never the evaluator.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from seenby.model import Evidence, thaw_json
from seenby.snapshot import Resource, Snapshot

__all__ = ["Located", "locate"]

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True, kw_only=True, slots=True)
class Located:
    """One place of an evidence's excerpt: ``path`` in the document of ``read`` (inside the JSON string
    at ``embedded`` when the document stores a policy as a string)."""

    resource: Resource
    read: str
    embedded: tuple[str, ...] | None
    path: tuple[str | int, ...]


def _location_steps(location: str) -> tuple[str, ...]:
    """``telemetry-debugging:Statement[0]`` -> ("Statement", "0"); ``A.B[1].C`` -> ("A", "B", "1", "C")."""
    tail = location.rsplit(":", 1)[-1] if ":" in location and "[" in location.rsplit(":", 1)[-1] else location
    return tuple(m.group(1) or m.group(2) for m in _STEP.finditer(tail))


def _embedded_policy(value: str) -> Any:
    if not value.lstrip().startswith("{"):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _walk(
    node: Any, path: tuple[str | int, ...], embedded: tuple[str, ...] | None
) -> Iterator[tuple[tuple[str, ...] | None, tuple[str | int, ...], Any]]:
    yield embedded, path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, key), embedded)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, (*path, i), embedded)
    elif isinstance(node, str) and embedded is None:
        parsed = _embedded_policy(node)
        if isinstance(parsed, dict):
            yield from _walk(parsed, (), tuple(str(p) for p in path))


def _same(value: Any, excerpt: Any) -> bool:
    """``value`` is the excerpt; a Google IAM binding is quoted one member at a time
    (``{"role": …, "member": …}``) and matches the binding that lists that member."""
    if value == excerpt:
        return True
    if isinstance(excerpt, dict) and "member" in excerpt and isinstance(value, dict):
        members = value.get("members")
        return (
            value.get("role") == excerpt.get("role")
            and isinstance(members, list)
            and excerpt["member"] in members
            and value.get("condition") == excerpt.get("condition")
        )
    return False


def _matches(resource: Resource, excerpt: Any) -> Iterator[Located]:
    for name, read in resource.reads.items():
        if not read.ok or read.document is None:
            continue
        for embedded, path, value in _walk(read.document, (), None):
            if path and _same(value, excerpt):
                yield Located(resource=resource, read=name, embedded=embedded, path=path)


def _account_of(source: str) -> str | None:
    parts = source.split(":")
    return parts[4] if source.startswith("arn:") and len(parts) > 5 and parts[4] else None


def _tiers(snapshot: Snapshot, source: str) -> Iterator[list[Resource]]:
    """Where to look, nearest first: the resource itself; its account's resources (authorization details hold
    identity and trust policies); every other resource."""
    yield [r for r in snapshot.resources if r.id == source]
    account = _account_of(source)
    if account is not None:
        yield [r for r in snapshot.resources if r.id != source and (r.id == account or r.account == account)]
    yield [r for r in snapshot.resources if r.id != source and account not in (r.id, r.account)]


def locate(snapshot: Snapshot, evidence: Evidence) -> list[Located]:
    """Every place of ``evidence``'s excerpt: in its own resource's documents first, else anywhere
    (an identity policy is stored in its account's authorization details); those whose path ends
    as ``evidence.location`` says come first."""
    if evidence.excerpt is None:
        return []
    excerpt = thaw_json(evidence.excerpt)
    found: list[Located] = []
    for tier in _tiers(snapshot, evidence.source):
        found = [loc for r in tier for loc in _matches(r, excerpt)]
        if found:
            break
    steps = _location_steps(evidence.location)

    def ends_as_said(loc: Located) -> bool:
        tail = tuple(str(p) for p in loc.path[-len(steps) :]) if steps else ()
        return bool(steps) and tail == steps

    return sorted(found, key=lambda loc: not ends_as_said(loc))
