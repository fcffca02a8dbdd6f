"""IAM resources of a plan → the account's GetAccountAuthorizationDetails (GAAD) document.

The AWS evaluator reads identities from ``aws.account``'s ``authorization_details`` read
(docs/snapshot.md).  The plan's roles, users, groups, managed policies, inline policies,
attachments and group memberships are applied to a copy of the baseline's GAAD (or to an
empty one), in the shapes GAAD returns
(https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html).

A policy or trust document known only after apply is left out of the entity and recorded
as its own read on the account, ``ADDRESS.ATTRIBUTE`` (api ``terraform:plan``) with outcome ``error`` and error code
``UnknownAfterApply``: a coverage gap for every dataset of the account, never "no policy".
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seenby.importers.terraform.context import Builder, Context, decode_policy
from seenby.importers.terraform.plan import PlannedResource
from seenby.importers.terraform.resolve import Unknown, is_unknown
from seenby.importers.terraform.state import ok, unknown
from seenby.registry import TypeName

__all__ = ["IAM_BUILDERS", "IAM_DELETERS", "PLAN_API", "finish_gaads"]

_API = "iam:GetAccountAuthorizationDetails"
PLAN_API = "terraform:plan"  # the "operation" of a read that only the plan could have answered


@dataclass(frozen=True, slots=True)
class _Kind:
    list_key: str
    name_key: str
    id_key: str
    inline_key: str
    arn_kind: str


_ROLE = _Kind("RoleDetailList", "RoleName", "RoleId", "RolePolicyList", "role")
_USER = _Kind("UserDetailList", "UserName", "UserId", "UserPolicyList", "user")
_GROUP = _Kind("GroupDetailList", "GroupName", "GroupId", "GroupPolicyList", "group")
_KINDS = {"role": _ROLE, "user": _USER, "group": _GROUP}


class GaadEditor:
    """A mutable copy of one account's GAAD document."""

    def __init__(self, account: str, partition: str, document: Any) -> None:
        self.account = account
        self.partition = partition
        doc = copy.deepcopy(document) if isinstance(document, dict) else {}
        self.doc: dict[str, Any] = {k: list(doc.get(k) or []) for k in
                                    ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")}
        self.changed = False

    def arn(self, kind: _Kind, name: str, path: str = "/") -> str:
        return f"arn:{self.partition}:iam::{self.account}:{kind.arn_kind}{path}{name}"

    def find(self, kind: _Kind, name: str) -> dict[str, Any] | None:
        return next((e for e in self.doc[kind.list_key] if e.get(kind.name_key) == name), None)

    def entity(self, kind: _Kind, name: str, path: str = "/") -> dict[str, Any]:
        """The entity named ``name``; a stub when neither the baseline nor the plan defines it."""
        self.changed = True
        found = self.find(kind, name)
        if found is None:
            found = {kind.name_key: name, "Path": path, "Arn": self.arn(kind, name, path), kind.inline_key: [],
                     "AttachedManagedPolicies": [], "Tags": []}
            if kind is _USER:
                found["GroupList"] = []
            self.doc[kind.list_key].append(found)
        return found

    def remove(self, kind: _Kind, name: str) -> None:
        self.changed = True
        self.doc[kind.list_key] = [e for e in self.doc[kind.list_key] if e.get(kind.name_key) != name]
        if kind is _GROUP:
            for user in self.doc["UserDetailList"]:
                user["GroupList"] = [g for g in user.get("GroupList") or [] if g != name]

    def set_inline(self, kind: _Kind, owner: str, name: str, document: Any | None) -> None:
        entity = self.entity(kind, owner)
        policies = [p for p in entity.get(kind.inline_key) or [] if p.get("PolicyName") != name]
        if document is not None:
            policies.append({"PolicyName": name, "PolicyDocument": document})
        entity[kind.inline_key] = policies

    def attach(self, kind: _Kind, owner: str, policy_arn: str, *, attached: bool = True) -> None:
        entity = self.entity(kind, owner)
        current = [p for p in entity.get("AttachedManagedPolicies") or [] if p.get("PolicyArn") != policy_arn]
        if attached:
            current.append({"PolicyName": policy_arn.rsplit("/", 1)[-1], "PolicyArn": policy_arn})
        entity["AttachedManagedPolicies"] = current

    def set_managed(self, arn: str, name: str, path: str, document: Any | None) -> None:
        self.changed = True
        self.doc["Policies"] = [p for p in self.doc["Policies"] if p.get("Arn") != arn]
        if document is not None:
            self.doc["Policies"].append({
                "PolicyName": name, "Arn": arn, "Path": path, "DefaultVersionId": "v1",
                "PolicyVersionList": [{"Document": document, "VersionId": "v1", "IsDefaultVersion": True}]})


def _gaad(ctx: Context) -> GaadEditor | None:
    account = ctx.account
    if account is None:
        return None
    editor = ctx.gaads.get(account)
    if editor is None:
        d = ctx.state.get(TypeName.AWS_ACCOUNT, account)
        read = d.reads.get("authorization_details") if d is not None else None
        editor = ctx.gaads[account] = GaadEditor(account, ctx.partition, read.document if read and read.ok else None)
    return editor


def _gap(ctx: Context, res: PlannedResource, what: Unknown) -> None:
    if ctx.account is None:
        return
    d = ctx.state.draft(TypeName.AWS_ACCOUNT, ctx.account, account=ctx.account)
    ctx.state.set_read(d, f"{res.address}.{what.attribute}", unknown(PLAN_API, what), ctx.origin(res))


def _name(ctx: Context, res: PlannedResource, attribute: str) -> str | None:
    """An entity name; ARNs (policy_arn-style references to a role) are reduced to the name."""
    value = ctx.get(res, attribute, shape=lambda v: isinstance(v, str) and bool(v))
    if is_unknown(value):
        _gap(ctx, res, value)
        return None
    if isinstance(value, str) and value.startswith("arn:"):
        value = value.rsplit("/", 1)[-1]
    return value if isinstance(value, str) and value else None


def _policy(ctx: Context, res: PlannedResource, attribute: str) -> Any | None:
    value = decode_policy(ctx, res, ctx.get(res, attribute), attribute)
    if is_unknown(value):
        _gap(ctx, res, value)
        return None
    return value


def _entity_builder(kind: _Kind) -> Builder:
    def build(ctx: Context, res: PlannedResource) -> None:
        gaad = _gaad(ctx)
        name = _name(ctx, res, "name")
        if gaad is None or name is None:
            return
        path = ctx.get(res, "path")
        path = path if isinstance(path, str) and path else "/"
        entity = gaad.entity(kind, name, path)
        entity["Path"] = path
        entity["Arn"] = gaad.arn(kind, name, path)
        unique_id = ctx.get(res, "unique_id")
        if isinstance(unique_id, str):
            entity[kind.id_key] = unique_id
        tags = ctx.get(res, "tags_all") or ctx.get(res, "tags")
        if isinstance(tags, dict):
            entity["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
        origin = ctx.origin(res)
        ctx.state.index.entities[entity["Arn"]] = origin
        if kind is _ROLE:
            trust = _policy(ctx, res, "assume_role_policy")
            if trust is not None:
                entity["AssumeRolePolicyDocument"] = trust
            else:
                entity.pop("AssumeRolePolicyDocument", None)
            if "inline_policy" in res.expressions:  # written: the provider manages them exclusively
                entity[kind.inline_key] = []
                for i, block in enumerate(ctx.get(res, "inline_policy") or []):
                    doc = decode_policy(ctx, res, ctx.get(res, "inline_policy", i, "policy"), "inline_policy")
                    if is_unknown(doc):
                        _gap(ctx, res, doc)
                        continue
                    if block.get("name") and doc is not None:
                        entity[kind.inline_key].append({"PolicyName": block["name"], "PolicyDocument": doc})
                        ctx.state.index.inline[(entity["Arn"], block["name"])] = origin
            if "managed_policy_arns" in res.expressions:
                arns = ctx.get(res, "managed_policy_arns")
                if is_unknown(arns):
                    _gap(ctx, res, arns)
                else:
                    entity["AttachedManagedPolicies"] = [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a}
                                                         for a in sorted(arns or [])]
        boundary = ctx.get(res, "permissions_boundary")
        if isinstance(boundary, str) and boundary:
            entity["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy",
                                             "PermissionsBoundaryArn": boundary}

    return build


def iam_policy(ctx: Context, res: PlannedResource) -> None:
    gaad = _gaad(ctx)
    name = _name(ctx, res, "name")
    if gaad is None or name is None:
        return
    path = ctx.get(res, "path")
    path = path if isinstance(path, str) and path else "/"
    arn = gaad.arn(_Kind("", "", "", "", "policy"), name, path)
    document = _policy(ctx, res, "policy")
    # An unknown document leaves the policy out: attachments of it are then "missing" and fail closed.
    gaad.set_managed(arn, name, path, document)
    ctx.state.index.entities[arn] = ctx.origin(res)


def _inline_builder(kind: _Kind, owner_attr: str) -> Builder:
    def build(ctx: Context, res: PlannedResource) -> None:
        gaad = _gaad(ctx)
        owner = _name(ctx, res, owner_attr)
        name = ctx.get(res, "name")
        if gaad is None or owner is None or not isinstance(name, str):
            return
        document = _policy(ctx, res, "policy")
        gaad.set_inline(kind, owner, name, document)
        entity = gaad.entity(kind, owner)
        ctx.state.index.inline[(entity["Arn"], name)] = ctx.origin(res)

    return build


def _attachment_builder(kind: _Kind, owner_attr: str) -> Builder:
    def build(ctx: Context, res: PlannedResource) -> None:
        gaad = _gaad(ctx)
        owner = _name(ctx, res, owner_attr)
        policy_arn = ctx.get(res, "policy_arn", shape=lambda v: isinstance(v, str) and v.startswith("arn:"))
        if is_unknown(policy_arn):
            _gap(ctx, res, policy_arn)
            return
        if gaad is None or owner is None or not isinstance(policy_arn, str):
            return
        gaad.attach(kind, owner, policy_arn)
        ctx.origin(res)

    return build


def _names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) and x for x in value)


