"""Profile the audit pipeline's phases on one generated organisation; print CPU seconds per phase.

    python benchmarks/profile_phases.py /tmp/seenby-synth/M-seed7 --output benchmarks/profiles/M-after-i17.txt

Runs load, evaluate, graph, audit and the JSON report as ``seenby audit`` does (inside
``bulk_allocation``) and writes a call tree: pyinstrument's when it is installed (a
sampling profiler, ``pip install pyinstrument``), else cProfile's functions by internal
time.  CPU time (``time.process_time``) is printed per phase: on a shared machine wall
time also counts the other processes' turns.  Profiling slows the run (cProfile about
twice); compare profiles with profiles, and timings with ``run.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import resource
import time
from pathlib import Path
from typing import Any


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("organisation", type=Path, help="a directory written by synth.py")
    parser.add_argument("--output", type=Path, required=True, help="write the profile here (text)")
    parser.add_argument("--cprofile", action="store_true", help="use cProfile even when pyinstrument is installed")
    args = parser.parse_args(argv)

    from seenby.audit import audit_evaluation
    from seenby.config import load_rules
    from seenby.gcpolicy import bulk_allocation
    from seenby.graph.build import build_graph
    from seenby.policies import evaluate
    from seenby.reports import OutputFormat, RenderOptions, render_findings
    from seenby.snapshot import load_snapshot

    sampler: Any = None
    if not args.cprofile:
        try:
            from pyinstrument import Profiler

            sampler = Profiler(interval=0.002)
        except ImportError:
            pass
    tracer = sampler is None  # cProfile: one profile per phase, so each phase's Python calls are counted
    profiles: list[cProfile.Profile] = []
    calls: dict[str, int] = {}
    cpu: dict[str, float] = {}
    d = args.organisation
    with bulk_allocation():
        rules = load_rules(d / "rules.yaml")
        if not tracer:
            sampler.start()

        def phase(name: str, fn: Any) -> Any:
            profile = cProfile.Profile(time.process_time) if tracer else None
            if profile is not None:
                profile.enable()
            start = time.process_time()
            value = fn()
            cpu[name] = time.process_time() - start
            if profile is not None:
                profile.disable()
                profiles.append(profile)
                calls[name] = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
            return value

        snapshot = phase("load", lambda: load_snapshot(d / "snapshot.json"))
        evaluation = phase("evaluate", lambda: evaluate(snapshot))
        graph = phase("graph", lambda: build_graph(evaluation))
        result = phase("audit", lambda: audit_evaluation(evaluation, rules, snapshot=snapshot, graph=graph))
        phase("render_json", lambda: render_findings(result, OutputFormat.JSON, RenderOptions(color=False)))
        if not tracer:
            sampler.stop()
    if not tracer:
        text = sampler.output_text(unicode=False, color=False)
    else:
        out = io.StringIO()
        pstats.Stats(*profiles, stream=out).sort_stats("tottime").print_stats(60)
        text = out.getvalue()
    summary = ", ".join(f"{k} {v:.2f}" for k, v in cpu.items())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = sum(cpu.values())
    header = f"# {d.name}: CPU seconds under the profiler: {summary}; total {total:.2f}; peak {peak:.0f} MB\n"
    if calls:
        header += "# Python calls per phase (cProfile): " + ", ".join(f"{k} {v:,}" for k, v in calls.items()) + "\n"
    args.output.write_text(header + text, encoding="utf-8")
    print(header, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
