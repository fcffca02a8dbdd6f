"""The audit pipeline on synthetic organisations of several sizes: wall time, peak memory, growth.

    python benchmarks/run.py --sizes S M L --output benchmarks/results.json

For each size it generates the organisation (``benchmarks/synth.py``, cached under
``--workdir``), then runs every phase in a fresh Python process (so peak memory is
that size's alone): load the snapshot, evaluate (``seenby.policies.evaluate``), build
the graph, audit, render JSON, who-can-read (every over-exposed dataset plus a sample of
others; the slowest and the median are reported) and a what-can-read style forward query
(datasets reachable from a person in several groups).  Peak memory is the process's
``ru_maxrss`` after each phase (cumulative: the peak so far).  Each phase is timed in CPU
seconds (``time.process_time``) as well as wall seconds, and the whole command in CPU
seconds (user + system, from ``wait4``) as well: on a shared machine wall time also counts
the other processes' turns, so the table and the growth factors use CPU time.  It then checks that the
audit reported every finding ``expected.json`` lists, prints a table with the growth
factor from each size to the next (time ratio ÷ input ratio; input = people + datasets +
AWS policy statements) and writes everything as JSON.

The phases run as the command line runs them: inside ``seenby.gcpolicy.bulk_allocation``
(the collector's thresholds raised for bulk work).  Phase times leave out what a user also
waits for, so each size is measured a second way too: the wall time of the whole
``seenby audit --format json`` process (interpreter start, imports, the phases, writing
the report, and the interpreter's teardown of everything it built), column ``command``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PHASES = ("load", "evaluate", "graph", "audit", "render_json")
END_TO_END = ("load", "evaluate", "graph", "audit", "render_json")


def _rss_mb() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(directory: Path) -> dict[str, Any]:
    """Run every phase once in this (fresh) process; return timings, memory and the check."""
    from seenby.gcpolicy import bulk_allocation

    with bulk_allocation():  # as seenby.cli.main runs every command
        return _phases(directory)


def _phases(directory: Path) -> dict[str, Any]:
    import networkx as nx

    from seenby.audit import audit_evaluation
    from seenby.config import load_rules
    from seenby.graph.build import build_graph
    from seenby.policies import evaluate
    from seenby.queries import who_can_read
    from seenby.reports import OutputFormat, RenderOptions, render_findings
    from seenby.snapshot import load_snapshot

    manifest = json.loads((directory / "expected.json").read_text())
    rules = load_rules(directory / "rules.yaml")
    out: dict[str, Any] = {"phases": {}, "peak_mb": {}, "cpu": {}}

    def phase(name: str, fn: Any) -> Any:
        start, cpu = time.perf_counter(), time.process_time()
        value = fn()
        out["phases"][name] = time.perf_counter() - start
        out["cpu"][name] = time.process_time() - cpu
        out["peak_mb"][name] = _rss_mb()
        return value

    snapshot = phase("load", lambda: load_snapshot(directory / "snapshot.json"))
    evaluation = phase("evaluate", lambda: evaluate(snapshot))
    rg = phase("graph", lambda: build_graph(evaluation))
    result = phase("audit", lambda: audit_evaluation(evaluation, rules, snapshot=snapshot, graph=rg))
    text = phase("render_json", lambda: render_findings(result, OutputFormat.JSON, RenderOptions(color=False)))

    # who-can-read: every over-exposed dataset, and every 50th of the others
    sample = list(manifest["expected"])
    others = sorted(d for d in rg.datasets if d not in manifest["expected"])
    sample += others[:: max(1, len(others) // 50)]
    times = []
    for ds in sample:
        start = time.perf_counter()
        who_can_read(rg, ds, rules=rules)
        times.append(time.perf_counter() - start)
    out["who_can_read"] = {"queries": len(times), "max": max(times), "median": statistics.median(times)}
    out["peak_mb"]["who_can_read"] = _rss_mb()

    # what-can-read: forward reachability from people in several groups (no command yet)
    people = [p for p in rg.principals if p.endswith(("u000003", "u000013", "u000003@corp.example"))]
    times = []
    reached = 0
    for person in people:
        start = time.perf_counter()
        found = {n for n in nx.descendants(rg.graph, person) if isinstance(n, tuple)}
        times.append(time.perf_counter() - start)
        reached = max(reached, len(found))
    out["what_can_read"] = {"queries": len(times), "max": max(times, default=0.0), "datasets": reached}

    out["end_to_end"] = sum(out["phases"][p] for p in END_TO_END)
    out["end_to_end_cpu"] = sum(out["cpu"][p] for p in END_TO_END)
    out["peak_mb_total"] = _rss_mb()
    got: dict[str, set[str]] = {}
    for f in result.findings:
        got.setdefault(f.dataset.id, set()).add(f.rule_id)
    missing = {d: r for d, r in manifest["expected"].items() if not set(r) <= got.get(d, set())}
    unexpected = sorted(d for d in got if d not in manifest["expected"])
    out["check"] = {
        "expected": len(manifest["expected"]),
        "missing": missing,
        "unexpected_datasets": len(unexpected),
        "unexpected_sample": unexpected[:5],
        "findings": len(result.findings),
        "json_bytes": len(text),
    }
    out["counts"] = {
        "principals": len(evaluation.principals),
        "datasets": len(evaluation.datasets),
        "grants": len(evaluation.grants),
        "edges": len(evaluation.edges),
        "graph_nodes": rg.graph.number_of_nodes(),
        "graph_edges": rg.graph.number_of_edges(),
    }
    return out


def _command(directory: Path) -> dict[str, float]:
    """Wall time and peak memory of the whole ``seenby audit --format json`` process."""
    seenby = Path(sys.executable).with_name("seenby")
    cmd = [str(seenby)] if seenby.exists() else [sys.executable, "-m", "seenby"]
    args = [*cmd, "audit", str(directory / "snapshot.json"), "--rules", str(directory / "rules.yaml"),
            "--format", "json", "--fail-on", "never"]  # fmt: skip
    with open(os.devnull, "w", encoding="utf-8") as sink, tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=sink, stderr=errors)
        # wait4: this child's own resource usage (RUSAGE_CHILDREN would mix in the phase worker's peak)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"seenby audit failed on {directory} (exit {proc.returncode}): {errors.read().strip()}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}


def _generate(size: str, seed: int, workdir: Path, regenerate: bool) -> Path:
    directory = workdir / f"{size}-seed{seed}"
    if regenerate or not (directory / "expected.json").exists():
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, str(HERE / "synth.py"), "--size", size, "--seed", str(seed), "--out", str(directory)],
            check=True,
        )
        print(f"generated {size} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return directory


def _input_units(manifest: dict[str, Any]) -> int:
    s = manifest["sizes"]
    return int(s["people"] + s["datasets"] + s["aws_statements"])


def _table(rows: list[dict[str, Any]]) -> str:
    # phases and end to end in CPU seconds (process_time: a shared machine's wall time counts the others' turns too)
    cols = ["size", "input", *(f"{p} cpu" for p in PHASES), "end_to_end cpu", "end_to_end wall", "peak_mb",
            "command cpu", "command wall", "who_max_ms", "what_max_ms", "check"]  # fmt: skip
    lines = [" | ".join(cols), " | ".join("---" for _ in cols)]
    for r in rows:
        m = r["result"]
        check = "ok" if not m["check"]["missing"] else f"MISSING {len(m['check']['missing'])}"
        cells = [
            r["size"],
            f"{r['input']:,}",
            *(f"{m['cpu'][p]:.2f}" for p in PHASES),
            f"{m['end_to_end_cpu']:.2f}",
            f"{m['end_to_end']:.2f}",
            f"{m['peak_mb_total']:.0f}",
            f"{m['command']['cpu']:.2f}",
            f"{m['command']['wall']:.2f}",
            f"{m['who_can_read']['max'] * 1000:.1f}",
            f"{m['what_can_read']['max'] * 1000:.1f}",
            check,
        ]
        lines.append(" | ".join(cells))
    return "\n".join(f"| {line} |" for line in lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--sizes", nargs="+", default=["S", "M", "L"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "seenby-synth")
    parser.add_argument("--regenerate", action="store_true", help="generate the organisations again")
    parser.add_argument("--output", type=Path, help="write the JSON result here")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return 0
    rows = []
    for size in args.sizes:
        directory = _generate(size, args.seed, args.workdir, args.regenerate)
        manifest = json.loads((directory / "expected.json").read_text())
        proc = subprocess.run(
            [sys.executable, __file__, "--worker", str(directory)], check=True, capture_output=True, text=True
        )
        result = json.loads(proc.stdout)
        result["command"] = _command(directory)
        rows.append({"size": size, "sizes": manifest["sizes"], "input": _input_units(manifest), "result": result})
        done = (
            f"{size}: end to end {result['end_to_end_cpu']:.2f} s CPU ({result['end_to_end']:.2f} s wall), "
            f"peak {result['peak_mb_total']:.0f} MB; whole command {result['command']['cpu']:.2f} s CPU "
            f"({result['command']['wall']:.2f} s wall)"
        )
        print(done, file=sys.stderr)
    growth = []
    for a, b in itertools.pairwise(rows):
        input_ratio = b["input"] / a["input"]
        time_ratio = b["result"]["end_to_end_cpu"] / a["result"]["end_to_end_cpu"]
        growth.append(
            {
                "from": a["size"],
                "to": b["size"],
                "input_ratio": input_ratio,
                "time_ratio": time_ratio,
                "factor": time_ratio / input_ratio,
                "wall_factor": b["result"]["end_to_end"] / a["result"]["end_to_end"] / input_ratio,
                "phases": {
                    p: (b["result"]["cpu"][p] / a["result"]["cpu"][p]) / input_ratio
                    for p in PHASES
                    if a["result"]["cpu"][p] > 0
                },
            }
        )
    print(_table(rows))
    for g in growth:
        print(
            f"{g['from']} → {g['to']}: input ×{g['input_ratio']:.1f}, CPU time ×{g['time_ratio']:.1f}, "
            f"factor {g['factor']:.2f} (per phase: "
            + ", ".join(f"{p} {v:.2f}" for p, v in g["phases"].items())
            + ")"
        )
    report = {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "seed": args.seed,
        "sizes": rows,
        "growth": growth,
    }
    if args.output:
        args.output.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0 if all(not r["result"]["check"]["missing"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
