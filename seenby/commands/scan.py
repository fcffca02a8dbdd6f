"""``seenby scan``: read-only scans into a snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from seenby.cli_base import AUDIT_FORMATS, FAIL_ON, Progress, cli, deliver_scan, guard, say
from seenby.errors import ScanError, UsageError
from seenby.history.options import record_option, store_option


def _session(profile: str | None) -> Any:
    """The boto3 session of ``--profile``; a profile the credential chain lacks cannot start a scan (exit 4)."""
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        return boto3.Session(profile_name=profile) if profile else boto3.Session()
    except BotoCoreError as exc:  # ProfileNotFound, a malformed config file, …
        raise ScanError(f"cannot start the AWS scan: {exc}") from None


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
@click.option(
    "--object-acl-limit", default=1000, show_default=True, type=click.IntRange(0),
    help="Object ACLs read per bucket whose ACLs are in force (the most recently modified objects).",
)  # fmt: skip
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Snapshot file to write (owner-only).")
@click.option(
    "--shards-dir",
    type=click.Path(file_okay=False),
    help="Also write one snapshot shard per account here (ACCOUNT.json); `seenby audit DIR/*.json` merges them.",
)
@click.option("--audit", "then_audit", is_flag=True, help="Also audit the snapshot against --rules and report.")
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(AUDIT_FORMATS), default="table", show_default=True)
@click.option("--fail-on", type=FAIL_ON, default="low", show_default=True)
@click.option("--strict", is_flag=True, help="Exit 3 when any read was denied or failed.")
@click.option(
    "--print-policy", is_flag=True, help="Print the minimal read-only IAM policy the scanner needs, and exit."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress or messages on stderr.")
@record_option(default=True)
@store_option
@guard
def scan_aws_command(
    profile: str | None,
    regions: tuple[str, ...],
    all_regions: bool,
    org_mode: bool,
    member_role: str,
    max_workers: int,
    object_acl_limit: int,
    output: str | None,
    shards_dir: str | None,
    then_audit: bool,
    rules_path: str | None,
    fmt: str,
    fail_on: str,
    strict: bool,
    print_policy: bool,
    quiet: bool,
    record: bool,
    store: str | None,
) -> None:
    """Scan AWS with the standard credential chain (AWS_ENDPOINT_URL points it at a local endpoint)."""
    from seenby.scanners.aws import AwsScanConfig, merged_scan, scan_aws_shards
    from seenby.scanners.aws import print_policy as minimal_policy

    if print_policy:
        click.echo(minimal_policy(member_role))
        return
    if not output and not then_audit and not shards_dir:
        raise UsageError("give --output FILE or --shards-dir DIR to write the snapshot, and/or --audit to report on it")
    if shards_dir:  # made before the scan: a directory that cannot be made fails before any call
        try:
            Path(shards_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"--shards-dir {shards_dir}: cannot create it ({exc.strerror})") from None
    session = _session(profile)
    if all_regions:
        regions = tuple(session.get_available_regions("s3"))
    config = AwsScanConfig(
        session=session,
        regions=regions,
        org_mode=org_mode,
        member_role_name=member_role,
        max_workers=max_workers,
        object_acl_limit=object_acl_limit,
        object_listing_limit=max(100_000, object_acl_limit),
    )
    with Progress(quiet) as progress:
        shards = scan_aws_shards(config, progress=progress)
    snapshot = merged_scan(shards)
    from seenby.snapshot import save_snapshot

    if shards_dir:
        directory = Path(shards_dir)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        for shard in shards:
            accounts = shard.scope.get("aws_accounts") or ["unknown"]
            save_snapshot(shard, directory / f"{'-'.join(accounts)}.json")
        say(quiet)(f"wrote {len(shards)} shard(s) to {directory}")
    deliver_scan(
        snapshot, output=output, record=record, store=store, then_audit=then_audit, rules_path=rules_path,
        fmt=fmt, fail_on=fail_on, strict=strict, quiet=quiet,
    )  # fmt: skip
