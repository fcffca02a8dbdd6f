"""rules.yaml v1: parsing, matching, and errors that name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from seenby.config import load_rules, parse_rules
from seenby.errors import RulesError
from seenby.model import AccessLevel
from tests.core.builders import bucket

ROOT = Path(__file__).resolve().parents[2]


def parse(text: str):
    return parse_rules(text, source="r.yaml")


def error_of(text: str) -> str:
    with pytest.raises(RulesError) as info:
        parse(text)
    return str(info.value)


def test_root_rules_file_parses_with_expanded_audiences():
    """The shipped rules.yaml is valid and audience names expand to their members."""
    rules = load_rules(ROOT / "rules.yaml")
    telemetry = rules.datasets[0]
    assert "arn:aws:iam::111122223333:role/ml-training" in telemetry.audience.read
    assert telemetry.classification == "employee-telemetry"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: 1\ndatasetz: []\n",
            "r.yaml: line 2: unknown key 'datasetz' in the top level; did you mean 'datasets'?",
        ),
        ("version: 2\n", "r.yaml: line 1: version 2 is not one this seenby reads (it reads 1)"),
        ("datasets: []\n", "r.yaml: line 1: missing 'version: 1'"),
        (
            "version: 1\ndatasets:\n  - match: {id: x}\n    read: [ml-trainig]\n",
            "r.yaml: line 4: 'ml-trainig' in datasets[0].read is neither a defined audience nor a principal id",
        ),
        (
            "version: 1\ndatasets:\n  - match: {id: x}\n    raed: []\n",
            "r.yaml: line 4: unknown key 'raed' in datasets[0]; did you mean 'read'?",
        ),
        ("version: 1\ndatasets:\n  - read: []\n", "r.yaml: line 3: datasets[0] needs a 'match'"),
        ("version: 1\nrules:\n  SB999: {enabled: false}\n", "r.yaml: line 3: unknown rule 'SB999'"),
        (
            "version: 1\nwaivers:\n  - rule: SB001\n    dataset: x\n    reason: r\n    owner: o\n    expires: soon\n",
            "r.yaml: line 7: waivers[0].expires must be a date (YYYY-MM-DD)",
        ),
        ("version: 1\nundeclared: {action: shout}\n", "r.yaml: line 2: undeclared.action must be one of"),
        ("version: 1\n  bad: [\n", "r.yaml: line"),
        ("", "r.yaml: the file is empty"),
    ],
)
def test_schema_errors_name_file_and_line(text: str, expected: str):
    """Each malformed rules file gives one message naming the file and the line."""
    assert error_of(text).startswith(expected)


def test_missing_rules_file_is_a_rules_error(tmp_path):
    """A rules path that does not exist is reported as such, with exit code 2."""
    with pytest.raises(RulesError) as info:
        load_rules(tmp_path / "nope.yaml")
    assert info.value.exit_code == 2


def test_first_matching_entry_declares_the_dataset():
    """Entries are tried in order; the first that matches wins."""
    rules = parse(
        "version: 1\ndatasets:\n"
        "  - match: {id: 'arn:aws:s3:::corp-*'}\n    read: [arn:aws:iam::1:role/a]\n"
        "  - match: {id: 'arn:aws:s3:::*'}\n    read: [arn:aws:iam::1:role/b]\n"
    )
    decl = rules.declaration_for(bucket("arn:aws:s3:::corp-data"))
    assert decl is not None and decl.label == "datasets[0]"


def test_tags_must_all_match():
    """A tags match needs every listed tag with the same value."""
    rules = parse("version: 1\ndatasets:\n  - match: {tags: {classification: pii, team: ml}}\n    read: []\n")
    assert rules.declaration_for(bucket(classification="pii", team="ml")) is not None
    assert rules.declaration_for(bucket(classification="pii")) is None


def test_declared_admins_may_read_but_writers_may_not():
    """Declared admins count as readers; declared writers do not."""
    rules = parse(
        "version: 1\ndatasets:\n  - match: {id: x}\n    read: [arn:r]\n    write: [arn:w]\n    admin: [arn:a]\n"
    )
    audience = rules.datasets[0].audience
    assert audience.for_level(AccessLevel.READ) == ("arn:r", "arn:a")
    assert audience.for_level(AccessLevel.WRITE) == ("arn:w", "arn:a")
    assert audience.for_level(AccessLevel.ADMIN) == ("arn:a",)
    assert set(audience.for_level(AccessLevel.LIST)) == {"arn:r", "arn:w", "arn:a"}


def test_nested_audience_names_expand():
    """An audience may list other audiences by name."""
    rules = parse(
        "version: 1\naudiences:\n  a: [arn:x]\n  b: [a, arn:y]\ndatasets:\n  - match: {id: d}\n    read: [b]\n"
    )
    assert rules.datasets[0].audience.read == ("arn:x", "arn:y")
