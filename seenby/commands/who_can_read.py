"""``seenby who-can-read``: datasets' effective audiences, each member with its path.

Several datasets (or ``--all``) are answered from one evaluation; ``--format json`` then
writes JSON lines (one ``seenby.audience/v1`` document per line), as ``--format jsonl`` always does.
"""

from __future__ import annotations

from collections.abc import Iterator

import click

from seenby.cli_base import (
    AUDIENCE_FORMATS,
    Activity,
    cli,
    emit_many,
    guard,
    history_for_query,
    optional_rules,
    query_views,
    quiet_option,
    render_options,
    snapshot_or_history,
)
from seenby.errors import UsageError
from seenby.model import AccessLevel

JSONL = "jsonl"


def answers_format(fmt: str, subjects: int) -> str:
    """``json`` for one answer; JSON lines (``jsonl``) for several, or when asked."""
    return JSONL if fmt == JSONL or (fmt == "json" and subjects > 1) else fmt


@cli.command("who-can-read")
@click.argument("datasets", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every dataset of the snapshot (or of the chosen scan).")
@snapshot_or_history
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
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*AUDIENCE_FORMATS, JSONL]),
    default="table",
    show_default=True,
    help="json with several datasets, and jsonl always: one JSON document per line.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False))
@click.option("--expand-members", is_flag=True, help="List every member of a group, not only the group.")
@quiet_option
@guard
def who_can_read(
    datasets: tuple[str, ...],
    every: bool,
    snapshots: tuple[str, ...],
    rules_path: str | None,
    levels: tuple[str, ...],
    fmt: str,
    output: str | None,
    expand_members: bool,
    at: str | None,
    store: str | None,
    quiet: bool,
) -> None:
    """Who can read each DATASET (an id such as arn:aws:s3:::NAME, gs://NAME, or a unique name), and through what.

    Several DATASETs, or --all, are answered from one evaluation. From snapshot files
    (--snapshot), or from the latest recorded scan at or before --at (default: the latest)
    in the history store; the answer then names that scan and its age.
    """
    from seenby import api

    if every == bool(datasets):
        raise UsageError("give one or more DATASETs, or --all")
    chosen_levels = tuple(AccessLevel(lv) for lv in levels) or (AccessLevel.READ,)
    with Activity(quiet) as activity:
        activity.step("evaluating")
        if datasets and not snapshots:  # recorded scans: each dataset from its scan's graph index
            answers = list(_from_history(datasets, at, store, rules_path, chosen_levels, expand_members, activity))
        else:
            answers = []
            refs: tuple[str | None, ...] = datasets or (None,)
            for view, ref in zip(
                query_views(snapshots=snapshots, at=at, store=store, rules_path=rules_path, containing=refs),
                refs,
                strict=True,
            ):
                wanted = [ref] if ref is not None else sorted(view.datasets)
                for dataset in wanted:
                    activity.step("answering", done=len(answers), total=len(datasets) or len(wanted))
                    report = view.who_can_read(dataset, levels=chosen_levels, expand_members=expand_members)
                    answers.append(view.at(report))
        activity.step("rendering")
        out_format = answers_format(fmt, len(answers))
        if out_format == JSONL:
            emit_many(api.render_jsonl(answers), output)
        else:
            emit_many((api.render(a, out_format, render_options(output)) for a in answers), output)


def _from_history(
    datasets: tuple[str, ...],
    at: str | None,
    store: str | None,
    rules_path: str | None,
    levels: tuple[AccessLevel, ...],
    expand_members: bool,
    activity: Activity,
) -> Iterator[object]:
    """Each dataset's audience as of ``--at`` in the store (:meth:`seenby.api.History.who_can_read`)."""
    from seenby import api

    asked, path = history_for_query(at, store)
    rules = optional_rules(rules_path)
    with api.open_history(path) as history:
        for done, dataset in enumerate(datasets):
            activity.step("answering", done=done, total=len(datasets))
            yield history.who_can_read(dataset, at=asked, levels=levels, rules=rules, expand_members=expand_members)
