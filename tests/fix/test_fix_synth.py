"""``--apply-to-snapshot`` on the benchmark's synthetic organisation S: none of the fixed findings is left,
and no dataset's audience grew; and the fix property (a proven fix never widens an audience nor cuts off a
declared member) on S and on randomly generated synthetic organisations."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seenby import api
from seenby.fix import Fix, apply_changes, find_fixes
from seenby.fix.apply import apply_fixes
from tests.synth import load_synth

from .proofs import held_by, reach


@pytest.fixture(scope="module")
def organisation_s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth-s")
    synth = load_synth()
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
        was = set(before.get(key, {}))
        assert not {pid for pid in set(members) - was if not held_by(fixed, pid) & was}, key
    for key, members in before.items():
        assert all(pid in after.get(key, {}) for pid, declared in members.items() if declared), key


def _never_widens_nor_cuts_off(
    before: dict, view: api.Evaluated, rules: api.Rules
) -> tuple[dict[object, set[str]], dict[object, set[str]]]:
    """What ``view`` (a changed copy) widens (members new by name that no class reaching before holds) and which
    declared members it cuts off, per (dataset, level), against ``before``."""
    after = reach(view, rules)
    widened: dict[object, set[str]] = {}
    for key, members in after.items():
        was = set(before.get(key, {}))
        if new := {p for p in set(members) - was if not held_by(view, p) & was}:
            widened[key] = new
    lost: dict[object, set[str]] = {}
    for key, members in before.items():
        if gone := {p for p, declared in members.items() if declared and p not in after.get(key, {})}:
            lost[key] = gone
    return widened, lost


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                               HealthCheck.too_slow])  # fmt: skip
@given(seed=st.integers(min_value=2, max_value=10_000))
def test_a_proven_fix_never_widens_on_random_synthetic_organisations(seed, tmp_path_factory):
    """Property (hypothesis) on randomly generated synthetic organisations (benchmarks/synth.py, a random seed):
    each proven fix, applied alone, widens no dataset's audience and cuts off no declared member."""
    synth = load_synth()
    out = tmp_path_factory.mktemp("synth-random")
    synth.generate(synth.Sizes(people=120, datasets=36, accounts=3, projects=2), seed=seed, out=out)
    snapshot, rules = api.load(out / "snapshot.json"), api.load_rules(out / "rules.yaml")
    before = reach(api.evaluate(snapshot), rules)

    run = find_fixes(snapshot, rules)

    for fix in (o for o in run.outcomes.values() if isinstance(o, Fix)):
        assert _never_widens_nor_cuts_off(before, api.evaluate(apply_changes(snapshot, fix.changes)), rules) == (
            {}, {}), fix.fingerprint


def test_each_proven_fix_of_organisation_s_alone_never_widens(organisation_s: Path):
    """The same property on S itself: each proven fix applied alone widens nothing and cuts off nobody."""
    snapshot = api.load(organisation_s / "snapshot.json")
    rules = api.load_rules(organisation_s / "rules.yaml")
    before = reach(api.evaluate(snapshot), rules)
    run = find_fixes(snapshot, rules)
    fixes = [o for o in run.outcomes.values() if isinstance(o, Fix)]
    assert fixes
    for fix in fixes:
        assert _never_widens_nor_cuts_off(before, api.evaluate(apply_changes(snapshot, fix.changes)), rules) == (
            {}, {}), fix.fingerprint
