"""``seenby scan gcp``: read-only scan of Google Cloud projects, folders or an organisation."""

from __future__ import annotations

import click

from seenby.cli_base import AUDIT_FORMATS, FAIL_ON, Progress, deliver_scan, guard
from seenby.commands.scan import scan
from seenby.errors import UsageError
from seenby.history.options import record_option, store_option


@scan.command("gcp")
@click.option("--project", "projects", multiple=True, help="Project id to scan (repeat).")
@click.option("--folder", "folders", multiple=True, help="Folder (numeric id): every project under it (repeat).")
@click.option("--organization", "organizations", multiple=True, help="Organisation (numeric id): every project in it.")
@click.option("--max-workers", default=8, show_default=True, type=click.IntRange(1, 256))
@click.option("--no-groups", is_flag=True, help="Do not read Cloud Identity group memberships.")
@click.option(
    "--object-acl-limit",
    default=1000,
    show_default=True,
    type=click.IntRange(1, None),
    help="Per bucket without uniform access: read the ACLs of this many objects, newest first (the rest is a gap).",
)
@click.option(
    "--directory",
    "directory_files",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True),
    help="Group memberships as gcloud prints them (memberships list / search-transitive-memberships JSON), "
    "for groups the scan cannot read (repeat). See docs/gcp.md.",
)
@click.option("--quota-project", help="Project billed for API quota (x-goog-user-project), for user credentials.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Snapshot file to write (owner-only).")
@click.option("--audit", "then_audit", is_flag=True, help="Also audit the snapshot against --rules and report.")
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(AUDIT_FORMATS), default="table", show_default=True)
@click.option("--fail-on", type=FAIL_ON, default="low", show_default=True)
@click.option("--strict", is_flag=True, help="Exit 3 when any read was denied or failed.")
@click.option(
    "--print-permissions",
    is_flag=True,
    help="Print a custom role with exactly the read-only permissions the scanner needs, and exit.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress or messages on stderr.")
@record_option(default=True)
@store_option
@guard
def scan_gcp_command(
    projects: tuple[str, ...],
    folders: tuple[str, ...],
    organizations: tuple[str, ...],
    max_workers: int,
    no_groups: bool,
    object_acl_limit: int,
    directory_files: tuple[str, ...],
    quota_project: str | None,
    output: str | None,
    then_audit: bool,
    rules_path: str | None,
    fmt: str,
    fail_on: str,
    strict: bool,
    print_permissions: bool,
    quiet: bool,
    record: bool,
    store: str | None,
) -> None:
    """Scan Google Cloud with Application Default Credentials.

    STORAGE_EMULATOR_HOST points Cloud Storage at an emulator; the scan is then anonymous.
    """
    from seenby.scanners.gcp import GcpScanConfig, scan_gcp
    from seenby.scanners.gcp import print_permissions as permissions_role

    if print_permissions:
        click.echo(permissions_role())
        return
    config = GcpScanConfig(
        projects=projects,
        folders=folders,
        organizations=organizations,
        max_workers=max_workers,
        read_groups=not no_groups,
        object_acl_limit=object_acl_limit,
        quota_project=quota_project,
    )
    if not output and not then_audit:
        raise UsageError("give --output FILE to write the snapshot, and/or --audit to report on it")
    groups = []
    if directory_files:
        from seenby.importers.gcp_directory import directory_groups

        groups = directory_groups(directory_files)  # read first: a bad file stops before any call
    with Progress(quiet) as progress:
        snapshot = scan_gcp(config, progress=progress)
    if groups:
        from seenby.importers.gcp_directory import with_directory

        snapshot = with_directory(snapshot, groups)
    deliver_scan(
        snapshot, output=output, record=record, store=store, then_audit=then_audit, rules_path=rules_path,
        fmt=fmt, fail_on=fail_on, strict=strict, quiet=quiet,
    )  # fmt: skip
