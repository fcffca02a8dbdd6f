"""Incident-response queries: the first answer from a recorded scan against the cached ones.

For each organisation (the example, and synthetic sizes from ``synth.py``) the snapshot is
recorded in a fresh history store, then each query runs as a command (a fresh process each
time, as a responder types it), with ``--format json -q``: ``who-can-read DATASET``,
``what-can-read PRINCIPAL`` and ``why PRINCIPAL DATASET``, where DATASET is the organisation's
first over-exposed dataset and PRINCIPAL the first audience member of it that is no class (a
user, role or group), read from who-can-read's answer.  For each query:

- ``file``: ``--snapshot FILE`` instead of the store (evaluates every time; the old way);
- ``first``: the first query of the recorded scan, with no view cached (the views directory is
  removed before it: it evaluates the scan and writes its view and graph index);
- ``cached``: the same query again, ``--repeat`` times (from the graph index);

and for who-can-read also:

- ``many_cached``: one command asking ``--many`` datasets at once, cached;
- ``in_process``: :mod:`seenby.api` in a warm Python process: ``open_history(store).who_can_read(…)``
  and ``render(…, "json")``, from the scan's graph index each time.

Each command's wall time, CPU time (user + system, from ``wait4``) and peak memory are
reported, and the ratios first / cached.  The machine's load moves wall times (a shared
2-core container): CPU time is the steadier figure.

    python benchmarks/queries.py --sizes example L --output queries.json

Synthetic organisations are generated, as ``run.py`` does, under ``--workdir``
(default ``$TMPDIR/seenby-synth``), once.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLE = ROOT / "examples" / "telemetry-incident" / "snapshot.json"
EXAMPLE_DATASETS = (
    "arn:aws:s3:::corp-employee-telemetry-raw",
    "arn:aws:s3:::corp-employee-telemetry-curated",
    "arn:aws:s3:::corp-analytics-exports",
)


# A command runs as it does once installed: Python keeps each module's compiled bytecode (pip compiles it when
# installing), so a PYTHONDONTWRITEBYTECODE of the benchmark's own environment is not passed on (with it set, every
# command of an editable install compiled seenby's changed modules again, about 90 ms of a query on the example).
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _command(args: list[str], cwd: Path) -> dict[str, float]:
    """Run ``python -m seenby ARGS``: wall seconds, CPU seconds (user + system), peak MB."""
    with tempfile.TemporaryFile() as sink, tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "seenby", *args], stdout=sink, stderr=errors, cwd=cwd, env=_ENV
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            errors.seek(0)
            raise SystemExit(f"seenby {' '.join(args)} failed (exit {code}): {errors.read().decode().strip()}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}


def _organisation(name: str, workdir: Path, seed: int) -> tuple[Path, list[str]]:
    """The snapshot of ``name`` (``example`` or a synth size) and the datasets to ask about."""
    if name == "example":
        return EXAMPLE, list(EXAMPLE_DATASETS)
    directory = workdir / f"{name}-seed{seed}"
    if not (directory / "expected.json").exists():
        subprocess.run(
            [sys.executable, str(HERE / "synth.py"), "--size", name, "--seed", str(seed), "--out", str(directory)],
            check=True,
        )
    expected = json.loads((directory / "expected.json").read_text())
    return directory / "snapshot.json", sorted(expected["expected"])


def _in_process(store: Path, dataset: str, repeat: int) -> list[float]:
    from seenby import api

    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        with api.open_history(store) as history:
            api.render(history.who_can_read(dataset), "json")
        times.append(time.perf_counter() - start)
    return times


def _principal(answer: Path) -> str:
    """The first member of a who-can-read JSON answer that is no class (a user, role, group…)."""
    members = json.loads(answer.read_text())["members"]
    classes = {"public", "any-authenticated", "account", "organization", "organizational-unit", "domain"}
    chosen = [m["principal"]["id"] for m in members if m["principal"]["kind"] not in classes]
    return chosen[0] if chosen else members[0]["principal"]["id"]


def _query(
    name: str, ask: list[str], snapshot_path: Path, store: Path, work: Path, repeat: int
) -> dict[str, Any]:
    """One query timed from the file, first from the store (no view cached), and cached ``repeat`` times."""
    file_run = _command([*ask, "--snapshot", str(snapshot_path)], work)
    shutil.rmtree(store.with_name(store.name + ".views"), ignore_errors=True)
    first = _command([*ask, "--store", str(store)], work)
    cached = [_command([*ask, "--store", str(store)], work) for _ in range(repeat)]
    best = min(cached, key=lambda r: r["wall"])
    return {
        "query": name,
        "args": ask,
        "file": file_run,
        "first": first,
        "cached": cached,
        "cached_best": best,
        "ratio_first_to_cached_wall": first["wall"] / best["wall"],
        "ratio_first_to_cached_cpu": first["cpu"] / min(r["cpu"] for r in cached),
        "ratio_file_to_cached_wall": file_run["wall"] / best["wall"],
    }


def measure(name: str, workdir: Path, seed: int, repeat: int, many: int) -> dict[str, Any]:
    from seenby import api

    snapshot_path, datasets = _organisation(name, workdir, seed)
    work = Path(tempfile.mkdtemp(prefix=f"queries-{name}-", dir=workdir))
    store = work / "history.sqlite3"
    try:
        start = time.perf_counter()
        with api.open_history(store, create=True) as history:
            history.record(api.load(snapshot_path), source=str(snapshot_path))
        recorded = time.perf_counter() - start
        dataset = datasets[0]
        who = _query("who-can-read", ["who-can-read", dataset, "--format", "json", "-q"], snapshot_path, store, work,
                     repeat)  # fmt: skip
        views = sorted((work / "history.sqlite3.views").glob("*.view"))
        indexes = sorted((work / "history.sqlite3.views").glob("*.index"))
        view_mb = views[0].stat().st_size / 1e6 if views else None
        index_mb = indexes[0].stat().st_size / 1e6 if indexes else None
        answer = work / "answer.json"
        _command(["who-can-read", dataset, "--format", "json", "-q", "--store", str(store), "-o", str(answer)], work)
        principal = _principal(answer)
        chosen = datasets[:many]
        many_cached = _command(["who-can-read", *chosen, "--format", "jsonl", "-q", "--store", str(store)], work)
        in_process = _in_process(store, dataset, repeat)
        what = _query("what-can-read", ["what-can-read", principal, "--format", "json", "-q"], snapshot_path, store,
                      work, repeat)  # fmt: skip
        why = _query("why", ["why", principal, dataset, "--format", "json", "-q"], snapshot_path, store, work, repeat)
        return {
            "organisation": name,
            "snapshot": str(snapshot_path),
            "dataset": dataset,
            "principal": principal,
            "record_seconds": recorded,
            "view_mb": view_mb,
            "index_mb": index_mb,
            "queries": [who, what, why],
            "many_cached": {**many_cached, "datasets": len(chosen)},
            "in_process_seconds": in_process,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| organisation | query | --snapshot file | first (evaluates, writes view + index) | cached, best of n "
        "| cached CPU | first / cached | file / cached |"
    )
    lines = [head, "|" + "---|" * 8]
    for r in rows:
        for q in r["queries"]:
            lines.append(
                f"| {r['organisation']} | {q['query']} | {q['file']['wall']:.2f} s | {q['first']['wall']:.2f} s "
                f"| {q['cached_best']['wall'] * 1000:.0f} ms | {q['cached_best']['cpu'] * 1000:.0f} ms "
                f"| {q['ratio_first_to_cached_wall']:.1f}x | {q['ratio_file_to_cached_wall']:.1f}x |"
            )
    lines.append("")
    lines.append("| organisation | N datasets, one who-can-read, cached | in process (warm) | view | index |")
    lines.append("|" + "---|" * 5)
    for r in rows:
        m = r["many_cached"]
        lines.append(
            f"| {r['organisation']} | {m['datasets']}: {m['wall']:.2f} s "
            f"| {min(r['in_process_seconds']) * 1000:.0f} ms | {r['view_mb']:.1f} MB | {r['index_mb']:.1f} MB |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--sizes", nargs="+", default=["example", "L"], help="example, S, M, L, XL")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "seenby-synth")
    parser.add_argument("--repeat", type=int, default=5, help="cached queries to time")
    parser.add_argument("--many", type=int, default=40, help="datasets asked in one call")
    parser.add_argument("--output", type=Path, help="write the JSON result here")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in args.sizes:
        rows.append(measure(name, args.workdir, args.seed, args.repeat, args.many))
        print(f"{name}: done", file=sys.stderr)
    if args.output:
        args.output.write_text(json.dumps(rows, indent=2) + "\n")
    print(_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
