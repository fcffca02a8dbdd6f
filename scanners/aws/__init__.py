"""AWS scanners: read-only calls into a snapshot. Imported as ``seenby.scanners.aws``.

::

    from seenby.scanners.aws import AwsScanConfig, scan_aws
    snapshot = scan_aws(AwsScanConfig(session=boto3.Session(), regions=("eu-west-1",)))

What is read, and the document shapes, are in docs/snapshot.md; the permissions a scan
needs come from :func:`required_permissions` / :func:`print_policy`.
"""

from seenby.scanners.aws.config import AwsScanConfig
from seenby.scanners.aws.permissions import OPERATIONS, print_policy, required_permissions
from seenby.scanners.aws.scan import merged_scan, scan_aws, scan_aws_shards
from seenby.scanners.progress import ProgressSink

__all__ = [
    "OPERATIONS",
    "AwsScanConfig",
    "ProgressSink",
    "merged_scan",
    "print_policy",
    "required_permissions",
    "scan_aws",
    "scan_aws_shards",
]