def policy_attachment(ctx: Context, res: PlannedResource) -> None:
    """``aws_iam_policy_attachment``: the policy is attached to exactly the listed users, roles and groups.

    The provider documents the attachment as exclusive across the account: every other
    entity that has the policy attached loses it
    (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_policy_attachment).
    Any list known only after apply makes the whole attachment a gap.
    """
    policy_arn = ctx.get(res, "policy_arn", shape=lambda v: isinstance(v, str) and v.startswith("arn:"))
    if is_unknown(policy_arn):
        _gap(ctx, res, policy_arn)
        return
    listed: dict[str, set[str]] = {}
    for attr, kind in (("users", _USER), ("roles", _ROLE), ("groups", _GROUP)):
        names = ctx.get(res, attr, shape=_names)
        if is_unknown(names):
            _gap(ctx, res, names)
            return
        listed[kind.list_key] = {n.rsplit("/", 1)[-1] if n.startswith("arn:") else n
                                 for n in names or [] if isinstance(n, str) and n}
    gaad = _gaad(ctx)
    if gaad is None or not isinstance(policy_arn, str):
        return
    origin = ctx.origin(res)
    for kind in (_USER, _ROLE, _GROUP):
        names = listed[kind.list_key]
        for entity in list(gaad.doc[kind.list_key]):
            name = entity.get(kind.name_key)
            attached = any(p.get("PolicyArn") == policy_arn for p in entity.get("AttachedManagedPolicies") or [])
            if attached and name not in names:
                gaad.attach(kind, str(name), policy_arn, attached=False)
        for name in sorted(names):
            gaad.attach(kind, name, policy_arn)
            ctx.state.index.entities.setdefault(gaad.arn(kind, name, str(gaad.entity(kind, name).get("Path") or "/")),
                                                origin)


