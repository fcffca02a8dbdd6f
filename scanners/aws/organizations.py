"""The organisation: its description, accounts, tree of OUs, and SCPs/RCPs.

``tree`` and ``policies`` are composite reads: many calls, one document.  If any of
their calls fails the whole read takes that call's outcome; a partial tree is never
recorded as the tree.  Each account's parent comes from ListAccountsForParent (one call
per root or OU, not one per account).
"""

from __future__ import annotations

from typing import Any

from seenby.registry import TypeName
from seenby.scanners.aws.calls import read
from seenby.scanners.aws.clients import Clients
from seenby.scanners.aws.operation import Operation
from seenby.scanners.reads import compose, require
from seenby.snapshot import Read

__all__ = [
    "DESCRIBE_ORGANIZATION",
    "OPERATIONS",
    "POLICY_TYPES",
    "read_accounts",
    "read_organization",
    "read_policies",
    "read_tree",
]

RESOURCE_TYPE = TypeName.AWS_ORGANIZATION
POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")


def _org(name: str, *absent: str) -> Operation:
    return Operation(service="organizations", name=name, iam_action=f"organizations:{name}", absent=frozenset(absent))


DESCRIBE_ORGANIZATION = _org("DescribeOrganization", "AWSOrganizationsNotInUseException")
LIST_ACCOUNTS = _org("ListAccounts")
LIST_ROOTS = _org("ListRoots")
LIST_OUS_FOR_PARENT = _org("ListOrganizationalUnitsForParent")
LIST_ACCOUNTS_FOR_PARENT = _org("ListAccountsForParent")
LIST_POLICIES = _org("ListPolicies")
DESCRIBE_POLICY = _org("DescribePolicy")
LIST_TARGETS_FOR_POLICY = _org("ListTargetsForPolicy")
OPERATIONS = (
    DESCRIBE_ORGANIZATION,
    LIST_ACCOUNTS,
    LIST_ROOTS,
    LIST_OUS_FOR_PARENT,
    LIST_ACCOUNTS_FOR_PARENT,
    LIST_POLICIES,
    DESCRIBE_POLICY,
    LIST_TARGETS_FOR_POLICY,
)


def read_organization(clients: Clients) -> Read:
    """DescribeOrganization: absent (``AWSOrganizationsNotInUseException``) when the account is in none."""
    return read(clients.get("organizations"), DESCRIBE_ORGANIZATION)


def read_accounts(clients: Clients) -> Read:
    return read(clients.get("organizations"), LIST_ACCOUNTS)


def read_tree(clients: Clients) -> Read:
    """Roots, every OU (breadth first) with its parent, and each account's parent."""
    client = clients.get("organizations")

    def build() -> dict[str, Any]:
        roots = require(read(client, LIST_ROOTS))["Roots"]
        units: list[dict[str, Any]] = []
        parents: dict[str, str] = {}
        queue = [root["Id"] for root in roots]
        while queue:
            parent = queue.pop(0)
            children = require(read(client, LIST_OUS_FOR_PARENT, ParentId=parent))["OrganizationalUnits"]
            for ou in children:
                units.append({"Id": ou["Id"], "Arn": ou.get("Arn"), "Name": ou.get("Name"), "ParentId": parent})
                queue.append(ou["Id"])
            for account in require(read(client, LIST_ACCOUNTS_FOR_PARENT, ParentId=parent))["Accounts"]:
                parents[str(account["Id"])] = parent
        return {"Roots": roots, "OrganizationalUnits": units, "AccountParents": parents}

    return compose(LIST_ACCOUNTS_FOR_PARENT.api, build)


def read_policies(clients: Clients) -> Read:
    """Every SCP and RCP with its content and targets."""
    client = clients.get("organizations")

    def build() -> dict[str, Any]:
        policies: list[dict[str, Any]] = []
        for policy_type in POLICY_TYPES:
            for summary in require(read(client, LIST_POLICIES, Filter=policy_type))["Policies"]:
                described = require(read(client, DESCRIBE_POLICY, PolicyId=summary["Id"]))
                targets = require(read(client, LIST_TARGETS_FOR_POLICY, PolicyId=summary["Id"]))["Targets"]
                policies.append(
                    {
                        "PolicySummary": summary,
                        "Content": described.get("Policy", {}).get("Content"),
                        "Targets": targets,
                    }
                )
        return {"Policies": policies}

    return compose(LIST_POLICIES.api, build)
