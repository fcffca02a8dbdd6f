"""Compiled glob sets (rules.yaml principal and dataset patterns) decide exactly as fnmatch.fnmatchcase."""

from __future__ import annotations

import fnmatch

from hypothesis import given
from hypothesis import strategies as st

from seenby.config import GlobSet, principal_matches

# a small alphabet with every glob metacharacter, regex metacharacters and a newline
_ALPHABET = "ab:/@.*?[]!-\\()+$^\n"


@given(
    patterns=st.lists(st.text(alphabet=_ALPHABET, min_size=0, max_size=6), min_size=1, max_size=4),
    text=st.text(alphabet=_ALPHABET, max_size=8),
)
def test_same_answer_as_fnmatchcase(patterns: list[str], text: str) -> None:
    """For any patterns and text: equal to one pattern or matching one under fnmatchcase, and nothing else."""
    expected = any(text == p or fnmatch.fnmatchcase(text, p) for p in patterns)
    assert principal_matches(tuple(patterns), text) is expected


def test_literal_patterns_are_not_compiled() -> None:
    """Every pattern matches itself by a set lookup; only patterns with *, ? or [ make the regex."""
    globs = GlobSet.of(("user:alice@corp.example", "group:*@corp.example"))
    assert globs.regex is not None and globs.regex.pattern.count("(?:") == 1
    assert globs.matches("group:eng@corp.example") and not globs.matches("user:bob@corp.example")


def test_case_matters() -> None:
    """Principal ids are case-sensitive, as fnmatchcase is."""
    assert not principal_matches(("user:Alice@corp.example",), "user:alice@corp.example")