def _delete_policy_attachment(ctx: Context, res: PlannedResource) -> None:
    gaad = _gaad(ctx)
    arn = res.value("policy_arn")
    if gaad is None or not isinstance(arn, str):
        return
    for attr, kind in (("users", _USER), ("roles", _ROLE), ("groups", _GROUP)):
        for name in res.value(attr) or []:
            if isinstance(name, str) and gaad.find(kind, name):
                gaad.attach(kind, name, arn, attached=False)
    ctx.origin(res)


def _memberships(
    ctx: Context, res: PlannedResource, one: str, many: str, pairs: Callable[[str, str], tuple[str, str]]
) -> None:
    """Add the (user, group) memberships ``pairs(name of one, each of many)`` gives; a list unknown after
    apply is a gap."""
    gaad = _gaad(ctx)
    name = _name(ctx, res, one)
    names = ctx.get(res, many)
    if is_unknown(names):
        _gap(ctx, res, names)
        return
    if gaad is None or name is None:
        return
    gaad.entity(_GROUP if one == "group" else _USER, name)  # it exists even with no members
    for other in names or []:
        user, group = pairs(name, other)
        gaad.entity(_GROUP, group)
        entity = gaad.entity(_USER, user)
        if group not in entity.setdefault("GroupList", []):
            entity["GroupList"].append(group)
    ctx.origin(res)


def group_membership(ctx: Context, res: PlannedResource) -> None:
    """``aws_iam_group_membership``: one group, its users."""
    _memberships(ctx, res, "group", "users", lambda group, user: (user, group))


def user_group_membership(ctx: Context, res: PlannedResource) -> None:
    """``aws_iam_user_group_membership``: one user, its groups."""
    _memberships(ctx, res, "user", "groups", lambda user, group: (user, group))


