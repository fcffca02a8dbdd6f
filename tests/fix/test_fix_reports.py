"""Proven fixes in the reports: SARIF ``fixes`` (2.1.0 §3.55), Markdown diffs, table lines."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from seenby import api
from seenby.fix import Fix, NoFix
from seenby.fix.jsonpatch import apply_patch
from seenby.reports.sarif import FINGERPRINT_KEY

ROOT = Path(__file__).resolve().parents[2]
OASIS_SCHEMA = ROOT / "tests" / "reports" / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def with_fixes(example_run):
    findings = tuple(replace(f, fix=example_run.outcomes[f.fingerprint]) for f in example_run.audit.findings)
    return replace(example_run.audit, findings=findings)


@pytest.fixture(scope="module")
def sarif(with_fixes) -> dict:
    return json.loads(api.render(with_fixes, "sarif"))


def _replaced(text: str, replacements: list[dict]) -> str:
    """Apply SARIF replacements (regions of the original text, in order, not overlapping) to ``text``."""
    out, at = [], 0
    for r in replacements:
        region = r["deletedRegion"]
        out.append(text[at : region["charOffset"]])
        out.append(r.get("insertedContent", {}).get("text", ""))
        at = region["charOffset"] + region["charLength"]
    out.append(text[at:])
    return "".join(out)


def test_sarif_with_fixes_validates_against_the_oasis_schema(sarif):
    """SARIF results carrying fixes, and the run's artifacts they point at, are valid SARIF 2.1.0."""
    jsonschema.Draft4Validator(json.loads(OASIS_SCHEMA.read_text())).validate(sarif)


def test_every_proven_fix_is_a_sarif_fix_and_no_other(sarif, example_run):
    """A result has `fixes` exactly when its finding has a proven fix."""
    proven = {fp for fp, o in example_run.outcomes.items() if isinstance(o, Fix)}
    results = sarif["runs"][0]["results"]
    with_fixes = {r["partialFingerprints"][FINGERPRINT_KEY] for r in results if "fixes" in r}
    assert with_fixes == {r["partialFingerprints"][FINGERPRINT_KEY] for r in results} & proven


def test_sarif_replacements_turn_each_artifact_into_the_proven_document(sarif, example_run):
    """Applying a fix's replacements to its artifact's contents gives the changed document's part,
    the same part the JSON Patch produces."""
    run = sarif["runs"][0]
    by_fingerprint = {r["partialFingerprints"][FINGERPRINT_KEY]: r for r in run["results"]}
    checked = 0
    for fingerprint, outcome in example_run.outcomes.items():
        if not isinstance(outcome, Fix):
            continue
        for change_json, change in zip(
            by_fingerprint[fingerprint]["fixes"][0]["artifactChanges"], _views(outcome), strict=True
        ):
            artifact = run["artifacts"][change_json["artifactLocation"]["index"]]
            after = _replaced(artifact["contents"]["text"], change_json["replacements"])
            assert json.loads(after) == change
            checked += 1
    assert checked >= 8


def _views(fix: Fix) -> list:
    """Each document part a fix changes, after the change, computed from its JSON Patch."""
    from seenby.model import thaw_json
    from seenby.reports.fix_text import change_views

    parts = []
    for change in fix.changes:
        after = apply_patch(thaw_json(change.document_before), thaw_json(change.patch))
        for view in change_views(change):
            pointer = view.label.split(" ", 1)[1].removeprefix(change.read)
            node = after
            if change.policy_pointer is not None:
                node = json.loads(after[change.policy_pointer.lstrip("/")])
            else:
                for token in [t for t in pointer.split("/") if t]:
                    node = node[int(token)] if isinstance(node, list) else node[token]
            parts.append(node)
    return parts


def test_markdown_shows_each_proven_fix_as_a_diff_and_says_why_not(with_fixes, example_run):
    """Markdown: a ```diff block per changed document part, the commands, and the reason where none."""
    text = api.render(with_fixes, "markdown")
    assert "```diff" in text and "```sh" in text
    removed = [line for line in text.splitlines() if line.startswith("-") and "domain:corp.example" in line]
    assert removed, "the keystrokes fix's diff removes the domain binding"
    no_fix = next(o for o in example_run.outcomes.values() if isinstance(o, NoFix) and o.reason.value == "coverage-gap")
    assert f"**Proven fix:** none ({no_fix.reason.value})" in text


def test_table_lists_the_commands_of_a_proven_fix(with_fixes):
    """The table shows each proven fix in a line and its commands."""
    text = api.render(with_fixes, "table")
    assert "proven fix" in text
    assert "$ gcloud storage buckets remove-iam-policy-binding gs://corp-keystrokes" in text


def test_html_shows_each_proven_fix_as_a_diff(with_fixes):
    """HTML: the proven fix's removed lines are marked as deletions, its commands shown."""
    text = api.render(with_fixes, "html")
    assert '<span class="diff-del">-      &#34;domain:corp.example&#34;</span>' in text
    assert "gcloud storage buckets remove-iam-policy-binding gs://corp-keystrokes" in text
