"""Smoke test of the queries benchmark: it runs on the example organisation and reports each figure.

Timing is measured by ``benchmarks/queries.py``, never asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_QUERIES = Path(__file__).resolve().parents[2] / "benchmarks" / "queries.py"


def test_queries_benchmark_reports_first_and_cached_on_the_example(tmp_path: Path):
    """queries.py --sizes example writes file, first and cached figures of who-can-read, what-can-read and why,
    many and in-process figures, and leaves no store behind."""
    out = tmp_path / "queries.json"
    proc = subprocess.run(
        [sys.executable, str(_QUERIES), "--sizes", "example", "--repeat", "1", "--many", "3",
         "--workdir", str(tmp_path / "work"), "--output", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-400:]
    (row,) = json.loads(out.read_text())
    assert {"queries", "many_cached", "in_process_seconds"} <= set(row)
    assert [q["query"] for q in row["queries"]] == ["who-can-read", "what-can-read", "why"]
    assert all({"file", "first", "cached"} <= set(q) for q in row["queries"])
    assert list((tmp_path / "work").iterdir()) == []
