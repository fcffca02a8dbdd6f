"""Apache Superset: one server, read through its REST API (``/api/v1/…``), GET calls only."""

from seenby.scanners.superset.client import Credentials, credentials_from_env
from seenby.scanners.superset.scan import OPERATIONS, SupersetScanConfig, print_policy, scan_superset

__all__ = ["OPERATIONS", "Credentials", "SupersetScanConfig", "credentials_from_env", "print_policy", "scan_superset"]
