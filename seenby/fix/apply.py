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
    from seenby.findings import Finding

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


def apply_fixes(
    snapshot: Snapshot, rules: Rules, run: FixRun, *, today: date | None = None, left_out: list[Finding] | None = None
) -> Snapshot:
    """``snapshot`` with the proven fixes of ``run`` applied in turn.

    Each fix was proven alone; after each one is applied the changed copy is evaluated again
    against the original: every finding fixed so far must stay closed, no audience may grow and
    no declared member lose access.  A fix whose patch no longer applies, or that fails that
    check together with the earlier ones, is searched again on the changed copy; if that fails
    too, it is left out (its finding stays in the copy) and appended to ``left_out`` when given."""
    from .search import fix_finding

    original = Judge(snapshot, rules, today=today)
    current = snapshot
    closed: list[Finding] = []
    for finding in run.audit.findings:
        outcome = run.outcomes.get(finding.fingerprint)
        if not isinstance(outcome, Fix):
            continue
        try:
            candidate: Snapshot | None = apply_patches(current, outcome.changes)
        except PatchError:
            candidate = None
        if candidate is not None and _holds(original, candidate, [*closed, finding]):
            current = candidate
            closed.append(finding)
            continue
        judge = Judge(current, rules, today=today)
        # the finding as the changed copy has it: the same dataset and level, and some of the same excess (an
        # earlier fix can change its rule: what is left of an organisation-wide audience may be rated otherwise)
        excess = {e.principal.id for e in finding.excess}
        again = next(
            (f for f in judge.baseline.audit.findings
             if f.dataset.id == finding.dataset.id and f.level is finding.level
             and (f.rule_id == finding.rule_id if not excess else excess & {e.principal.id for e in f.excess})),
            None,
        )  # fmt: skip
        if again is None:
            closed.append(finding)  # an earlier fix closed it
            continue
        redone = fix_finding(judge, again)
        if isinstance(redone, Fix):
            candidate = apply_patches(current, redone.changes)
            if _holds(original, candidate, [*closed, finding]):
                current = candidate
                closed.append(finding)
                continue
        if left_out is not None:
            left_out.append(finding)
    return current


def _holds(original: Judge, changed: Snapshot, closed: Sequence[Finding]) -> bool:
    """``changed`` keeps every finding of ``closed`` closed, widens nothing and cuts off no declared member."""
    state = original.state_of(changed)
    return not original.problems(state) and all(original.cleared(f, state) for f in closed)
