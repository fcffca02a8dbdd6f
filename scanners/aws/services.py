"""The registered service scanners, in scan order (one entry per service module; see :mod:`.service`)."""

from __future__ import annotations

from seenby.scanners.aws.buckets import S3
from seenby.scanners.aws.dynamodb import DYNAMODB
from seenby.scanners.aws.ec2 import EC2_NETWORKS
from seenby.scanners.aws.glue import GLUE
from seenby.scanners.aws.identitycenter import IDENTITY_CENTER
from seenby.scanners.aws.lakeformation import LAKE_FORMATION
from seenby.scanners.aws.operation import Operation
from seenby.scanners.aws.quicksight import QUICKSIGHT
from seenby.scanners.aws.service import ServiceScanner

__all__ = ["OPERATIONS", "SERVICE_SCANNERS"]

SERVICE_SCANNERS: tuple[ServiceScanner, ...] = (
    S3, DYNAMODB, IDENTITY_CENTER, QUICKSIGHT, GLUE, LAKE_FORMATION, EC2_NETWORKS,
)  # fmt: skip
OPERATIONS: tuple[Operation, ...] = tuple(op for s in SERVICE_SCANNERS for op in s.operations)
