"""The demo's live Superset (``seenby demo --live-superset``).

Superset from its own venv (``.venv-superset`` or ``SEENBY_SUPERSET_VENV``; docs/superset.md)
on a loopback port, seeded with the example's BI layer, scanned through the same scanner with a
session login, then stopped.  With ``SEENBY_SUPERSET_URL`` set, the demo scans that running
server instead (already seeded by :mod:`seenby.demo.seed_superset`; credentials from
``SUPERSET_USERNAME`` and ``SUPERSET_PASSWORD``), starting and seeding nothing: the live tests
use their session's server so.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from seenby.errors import UsageError
from seenby.snapshot import Resource

__all__ = ["demo_superset"]


def demo_superset(*, say: Callable[[str], None]) -> list[Resource]:
    """Start, seed and scan a local Superset (or scan the one at SEENBY_SUPERSET_URL); its resources."""
    from seenby.demo.seed_superset import seed_superset
    from seenby.demo.superset_server import ADMIN_USER, local_superset, superset_venv
    from seenby.scanners.superset import Credentials, SupersetScanConfig, credentials_from_env, scan_superset

    running = os.environ.get("SEENBY_SUPERSET_URL")
    if running:
        say(f"scanning the running Superset at {running} live (SEENBY_SUPERSET_URL)")
        config = SupersetScanConfig(url=running, credentials=credentials_from_env(), dashboard_rbac=True)
        return list(scan_superset(config).resources)
    venv = superset_venv()
    if venv is None:
        raise UsageError(
            "--live-superset needs Superset in .venv-superset (or SEENBY_SUPERSET_VENV): see docs/superset.md"
        )
    say("starting a local Superset (the first start initialises its metadata database: about a minute)")
    with local_superset(venv) as server:
        say(f"local Superset on {server.url}; seeding the example's dashboards, then scanning it live")
        seed_superset(server.url, admin_user=ADMIN_USER, admin_password=server.admin_password, work=server.work)
        creds = Credentials(username=ADMIN_USER, password=server.admin_password)
        scanned = scan_superset(SupersetScanConfig(url=server.url, credentials=creds, dashboard_rbac=True))
    return list(scanned.resources)
