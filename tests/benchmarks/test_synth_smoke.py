"""Smoke test of the benchmark's synthetic organisation: generated, audited, expected findings found.

Timing is measured by ``benchmarks/run.py``, never asserted here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seenby.audit import audit
from seenby.config import load_rules
from seenby.snapshot import load_snapshot
from tests.synth import load_synth


@pytest.fixture(scope="module")
def organisation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    synth = load_synth()
    # small enough for CI, large enough that every kind of exposure is injected at least once
    synth.generate(synth.Sizes(people=600, datasets=640, accounts=4, projects=3), seed=7, out=out)
    return out


@pytest.fixture(scope="module")
def findings(organisation: Path) -> dict[str, set[str]]:
    result = audit(load_snapshot(organisation / "snapshot.json"), load_rules(organisation / "rules.yaml"))
    got: dict[str, set[str]] = {}
    for f in result.findings:
        got.setdefault(f.dataset.id, set()).add(f.rule_id)
    return got


def _manifest(organisation: Path) -> dict[str, object]:
    return json.loads((organisation / "expected.json").read_text())


def test_every_kind_of_exposure_is_injected(organisation: Path) -> None:
    """The manifest lists at least one over-exposed dataset of each kind the generator knows."""
    kinds = set(_manifest(organisation)["exposures"].values())  # type: ignore[union-attr]
    assert kinds == {
        "public", "org-wide", "other-account", "network", "conditional", "acl-authenticated", "gcs-public", "bq-domain",
        "bq-authenticated", "bq-person", "gcs-conditional", "bq-view",
    }  # fmt: skip


def test_expected_findings_appear(organisation: Path, findings: dict[str, set[str]]) -> None:
    """Every over-exposed dataset of the manifest gets the rule the manifest names."""
    expected = _manifest(organisation)["expected"]
    missing = {ds: rules for ds, rules in expected.items() if not set(rules) <= findings.get(ds, set())}  # type: ignore[union-attr]
    assert missing == {}


def test_well_scoped_datasets_have_no_findings(organisation: Path, findings: dict[str, set[str]]) -> None:
    """Datasets the generator did not over-expose are clean against the generated rules.yaml."""
    expected = _manifest(organisation)["expected"]
    assert sorted(ds for ds in findings if ds not in expected) == []  # type: ignore[operator]


def test_generation_is_deterministic(organisation: Path, tmp_path: Path) -> None:
    """The same sizes and seed write byte-identical files."""
    synth = load_synth()
    synth.generate(synth.Sizes(people=600, datasets=640, accounts=4, projects=3), seed=7, out=tmp_path)
    for name in ("snapshot.json", "rules.yaml", "expected.json"):
        assert (tmp_path / name).read_bytes() == (organisation / name).read_bytes(), name
