"""What every command shares: the click group, error handling, output, progress, exit codes.

Machine output goes to stdout or ``--output``; messages go to stderr.  Exit codes
(:class:`ExitCode`): 0 clean, 1 findings at or above ``--fail-on``, 2 bad usage or bad
input, 3 incomplete coverage with ``--strict``, 4 a scan could not start, 70 an internal
error (one line on stderr naming the file that holds the traceback), 130 interrupted
(Ctrl-C; nothing half-written).  Every ``--output``-like path is checked before a
command starts its work.

A command lives in its own module under ``seenby/commands/`` and is listed once in
``seenby/cli.py``.
"""

from __future__ import annotations

import enum
import functools
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from seenby import __version__
from seenby.errors import InputError, SeenbyError, UsageError
from seenby.fileio import write_private
from seenby.findings import Severity

__all__ = [
    "AUDIENCE_FORMATS",
    "AUDIT_FORMATS",
    "EXIT_CLEAN",
    "EXIT_FINDINGS",
    "EXIT_INCOMPLETE",
    "FAIL_ON",
    "FORMATS",
    "Activity",
    "ExitCode",
    "Progress",
    "audit_and_report",
    "check_output_path",
    "cli",
    "default_rules",
    "emit",
    "emit_many",
    "exit_for",
    "guard",
    "history_for_query",
    "optional_rules",
    "output_width",
    "query_view",
    "query_views",
    "quiet_option",
    "render_audit",
    "render_options",
    "run_cli",
    "say",
    "snapshot_or_history",
    "warn_declarations",
]



class ExitCode(enum.IntEnum):
    """What ``seenby`` exits with (README "Exit codes")."""

    CLEAN = 0
    FINDINGS = 1  # findings at or above --fail-on
    BAD_INPUT = 2  # bad usage or bad input; nothing written
    INCOMPLETE = 3  # incomplete coverage with --strict
    SCAN_NOT_STARTED = 4  # no credentials, unknown profile, no endpoint
    INTERNAL_ERROR = 70  # EX_SOFTWARE of sysexits.h: a bug in seenby; the traceback is in a file
    INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


EXIT_CLEAN = ExitCode.CLEAN
EXIT_FINDINGS = ExitCode.FINDINGS
EXIT_BAD_INPUT = ExitCode.BAD_INPUT
EXIT_INCOMPLETE = ExitCode.INCOMPLETE

# click parameter names that are files a command writes: checked before the command starts
OUTPUT_PARAMS = {"output": "--output", "snapshot_output": "--snapshot-output"}

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ["table", "json", "markdown", "sarif", "junit", "html"]
AUDIT_FORMATS = [*FORMATS, "tsv"]  # tsv: one finding per line (reports/tsv.py)
FAIL_ON = click.Choice([s.value for s in Severity] + ["never"])
AUDIENCE_FORMATS = ["table", "json", "markdown", "html", "tsv"]


def check_output_path(path: str, option: str = "--output") -> None:
    """Refuse, before any work, an output path that cannot be written: a directory, a missing
    or unwritable parent directory.  A device or pipe (``/dev/stdout``) is written in place."""
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{option} {path}: is a directory; give a file name")
    if p.exists() and not p.is_file():
        return
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{option} {path}: the directory {parent} does not exist")
    try:  # a real write probe: permissions, read-only file systems and quotas all show here
        fd, probe = tempfile.mkstemp(prefix=".seenby-probe-", dir=parent)
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write in {parent} ({exc.strerror})") from None
    os.close(fd)
    os.unlink(probe)


def emit(text: str, output: str | None) -> None:
    """Machine output to stdout, or to ``output`` (atomically, owner-only)."""
    if output:
        try:
            write_private(Path(output), text if text.endswith("\n") else text + "\n")
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror}", file=output) from None
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=not text.endswith("\n"))


# Piped or written to a file, a table is not wrapped: one record per line, an ARN never broken
# (set COLUMNS to wrap at a width).  Rich needs a number: this one no record reaches.
UNWRAPPED_WIDTH = 100_000


def output_width(tty: bool) -> int:
    """The width tables are laid out for: ``COLUMNS`` when set (at least 40), else the terminal's
    width on a terminal, else unwrapped (:data:`UNWRAPPED_WIDTH`)."""
    import shutil

    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return max(40, int(columns))
    if tty:
        return max(40, shutil.get_terminal_size().columns)
    return UNWRAPPED_WIDTH


