"""seenby's command line.

Machine output goes to stdout or ``--output``; messages go to stderr.  Exit codes:
0 clean, 1 findings at or above ``--fail-on``, 2 bad usage or bad input,
3 incomplete coverage with ``--strict``, 4 a scan could not start.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from seenby import __version__
from seenby.errors import SeenbyError, UsageError
from seenby.fileio import write_private
from seenby.findings import Severity
from seenby.model import AccessLevel

__all__ = ["main"]

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
EXIT_INCOMPLETE = 3

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ["table", "json", "markdown", "sarif", "junit"]
_FAIL_ON = click.Choice([s.value for s in Severity] + ["never"])
AUDIENCE_FORMATS = ["table", "json", "markdown"]


def _emit(text: str, output: str | None) -> None:
    if output:
        write_private(Path(output), text if text.endswith("\n") else text + "\n")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=not text.endswith("\n"))


def _options(output: str | None, show_waived: bool = False) -> Any:
    from seenby.reports import RenderOptions

    if output is None:
        return RenderOptions.for_stream(sys.stdout, show_waived=show_waived)
    return RenderOptions(color=False, width=None, show_waived=show_waived)


def _default_rules(rules: str | None) -> str:
    return rules or "rules.yaml"


def _guard(fn: F) -> F:
    """Turn seenby's own errors into one line on stderr and the error's exit code."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SeenbyError as exc:
            click.echo(f"seenby: error: {exc}", err=True)
            sys.exit(exc.exit_code)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="seenby")
def cli() -> None:
    """seenby: who can see your data.

    Finds buckets, tables and dashboards whose effective audience is broader than the
    audience declared for them in rules.yaml.
    """


@cli.command()
@click.argument("snapshots", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--rules", "rules_path", type=click.Path(dir_okay=False), help="Declared audiences (default ./rules.yaml)."
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write the report here (owner-only) instead of stdout."
)
@click.option(
    "--fail-on",
    type=_FAIL_ON,
    default="low",
    show_default=True,
    help="Exit 1 when a finding of this severity or higher is found.",
)
@click.option("--strict", is_flag=True, help="Exit 3 when any read was denied or failed (incomplete coverage).")
@click.option("--show-waived", is_flag=True, help="Also show findings hidden by a live waiver.")
@_guard
def audit(
    snapshots: tuple[str, ...],
    rules_path: str | None,
    fmt: str,
    output: str | None,
    fail_on: str,
    strict: bool,
    show_waived: bool,
) -> None:
    """Audit one or more snapshot files (shards are merged) against rules.yaml."""
    from seenby.audit import audit as run_audit
    from seenby.config import load_rules
    from seenby.reports import OutputFormat, render_findings
    from seenby.snapshot import load_snapshots

    snapshot = load_snapshots(snapshots)
    rules = load_rules(_default_rules(rules_path))
    result = run_audit(snapshot, rules)
    _emit(render_findings(result, OutputFormat(fmt), _options(output, show_waived)), output)
    _exit_for(result, fail_on, strict)


def _exit_for(result: Any, fail_on: str, strict: bool) -> None:
    if fail_on != "never" and any(f.severity.at_least(Severity(fail_on)) for f in result.active):
        sys.exit(EXIT_FINDINGS)
    if strict and result.gaps:
        sys.exit(EXIT_INCOMPLETE)
    sys.exit(EXIT_CLEAN)


@cli.command("who-can-read")
@click.argument("dataset")
@click.option(
    "--snapshot",
    "snapshots",
    multiple=True,
    required=True,
    type=click.Path(dir_okay=False),
    help="Snapshot file (repeat for shards).",
)
@click.option(
    "--rules",
    "rules_path",
    type=click.Path(dir_okay=False),
    help="Mark members inside/outside the declared audience (default ./rules.yaml if present).",
)
@click.option(
    "--level",
    "levels",
    multiple=True,
    type=click.Choice([lv.value for lv in AccessLevel]),
    help="Access level(s) to show (default: read).",
)
@click.option("--format", "fmt", type=click.Choice(AUDIENCE_FORMATS), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False))
@click.option("--expand-members", is_flag=True, help="List every member of a group, not only the group.")
@_guard
def who_can_read(
    dataset: str,
    snapshots: tuple[str, ...],
    rules_path: str | None,
    levels: tuple[str, ...],
    fmt: str,
    output: str | None,
    expand_members: bool,
) -> None:
    """Who can read DATASET (an id such as arn:aws:s3:::NAME, gs://NAME, or a unique name), and through what."""
    from seenby.config import load_rules
    from seenby.graph.build import build_graph
    from seenby.policies import evaluate
    from seenby.queries import who_can_read as query
    from seenby.reports import OutputFormat, render_audience
    from seenby.snapshot import load_snapshots

    snapshot = load_snapshots(snapshots)
    rules = None
    if rules_path or Path("rules.yaml").exists():
        rules = load_rules(_default_rules(rules_path))
    evaluation = evaluate(snapshot)
    report = query(
        build_graph(evaluation),
        dataset,
        levels=tuple(AccessLevel(lv) for lv in levels) or (AccessLevel.READ,),
        rules=rules,
        gaps=evaluation.gaps,
        collected_at=snapshot.collected_at,
        snapshot_source=snapshot.source,
        expand_members=expand_members,
    )
    _emit(render_audience(report, OutputFormat(fmt), _options(output)), output)


