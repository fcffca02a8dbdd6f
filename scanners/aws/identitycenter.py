"""IAM Identity Center: instances, permission sets, account assignments, and the identity store behind them.

``sso_instances`` (on the account) is ListInstances in every scanned region; each instance
becomes an ``aws.sso.instance`` resource with five composite reads.  A composite read
whose part fails takes that part's outcome (a partial list of assignments or members is
never recorded as the list).  Accounts of a permission set come from
ListAccountsForProvisionedPermissionSet, so assignments cost one call per (permission
set, account) pair that has any, not one per account of the organisation.
"""

from __future__ import annotations

from typing import Any

from seenby.registry import AwsAccountRead, SsoInstanceRead, TypeName
from seenby.scanners.aws.calls import read
from seenby.scanners.aws.operation import Operation
from seenby.scanners.aws.service import AccountContext, ServiceScanner, first_failure, ok_read
from seenby.scanners.reads import compose, require
from seenby.snapshot import Read, Resource

__all__ = ["IDENTITY_CENTER", "OPERATIONS", "read_instance"]

RESOURCE_TYPE = TypeName.AWS_SSO_INSTANCE
LISTING = AwsAccountRead.SSO_INSTANCES


def _sso(name: str, *absent: str) -> Operation:
    return Operation(service="sso-admin", name=name, iam_action=f"sso:{name}", absent=frozenset(absent))


def _ids(name: str) -> Operation:
    return Operation(service="identitystore", name=name, iam_action=f"identitystore:{name}")


LIST_INSTANCES = _sso("ListInstances")
LIST_PERMISSION_SETS = _sso("ListPermissionSets")
DESCRIBE_PERMISSION_SET = _sso("DescribePermissionSet")
GET_INLINE_POLICY = _sso("GetInlinePolicyForPermissionSet")
LIST_MANAGED_POLICIES = _sso("ListManagedPoliciesInPermissionSet")
LIST_ACCOUNTS_FOR_PERMISSION_SET = _sso("ListAccountsForProvisionedPermissionSet")
LIST_ACCOUNT_ASSIGNMENTS = _sso("ListAccountAssignments")
LIST_USERS = _ids("ListUsers")
LIST_GROUPS = _ids("ListGroups")
LIST_GROUP_MEMBERSHIPS = _ids("ListGroupMemberships")
OPERATIONS = (
    LIST_INSTANCES,
    LIST_PERMISSION_SETS,
    DESCRIBE_PERMISSION_SET,
    GET_INLINE_POLICY,
    LIST_MANAGED_POLICIES,
    LIST_ACCOUNTS_FOR_PERMISSION_SET,
    LIST_ACCOUNT_ASSIGNMENTS,
    LIST_USERS,
    LIST_GROUPS,
    LIST_GROUP_MEMBERSHIPS,
)


def _permission_sets(client: Any, instance: str) -> Read:
    def build() -> dict[str, Any]:
        out = []
        for arn in require(read(client, LIST_PERMISSION_SETS, InstanceArn=instance))["PermissionSets"]:
            args = {"InstanceArn": instance, "PermissionSetArn": arn}
            described = require(read(client, DESCRIBE_PERMISSION_SET, **args))
            inline = require(read(client, GET_INLINE_POLICY, **args))
            managed = require(read(client, LIST_MANAGED_POLICIES, **args))
            out.append(
                {
                    "PermissionSet": described.get("PermissionSet") or {"PermissionSetArn": arn},
                    "InlinePolicy": inline.get("InlinePolicy") or "",
                    "AttachedManagedPolicies": managed.get("AttachedManagedPolicies") or [],
                }
            )
        return {"PermissionSets": out}

    return compose(LIST_PERMISSION_SETS.api, build)


def _assignments(client: Any, instance: str, permission_sets: Read) -> Read:
    if not permission_sets.ok:
        return Read(
            outcome=permission_sets.outcome, api=LIST_ACCOUNT_ASSIGNMENTS.api, error_code=permission_sets.error_code,
            message=f"not read: the permission sets could not be listed ({permission_sets.message or ''})".strip(),
        )  # fmt: skip

    def build() -> dict[str, Any]:
        out: list[dict[str, Any]] = []
        for entry in permission_sets.document["PermissionSets"]:
            arn = entry["PermissionSet"]["PermissionSetArn"]
            accounts = require(
                read(client, LIST_ACCOUNTS_FOR_PERMISSION_SET, InstanceArn=instance, PermissionSetArn=arn)
            )["AccountIds"]
            for account in accounts:
                args = {"InstanceArn": instance, "AccountId": account, "PermissionSetArn": arn}
                listed = require(read(client, LIST_ACCOUNT_ASSIGNMENTS, **args))
                out.extend(listed["AccountAssignments"])
        return {"AccountAssignments": out}

    return compose(LIST_ACCOUNT_ASSIGNMENTS.api, build)


def _memberships(client: Any, store: str, groups: Read) -> Read:
    if not groups.ok:
        return Read(
            outcome=groups.outcome, api=LIST_GROUP_MEMBERSHIPS.api, error_code=groups.error_code,
            message="not read: the groups could not be listed",
        )  # fmt: skip

    def build() -> dict[str, Any]:
        out: list[dict[str, Any]] = []
        for group in groups.document["Groups"]:
            listed = require(read(client, LIST_GROUP_MEMBERSHIPS, IdentityStoreId=store, GroupId=group["GroupId"]))
            out.extend(listed["GroupMemberships"])
        return {"GroupMemberships": out}

    return compose(LIST_GROUP_MEMBERSHIPS.api, build)


def read_instance(ctx: AccountContext, region: str, instance: dict[str, Any]) -> Resource:
    """The five reads of one instance (permission sets and assignments; users, groups and memberships)."""
    arn, store = str(instance["InstanceArn"]), str(instance.get("IdentityStoreId") or "")
    sso = ctx.clients.get("sso-admin", region)
    ids = ctx.clients.get("identitystore", region)
    permission_sets = _permission_sets(sso, arn)
    groups = read(ids, LIST_GROUPS, IdentityStoreId=store)
    reads = {
        SsoInstanceRead.INSTANCE: ok_read(LIST_INSTANCES.api, instance),
        SsoInstanceRead.PERMISSION_SETS: permission_sets,
        SsoInstanceRead.ACCOUNT_ASSIGNMENTS: _assignments(sso, arn, permission_sets),
        SsoInstanceRead.USERS: read(ids, LIST_USERS, IdentityStoreId=store),
        SsoInstanceRead.GROUPS: groups,
        SsoInstanceRead.MEMBERSHIPS: _memberships(ids, store, groups),
    }
    # No account: its assignments reach roles in any account, so a gap here is a gap for every dataset.
    return Resource(type=RESOURCE_TYPE, id=arn, name=store or None, region=region, reads=reads)


def scan(ctx: AccountContext) -> None:
    listings = {region: read(ctx.clients.get("sso-admin", region), LIST_INSTANCES) for region in ctx.regions}
    ctx.put(LISTING, first_failure(listings) or ok_read(LIST_INSTANCES.api, {
        "Regions": {region: r.document for region, r in listings.items() if r.ok}
    }))  # fmt: skip
    for region, listing in listings.items():
        if not listing.ok:
            continue
        for instance in listing.document.get("Instances") or []:
            ctx.spawn(lambda r=region, i=instance: ctx.add(read_instance(ctx, r, i)))


IDENTITY_CENTER = ServiceScanner(
    name="identitycenter", account_reads={LISTING: LIST_INSTANCES.api}, operations=OPERATIONS, scan=scan
)
