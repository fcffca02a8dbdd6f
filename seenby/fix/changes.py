"""Building a :class:`~seenby.fix.model.Change` from an edit of one located document part,
and applying changes to a copy of a snapshot."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from seenby.model import ReadOutcome, thaw_json
from seenby.snapshot import Read, Resource, Snapshot

from .jsonpatch import apply_patch, pointer, tokens
from .model import Change, ChangeKind

__all__ = ["apply_changes", "document_change", "guarded", "merged", "view_of"]


def view_of(resource: Resource, read: str, embedded: Sequence[str] | None) -> Any:
    """The document a change edits: the stored one, or the policy parsed from the JSON string at ``embedded``."""
    doc = resource.reads[read].document
    if embedded is None:
        return doc
    node = doc
    for token in embedded:
        node = node[int(token)] if isinstance(node, list) else node[token]
    return json.loads(node)


def guarded(document: Any, ops: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``ops`` with an RFC 6902 ``test`` of the current value before each ``remove`` and ``replace``,
    so the patch refuses to apply to a document that has changed since (RFC 6902 §4.6)."""
    out: list[dict[str, Any]] = []
    current = document
    for op in ops:
        if op["op"] in ("remove", "replace") and op["path"]:
            node = current
            for token in tokens(op["path"]):
                node = node[int(token)] if isinstance(node, list) else node[token]
            out.append({"op": "test", "path": op["path"], "value": node})
        out.append(dict(op))
        current = apply_patch(current, [op])
    return out


def document_change(
    *,
    kind: ChangeKind,
    resource: Resource,
    read: str,
    embedded: Sequence[str] | None,
    ops: Sequence[Mapping[str, Any]],
    summary: str,
) -> Change:
    """The change ``ops`` make to ``resource``'s ``read`` (against the parsed policy when ``embedded``)."""
    stored = resource.reads[read]
    if embedded is None:
        ops = guarded(stored.document, ops)
        after = apply_patch(stored.document, ops)
        return Change(
            kind=kind,
            resource=resource.id,
            resource_type=resource.type,
            read=read,
            api=stored.api,
            patch=tuple(ops),
            summary=summary,
            document_after=after,
            document_before=stored.document,
        )
    policy_before = view_of(resource, read, embedded)
    ops = guarded(policy_before, ops)
    policy_after = apply_patch(policy_before, ops)
    outer = guarded(stored.document, [{"op": "replace", "path": pointer(embedded), "value": json.dumps(policy_after)}])
    return Change(
        kind=kind,
        resource=resource.id,
        resource_type=resource.type,
        read=read,
        api=stored.api,
        patch=tuple(outer),
        summary=summary,
        policy_pointer=pointer(embedded),
        policy_patch=tuple(ops),
        document_after=apply_patch(stored.document, outer),
        document_before=stored.document,
    )


def new_document_change(
    *, kind: ChangeKind, resource: Resource, read: str, document: Any, summary: str, api: str
) -> Change:
    """A change that gives an ``absent`` read (the provider said there is none) a document."""
    return Change(
        kind=kind,
        resource=resource.id,
        resource_type=resource.type,
        read=read,
        api=api,
        patch=({"op": "add", "path": "", "value": document},),
        summary=summary,
        outcome_before=ReadOutcome.ABSENT,
        document_after=document,
    )


def apply_changes(snapshot: Snapshot, changes: Iterable[Change]) -> Snapshot:
    """A copy of ``snapshot`` with each change's document in place (the snapshot itself is unchanged)."""
    by_resource: dict[str, dict[str, Change]] = {}
    for change in changes:
        by_resource.setdefault(change.resource, {})[change.read] = change
    resources = []
    for resource in snapshot.resources:
        mine = by_resource.get(resource.id)
        if not mine:
            resources.append(resource)
            continue
        reads = dict(resource.reads)
        for name, change in mine.items():
            api = reads[name].api if name in reads else change.api
            reads[name] = Read(outcome=ReadOutcome.OK, api=api, document=thaw_json(change.document_after))
        resources.append(replace(resource, reads=reads))
    return replace(snapshot, resources=tuple(resources))


def merged(original: Snapshot, changes: Sequence[Change]) -> tuple[Change, ...]:
    """One change per document: the patches of successive changes to the same document, in order.

    Each change was made against the document as the earlier ones left it, so their
    operations applied one after another (RFC 6902 applies a patch's operations in order)
    turn the stored document into the final one.  An embedded policy is replaced once,
    with its final text; its ``policy_patch`` keeps every operation.
    """
    order: list[tuple[str, str]] = []
    groups: dict[tuple[str, str], list[Change]] = {}
    for change in changes:
        if change.key not in groups:
            order.append(change.key)
        groups.setdefault(change.key, []).append(change)
    out = []
    for key in order:
        group = groups[key]
        first, last = group[0], group[-1]
        if len(group) == 1:
            out.append(first)
            continue
        if first.policy_pointer is not None:
            final = [op for op in thaw_json(last.patch) if op["op"] != "test"]
            patch: tuple[Any, ...] = tuple(guarded(thaw_json(first.document_before), final))
            policy_patch: tuple[Any, ...] | None = tuple(op for c in group for op in thaw_json(c.policy_patch or ()))
        else:
            patch = tuple(op for c in group for op in thaw_json(c.patch))
            policy_patch = None
        out.append(
            replace(
                first,
                kind=min((c.kind for c in group), key=lambda k: k.rank),
                patch=patch,
                policy_patch=policy_patch,
                summary="; ".join(dict.fromkeys(c.summary for c in group)),
                document_after=thaw_json(last.document_after),
            )
        )
    _check_against(original, out)
    return tuple(out)


def _check_against(original: Snapshot, changes: Sequence[Change]) -> None:
    """Every merged patch turns the stored document into the document the proof evaluated."""
    stored = {r.id: r for r in original.resources}
    for change in changes:
        read = stored[change.resource].reads.get(change.read)
        before = read.document if read is not None and read.ok else None
        if apply_patch(before, thaw_json(change.patch)) != thaw_json(change.document_after):
            raise AssertionError(f"merged patch of {change.resource} {change.read} does not give the proven document")


__all__ += ["new_document_change", "tokens"]
