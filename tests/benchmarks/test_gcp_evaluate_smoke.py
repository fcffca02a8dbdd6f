"""Smoke test of benchmarks/gcp_evaluate.py: it evaluates a generated organisation's Google Cloud part.

Timing is measured by the benchmark, never asserted here.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from tests.synth import load_synth

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gcp_evaluate.py"


def test_gcp_evaluate_counts_the_calls_of_one_evaluation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--calls`` prints the Python calls, grants and edges of the evaluation of a small organisation."""
    synth = load_synth()
    synth.generate(synth.Sizes(people=60, datasets=40, accounts=1, projects=2), seed=7, out=tmp_path)
    spec = importlib.util.spec_from_file_location("seenby_bench_gcp_evaluate", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    assert module.main([str(tmp_path), "--calls"]) == 0

    line = capsys.readouterr().out.strip()
    counted = re.fullmatch(r"calls=(\d+) grants=(\d+) edges=(\d+)", line)
    assert counted is not None and all(int(n) > 0 for n in counted.groups())
