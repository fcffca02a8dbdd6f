"""Text helpers every format uses: safe strings, compact JSON, drawn paths, labels.

Policy excerpts, tag values and principal names are untrusted input: a format's
own escaping (Markdown, XML, JSON) starts from :func:`clean`, which already has
no raw control characters in it.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from seenby.findings import AudienceClass, PathStep, Via
from seenby.model import AccessLevel, Condition, Evidence, thaw_json

__all__ = [
    "CLASS_LABELS",
    "clean",
    "compact_json",
    "condition_text",
    "dump_json",
    "edge_label",
    "evidence_head",
    "level_text",
    "path_text",
    "people_text",
    "shorten",
]

CLASS_LABELS: dict[AudienceClass, str] = {
    AudienceClass.PUBLIC: "public",
    AudienceClass.ANY_AUTHENTICATED: "any authenticated",
    AudienceClass.ORGANIZATION: "organisation / domain",
    AudienceClass.NETWORK: "networks",
    AudienceClass.OTHER_ACCOUNT: "other accounts",
    AudienceClass.SPECIFIC: "specific principals",
}

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def _escape_char(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def clean(text: object) -> str:
    """``text`` with every control, format (bidi override) or line-separator character escaped.

    Newlines and tabs become ``\\n`` and ``\\t``: one value stays on one line.
    """
    out = []
    for ch in str(text):
        if ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif unicodedata.category(ch) in _UNSAFE_CATEGORIES:
            out.append(_escape_char(ch))
        else:
            out.append(ch)
    return "".join(out)


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compact_json(value: Any) -> str:
    """A JSON value (frozen or not) on one line, keys sorted, safe to print."""
    return clean(json.dumps(thaw_json(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def dump_json(document: Any) -> str:
    """Machine output: sorted keys, two-space indent, and ``<``, ``>``, ``&``, U+2028/9 as escapes.

    The escapes keep the text inert if a viewer pastes it into HTML; parsed, it is unchanged.
    """
    text = json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                         ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text + "\n"


def level_text(level: AccessLevel | None) -> str:
    return level.value if level is not None else "dataset"


def people_text(people: int | None) -> str:
    if people is None:
        return "people unknown"
    return f"{people:,} {'person' if people == 1 else 'people'}"


def edge_label(via: Via) -> str:
    """``grant:read`` is drawn as ``read``; other edge kinds as they are."""
    level = via.level
    return level.value if level is not None else via.value


def path_text(path: tuple[PathStep, ...]) -> str:
    """``aws-org:o-1 ─can-assume→ role/reader ─read→ arn:aws:s3:::b``; ``?`` marks a conditional hop."""
    parts: list[str] = []
    for step in path:
        parts.append(clean(step.label or step.node))
        if step.via:
            mark = "?" if step.conditions else ""
            parts.append(f"─{clean(edge_label(step.via))}{mark}→")
    return " ".join(parts)


def evidence_head(evidence: Evidence) -> str:
    """``resource-policy  arn:aws:s3:::b  Statement[1]  Sid OrgRead`` on one line."""
    parts = [evidence.kind.value, clean(evidence.source), clean(evidence.location)]
    if evidence.sid:
        parts.append(f"Sid {clean(evidence.sid)}")
    return "  ".join(parts)


def condition_text(condition: Condition) -> str:
    """The condition as written, on one line, with what would decide it."""
    expr = condition.expression
    text = clean(expr) if isinstance(expr, str) else compact_json(expr)
    if condition.reason:
        text += f"  ({clean(condition.reason)})"
    return text