def render_options(output: str | None, show_waived: bool = False) -> Any:
    """Colour on a terminal only (and not with NO_COLOR); width by :func:`output_width`."""
    from seenby.reports import RenderOptions

    tty = output is None and sys.stdout.isatty()
    color = tty and not os.environ.get("NO_COLOR")
    return RenderOptions(color=color, width=output_width(tty), show_waived=show_waived)


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


class SeenbyCommand(click.Command):
    """A command whose output paths are checked before it runs (exit 2, nothing done)."""

    def invoke(self, ctx: click.Context) -> Any:
        for name, option in OUTPUT_PARAMS.items():
            value = ctx.params.get(name)
            if isinstance(value, str) and value:
                check_output_path(value, option)
        return super().invoke(ctx)


class SeenbyGroup(click.Group):
    """Commands and sub-groups of seenby all check their output paths first."""

    command_class = SeenbyCommand


SeenbyGroup.group_class = SeenbyGroup


def _crash_report(exc: BaseException) -> str:
    """Write the traceback of an unexpected error to an owner-only file; return its path."""
    fd, path = tempfile.mkstemp(prefix="seenby-crash-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"seenby {__version__}, python {sys.version.split()[0]}, argv {sys.argv!r}\n\n")
        fh.write("".join(traceback.format_exception(exc)))
    return path


def run_cli(args: list[str] | None = None) -> int:
    """Run the command line and return its exit code (:class:`ExitCode`); never raises, never
    shows a traceback: an unexpected error is one line naming the file that holds it."""
    try:
        result = cli.main(args=args, prog_name="seenby", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else ExitCode.BAD_INPUT)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("seenby: interrupted; nothing was written", err=True)
        return ExitCode.INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except SeenbyError as exc:
        click.echo(f"seenby: error: {exc}", err=True)
        return exc.exit_code
    except BrokenPipeError:  # stdout closed early (`seenby … | head`): not an error of seenby's
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (so the interpreter's final flush is silent)
        return 128 + 13
    except Exception as exc:
        try:
            where = f"the traceback is in {_crash_report(exc)}"
        except OSError as write_error:
            where = f"and its traceback could not be written ({write_error.strerror})"
        click.echo(
            f"seenby: internal error: {type(exc).__name__}: {exc}; {where} (please report it)", err=True
        )
        return ExitCode.INTERNAL_ERROR
    return result if isinstance(result, int) else ExitCode.CLEAN


@click.group(cls=SeenbyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="seenby")
def cli() -> None:
    """seenby: who can see your data.

    Finds buckets, tables and dashboards whose effective audience is broader than the
    audience declared for them in rules.yaml.
    """


def query_view(
    *, snapshots: tuple[str, ...], at: str | None, store: str | None, rules_path: str | None, containing: str | None
) -> Any:
    """The :class:`seenby.api.Evaluated` a query answers from: ``--snapshot`` files, or the recorded
    scan at ``--at`` (its evaluated view cached in the store), evaluated once."""
    from seenby import api
    from seenby.history.select import choose_snapshot

    chosen = choose_snapshot(snapshots=snapshots, at=at, store=store, containing=containing)
    return api.view_of(chosen, optional_rules(rules_path))


def query_views(
    *,
    snapshots: tuple[str, ...],
    at: str | None,
    store: str | None,
    rules_path: str | None,
    containing: tuple[str | None, ...],
) -> Iterator[Any]:
    """One :class:`seenby.api.Evaluated` per subject of ``containing``, evaluated as few times as can be:
    ``--snapshot`` files once for all; recorded scans each once (by content), each subject answered by
    the latest scan that holds it, as :func:`query_view` chooses for one."""
    rules = optional_rules(rules_path)
    if snapshots or len(containing) == 1:
        view = query_view(snapshots=snapshots, at=at, store=store, rules_path=None, containing=containing[0])
        view = view.with_rules(rules)
        for _ in containing:
            yield view
        return
    asked, path = history_for_query(at, store)
    from seenby import api

    with api.open_history(path) as history:
        for ref in containing:
            yield history.evaluate(at=asked, containing=ref, rules=rules)


def history_for_query(at: str | None, store: str | None) -> tuple[Any, Path]:
    """``--at`` parsed and the store's path, checked as a query needs them (exit 2 before anything opens)."""
    from seenby.history.options import store_path
    from seenby.history.times import parse_time

    asked = parse_time(at) if at is not None else None
    path = store_path(store)
    if at is None and store is None and not path.exists():
        raise UsageError(f"give --snapshot FILE, or record scans first (no history store at {path}; see --store)")
    return asked, path


def emit_many(texts: Iterable[str], output: str | None) -> None:
    """Several answers, one after another, to stdout or ``output`` (atomically, owner-only)."""
    emit("".join(t if t.endswith("\n") else t + "\n" for t in texts), output)


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


def render_audit(result: Any, fmt: str, options: Any) -> str:
    """An audit's findings in ``fmt`` (AUDIT_FORMATS: the report formats, and tsv)."""
    from seenby import api

    return api.render(result, fmt, options)


def warn_declarations(result: Any) -> None:
    """Declarations of rules.yaml that matched no dataset: a warning on stderr each (and an info finding)."""
    from seenby.catalog import RuleId

    for f in result.findings:
        if f.rule_id == RuleId.DECLARATION_MATCHES_NOTHING:
            click.echo(f"seenby: warning: {f.message}", err=True)


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


class Activity:
    """A progress display on stderr for work that may take a while (audit, gate, queries).

    It appears only when the work has run :data:`ACTIVITY_DELAY` seconds, and only when stderr is
    a terminal and not ``--quiet``: piped or redirected, nothing is written.  Use as a context
    manager; :meth:`step` names the current stage (with ``done``/``total`` for many answers).
    """

    def __init__(self, quiet: bool, *, delay: float | None = None) -> None:
        import threading

        self.enabled = not quiet and sys.stderr.isatty()
        self._delay = ACTIVITY_DELAY if delay is None else delay
        self._lock = threading.Lock()
        self._timer: Any = None
        self._progress: Any = None
        self._task: Any = None
        self._text = "working"
        self._done: int | None = None
        self._total: int | None = None

    def __enter__(self) -> Activity:
        if self.enabled:
            import threading

            self._timer = threading.Timer(self._delay, self._show)
            self._timer.daemon = True
            self._timer.start()
        return self

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        with self._lock:
            if self._progress is not None or self._timer is None:
                return
            self._progress = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=Console(stderr=True), transient=True,
            )  # fmt: skip
            self._task = self._progress.add_task(self._text, total=self._total, completed=self._done or 0)
            self._progress.start()

    def step(self, text: str, *, done: int | None = None, total: int | None = None) -> None:
        """Name the stage now under way (``done`` of ``total`` answers, when counting)."""
        with self._lock:
            self._text, self._done, self._total = text, done, total
            if self._progress is not None:
                self._progress.update(self._task, description=text, completed=done or 0, total=total)

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._progress is not None:
                self._progress.stop()
                self._progress = None


ACTIVITY_DELAY = 2.0  # seconds of work before the progress display appears


def quiet_option(fn: F) -> F:
    """``--quiet/-q``: no progress display (it never shows when stderr is not a terminal)."""
    return click.option("--quiet", "-q", is_flag=True, help="No progress display on stderr.")(fn)


def say(quiet: bool) -> Callable[[str], None]:
    return (lambda _m: None) if quiet else (lambda m: click.echo(f"seenby: {m}", err=True))


def deliver_scan(
    snapshot: Any,
    *,
    output: str | None,
    record: bool,
    store: str | None,
    then_audit: bool,
    rules_path: str | None,
    fmt: str,
    fail_on: str,
    strict: bool,
    quiet: bool,
) -> None:
    """What every ``scan`` does with its snapshot: write it (owner-only), record it in the history store, and audit
    it, each as asked."""
    if output:
        from seenby.snapshot import save_snapshot

        save_snapshot(snapshot, output)
        say(quiet)(f"wrote {output} ({len(snapshot.resources)} resources)")
    if record:
        from seenby.history.recording import record_snapshot

        record_snapshot(snapshot, store=store, source=output, say=say(quiet))
    if then_audit:
        audit_and_report(snapshot, rules_path, fmt, None, fail_on, strict)


def audit_and_report(
    snapshot: Any,
    rules_path: str | None,
    fmt: str,
    output: str | None,
    fail_on: str,
    strict: bool,
) -> None:
    """Audit ``snapshot``, write the report to ``output`` or stdout, and exit by ``fail_on`` and ``strict``."""
    from seenby import api

    rules = api.load_rules(default_rules(rules_path))
    result = api.evaluate(snapshot).audit(rules, whole_scan=True)
    warn_declarations(result)
    emit(render_audit(result, fmt, render_options(output)), output)
    exit_for(result, fail_on, strict)
