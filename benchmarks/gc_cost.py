"""Time the cyclic garbage collector takes in each audit phase: CPython's default thresholds vs seenby's.

    python benchmarks/gc_cost.py /tmp/seenby-synth/M-seed7            # a directory written by synth.py

Runs load, evaluate, graph and audit four times, each in a fresh process: with the
interpreter's own settings (thresholds 700, 10, 10, nothing frozen), with the thresholds
``seenby.gcpolicy.bulk_allocation`` sets, with those thresholds plus the freezing of what
is alive at each phase, and with the collector also paused in each phase (what seenby
does).  The collector's time is measured with ``gc.callbacks`` (start to stop of every
collection) and attributed to the phase running when it happened; CPU seconds
(``time.process_time``), peak resident memory of each process, and the objects the
collections freed are reported too.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

MODES = ("default", "thresholds", "thresholds+freeze", "thresholds+freeze+pause")


def measure(directory: Path, mode: str) -> dict[str, Any]:
    import seenby.gcpolicy as gcpolicy

    if mode == "default":
        gcpolicy.BULK_THRESHOLDS = gc.get_threshold()  # type: ignore[misc]
    gcpolicy.FREEZE_PHASES = mode.startswith("thresholds+freeze")  # type: ignore[misc]
    gcpolicy.PAUSE_PHASES = mode == "thresholds+freeze+pause"  # type: ignore[misc]
    from seenby.audit import audit_evaluation
    from seenby.config import load_rules
    from seenby.graph.build import build_graph
    from seenby.policies import evaluate
    from seenby.snapshot import load_snapshot

    phase = ["setup"]
    started: list[float] = [0.0]
    spent: dict[str, float] = {}
    count: dict[str, int] = {}

    freed: dict[str, int] = {}

    def callback(event: str, info: dict[str, Any]) -> None:
        if event == "start":
            started[0] = time.process_time()
        else:
            spent[phase[0]] = spent.get(phase[0], 0.0) + time.process_time() - started[0]
            count[phase[0]] = count.get(phase[0], 0) + 1
            freed[phase[0]] = freed.get(phase[0], 0) + info["collected"]

    gc.callbacks.append(callback)
    rules = load_rules(directory / "rules.yaml")
    times: dict[str, float] = {}

    def run(name: str, fn: Any) -> Any:
        phase[0] = name
        start = time.process_time()
        value = fn()
        times[name] = time.process_time() - start
        return value

    with gcpolicy.bulk_allocation():
        snapshot = run("load", lambda: load_snapshot(directory / "snapshot.json"))
        evaluation = run("evaluate", lambda: evaluate(snapshot))
        graph = run("graph", lambda: build_graph(evaluation))
        run("audit", lambda: audit_evaluation(evaluation, rules, snapshot=snapshot, graph=graph))
    return {
        "mode": mode,
        "thresholds": list(gcpolicy.BULK_THRESHOLDS),
        "phases": {k: {"seconds": v, "collector": spent.get(k, 0.0), "collections": count.get(k, 0),
                       "freed": freed.get(k, 0)} for k, v in times.items()},
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("directory", type=Path, help="an organisation written by benchmarks/synth.py")
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(measure(args.directory, args.worker)))
        return 0
    for mode in MODES:
        command = [sys.executable, __file__, str(args.directory), "--worker", mode]
        proc = subprocess.run(command, check=True, capture_output=True, text=True)
        result = json.loads(proc.stdout)
        phases = result["phases"]
        total = sum(p["seconds"] for p in phases.values())
        collector = sum(p["collector"] for p in phases.values())
        label = f"{mode} {tuple(result['thresholds'])}"
        print(f"{label}: {total:.2f} s CPU, of which the collector {collector:.2f} s; peak {result['peak_mb']:,.0f} MB")
        for name, p in phases.items():
            seconds, collector, collections = p["seconds"], p["collector"], p["collections"]
            print(f"  {name:9} {seconds:6.2f} s   collector {collector:5.2f} s in {collections} collections, "
                  f"{p['freed']:,} objects freed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
