"""Wildcard matching as the IAM policy language does it.

``*`` matches any run of characters (including none, including ``/`` and ``:``)
and ``?`` matches exactly one character.  Actions compare case-insensitively,
resources and ARNs case-sensitively
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).

Besides "does this pattern match this string", an auditor asks about *sets* of
strings: does a statement's ``Resource`` reach *some* object of a bucket
(:func:`glob_intersects`), and does a Deny cover *every* object of it
(:func:`glob_covers`)?  Both take the set as a glob of its own.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "action_matches",
    "glob_covers",
    "glob_intersects",
    "has_wildcard",
    "wildcard_match",
]


def has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


@lru_cache(maxsize=65536)
def _compile(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = []
    for ch in pattern:
        if ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """``value`` matches the IAM glob ``pattern`` (``*`` any run, ``?`` one character)."""
    if pattern == "*":
        return True
    if not has_wildcard(pattern):
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    if not ignore_case and pattern[-1] == "*" and not has_wildcard(pattern[:-1]):
        return value.startswith(pattern[:-1])  # PREFIX*, the common shape: no pattern to compile
    return _compile(pattern, ignore_case).fullmatch(value) is not None


@lru_cache(maxsize=65536)
def action_matches(pattern: str, action: str) -> bool:
    """IAM action names match case-insensitively (``S3:getobject`` is ``s3:GetObject``)."""
    return wildcard_match(pattern, action, ignore_case=True)


@lru_cache(maxsize=65536)
def glob_intersects(a: str, b: str, ignore_case: bool = False) -> bool:
    """Some string matches both globs ``a`` and ``b``.

    Decided exactly by a small search over positions of both patterns (``*`` may
    consume nothing or one character of the other side; ``?`` and literals step
    together).
    """
    if ignore_case:
        a, b = a.lower(), b.lower()
    # the common shapes, decided directly (the same answers as the search below)
    if not has_wildcard(b):
        return wildcard_match(a, b)
    if not has_wildcard(a):
        return wildcard_match(b, a)
    if a[-1] == "*" and b[-1] == "*" and not has_wildcard(a[:-1]) and not has_wildcard(b[:-1]):
        return a.startswith(b[:-1]) or b.startswith(a[:-1])
    # every match of a glob starts with its literal head (before the first wildcard): heads that
    # disagree leave nothing in common (the usual case of another bucket's pattern)
    head_a, head_b = _head(a), _head(b)
    if not (head_a.startswith(head_b) or head_b.startswith(head_a)):
        return False
    # likewise every match ends with each glob's literal tail (after its last wildcard); the shorter head
    # and tail are literal on both sides and agree, so a match consumes them alike: search what is between
    tail_a, tail_b = _tail(a), _tail(b)
    if not (tail_a.endswith(tail_b) or tail_b.endswith(tail_a)):
        return False
    head, tail = min(len(head_a), len(head_b)), min(len(tail_a), len(tail_b))
    return _glob_search(a[head : len(a) - tail], b[head : len(b) - tail])


def _head(pattern: str) -> str:
    """The literal part of ``pattern`` before its first wildcard."""
    star, mark = pattern.find("*"), pattern.find("?")
    cut = min(i for i in (star, mark, len(pattern)) if i >= 0)
    return pattern[:cut]


def _tail(pattern: str) -> str:
    """The literal part of ``pattern`` after its last wildcard."""
    cut = max(pattern.rfind("*"), pattern.rfind("?"))
    return pattern[cut + 1 :]


def _glob_search(a: str, b: str) -> bool:
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        ca = a[i] if i < len(a) else None
        cb = b[j] if j < len(b) else None
        if ca is None and cb is None:
            return True
        if ca == "*":
            stack.append((i + 1, j))  # a's star stops here
            if cb is not None and cb != "*":
                stack.append((i, j + 1))  # a's star eats one character of b
        if cb == "*":
            stack.append((i, j + 1))
            if ca is not None and ca != "*":
                stack.append((i + 1, j))
        if ca is not None and cb is not None and "*" not in (ca, cb) and (ca == cb or "?" in (ca, cb)):
            stack.append((i + 1, j + 1))
    return False


@lru_cache(maxsize=65536)
def glob_covers(pattern: str, target: str, *, ignore_case: bool = False) -> bool:
    """Every string matching glob ``target`` also matches ``pattern`` (sufficient check).

    Exact for the shapes policies use: a literal target, or a target ``PREFIX*``
    covered by a pattern that matches some prefix of ``PREFIX`` followed by ``*``.
    Anything else answers False: the caller treats "not covered" as "not
    proven", which for a Deny keeps the grant (fail closed).
    """
    if pattern == "*":
        return True
    if not has_wildcard(target):
        return wildcard_match(pattern, target, ignore_case=ignore_case)
    if target.endswith("*") and not has_wildcard(target[:-1]) and pattern.endswith("*"):
        head = pattern[:-1]
        prefix = target[:-1]
        return any(wildcard_match(head, prefix[:k], ignore_case=ignore_case) for k in range(len(prefix) + 1))
    return pattern == target