class _Progress:
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


def _say(quiet: bool) -> Callable[[str], None]:
    return (lambda _m: None) if quiet else (lambda m: click.echo(f"seenby: {m}", err=True))


def _audit_and_report(
    snapshot: Any, rules_path: str | None, fmt: str, output: str | None, fail_on: str, strict: bool
) -> None:
    from seenby.audit import audit as run_audit
    from seenby.config import load_rules
    from seenby.reports import OutputFormat, render_findings

    rules = load_rules(_default_rules(rules_path))
    result = run_audit(snapshot, rules)
    _emit(render_findings(result, OutputFormat(fmt), _options(output)), output)
    _exit_for(result, fail_on, strict)


@cli.group()
def scan() -> None:
    """Scan a cloud (read-only API calls) into a snapshot."""


@scan.command("aws")
@click.option("--profile", help="A named profile of the AWS credential chain.")
@click.option("--region", "regions", multiple=True, help="Region(s) to scan (repeat); default: the session's region.")
@click.option("--all-regions", is_flag=True, help="Scan every region S3 is offered in.")
@click.option("--org", "org_mode", is_flag=True, help="Scan the whole organisation from its management account.")
@click.option(
    "--member-role", default="OrganizationAccountAccessRole", show_default=True, help="Role assumed in members."
)
@click.option("--max-workers", default=16, show_default=True, type=click.IntRange(1, 256))
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Snapshot file to write (owner-only).")
@click.option("--audit", "then_audit", is_flag=True, help="Also audit the snapshot against --rules and report.")
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--fail-on", type=_FAIL_ON, default="low", show_default=True)
@click.option("--strict", is_flag=True, help="Exit 3 when any read was denied or failed.")
@click.option(
    "--print-policy", is_flag=True, help="Print the minimal read-only IAM policy the scanner needs, and exit."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress or messages on stderr.")
@_guard
def scan_aws_command(
    profile: str | None,
    regions: tuple[str, ...],
    all_regions: bool,
    org_mode: bool,
    member_role: str,
    max_workers: int,
    output: str | None,
    then_audit: bool,
    rules_path: str | None,
    fmt: str,
    fail_on: str,
    strict: bool,
    print_policy: bool,
    quiet: bool,
) -> None:
    """Scan AWS with the standard credential chain (AWS_ENDPOINT_URL points it at a local endpoint)."""
    from seenby.scanners.aws import AwsScanConfig, scan_aws
    from seenby.scanners.aws import print_policy as minimal_policy

    if print_policy:
        click.echo(minimal_policy(member_role))
        return
    if not output and not then_audit:
        raise UsageError("give --output FILE to write the snapshot, and/or --audit to report on it")
    import boto3

    session = boto3.Session(profile_name=profile) if profile else boto3.Session()
    if all_regions:
        regions = tuple(session.get_available_regions("s3"))
    config = AwsScanConfig(
        session=session,
        regions=regions,
        org_mode=org_mode,
        member_role_name=member_role,
        max_workers=max_workers,
    )
    with _Progress(quiet) as progress:
        snapshot = scan_aws(config, progress=progress)
    if output:
        from seenby.snapshot import save_snapshot

        save_snapshot(snapshot, output)
        _say(quiet)(f"wrote {output} ({len(snapshot.resources)} resources)")
    if then_audit:
        _audit_and_report(snapshot, rules_path, fmt, None, fail_on, strict)


@cli.command()
@click.option(
    "--rules", "rules_path", type=click.Path(dir_okay=False), help="Declared audiences (default ./rules.yaml)."
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False))
@click.option("--snapshot-output", type=click.Path(dir_okay=False), help="Also keep the scanned snapshot here.")
@click.option("--fail-on", type=_FAIL_ON, default="never", show_default=True)
@click.option("--quiet", "-q", is_flag=True)
@_guard
def demo(
    rules_path: str | None, fmt: str, output: str | None, snapshot_output: str | None, fail_on: str, quiet: bool
) -> None:
    """Start a local AWS endpoint, seed the example organisation, scan it live, audit and report."""
    from seenby.config import load_rules
    from seenby.demo.run import run_demo

    load_rules(_default_rules(rules_path))  # a bad rules file fails before anything starts
    with _Progress(quiet) as progress:
        run = run_demo(progress=progress, on_phase=_say(quiet))
    _say(quiet)(
        f"scanned {sum(1 for r in run.snapshot.resources if r.type.startswith('aws.'))} AWS resources live; "
        f"Google Cloud replayed from recorded documents ({', '.join(run.replayed_types)})"
    )
    if snapshot_output:
        from seenby.snapshot import save_snapshot

        save_snapshot(run.snapshot, snapshot_output)
    _audit_and_report(run.snapshot, rules_path, fmt, output, fail_on, strict=False)


def main() -> None:
    cli(prog_name="seenby")


if __name__ == "__main__":
    main()
