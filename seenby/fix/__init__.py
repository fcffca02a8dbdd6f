"""Proven fixes (issue 19): the smallest change to the snapshot's documents that brings a finding
back to its declaration, proven by evaluating a changed copy of the snapshot again.

::

    from seenby import api
    from seenby.fix import find_fixes

    run = find_fixes(api.load("snapshot.json"), api.load_rules("rules.yaml"))
    for fingerprint, outcome in run.outcomes.items():
        print(fingerprint, outcome.to_json())

Nothing here touches a cloud: a fix is text (an RFC 6902 JSON Patch, a CLI command) for a
person or a pull request.  The search and its limits: docs/fixes.md.
"""

from __future__ import annotations

from .changes import apply_changes
from .jsonpatch import PatchError, apply_patch
from .model import AudienceState, Change, ChangeKind, Fix, FixOutcome, NoFix, NoFixReason
from .search import FixRun, find_fixes

__all__ = [
    "AudienceState",
    "Change",
    "ChangeKind",
    "Fix",
    "FixOutcome",
    "FixRun",
    "NoFix",
    "NoFixReason",
    "PatchError",
    "apply_changes",
    "apply_patch",
    "find_fixes",
]
