"""``seenby scan superset``: read-only scan of one Apache Superset server (docs/superset.md)."""

from __future__ import annotations

import click

from seenby.cli_base import AUDIT_FORMATS, FAIL_ON, deliver_scan, guard, say
from seenby.commands.scan import scan
from seenby.errors import UsageError
from seenby.history.options import record_option, store_option


@scan.command("superset")
@click.option("--url", help="The Superset server, e.g. https://superset.corp.example")
@click.option(
    "--dashboard-rbac/--no-dashboard-rbac",
    default=None,
    help="Whether the server has the DASHBOARD_RBAC feature flag on (the API does not say); "
    "unset: both readings are kept, each conditional.",
)
@click.option("--jwt-login", is_flag=True, help="Sign in through /api/v1/security/login instead of the web form.")
@click.option("--max-workers", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Snapshot file to write (owner-only).")
@click.option("--audit", "then_audit", is_flag=True, help="Also audit the snapshot against --rules and report.")
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(AUDIT_FORMATS), default="table", show_default=True)
@click.option("--fail-on", type=FAIL_ON, default="low", show_default=True)
@click.option("--strict", is_flag=True, help="Exit 3 when any read was denied or failed.")
@click.option("--print-policy", is_flag=True, help="Print every call the scanner makes and the permission it needs.")
@click.option("--quiet", "-q", is_flag=True, help="No progress or messages on stderr.")
@record_option(default=True)
@store_option
@guard
def scan_superset_command(
    url: str | None,
    dashboard_rbac: bool | None,
    jwt_login: bool,
    max_workers: int,
    output: str | None,
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
    """Scan a Superset server through its REST API (GET calls only, after one login).

    Credentials come from the environment only: SUPERSET_USERNAME and SUPERSET_PASSWORD
    (a session login; SUPERSET_AUTH_PROVIDER for --jwt-login), or SUPERSET_ACCESS_TOKEN.
    """
    from seenby.scanners.superset import SupersetScanConfig, credentials_from_env, scan_superset
    from seenby.scanners.superset import print_policy as policy_text

    if print_policy:
        click.echo(policy_text(), nl=False)
        return
    if not url:
        raise UsageError("give --url URL of the Superset server")
    if not output and not then_audit:
        raise UsageError("give --output FILE to write the snapshot, and/or --audit to report on it")
    config = SupersetScanConfig(
        url=url,
        credentials=credentials_from_env(),
        dashboard_rbac=dashboard_rbac,
        jwt_login=jwt_login,
        max_workers=max_workers,
    )
    snapshot = scan_superset(config, progress=say(quiet))
    deliver_scan(
        snapshot, output=output, record=record, store=store, then_audit=then_audit, rules_path=rules_path,
        fmt=fmt, fail_on=fail_on, strict=strict, quiet=quiet,
    )  # fmt: skip
