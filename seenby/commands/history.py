"""Incident response over time: ``seenby record``, ``scans``, ``what-can-read``, ``exposure`` and ``diff``.

Recorded scans live in the history store (``--store``, default under the user's data
directory); ``docs/history.md`` describes it.
"""

from __future__ import annotations

from typing import Any

import click

from seenby.cli_base import (
    FAIL_ON,
    Activity,
    cli,
    emit,
    emit_many,
    guard,
    history_for_query,
    optional_rules,
    query_view,
    quiet_option,
    render_options,
    say,
    snapshot_or_history,
)
from seenby.commands.who_can_read import JSONL, answers_format
from seenby.errors import UsageError
from seenby.history.options import store_option
from seenby.model import AUDITED_LEVELS, AccessLevel

QUERY_FORMATS = ["table", "json", "html"]
LEVELS = click.Choice([lv.value for lv in AccessLevel])


def _levels(levels: tuple[str, ...], default: tuple[AccessLevel, ...]) -> tuple[AccessLevel, ...]:
    return tuple(AccessLevel(lv) for lv in levels) or default


def _rules_option(fn: object) -> object:
    return click.option(
        "--rules",
        "rules_path",
        type=click.Path(dir_okay=False),
        help="Declared audiences (default ./rules.yaml if present).",
    )(fn)  # type: ignore[arg-type]


@cli.command()
@click.argument("snapshots", nargs=-1, required=True, type=click.Path(dir_okay=False))
@store_option
@click.option("--merge", is_flag=True, help="Record the files as shards of one scan instead of one scan each.")
@click.option("--quiet", "-q", is_flag=True)
@guard
def record(snapshots: tuple[str, ...], store: str | None, merge: bool, quiet: bool) -> None:
    """Record existing snapshot files in the history store (each file one scan, unless --merge)."""
    from seenby.history.recording import record_snapshot
    from seenby.snapshot import load_snapshot, load_snapshots

    if merge:
        record_snapshot(load_snapshots(snapshots), store=store, source=", ".join(snapshots), say=say(quiet))
        return
    loaded = [load_snapshot(p) for p in snapshots]  # every file valid before anything is recorded
    for path, snapshot in zip(snapshots, loaded, strict=True):
        record_snapshot(snapshot, store=store, source=path, say=say(quiet))


SCANS_SCHEMA = "seenby.scans/v1"


@cli.command()
@store_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "tsv"]), default="table", show_default=True)
@guard
def scans(store: str | None, fmt: str) -> None:
    """List the recorded scans of the history store (ids for diff @ID).

    --format json: one document (schema seenby/schemas/scans-v1.schema.json), oldest scan first.
    """
    from seenby.history.options import store_path
    from seenby.history.store import HistoryStore
    from seenby.reports.text import dump_json

    path = store_path(store)
    with HistoryStore.open(path, create=False) as history:
        rows = history.scans()
    if fmt == "json":
        document = {
            "schema": SCANS_SCHEMA,
            "store": str(path),
            "scans": [
                {
                    "scan_id": s.id,
                    "ref": s.ref,
                    "collected_at": s.when,
                    "recorded_at": s.recorded_at,
                    "resources": s.resources,
                    "source": s.source,
                    "scope": dict(s.scope),
                }
                for s in rows
            ],
        }
        click.echo(dump_json(document))
        return
    if fmt == "tsv":
        from seenby.reports.tsv import tsv

        click.echo(tsv(("scan", "collected_at", "resources", "source"),
                       ((s.ref, s.when, s.resources, s.source or "") for s in rows)), nl=False)
        return
    lines = [f"{'scan':>6}  {'collected':<20}  {'resources':>9}  source"]
    for s in rows:
        lines.append(f"{s.ref:>6}  {s.when:<20}  {s.resources:>9}  {s.source or '(live scan)'}")
    click.echo("\n".join(lines))
    click.echo(f"seenby: {len(rows)} scans in {path}", err=True)


