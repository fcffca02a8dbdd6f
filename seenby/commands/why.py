"""``seenby why``: why a principal can (or cannot) reach a dataset — layer by layer, and every path."""

from __future__ import annotations

import click

from seenby.cli_base import (
    Activity,
    cli,
    emit,
    guard,
    history_for_query,
    optional_rules,
    query_view,
    quiet_option,
    render_options,
    snapshot_or_history,
)
from seenby.model import AccessLevel

EXPLAIN_FORMATS = ["table", "json", "markdown", "html"]  # the renderers reports/explain.py has


@cli.command("why")
@click.argument("principal")
@click.argument("dataset")
@snapshot_or_history
@click.option(
    "--rules",
    "rules_path",
    type=click.Path(dir_okay=False),
    help="Show the declared audience (default ./rules.yaml if present).",
)
@click.option(
    "--level",
    type=click.Choice([lv.value for lv in AccessLevel]),
    default=AccessLevel.READ.value,
    show_default=True,
    help="Access level to explain.",
)
@click.option("--max-paths", type=click.IntRange(1, 200), default=20, show_default=True, help="Paths to list.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPLAIN_FORMATS),
    default="table",
    show_default=True,
    help="html: one self-contained page (the answer, a layer table per action, each path drawn).",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False))
@quiet_option
@guard
def why(
    principal: str,
    dataset: str,
    snapshots: tuple[str, ...],
    rules_path: str | None,
    level: str,
    max_paths: int,
    fmt: str,
    output: str | None,
    at: str | None,
    store: str | None,
    quiet: bool,
) -> None:
    """Why PRINCIPAL can (or cannot) reach DATASET.

    PRINCIPAL is an ARN, a class id (aws-org:o-…, aws-ou:…, aws:public, aws:authenticated,
    arn:aws:iam::ACCOUNT:root) or an IAM member (user:…, group:…, serviceAccount:…).
    AWS S3 decisions are explained layer by layer (identity, bucket policy, ACL, Object
    Ownership, Block Public Access, SCP/RCP, boundary, KMS key policy, access points);
    for every dataset, each path in the graph is listed with its evidence.

    From snapshot files (--snapshot), or from the latest recorded scan at or before --at
    (default: the latest) in the history store; the answer then names that scan and its age.
    --format html -o FILE writes one self-contained page to hand on (docs/html-report.md).
    """
    from seenby import api

    with Activity(quiet) as activity:
        activity.step("evaluating")
        if snapshots:
            view = query_view(snapshots=snapshots, at=at, store=store, rules_path=rules_path, containing=dataset)
            activity.step("explaining")
            report = view.why(principal, dataset, level=AccessLevel(level), max_paths=max_paths)
        else:  # a recorded scan: the paths from its graph index (the view when it has none)
            asked, path = history_for_query(at, store)
            rules = optional_rules(rules_path)
            with api.open_history(path) as history:
                activity.step("explaining")
                report = history.why(
                    principal, dataset, at=asked, level=AccessLevel(level), rules=rules, max_paths=max_paths
                )
        text = api.render(report, fmt, render_options(output))
    emit(text, output)
