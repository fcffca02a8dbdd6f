"""The permissions a scan needs, generated from the scanner modules' declarations."""

from __future__ import annotations

import json

from seenby.scanners.gcp import bigquery, identity, resourcemanager, storage, transfers
from seenby.scanners.gcp.operation import Operation

__all__ = ["OPERATIONS", "print_permissions", "required_permissions"]

OPERATIONS: tuple[Operation, ...] = (
    *resourcemanager.OPERATIONS,
    *storage.OPERATIONS,
    *bigquery.OPERATIONS,
    *transfers.OPERATIONS,
    *identity.OPERATIONS,
)
"""Every REST method any Google Cloud scanner module may call."""


def required_permissions() -> list[str]:
    """Every IAM permission the scan needs, sorted."""
    return sorted({p for op in OPERATIONS for p in op.permissions})


def print_permissions() -> str:
    """A custom role definition (``gcloud iam roles create --file``) granting exactly what the scan reads."""
    role = {
        "title": "seenby scanner (read-only)",
        "description": (
            "Read-only permissions for `seenby scan gcp`. Grant on the organisation, folder or projects scanned. "
            "Cloud Identity group memberships need the Workspace 'Groups Reader' admin role instead."
        ),
        "stage": "GA",
        "includedPermissions": required_permissions(),
    }
    return json.dumps(role, indent=2)