@cli.command("what-can-read")
@click.argument("principals", nargs=-1, required=True)
@snapshot_or_history
@_rules_option
@click.option("--level", "levels", multiple=True, type=LEVELS, help="Access level(s) (default: read, write, admin).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*QUERY_FORMATS, JSONL]),
    default="table",
    show_default=True,
    help="json with several principals, and jsonl always: one JSON document per line.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False))
@quiet_option
@guard
def what_can_read(
    principals: tuple[str, ...],
    snapshots: tuple[str, ...],
    at: str | None,
    store: str | None,
    rules_path: str | None,
    levels: tuple[str, ...],
    fmt: str,
    output: str | None,
    quiet: bool,
) -> None:
    """Every dataset each PRINCIPAL can read, write or administer: through its groups, the roles it can
    assume, and the classes that contain it (its account, organisation, domain, the public).
    Several PRINCIPALs are answered from one evaluation."""
    from seenby import api

    with Activity(quiet) as activity:
        activity.step("evaluating")
        chosen_levels = _levels(levels, AUDITED_LEVELS)
        answers = []
        if snapshots:
            view = query_view(snapshots=snapshots, at=at, store=store, rules_path=rules_path, containing=None)
            for done, principal in enumerate(principals):
                activity.step("answering", done=done, total=len(principals))
                answers.append(view.what_can_read(principal, levels=chosen_levels))
        else:  # recorded scans: each principal from the scan's graph index (the view when it has none)
            asked, path = history_for_query(at, store)
            rules = optional_rules(rules_path)
            with api.open_history(path) as history:
                for done, principal in enumerate(principals):
                    activity.step("answering", done=done, total=len(principals))
                    answers.append(history.what_can_read(principal, at=asked, levels=chosen_levels, rules=rules))
        activity.step("rendering")
        out_format = answers_format(fmt, len(answers))
        if out_format == JSONL:
            emit_many(api.render_jsonl(answers), output)
        else:
            emit_many((api.render(a, out_format, render_options(output)) for a in answers), output)


@cli.command()
@click.argument("dataset")
@store_option
@_rules_option
@click.option("--level", "levels", multiple=True, type=LEVELS, help="Access level(s) (default: read).")
@click.option("--since", metavar="TIME", help="Only scans collected at or after TIME.")
@click.option("--until", metavar="TIME", help="Only scans collected at or before TIME.")
@click.option("--format", "fmt", type=click.Choice(QUERY_FORMATS), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False))
@guard
def exposure(
    dataset: str,
    store: str | None,
    rules_path: str | None,
    levels: tuple[str, ...],
    since: str | None,
    until: str | None,
    fmt: str,
    output: str | None,
) -> None:
    """DATASET's audience across the recorded scans: when each member appeared and disappeared, the
    document change that caused it, and the windows in which the audience exceeded the declaration."""
    from seenby.history.exposure import exposure_timeline
    from seenby.history.options import store_path
    from seenby.history.store import HistoryStore
    from seenby.history.times import parse_time
    from seenby.reports import render_query

    rules = optional_rules(rules_path)
    start = parse_time(since, option="--since") if since else None
    end = parse_time(until, option="--until") if until else None
    with HistoryStore.open(store_path(store), create=False) as history:
        timeline = exposure_timeline(
            history,
            dataset,
            rules=rules,  # type: ignore[arg-type]
            levels=_levels(levels, (AccessLevel.READ,)),
            since=start,
            until=end,
        )
    emit(render_query("exposure", timeline, fmt, render_options(output)), output)


@cli.command()
@click.argument("old")
@click.argument("new")
@store_option
@_rules_option
@click.option("--level", "levels", multiple=True, type=LEVELS, help="Access level(s) (default: read, write, admin).")
@click.option("--format", "fmt", type=click.Choice(QUERY_FORMATS), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False))
@click.option(
    "--fail-on",
    type=FAIL_ON,
    default="never",
    show_default=True,
    help="Exit 1 when a new or changed finding has this severity or higher.",
)
@guard
def diff(
    old: str,
    new: str,
    store: str | None,
    rules_path: str | None,
    levels: tuple[str, ...],
    fmt: str,
    output: str | None,
    fail_on: str,
) -> None:
    """Compare OLD and NEW: each a snapshot file, a recorded scan (@ID) or a time (the latest scan at
    or before it). Audiences gained and lost per dataset; new, fixed and changed findings."""
    import sys

    from seenby.findings import Severity
    from seenby.history.diff import diff_snapshots
    from seenby.history.select import choose_side
    from seenby.history_results import FindingChangeKind
    from seenby.reports import render_query

    rules = optional_rules(rules_path)
    if rules is None and fail_on != "never":
        raise UsageError(
            f"--fail-on {fail_on} compares findings, which needs declared audiences: give --rules FILE "
            "(there is no ./rules.yaml here)"
        )
    before = choose_side(old, store=store, what="OLD")
    after = choose_side(new, store=store, what="NEW")
    result = diff_snapshots(
        before.snapshot,
        after.snapshot,
        old_provenance=before.provenance,
        new_provenance=after.provenance,
        rules=rules,  # type: ignore[arg-type]
        levels=_levels(levels, AUDITED_LEVELS),
        evaluated=(_pair(before), _pair(after)),
    )
    emit(render_query("diff", result, fmt, render_options(output)), output)
    if fail_on != "never" and any(
        c.kind is not FindingChangeKind.FIXED and c.finding.severity.at_least(Severity(fail_on))
        for c in result.findings
    ):
        sys.exit(1)


def _pair(chosen: Any) -> Any:
    """A chosen side's evaluation and graph, when choosing made them (a recorded scan's view)."""
    return (chosen.evaluation, chosen.graph) if chosen.evaluation is not None and chosen.graph is not None else None
