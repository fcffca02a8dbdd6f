"""``seenby fix --apply-to-snapshot``: the snapshot with every proven fix applied, one after another.

Each fix was proven against the original snapshot.  Applied together, a later fix's patch
may meet a document an earlier one changed: its RFC 6902 ``test`` operations then refuse
it, and that finding is searched again on the changed copy (it may be closed already).
A policy stored as a JSON string is patched through its ``policy_patch``, so two fixes to
one bucket policy both take effect.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from seenby.model import ReadOutcome, thaw_json
from seenby.snapshot import Read, Resource, Snapshot

from .jsonpatch import PatchError, apply_patch, tokens
from .model import Change, Fix
from .prove import Judge

if TYPE_CHECKING:
    from datetime import date

    from seenby.config import Rules

    from .search import FixRun

__all__ = ["apply_fixes", "apply_patches"]


def _patched(resource: Resource, change: Change) -> Resource:
    read = resource.reads.get(change.read)
    document = read.document if read is not None and read.ok else None
    if change.policy_pointer is not None and document is not None:
        parts = tokens(change.policy_pointer)
        node: Any = document
        for token in parts:
            node = node[int(token)] if isinstance(node, list) else node[token]
        policy = apply_patch(json.loads(node), thaw_json(change.policy_patch or ()))
        after = apply_patch(document, [{"op": "replace", "path": change.policy_pointer, "value": json.dumps(policy)}])
    else:
        after = apply_patch(document, thaw_json(change.patch))
    api = read.api if read is not None else change.api
    reads = {**resource.reads, change.read: Read(outcome=ReadOutcome.OK, api=api, document=after)}
    return replace(resource, reads=reads)


def apply_patches(snapshot: Snapshot, changes: Sequence[Change]) -> Snapshot:
    """``snapshot`` with each change's patch applied to the document as it is now (raises PatchError)."""
    by_id = {r.id: r for r in snapshot.resources}
    for change in changes:
        if change.resource not in by_id:
            raise PatchError(f"no resource {change.resource} in the snapshot")
        by_id[change.resource] = _patched(by_id[change.resource], change)
    return replace(snapshot, resources=tuple(by_id[r.id] for r in snapshot.resources))


def apply_fixes(snapshot: Snapshot, rules: Rules, run: FixRun, *, today: date | None = None) -> Snapshot:
    """``snapshot`` with the proven fixes of ``run`` applied in turn (searched again where they collide)."""
    from .search import fix_finding

    current = snapshot
    for finding in run.audit.findings:
        outcome = run.outcomes.get(finding.fingerprint)
        if not isinstance(outcome, Fix):
            continue
        try:
            current = apply_patches(current, outcome.changes)
            continue
        except PatchError:
            pass
        judge = Judge(current, rules, today=today)
        again = next(
            (
                f
                for f in judge.baseline.audit.findings
                if f.rule_id == finding.rule_id and f.dataset.id == finding.dataset.id and f.level is finding.level
            ),
            None,
        )
        if again is None:
            continue  # an earlier fix closed it
        redone = fix_finding(judge, again)
        if isinstance(redone, Fix):
            current = apply_patches(current, redone.changes)
    return current
