"""The example organisation's proven fixes, searched once for the whole package."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from seenby import api
from seenby.fix import FixRun, find_fixes

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "examples" / "telemetry-incident" / "snapshot.json"
RULES = ROOT / "rules.yaml"
TODAY = date(2026, 11, 23)


@pytest.fixture(scope="session")
def example_run() -> FixRun:
    return find_fixes(api.load(SNAPSHOT), api.load_rules(RULES), today=TODAY)


@pytest.fixture(scope="session")
def example_json() -> dict:
    return json.loads(SNAPSHOT.read_text())
