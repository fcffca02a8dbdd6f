"""A proven fix for people: each change as a diff of the document part it edits, and in a line or two.

Shared by the table, Markdown, HTML and SARIF renderers.  The part shown is the policy a
document stores as a JSON string (a bucket policy), else the smallest subtree holding every
operation of the patch (one role of the IAM authorization details, not all of them), as
canonical JSON (two-space indent, sorted keys).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from seenby.fix.jsonpatch import pointer, tokens
from seenby.fix.model import Change, Fix, FixOutcome, NoFix
from seenby.model import thaw_json

__all__ = ["ChangeView", "change_views", "fix_summary", "unified_diff"]

_MAX_DEPTH = 2  # /RoleDetailList/3: one entity of a large document


@dataclass(frozen=True, kw_only=True, slots=True)
class ChangeView:
    """The part of a document a change edits: where it is, and its text before and after."""

    label: str  # resource read/pointer, for people
    uri: str  # a relative URI naming the same part (SARIF artifact)
    before: str
    after: str


def _at(document: Any, parts: Sequence[str]) -> Any:
    node = document
    for token in parts:
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def _text(value: Any) -> str:
    return "" if value is None else json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _view(change: Change, parts: list[str], before: Any, after: Any) -> ChangeView:
    where = pointer(parts)
    label = f"{change.resource} {change.read}{where}"
    uri = f"snapshot/{quote(change.resource, safe='')}/{quote(change.read, safe='')}{quote(where, safe='/')}.json"
    return ChangeView(label=label, uri=uri, before=_text(before), after=_text(after))


def _common(paths: list[list[str]]) -> list[str]:
    parts: list[str] = []
    for column in zip(*paths, strict=False):
        if len(set(column)) != 1 or len(parts) == _MAX_DEPTH:
            break
        parts.append(column[0])
    return parts


def change_views(change: Change) -> list[ChangeView]:
    """The parts of the document ``change`` edits: its policy, else one part per subtree (at most two
    levels deep) its operations touch."""
    before_doc = thaw_json(change.document_before)
    after_doc = thaw_json(change.document_after)
    if change.policy_pointer is not None:
        parts = tokens(change.policy_pointer)
        before = json.loads(_at(before_doc, parts)) if before_doc is not None else None
        return [_view(change, parts, before, json.loads(_at(after_doc, parts)))]
    groups: dict[tuple[str, ...], list[list[str]]] = {}
    for op in thaw_json(change.patch):
        if op["op"] != "test":
            path = tokens(op["path"])[:-1]
            groups.setdefault(tuple(path[:_MAX_DEPTH]), []).append(path)
    views = []
    for paths in groups.values() or [[[]]]:
        parts = _common(paths)
        while True:
            try:
                before = _at(before_doc, parts) if before_doc is not None else None
                after = _at(after_doc, parts)
                break
            except (KeyError, IndexError, TypeError, ValueError):
                parts = parts[:-1]
        views.append(_view(change, parts, before, after))
    return views


def unified_diff(change: Change) -> str:
    """The change as a unified diff of each part it edits."""
    out = []
    for view in change_views(change):
        lines = difflib.unified_diff(
            view.before.splitlines(keepends=True), view.after.splitlines(keepends=True),
            fromfile=f"a/{view.label}", tofile=f"b/{view.label}", n=3,
        )  # fmt: skip
        out.append("".join(lines))
    return "".join(out)


def fix_summary(outcome: FixOutcome) -> str:
    """One line: what the proven fix does and what it changes in the audience, or why there is none."""
    if isinstance(outcome, NoFix):
        return f"no proven fix ({outcome.reason.value}): {outcome.detail}"
    assert isinstance(outcome, Fix)
    changes = "; ".join(dict.fromkeys(c.summary for c in outcome.changes))
    before, after = outcome.before, outcome.after
    people = ""
    if before.people_excess is not None and after.people_excess is not None:
        people = f"; people beyond the declaration {before.people_excess:,} → {after.people_excess:,}"
    return (
        f"proven: {changes} (the finding's excess is gone; everyone beyond the declaration at this level: "
        f"{len(before.excess)} → {len(after.excess)} principals{people})"
    )


def sarif_fix(outcome: Fix, artifacts: list[dict[str, Any]]) -> dict[str, Any]:
    """The proven fix as a SARIF 2.1.0 ``fix`` object (§3.55): one ``artifactChange`` per part of a
    document it edits, each part a run artifact (§3.24) whose ``contents`` is that part's canonical
    JSON before the change; ``replacements`` (§3.57) are character regions of it and the text that
    replaces them.  ``artifacts`` (the run's) gains the parts, each once."""
    known = {a["location"]["uri"]: i for i, a in enumerate(artifacts)}
    changes = []
    for change in outcome.changes:
        for view in change_views(change):
            if view.uri not in known:
                known[view.uri] = len(artifacts)
                artifacts.append({
                    "location": {"uri": view.uri},
                    "mimeType": "application/json",
                    "contents": {"text": view.before},
                    "description": {"text": f"{view.label} as seenby stored it (canonical JSON)"},
                })  # fmt: skip
            changes.append({
                "artifactLocation": {"uri": view.uri, "index": known[view.uri]},
                "replacements": _replacements(view.before, view.after),
            })  # fmt: skip
    return {"description": {"text": fix_summary(outcome)}, "artifactChanges": changes}


def _replacements(before: str, after: str) -> list[dict[str, Any]]:
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    offsets = [0]
    for line in old:
        offsets.append(offsets[-1] + len(line))
    out: list[dict[str, Any]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        replacement: dict[str, Any] = {
            "deletedRegion": {"charOffset": offsets[i1], "charLength": offsets[i2] - offsets[i1]}
        }
        if j2 > j1:
            replacement["insertedContent"] = {"text": "".join(new[j1:j2])}
        out.append(replacement)
    return out


@dataclass(frozen=True, kw_only=True, slots=True)
class DiffLine:
    kind: str  # add, del, hunk, same (CSS classes diff-add, diff-del, diff-hunk)
    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class FixView:
    """A finding's fix for the HTML page: a line, each change's diff, the commands."""

    proven: bool
    summary: str
    diff: tuple[DiffLine, ...] = ()
    commands: tuple[str, ...] = ()


def _diff_kind(line: str) -> str:
    if line.startswith(("+++", "---", "@@")):
        return "hunk"
    return {"+": "add", "-": "del"}.get(line[:1], "same")


def fix_view(outcome: FixOutcome) -> FixView:
    from .fix_commands import commands_for

    if not isinstance(outcome, Fix):
        return FixView(proven=False, summary=fix_summary(outcome))
    text = "".join(unified_diff(c) for c in outcome.changes)
    lines = tuple(DiffLine(kind=_diff_kind(line), text=line) for line in text.splitlines())
    return FixView(proven=True, summary=fix_summary(outcome), diff=lines, commands=tuple(commands_for(outcome)))
