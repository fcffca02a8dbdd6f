"""``seenby import``: documents exported elsewhere into a snapshot."""

from __future__ import annotations

import click

from seenby.cli_base import cli, guard, say
from seenby.errors import InputError


@cli.group("import")
def import_group() -> None:
    """Turn exports (Cloud Asset Inventory, …) into a snapshot for `seenby audit`."""


@import_group.command("gcp-cai")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--output", "-o", required=True, type=click.Path(dir_okay=False), help="Snapshot file to write (owner-only)."
)
@click.option("--quiet", "-q", is_flag=True)
@guard
def import_gcp_cai(files: tuple[str, ...], output: str, quiet: bool) -> None:
    """Cloud Asset Inventory NDJSON exports (RESOURCE, IAM_POLICY, ORG_POLICY content) into a snapshot.

    What an export lacks (deny policies, ACLs or access lists it does not hold) is recorded
    as a coverage gap, never as "none".
    """
    from seenby.importers.gcp_cai import import_cai
    from seenby.snapshot import save_snapshot

    snapshot = import_cai(files)
    if not any(r.type.startswith("gcp.") for r in snapshot.resources):
        # an empty export, or one of no asset type seenby reads: a snapshot of nothing would audit clean
        raise InputError(
            "no Cloud Asset Inventory asset seenby reads (projects, buckets, BigQuery datasets and tables, "
            "IAM policies); is this an export with --content-type RESOURCE or IAM_POLICY? Nothing was written",
            file=", ".join(files),
        )
    save_snapshot(snapshot, output)
    gaps = sum(1 for r in snapshot.resources for read in r.reads.values() if read.outcome.is_gap)
    say(quiet)(f"wrote {output} ({len(snapshot.resources)} resources, {gaps} reads not in the export)")


@import_group.command("gcp-directory")
@click.argument("snapshot_path", metavar="SNAPSHOT", type=click.Path(dir_okay=False, exists=True))
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--output", "-o", required=True, type=click.Path(dir_okay=False), help="Snapshot file to write (owner-only)."
)
@click.option("--quiet", "-q", is_flag=True)
@guard
def import_gcp_directory(snapshot_path: str, files: tuple[str, ...], output: str, quiet: bool) -> None:
    """Cloud Identity group memberships (gcloud identity groups memberships list / search-transitive-memberships
    JSON) into a snapshot, so audits count the people behind groups.

    A group the snapshot already read keeps its read; one it could not read takes the file's.
    """
    from seenby.importers.gcp_directory import directory_groups, with_directory
    from seenby.snapshot import load_snapshot, save_snapshot

    groups = directory_groups(files)
    snapshot = with_directory(load_snapshot(snapshot_path), groups)
    save_snapshot(snapshot, output)
    say(quiet)(f"wrote {output} ({len(groups)} group(s) from {len(files)} file(s))")
