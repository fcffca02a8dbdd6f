"""seenby.api: the public Python API answers as the CLI does, from one evaluation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from seenby import api
from seenby.errors import UsageError
from seenby.history.provenance import ScanChoice

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "examples" / "telemetry-incident" / "snapshot.json"
RULES = ROOT / "rules.yaml"
RAW = "arn:aws:s3:::corp-employee-telemetry-raw"
ALICE = "arn:aws:iam::111122223333:user/alice"


@pytest.fixture(scope="module")
def view() -> api.Evaluated:
    return api.evaluate(api.load(SNAPSHOT), rules=api.load_rules(RULES))


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "history.sqlite3"
    with api.open_history(path, create=True) as history:
        history.record(api.load(SNAPSHOT), source=str(SNAPSHOT))
    return path


def _cli(*args: str) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "seenby", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert run.returncode in (0, 1), run.stderr
    return run.stdout


def _emitted(text: str) -> str:
    """What the CLI writes for ``text``: a final newline added when it lacks one."""
    return text if text.endswith("\n") else text + "\n"


def test_every_public_name_exists():
    """Each name of seenby.api.__all__ is defined."""
    assert [name for name in api.__all__ if not hasattr(api, name)] == []


def test_audit_json_is_the_cli_audit_json(view: api.Evaluated):
    """api.render(view.audit(rules), "json") is byte for byte `seenby audit --format json`."""
    expected = _cli("audit", str(SNAPSHOT), "--rules", str(RULES), "--format", "json", "--fail-on", "never")
    assert _emitted(api.render(view.audit(api.load_rules(RULES)), "json")) == expected


def test_who_can_read_json_is_the_cli_json(view: api.Evaluated):
    """api.render(view.who_can_read(d), "json") is byte for byte `seenby who-can-read d --format json`."""
    expected = _cli("who-can-read", RAW, "--snapshot", str(SNAPSHOT), "--rules", str(RULES), "--format", "json")
    assert _emitted(api.render(view.who_can_read(RAW), "json")) == expected


def test_why_json_is_the_cli_json(view: api.Evaluated):
    """api.render(view.why(p, d), "json") is byte for byte `seenby why p d --format json`."""
    expected = _cli("why", ALICE, RAW, "--snapshot", str(SNAPSHOT), "--rules", str(RULES), "--format", "json")
    assert _emitted(api.render(view.why(ALICE, RAW), "json")) == expected


def test_one_view_answers_every_dataset(view: api.Evaluated):
    """who_can_read answers each dataset of the evaluation, each report naming its own dataset."""
    reports = [view.who_can_read(d) for d in sorted(view.datasets)]
    assert [r.dataset.id for r in reports] == sorted(view.datasets)


def test_rules_given_to_a_query_override_the_views(view: api.Evaluated):
    """A view without rules marks no member declared; rules= on the query marks them."""
    bare = view.with_rules(None)
    assert {m.declared for m in bare.who_can_read(RAW).members} == {None}
    assert None not in {m.declared for m in bare.who_can_read(RAW, rules=api.load_rules(RULES)).members}


def test_audience_as_sarif_is_a_usage_error(view: api.Evaluated):
    """Rendering an audience in a findings-only format raises UsageError."""
    with pytest.raises(UsageError, match="cannot be sarif"):
        api.render(view.who_can_read(RAW), "sarif")


def test_rendering_an_unknown_object_is_a_type_error():
    """api.render refuses an object that is no seenby answer."""
    with pytest.raises(TypeError, match="cannot render a dict"):
        api.render({}, "json")


def test_jsonl_is_one_document_per_line(view: api.Evaluated):
    """render_jsonl writes each answer as one JSON document on one line."""
    lines = list(api.render_jsonl([view.who_can_read(RAW), view.what_can_read(ALICE)]))
    assert [json.loads(line)["schema"] for line in lines] == ["seenby.audience/v1", "seenby.principal-access/v1"]


def test_history_by_scan_id_names_the_scan(store: Path):
    """History.evaluate(scan_id=1) answers from scan @1, chosen by id."""
    with api.open_history(store) as history:
        recorded = history.evaluate(scan_id=1)
    assert (recorded.provenance.scan_id, recorded.provenance.chosen_by) == (1, ScanChoice.BY_ID)


def test_recorded_answers_carry_their_scan(store: Path):
    """what-can-read and why answers of a recorded scan carry its provenance; who-can-read through at()."""
    with api.open_history(store) as history:
        recorded = history.evaluate(containing=RAW)
    answers = (
        recorded.what_can_read(ALICE).provenance,
        recorded.why(ALICE, RAW).provenance,
        recorded.at(recorded.who_can_read(RAW)).provenance,
    )
    assert {p.scan_id for p in answers} == {1}


def test_a_missing_store_is_an_error(tmp_path: Path):
    """open_history on a path with no store raises StoreError and creates nothing."""
    from seenby.errors import StoreError

    with pytest.raises(StoreError, match="no history store"):
        api.open_history(tmp_path / "absent.sqlite3")
    assert not (tmp_path / "absent.sqlite3").exists()
