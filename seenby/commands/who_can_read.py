"""``seenby who-can-read``: a dataset's effective audience, each member with its path."""

from __future__ import annotations

import click

from seenby.cli_base import AUDIENCE_FORMATS, cli, emit, guard, query_view, render_options, snapshot_or_history
from seenby.model import AccessLevel


@cli.command("who-can-read")
@click.argument("dataset")
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
@click.option("--format", "fmt", type=click.Choice(AUDIENCE_FORMATS), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False))
@click.option("--expand-members", is_flag=True, help="List every member of a group, not only the group.")
@guard
def who_can_read(
    dataset: str,
    snapshots: tuple[str, ...],
    rules_path: str | None,
    levels: tuple[str, ...],
    fmt: str,
    output: str | None,
    expand_members: bool,
    at: str | None,
    store: str | None,
) -> None:
    """Who can read DATASET (an id such as arn:aws:s3:::NAME, gs://NAME, or a unique name), and through what.

    From snapshot files (--snapshot), or from the latest recorded scan at or before --at
    (default: the latest) in the history store; the answer then names that scan and its age.
    """
    from seenby.queries import who_can_read as query
    from seenby.reports import OutputFormat, render_audience, render_query
    from seenby.reports.audience_at import AudienceAt

    view = query_view(snapshots=snapshots, at=at, store=store, rules_path=rules_path, containing=dataset)
    report = query(
        view.graph,
        dataset,
        levels=tuple(AccessLevel(lv) for lv in levels) or (AccessLevel.READ,),
        rules=view.rules,
        gaps=view.evaluation.gaps,
        collected_at=view.snapshot.collected_at,
        snapshot_source=view.snapshot.source,
        expand_members=expand_members,
        collector=view.snapshot.collector,
        scope=view.snapshot.scope,
    )
    if fmt == "tsv":
        from seenby.reports import tsv

        emit(tsv.render_audience(report, render_options(output)), output)
    elif view.provenance.scan_id is None:
        emit(render_audience(report, OutputFormat(fmt), render_options(output)), output)
    else:
        subject = AudienceAt(report=report, provenance=view.provenance)
        emit(render_query("who-can-read", subject, fmt, render_options(output)), output)
