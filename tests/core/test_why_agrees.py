"""`why` and `who-can-read` agree (issue 22 item 8): principals `who-can-read` lists for a dataset and level (a
sample, group members expanded), `why` answers allowed or conditional; a sample of principals it does not list,
`why` answers no.

Over the example organisation (examples/telemetry-incident) and the synthetic organisation S.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from seenby.explain import explain
from seenby.graph.audience import enclosing_classes
from seenby.graph.build import build_graph
from seenby.model import AccessLevel
from seenby.policies import evaluate
from seenby.queries import who_can_read
from seenby.snapshot import Snapshot, load_snapshots

ROOT = Path(__file__).resolve().parents[2]
LEVELS = (AccessLevel.READ, AccessLevel.WRITE, AccessLevel.ADMIN)


def _world(snapshot: Snapshot):
    evaluation = evaluate(snapshot)
    return snapshot, evaluation, build_graph(evaluation)


@pytest.fixture(scope="module")
def example():
    return _world(load_snapshots([ROOT / "examples" / "telemetry-incident" / "snapshot.json"]))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    from benchmarks.synth import SIZES, generate

    out = tmp_path_factory.mktemp("synth-why")
    generate(SIZES["S"], seed=7, out=out)
    return _world(load_snapshots([out / "snapshot.json"]))


def _disagreements(
    world, *, datasets: int, outsiders: int, members: int = 12, levels: tuple[AccessLevel, ...] = LEVELS,
    seed: int = 7,
) -> list[str]:
    snapshot, evaluation, rg = world
    rng = random.Random(seed)
    ids = sorted(rg.datasets)
    rng.shuffle(ids)
    everyone = sorted(rg.principals)
    wrong: list[str] = []
    for dataset in ids[:datasets]:
        for level in levels:
            report = who_can_read(rg, dataset, levels=(level,), expand_members=True)
            listed = {m.principal.id for m in report.members}
            for pid in rng.sample(sorted(listed), min(members, len(listed))):
                answer = explain(snapshot, evaluation, rg, pid, dataset, level).answer
                if not answer.allows:
                    wrong.append(f"{pid} is listed for {dataset} {level.value}, why says {answer.value}")
            # a principal inside a listed class (its account, organisation or domain) is in the audience too
            inside = {p for p in everyone if set(enclosing_classes(rg.principals[p], rg.account_orgs)) & listed}
            others = [p for p in everyone if p not in listed and p not in inside]
            for pid in rng.sample(others, min(outsiders, len(others))):
                answer = explain(snapshot, evaluation, rg, pid, dataset, level).answer
                if answer.allows:
                    wrong.append(f"{pid} is not listed for {dataset} {level.value}, why says {answer.value}")
    return wrong


def test_why_agrees_with_who_can_read_on_the_example_organisation(example):
    """On every dataset of the example organisation, at every level, the two answers agree."""
    assert _disagreements(example, datasets=100, outsiders=3) == []


def test_why_agrees_with_who_can_read_on_the_synthetic_organisation(synthetic):
    """On a sample of the synthetic organisation's datasets, the two answers agree."""
    assert _disagreements(synthetic, datasets=8, outsiders=2, levels=(AccessLevel.READ,)) == []