IAM_BUILDERS: dict[str, Builder] = {
    "aws_iam_role": _entity_builder(_ROLE),
    "aws_iam_user": _entity_builder(_USER),
    "aws_iam_group": _entity_builder(_GROUP),
    "aws_iam_policy": iam_policy,
    "aws_iam_role_policy": _inline_builder(_ROLE, "role"),
    "aws_iam_user_policy": _inline_builder(_USER, "user"),
    "aws_iam_group_policy": _inline_builder(_GROUP, "group"),
    "aws_iam_role_policy_attachment": _attachment_builder(_ROLE, "role"),
    "aws_iam_user_policy_attachment": _attachment_builder(_USER, "user"),
    "aws_iam_group_policy_attachment": _attachment_builder(_GROUP, "group"),
    "aws_iam_group_membership": group_membership,
    "aws_iam_user_group_membership": user_group_membership,
    "aws_iam_policy_attachment": policy_attachment,
}


def _delete_entity(kind: _Kind) -> Builder:
    def delete(ctx: Context, res: PlannedResource) -> None:
        gaad = _gaad(ctx)
        if gaad is not None and isinstance(res.value("name"), str):
            gaad.remove(kind, res.value("name"))
            ctx.origin(res)

    return delete


def _delete_inline(kind: _Kind, owner_attr: str) -> Builder:
    def delete(ctx: Context, res: PlannedResource) -> None:
        gaad = _gaad(ctx)
        owner, name = res.value(owner_attr), res.value("name")
        if gaad is not None and isinstance(owner, str) and isinstance(name, str) and gaad.find(kind, owner):
            gaad.set_inline(kind, owner, name, None)
            ctx.origin(res)

    return delete


def _delete_attachment(kind: _Kind, owner_attr: str) -> Builder:
    def delete(ctx: Context, res: PlannedResource) -> None:
        gaad = _gaad(ctx)
        owner, arn = res.value(owner_attr), res.value("policy_arn")
        if gaad is not None and isinstance(owner, str) and isinstance(arn, str) and gaad.find(kind, owner):
            gaad.attach(kind, owner, arn, attached=False)
            ctx.origin(res)

    return delete


def _delete_membership(ctx: Context, res: PlannedResource) -> None:
    gaad = _gaad(ctx)
    group = res.value("group")
    if gaad is None or not isinstance(group, str):
        return
    for user in res.value("users") or []:
        entity = gaad.find(_USER, user)
        if entity is not None:
            entity["GroupList"] = [g for g in entity.get("GroupList") or [] if g != group]
            gaad.changed = True
    ctx.origin(res)


def _delete_policy(ctx: Context, res: PlannedResource) -> None:
    gaad = _gaad(ctx)
    arn = res.value("arn")
    if gaad is not None and isinstance(arn, str):
        gaad.set_managed(arn, "", "/", None)
        ctx.origin(res)


IAM_DELETERS: dict[str, Builder] = {
    "aws_iam_role": _delete_entity(_ROLE),
    "aws_iam_user": _delete_entity(_USER),
    "aws_iam_group": _delete_entity(_GROUP),
    "aws_iam_policy": _delete_policy,
    "aws_iam_role_policy": _delete_inline(_ROLE, "role"),
    "aws_iam_user_policy": _delete_inline(_USER, "user"),
    "aws_iam_group_policy": _delete_inline(_GROUP, "group"),
    "aws_iam_role_policy_attachment": _delete_attachment(_ROLE, "role"),
    "aws_iam_user_policy_attachment": _delete_attachment(_USER, "user"),
    "aws_iam_group_policy_attachment": _delete_attachment(_GROUP, "group"),
    "aws_iam_group_membership": _delete_membership,
    "aws_iam_policy_attachment": _delete_policy_attachment,
}


BASELINE_GAP_READ = "authorization_details (baseline)"


def finish_gaads(ctx: Context) -> None:
    """Write every edited GAAD back to its account's ``authorization_details`` read.

    When the baseline could not read the account's GAAD (denied, failed), the plan's
    entities are applied to an empty document, which is not the account's IAM: the
    baseline's gap is kept beside it, as its own read, so every dataset of the account
    still reports it (fail closed) while the plan's own entities are evaluated.
    """
    for account, editor in ctx.gaads.items():
        if not editor.changed:
            continue
        d = ctx.state.draft(TypeName.AWS_ACCOUNT, account, account=account)
        baseline = d.reads.get("authorization_details")
        if baseline is not None and baseline.outcome.is_gap:
            ctx.state.set_read(d, BASELINE_GAP_READ, baseline, None)
        ctx.state.set_read(d, "authorization_details", ok(_API, editor.doc), None)
