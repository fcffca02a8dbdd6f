"""CPU seconds of the Google Cloud evaluation alone on one generated organisation, and its Python call count.

    python benchmarks/gcp_evaluate.py /tmp/seenby-synth3/L-seed7 --runs 3
    python benchmarks/gcp_evaluate.py /tmp/seenby-synth3/M-seed7 --calls

Each run is a fresh process that loads the snapshot (inside ``bulk_allocation``, as ``seenby audit``
does) and times ``seenby.policies.gcp.provider.evaluate_snapshot`` with ``time.process_time``: once
per process, as in an audit, so one-off costs (the CEL parser, first-time principals) count.  The
median of the runs is printed with the load average at the end of each.  ``--calls`` counts the
Python calls made inside ``evaluate_snapshot`` (cProfile): independent of the machine's load.  Run it
with another checkout's interpreter (``/work/main/.venv/bin/python benchmarks/gcp_evaluate.py …``)
to measure that checkout's evaluator in the same session.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _once(organisation: Path, calls: bool) -> str:
    from seenby.gcpolicy import bulk_allocation
    from seenby.policies.gcp.provider import evaluate_snapshot
    from seenby.snapshot import load_snapshot

    with bulk_allocation():
        snapshot = load_snapshot(organisation / "snapshot.json")
        gc.collect()
        if calls:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
            evaluation = evaluate_snapshot(snapshot)
            profile.disable()
            total = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
            return f"calls={total} grants={len(evaluation.grants)} edges={len(evaluation.edges)}"
        start = time.process_time()
        evaluation = evaluate_snapshot(snapshot)
        cpu = time.process_time() - start
    return f"cpu={cpu:.3f} grants={len(evaluation.grants)} edges={len(evaluation.edges)} load={os.getloadavg()[0]:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("organisation", type=Path, help="a directory written by synth.py")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes to time (median printed)")
    parser.add_argument("--calls", action="store_true", help="count Python calls (cProfile) instead of timing")
    parser.add_argument("--once", action="store_true", help=argparse.SUPPRESS)  # one run, in this process
    args = parser.parse_args(argv)
    if args.once or args.calls:
        print(_once(args.organisation, args.calls), flush=True)
        return 0
    cpus = []
    for run in range(1, args.runs + 1):
        line = subprocess.run(
            [sys.executable, __file__, str(args.organisation), "--once"], check=True, capture_output=True, text=True
        ).stdout.strip()
        print(f"run {run}: {line}", flush=True)
        cpus.append(float(line.split()[0].removeprefix("cpu=")))
    print(f"median cpu={statistics.median(cpus):.3f} s over {len(cpus)} runs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
