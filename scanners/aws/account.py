"""Account-wide documents: S3 Block Public Access (s3control) and IAM authorization details."""

from __future__ import annotations

from typing import Any

from seenby.scanners.aws.calls import read
from seenby.scanners.aws.clients import Clients
from seenby.scanners.aws.operation import Operation
from seenby.snapshot import Read

__all__ = [
    "GET_ACCOUNT_AUTHORIZATION_DETAILS",
    "GET_PUBLIC_ACCESS_BLOCK",
    "OPERATIONS",
    "name_policies",
    "read_authorization_details",
    "read_public_access_block",
]

GET_PUBLIC_ACCESS_BLOCK = Operation(
    service="s3control",
    name="GetPublicAccessBlock",
    iam_action="s3:GetAccountPublicAccessBlock",
    absent=frozenset({"NoSuchPublicAccessBlockConfiguration"}),
)
GET_ACCOUNT_AUTHORIZATION_DETAILS = Operation(
    service="iam", name="GetAccountAuthorizationDetails", iam_action="iam:GetAccountAuthorizationDetails"
)
OPERATIONS = (GET_PUBLIC_ACCESS_BLOCK, GET_ACCOUNT_AUTHORIZATION_DETAILS)


def read_public_access_block(clients: Clients, account: str) -> Read:
    return read(clients.get("s3control"), GET_PUBLIC_ACCESS_BLOCK, AccountId=account)


def _name_from_arn(arn: Any) -> str | None:
    return arn.rsplit("/", 1)[-1] if isinstance(arn, str) and "/" in arn else None


def name_policies(doc: dict[str, Any]) -> dict[str, Any]:
    """Give every managed policy entry the ``PolicyName`` the API reference promises.

    AWS always sends it; some emulators omit it.  The name is the last segment of the
    policy's ARN (``arn:aws:iam::1…:policy/path/NAME``), so nothing is invented.
    """
    for policy in doc.get("Policies") or []:
        if isinstance(policy, dict) and not policy.get("PolicyName"):
            name = _name_from_arn(policy.get("Arn"))
            if name:
                policy["PolicyName"] = name
    for list_key in ("UserDetailList", "GroupDetailList", "RoleDetailList"):
        for entity in doc.get(list_key) or []:
            attached_list = entity.get("AttachedManagedPolicies") if isinstance(entity, dict) else None
            for attached in attached_list or []:
                if isinstance(attached, dict) and not attached.get("PolicyName"):
                    name = _name_from_arn(attached.get("PolicyArn"))
                    if name:
                        attached["PolicyName"] = name
    return doc


def read_authorization_details(clients: Clients) -> Read:
    """GetAccountAuthorizationDetails, every page merged into one document."""
    return read(clients.get("iam"), GET_ACCOUNT_AUTHORIZATION_DETAILS, shape=name_policies)
