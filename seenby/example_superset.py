"""The example organisation's Superset: a BI server whose Gamma role can chart the raw keystroke telemetry.

Not (yet) part of ``seenby.demo.example_org.build()`` and the default demo: merge it with
``merge_snapshots`` (tests/superset/test_superset_example.py does).

Its resources are a scan of ``seenby/data/superset-responses.json``, recorded from a live
Superset 6.1.0 seeded by :mod:`seenby.demo.seed_superset` (``examples/superset/record.py``
re-records it).  The "Keystroke activity" dashboard charts the ``keystrokes`` dataset, which a
``bigquery://corp-telemetry`` connection reads from ``ml_raw.keystrokes``: the telemetry
declared for the ML team re-exposed to every Gamma user (docs/superset.md).
"""

from __future__ import annotations

import json
from importlib import resources

from seenby.snapshot import Resource

__all__ = ["RECORDED_URL", "superset_resources"]

RECORDED_URL = "http://superset.corp.example:8088"


def superset_resources() -> list[Resource]:
    """The recorded scan's resources (DASHBOARD_RBAC declared on, as the recorded server had it)."""
    from seenby.scanners.superset import Credentials, SupersetScanConfig, scan_superset
    from seenby.scanners.superset.replay import RecordedTransport

    data = json.loads(resources.files("seenby").joinpath("data/superset-responses.json").read_text())
    transport = RecordedTransport(data["responses"])
    config = SupersetScanConfig(url=str(data["url"]), credentials=Credentials(username="example", password="-"),
                                dashboard_rbac=True, max_workers=1)  # fmt: skip
    return list(scan_superset(config, transport=transport).resources)
