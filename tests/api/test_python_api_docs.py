"""docs/python-api.md: its examples run, in order, against the example organisation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "python-api.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_the_guide_has_examples():
    """The guide shows at least one example for each of its sections."""
    assert len(python_blocks(DOC.read_text(encoding="utf-8"))) >= 5


def test_every_example_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Each fenced python block of docs/python-api.md runs without error, sharing one namespace as a reader would."""
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {"__name__": "python_api_docs"}
    for number, block in enumerate(python_blocks(DOC.read_text(encoding="utf-8")), start=1):
        exec(compile(block, f"{DOC.name}[block {number}]", "exec"), namespace)
    assert "as of recorded scan @1 of " in capsys.readouterr().out
