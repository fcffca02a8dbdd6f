"""``--apply-to-snapshot`` on the benchmark's synthetic organisation S: none of the fixed findings is left,
and no dataset's audience grew."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from seenby import api
from seenby.fix import Fix, find_fixes
from seenby.fix.apply import apply_fixes

from .proofs import reach

_SYNTH = Path(__file__).resolve().parents[2] / "benchmarks" / "synth.py"


def _synth() -> ModuleType:
    spec = importlib.util.spec_from_file_location("seenby_bench_synth_fix", _SYNTH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def organisation_s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth-s")
    synth = _synth()
    synth.generate(synth.SIZES["S"], seed=1, out=out)
    return out


def test_applying_proven_fixes_to_organisation_s(organisation_s: Path):
    """All proven fixes applied to S: each fixed finding is gone, every audience stays within what it was,
    and every declared member keeps its access."""
    snapshot = api.load(organisation_s / "snapshot.json")
    rules = api.load_rules(organisation_s / "rules.yaml")
    run = find_fixes(snapshot, rules)
    proven = {
        (f.rule_id, f.dataset.id, f.level) for f in run.audit.findings if isinstance(run.outcomes[f.fingerprint], Fix)
    }
    assert proven, "S has at least one finding a document change fixes"

    fixed = api.evaluate(apply_fixes(snapshot, rules, run))

    left = {(f.rule_id, f.dataset.id, f.level) for f in fixed.audit(rules).findings}
    assert not proven & left
    before, after = reach(api.evaluate(snapshot), rules), reach(fixed, rules)
    for key, members in after.items():
        assert set(members) <= set(before.get(key, {})), key
    for key, members in before.items():
        assert all(pid in after.get(key, {}) for pid, declared in members.items() if declared), key
