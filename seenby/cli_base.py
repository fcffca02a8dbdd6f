"""What every command shares: the click group, error handling, output, progress, exit codes.

Machine output goes to stdout or ``--output``; messages go to stderr.  Exit codes:
0 clean, 1 findings at or above ``--fail-on``, 2 bad usage or bad input,
3 incomplete coverage with ``--strict``, 4 a scan could not start.

A command lives in its own module under ``seenby/commands/`` and is listed once in
``seenby/cli.py``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from seenby import __version__
from seenby.errors import SeenbyError
from seenby.fileio import write_private
from seenby.findings import Severity

__all__ = [
    "AUDIENCE_FORMATS",
    "EXIT_CLEAN",
    "EXIT_FINDINGS",
    "EXIT_INCOMPLETE",
    "FAIL_ON",
    "FORMATS",
    "Progress",
    "QueryView",
    "audit_and_report",
    "cli",
    "default_rules",
    "emit",
    "exit_for",
    "guard",
    "optional_rules",
    "query_view",
    "render_options",
    "say",
    "snapshot_or_history",
]

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
EXIT_INCOMPLETE = 3

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ["table", "json", "markdown", "sarif", "junit", "html"]
FAIL_ON = click.Choice([s.value for s in Severity] + ["never"])
AUDIENCE_FORMATS = ["table", "json", "markdown", "html"]


def emit(text: str, output: str | None) -> None:
    """Machine output to stdout, or to ``output`` (atomically, owner-only)."""
    if output:
        write_private(Path(output), text if text.endswith("\n") else text + "\n")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=not text.endswith("\n"))


def render_options(output: str | None, show_waived: bool = False) -> Any:
    from seenby.reports import RenderOptions

    if output is None:
        return RenderOptions.for_stream(sys.stdout, show_waived=show_waived)
    return RenderOptions(color=False, width=None, show_waived=show_waived)


def default_rules(rules: str | None) -> str:
    return rules or "rules.yaml"


def optional_rules(rules: str | None) -> Any:
    """rules.yaml for queries that only mark members declared or not: the given file, else
    ./rules.yaml when there is one, else None."""
    from seenby.config import load_rules

    if rules or Path("rules.yaml").exists():
        return load_rules(default_rules(rules))
    return None


def guard(fn: F) -> F:
    """Turn seenby's own errors into one line on stderr and the error's exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SeenbyError as exc:
            click.echo(f"seenby: error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="seenby")
def cli() -> None:
    """seenby: who can see your data.

    Finds buckets, tables and dashboards whose effective audience is broader than the
    audience declared for them in rules.yaml.
    """


@dataclass(frozen=True, kw_only=True)
class QueryView:
    """What every query command works on: the chosen snapshot (file or recorded scan), its
    provenance, the optional rules, the evaluation and the graph."""

    chosen: Any  # seenby.history.select.Chosen
    rules: Any
    evaluation: Any
    graph: Any

    @property
    def snapshot(self) -> Any:
        return self.chosen.snapshot

    @property
    def provenance(self) -> Any:
        return self.chosen.provenance


def query_view(
    *, snapshots: tuple[str, ...], at: str | None, store: str | None, rules_path: str | None, containing: str | None
) -> QueryView:
    """Choose the snapshot (``--snapshot`` files, or the recorded scan at ``--at``), then evaluate it once."""
    from seenby.graph.build import build_graph
    from seenby.history.select import choose_snapshot
    from seenby.policies import evaluate

    chosen = choose_snapshot(snapshots=snapshots, at=at, store=store, containing=containing)
    rules = optional_rules(rules_path)
    evaluation = evaluate(chosen.snapshot)
    return QueryView(chosen=chosen, rules=rules, evaluation=evaluation, graph=build_graph(evaluation))


def snapshot_or_history(fn: F) -> F:
    """``--snapshot FILE…`` or, without it, the history store's ``--at``/``--store`` (queries' input)."""
    from seenby.history.options import time_travel_options

    return click.option(
        "--snapshot",
        "snapshots",
        multiple=True,
        type=click.Path(dir_okay=False),
        help="Snapshot file (repeat for shards). Without it: the history store (see --at, --store).",
    )(time_travel_options(fn))


def exit_for(result: Any, fail_on: str, strict: bool) -> None:
    if fail_on != "never" and any(f.severity.at_least(Severity(fail_on)) for f in result.active):
        sys.exit(EXIT_FINDINGS)
    if strict and result.gaps:
        sys.exit(EXIT_INCOMPLETE)
    sys.exit(EXIT_CLEAN)


class Progress:
    """A rich progress display on stderr, only when stderr is a terminal and not --quiet."""

    def __init__(self, quiet: bool) -> None:
        self.enabled = not quiet and sys.stderr.isatty()
        self._progress: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        from seenby.scanners.progress import RichProgress

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.start()
        return RichProgress(self._progress)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def say(quiet: bool) -> Callable[[str], None]:
    return (lambda _m: None) if quiet else (lambda m: click.echo(f"seenby: {m}", err=True))


def audit_and_report(
    snapshot: Any, rules_path: str | None, fmt: str, output: str | None, fail_on: str, strict: bool
) -> None:
    from seenby.audit import audit as run_audit
    from seenby.config import load_rules
    from seenby.reports import OutputFormat, render_findings

    rules = load_rules(default_rules(rules_path))
    result = run_audit(snapshot, rules)
    emit(render_findings(result, OutputFormat(fmt), render_options(output)), output)
    exit_for(result, fail_on, strict)
