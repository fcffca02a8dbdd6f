"""The permissions a scan needs, generated from the scanner modules' declarations."""

from __future__ import annotations

import json

from seenby.scanners.aws import account, identity, kms, organizations, services
from seenby.scanners.aws.config import DEFAULT_MEMBER_ROLE
from seenby.scanners.aws.operation import Operation

__all__ = ["OPERATIONS", "print_policy", "required_permissions"]

OPERATIONS: tuple[Operation, ...] = (
    *identity.OPERATIONS,
    *account.OPERATIONS,
    *kms.OPERATIONS,
    *organizations.OPERATIONS,
    *services.OPERATIONS,
)
"""Every operation any AWS scanner module may call."""


def required_permissions() -> list[str]:
    """Every IAM action the scan needs, sorted (sts:AssumeRole only for organisation mode)."""
    return sorted({op.iam_action for op in OPERATIONS})


def print_policy(member_role_name: str = DEFAULT_MEMBER_ROLE) -> str:
    """A minimal read-only IAM policy for the scanning identity (and the member role), as JSON."""
    reads = [a for a in required_permissions() if a != identity.ASSUME_ROLE.iam_action]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "SeenbyReadOnly", "Effect": "Allow", "Action": reads, "Resource": "*"},
            {
                "Sid": "SeenbyReachMemberAccounts",
                "Effect": "Allow",
                "Action": [identity.ASSUME_ROLE.iam_action],
                "Resource": f"arn:aws:iam::*:role/{member_role_name}",
            },
        ],
    }
    return json.dumps(policy, indent=2)
