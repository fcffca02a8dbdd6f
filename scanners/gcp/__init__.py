"""Google Cloud scanners: read-only calls into a snapshot. Imported as ``seenby.scanners.gcp``.

::

    from seenby.scanners.gcp import GcpScanConfig, scan_gcp
    snapshot = scan_gcp(GcpScanConfig(projects=("corp-data",)))   # Application Default Credentials

What is read, and the document shapes, are in docs/snapshot.md and docs/gcp.md; the
permissions a scan needs come from :func:`required_permissions` / :func:`print_permissions`.
"""

from seenby.scanners.gcp.config import GcpScanConfig
from seenby.scanners.gcp.permissions import OPERATIONS, print_permissions, required_permissions
from seenby.scanners.gcp.scan import SCOPES, scan_gcp
from seenby.scanners.progress import ProgressSink

__all__ = [
    "OPERATIONS",
    "SCOPES",
    "GcpScanConfig",
    "ProgressSink",
    "print_permissions",
    "required_permissions",
    "scan_gcp",
]
