"""The example organisation's BI server: an Apache Superset whose Gamma role views the raw keystroke telemetry.

Part of :func:`seenby.demo.example_org.build` and of the default demo.  Its resources are a scan,
through the real scanner, of ``seenby/data/superset-responses.json``: the GET answers of a live
Superset 6.1.0 seeded by :mod:`seenby.demo.seed_superset` (``examples/superset/record.py``
re-records it; ``seenby demo --live-superset`` scans a live one instead).  The "Keystroke
activity" dashboard is published with the Gamma role (``DASHBOARD_RBAC``) and charts the
``keystrokes`` dataset, which a ``bigquery://corp-telemetry`` connection reads from
``ml_raw.keystrokes`` with its own credentials: the telemetry declared for the ML team,
re-exposed to every Gamma user (docs/superset.md).
"""

from __future__ import annotations

import json
from importlib import resources

from seenby.snapshot import Resource

__all__ = ["RECORDED_URL", "superset_resources"]

RECORDED_URL = "http://superset.corp.example:8088"


def superset_resources() -> list[Resource]:
    """Scan the recorded server (DASHBOARD_RBAC declared on, as the recorded server had it); its resources."""
    from seenby.scanners.superset import Credentials, SupersetScanConfig, scan_superset
    from seenby.scanners.superset.replay import RecordedTransport

    data = json.loads(resources.files("seenby").joinpath("data/superset-responses.json").read_text())
    transport = RecordedTransport(data["responses"])
    config = SupersetScanConfig(url=str(data["url"]), credentials=Credentials(username="example", password="-"),
                                dashboard_rbac=True, max_workers=1)  # fmt: skip
    return list(scan_superset(config, transport=transport).resources)
