"""IAM Identity Center (``aws.sso.instance``): the people behind the ``AWSReservedSSO_*`` roles.

https://docs.aws.amazon.com/singlesignon/latest/userguide/permissionsetsconcept.html and
https://docs.aws.amazon.com/singlesignon/latest/userguide/referencingpermissionsets.html:
assigning a permission set to a user or group in an account makes Identity Center
provision an IAM role ``AWSReservedSSO_<PermissionSetName>_<hash>`` under the path
``/aws-reserved/sso.amazonaws.com/`` (optionally followed by a region) in that account;
the assigned users, and the members of assigned groups, sign in as that role.  The suffix
is one token without ``_``: permission set ``Data`` is ``AWSReservedSSO_Data_<suffix>``,
never ``AWSReservedSSO_Data_Reader_<suffix>`` (permission set ``Data_Reader``).

So identity-store users and groups become principals (ids documented in
:mod:`seenby.model`): each membership a MEMBER_OF edge, each account assignment a
PERMISSION_SET edge to the provisioned role found in the account's IAM (the role's own
policies decide what it reaches).  An assignment whose role is not in the snapshot adds
no edge: either the account's IAM read is a gap (reported as such) or the permission set
is not provisioned there.  An assignment to a principal the identity-store read did not
return keeps a principal of its own, named by its id, rather than being dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from seenby.model import Edge, EdgeKind, Evidence, EvidenceKind, Principal, PrincipalKind, Provider
from seenby.policies.aws.iam import Entity
from seenby.policies.aws.services import ServiceContext
from seenby.registry import SsoInstanceRead, TypeName
from seenby.snapshot import Resource

__all__ = ["ROLE_PATH", "evaluate_identity_center", "provisioned_role", "sso_group_id", "sso_user_id"]

RESOURCE_TYPE = TypeName.AWS_SSO_INSTANCE
ROLE_PATH = "/aws-reserved/sso.amazonaws.com/"
ROLE_PREFIX = "AWSReservedSSO_"


def sso_user_id(store: str, user_name: str) -> str:
    return f"sso-user:{store}/{user_name}"


def sso_group_id(store: str, display_name: str) -> str:
    return f"sso-group:{store}/{display_name}"


def provisioned_role(roles: Mapping[str, Entity], permission_set: str) -> Entity | None:
    """The role Identity Center provisioned for ``permission_set`` among an account's roles."""
    prefix = f"{ROLE_PREFIX}{permission_set}_"
    for role in roles.values():
        path = role.arn.split(":role", 1)[-1]
        suffix = role.name[len(prefix):]
        if role.name.startswith(prefix) and suffix and "_" not in suffix and path.startswith(ROLE_PATH):
            return role
    return None


def _list(res: Resource, read: str, key: str) -> list[Any]:
    doc = res.document(read)
    return list(doc.get(key) or []) if isinstance(doc, Mapping) else []


def evaluate_identity_center(ctx: ServiceContext) -> None:
    for res in ctx.snapshot.of_type(RESOURCE_TYPE):
        _evaluate_instance(ctx, res)


def _evaluate_instance(ctx: ServiceContext, res: Resource) -> None:
    instance = res.document(SsoInstanceRead.INSTANCE) or {}
    store = str(instance.get("IdentityStoreId") or res.name or res.id)
    users: dict[str, Principal] = {}
    for u in _list(res, SsoInstanceRead.USERS, "Users"):
        name = str(u.get("UserName") or u["UserId"])
        users[u["UserId"]] = Principal(
            id=sso_user_id(store, name), kind=PrincipalKind.USER, provider=Provider.AWS,
            name=str(u.get("DisplayName") or name),
        )  # fmt: skip
    groups: dict[str, Principal] = {}
    for g in _list(res, SsoInstanceRead.GROUPS, "Groups"):
        name = str(g.get("DisplayName") or g["GroupId"])
        groups[g["GroupId"]] = Principal(
            id=sso_group_id(store, name), kind=PrincipalKind.GROUP, provider=Provider.AWS,
            name=f"{name} (Identity Center group)",
        )  # fmt: skip
    for p in (*users.values(), *groups.values()):
        ctx.evaluation.add_principal(p)
    for i, m in enumerate(_list(res, SsoInstanceRead.MEMBERSHIPS, "GroupMemberships")):
        user = users.get((m.get("MemberId") or {}).get("UserId", ""))
        group = groups.get(m.get("GroupId", ""))
        if user is None or group is None:
            continue
        evidence = Evidence(
            kind=EvidenceKind.GROUP_MEMBERSHIP, source=res.id, location=f"GroupMemberships[{i}]", excerpt=m
        )
        ctx.evaluation.add_edge(Edge(source=user, target=group, kind=EdgeKind.MEMBER_OF, evidence=(evidence,)))
    names = {
        str(e["PermissionSet"]["PermissionSetArn"]): str(e["PermissionSet"].get("Name") or "")
        for e in _list(res, SsoInstanceRead.PERMISSION_SETS, "PermissionSets")
    }
    for i, a in enumerate(_list(res, SsoInstanceRead.ACCOUNT_ASSIGNMENTS, "AccountAssignments")):
        source = _assignee(store, a, users, groups)
        name = names.get(str(a.get("PermissionSetArn")))
        iam = ctx.iams.get(str(a.get("AccountId")))
        role = provisioned_role(iam.roles, name) if iam is not None and name else None
        if source is None or role is None:
            continue
        evidence = Evidence(
            kind=EvidenceKind.ACCOUNT_ASSIGNMENT, source=res.id, location=f"AccountAssignments[{i}]", excerpt=a,
            note=f"permission set {name} in account {a.get('AccountId')}: signs in as {role.name}",
        )  # fmt: skip
        ctx.evaluation.add_edge(
            Edge(source=source, target=role.principal, kind=EdgeKind.PERMISSION_SET, evidence=(evidence,))
        )


def _assignee(
    store: str, assignment: Mapping[str, Any], users: Mapping[str, Principal], groups: Mapping[str, Principal]
) -> Principal | None:
    pid = str(assignment.get("PrincipalId") or "")
    kind = assignment.get("PrincipalType")
    if kind == "USER":
        return users.get(pid) or Principal(
            id=sso_user_id(store, f"id:{pid}"), kind=PrincipalKind.USER, provider=Provider.AWS,
            name=f"Identity Center user {pid} (not in the identity-store read)",
        )  # fmt: skip
    if kind == "GROUP":
        return groups.get(pid) or Principal(
            id=sso_group_id(store, f"id:{pid}"), kind=PrincipalKind.GROUP, provider=Provider.AWS,
            name=f"Identity Center group {pid} (not in the identity-store read)",
        )  # fmt: skip
    return None
