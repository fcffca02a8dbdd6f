"""Builders for miniature AWS snapshots, shaped as docs/snapshot.md describes.

Exposed as the session fixture ``aws`` (a namespace of plain functions) so test
files stay free of helper imports under ``--import-mode=importlib``.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from seenby.model import AccessLevel, Evaluation
from seenby.policies.aws.provider import evaluate_snapshot
from seenby.snapshot import Snapshot, parse_snapshot

ORG = "o-a1b2c3d4e5"
ACCT = "111122223333"
OTHER = "444455556666"  # another account of the organisation
OUTSIDE = "999988887777"  # an account outside it
MGMT = "123456789012"
OWNER_ID = "c" * 64  # canonical id of ACCT

DENIED = "denied"
ABSENT = "absent"
ERROR = "error"


def read(api: str, document: Any) -> dict[str, Any]:
    """A read record: a document, or one of the outcomes ABSENT / DENIED / ERROR."""
    if document == ABSENT:
        return {"outcome": "absent", "api": api}
    if document == DENIED:
        return {"outcome": "denied", "api": api, "error_code": "AccessDenied", "message": "denied"}
    if document == ERROR:
        return {"outcome": "error", "api": api, "error_code": "InternalError", "message": "boom"}
    return {"outcome": "ok", "api": api, "document": document}


def stmt(
    effect: str = "Allow",
    principal: Any = "*",
    action: Any = "s3:GetObject",
    resource: Any = None,
    condition: dict[str, Any] | None = None,
    sid: str | None = None,
    *,
    bucket: str = "b",
    not_principal: Any = None,
    not_action: Any = None,
    not_resource: Any = None,
    identity: bool = False,
) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": effect}
    if sid:
        s["Sid"] = sid
    if not identity:
        if not_principal is not None:
            s["NotPrincipal"] = not_principal
        elif principal is not None:
            s["Principal"] = principal
    if not_action is not None:
        s["NotAction"] = not_action
    else:
        s["Action"] = action
    if not_resource is not None:
        s["NotResource"] = not_resource
    else:
        s["Resource"] = resource if resource is not None else f"arn:aws:s3:::{bucket}/*"
    if condition:
        s["Condition"] = condition
    return s


def idstmt(action: Any = "s3:GetObject", resource: Any = "arn:aws:s3:::b/*", effect: str = "Allow", **kw: Any) -> dict:
    return stmt(effect=effect, action=action, resource=resource, identity=True, **kw)


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def acl_grant(grantee: str, permission: str) -> dict[str, Any]:
    if grantee.startswith("http://"):
        return {"Grantee": {"Type": "Group", "URI": grantee}, "Permission": permission}
    return {"Grantee": {"Type": "CanonicalUser", "ID": grantee}, "Permission": permission}


ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"

BPA_OFF = {
    "BlockPublicAcls": False,
    "IgnorePublicAcls": False,
    "BlockPublicPolicy": False,
    "RestrictPublicBuckets": False,
}


def bpa(**on: bool) -> dict[str, Any]:
    return {"PublicAccessBlockConfiguration": {**BPA_OFF, **on}}


def bucket(
    name: str = "b",
    *,
    account: str = ACCT,
    policy: Any = ABSENT,
    acl: Any = None,
    bpa: Any = ABSENT,
    ownership: Any = ABSENT,
    encryption: Any = ABSENT,
    tags: Any = ABSENT,
    region: str = "eu-west-1",
) -> dict[str, Any]:
    """A bucket resource; ``policy`` a dict (JSON-encoded as S3 returns it), ``encryption`` 'AES256' or a key."""
    if isinstance(policy, dict):
        policy = {"Policy": json.dumps(policy)}
    if acl is None:
        acl = {"Owner": {"ID": OWNER_ID}, "Grants": [acl_grant(OWNER_ID, "FULL_CONTROL")]}
    elif isinstance(acl, list):
        acl = {"Owner": {"ID": OWNER_ID}, "Grants": [acl_grant(OWNER_ID, "FULL_CONTROL"), *acl]}
    if isinstance(ownership, str) and ownership not in (ABSENT, DENIED, ERROR):
        ownership = {"OwnershipControls": {"Rules": [{"ObjectOwnership": ownership}]}}
    if encryption == "AES256":
        encryption = {
            "ServerSideEncryptionConfiguration": {
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            }
        }
    elif isinstance(encryption, str) and encryption not in (ABSENT, DENIED, ERROR):
        key = None if encryption == "aws:kms" else encryption
        default = {"SSEAlgorithm": "aws:kms", **({"KMSMasterKeyID": key} if key else {})}
        encryption = {
            "ServerSideEncryptionConfiguration": {
                "Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": True}]
            }
        }
    if isinstance(tags, dict) and "TagSet" not in tags:
        tags = {"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
    return {
        "type": "aws.s3.bucket",
        "id": f"arn:aws:s3:::{name}",
        "name": name,
        "account": account,
        "region": region,
        "reads": {
            "policy": read("s3:GetBucketPolicy", policy),
            "acl": read("s3:GetBucketAcl", acl),
            "public_access_block": read("s3:GetBucketPublicAccessBlock", bpa),
            "ownership_controls": read("s3:GetBucketOwnershipControls", ownership),
            "encryption": read("s3:GetBucketEncryption", encryption),
            "tags": read("s3:GetBucketTagging", tags),
        },
    }


def user(name: str, account: str = ACCT, *, groups: tuple[str, ...] = (), inline: tuple[dict, ...] = (),
         attached: tuple[str, ...] = (), boundary: str | None = None, tags: dict[str, str] | None = None,
         uid: str | None = None) -> dict[str, Any]:  # fmt: skip
    u: dict[str, Any] = {
        "UserName": name, "UserId": uid or f"AIDA{name.upper()[:8]:X<8}EXAMPLE", "Path": "/",
        "Arn": f"arn:aws:iam::{account}:user/{name}", "GroupList": list(groups),
        "UserPolicyList": [{"PolicyName": f"inline{i}", "PolicyDocument": d} for i, d in enumerate(inline)],
        "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in attached],
        "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    }  # fmt: skip
    if boundary:
        u["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    return u


def group(name: str, account: str = ACCT, *, inline: tuple[dict, ...] = (), attached: tuple[str, ...] = ()) -> dict:
    return {
        "GroupName": name, "GroupId": f"AGPA{name.upper()[:8]:X<8}EXAMPLE", "Path": "/",
        "Arn": f"arn:aws:iam::{account}:group/{name}",
        "GroupPolicyList": [{"PolicyName": f"inline{i}", "PolicyDocument": d} for i, d in enumerate(inline)],
        "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in attached],
    }  # fmt: skip


def role(name: str, account: str = ACCT, *, trust: dict | None = None, inline: tuple[dict, ...] = (),
         attached: tuple[str, ...] = (), boundary: str | None = None, tags: dict[str, str] | None = None,
         rid: str | None = None) -> dict[str, Any]:  # fmt: skip
    r: dict[str, Any] = {
        "RoleName": name, "RoleId": rid or f"AROA{name.upper()[:8]:X<8}EXAMPLE", "Path": "/",
        "Arn": f"arn:aws:iam::{account}:role/{name}",
        "AssumeRolePolicyDocument": trust or policy(stmt(principal={"Service": "ec2.amazonaws.com"},
                                                         action="sts:AssumeRole", resource=None)),
        "RolePolicyList": [{"PolicyName": f"inline{i}", "PolicyDocument": d} for i, d in enumerate(inline)],
        "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in attached],
        "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    }  # fmt: skip
    for s in r["AssumeRolePolicyDocument"]["Statement"]:
        if s.get("Resource") in (None, "arn:aws:s3:::b/*"):
            s.pop("Resource", None)
    if boundary:
        r["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    return r


def managed(arn: str, document: dict[str, Any]) -> dict[str, Any]:
    return {
        "PolicyName": arn.rsplit("/", 1)[-1], "Arn": arn, "DefaultVersionId": "v2",
        "PolicyVersionList": [
            {"Document": policy(stmt(effect="Deny", action="*", resource="*", identity=True)), "VersionId": "v1",
             "IsDefaultVersion": False},
            {"Document": document, "VersionId": "v2", "IsDefaultVersion": True},
        ],
    }  # fmt: skip


def account(acct: str = ACCT, *, bpa: Any = ABSENT, users=(), groups=(), roles=(), policies=(), gaad: Any = None):
    details = gaad if gaad is not None else {
        "UserDetailList": list(users), "GroupDetailList": list(groups), "RoleDetailList": list(roles),
        "Policies": list(policies),
    }  # fmt: skip
    return {
        "type": "aws.account", "id": acct, "account": acct,
        "reads": {
            "public_access_block": read("s3control:GetPublicAccessBlock", bpa),
            "authorization_details": read("iam:GetAccountAuthorizationDetails", details),
        },
    }  # fmt: skip


def kms_key(key_id: str = "1234abcd-12ab-34cd-56ef-1234567890ab", account: str = ACCT, *, key_policy: Any = None,
            manager: str = "CUSTOMER", region: str = "eu-west-1") -> dict[str, Any]:  # fmt: skip
    arn = f"arn:aws:kms:{region}:{account}:key/{key_id}"
    if isinstance(key_policy, dict):
        key_policy = {"Policy": json.dumps(key_policy), "PolicyName": "default"}
    return {
        "type": "aws.kms.key", "id": arn, "account": account, "region": region,
        "reads": {
            "metadata": read("kms:DescribeKey", {"KeyMetadata": {"KeyId": key_id, "Arn": arn, "AWSAccountId": account,
                                                                 "KeyManager": manager}}),
            "policy": read("kms:GetKeyPolicy", key_policy if key_policy is not None else ABSENT),
        },
    }  # fmt: skip


def key_arn(key_id: str = "1234abcd-12ab-34cd-56ef-1234567890ab", account: str = ACCT) -> str:
    return f"arn:aws:kms:eu-west-1:{account}:key/{key_id}"


Attachments = tuple[tuple[dict, tuple[str, ...]], ...]


def organization(org_id: str = ORG, *, accounts: tuple[str, ...] = (ACCT, OTHER, MGMT), management: str = MGMT,
                 scps: Attachments = (), rcps: Attachments = (),
                 parents: dict[str, str] | None = None, ous: tuple[dict, ...] = ()) -> dict[str, Any]:  # fmt: skip
    root = "r-ab12"
    pols = []
    for i, (doc, targets) in enumerate(scps):
        pols.append(
            {
                "PolicySummary": {
                    "Id": f"p-scp{i}",
                    "Arn": f"arn:aws:organizations::{management}:policy/{org_id}/service_control_policy/p-scp{i}",
                    "Name": f"scp{i}",
                    "Type": "SERVICE_CONTROL_POLICY",
                },
                "Content": json.dumps(doc),
                "Targets": [{"TargetId": t, "Type": "ACCOUNT"} for t in targets],
            }
        )
    for i, (doc, targets) in enumerate(rcps):
        pols.append(
            {
                "PolicySummary": {
                    "Id": f"p-rcp{i}",
                    "Arn": f"arn:aws:organizations::{management}:policy/{org_id}/resource_control_policy/p-rcp{i}",
                    "Name": f"rcp{i}",
                    "Type": "RESOURCE_CONTROL_POLICY",
                },
                "Content": json.dumps(doc),
                "Targets": [{"TargetId": t, "Type": "ACCOUNT"} for t in targets],
            }
        )
    return {
        "type": "aws.organizations.organization", "id": org_id,
        "reads": {
            "organization": read("organizations:DescribeOrganization",
                                 {"Organization": {"Id": org_id, "MasterAccountId": management}}),
            "accounts": read("organizations:ListAccounts", {"Accounts": [{"Id": a} for a in accounts]}),
            "tree": read("organizations:ListRoots", {"Roots": [{"Id": root}], "OrganizationalUnits": list(ous),
                                                     "AccountParents": parents or {a: root for a in accounts}}),
            "policies": read("organizations:ListPolicies", {"Policies": pols}),
        },
    }  # fmt: skip


def snapshot(*resources: dict[str, Any]) -> Snapshot:
    data = {
        "schema_version": "1.0", "collected_at": "2026-11-23T09:00:00Z",
        "collector": {"tool": "seenby", "version": "test", "mode": "example"},
        "scope": {"aws_accounts": [ACCT]}, "resources": list(resources),
    }  # fmt: skip
    return parse_snapshot(data, source="<test>")


def evaluate(*resources: dict[str, Any]) -> Evaluation:
    return evaluate_snapshot(snapshot(*resources))


def audience(ev: Evaluation, name: str = "b", level: AccessLevel | str = AccessLevel.READ) -> dict[str, str]:
    """principal id -> 'sure' or 'conditional', for one bucket and level."""
    level = AccessLevel(level)
    out: dict[str, str] = {}
    for g in ev.grants:
        if g.dataset == f"arn:aws:s3:::{name}" and g.level is level:
            state = "conditional" if g.conditional else "sure"
            if out.get(g.principal.id) != "sure":
                out[g.principal.id] = state
    return out


def grants_of(ev: Evaluation, name: str = "b", level: AccessLevel | str = AccessLevel.READ) -> list:
    return [g for g in ev.grants if g.dataset == f"arn:aws:s3:::{name}" and g.level is AccessLevel(level)]


def edges_into(ev: Evaluation, role_arn: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in ev.edges:
        if e.target.id == role_arn and e.kind.value == "can-assume":
            out[e.source.id] = "conditional" if e.conditions else "sure"
    return out


ORG_NODE = f"aws-org:{ORG}"
ROOT = f"arn:aws:iam::{ACCT}:root"
OTHER_ROOT = f"arn:aws:iam::{OTHER}:root"
OUTSIDE_ROOT = f"arn:aws:iam::{OUTSIDE}:root"
PUBLIC = "aws:public"
AUTH = "aws:authenticated"


def base(*extra: dict[str, Any], account_bpa: Any = ABSENT, users=(), groups=(), roles=(), policies=()) -> tuple:
    """The organisation and the owner account, plus ``extra`` resources."""
    return (
        organization(),
        account(ACCT, bpa=account_bpa, users=users, groups=groups, roles=roles, policies=policies),
        *extra,
    )


@pytest.fixture(scope="session")
def aws() -> SimpleNamespace:
    return SimpleNamespace(
        **{k: v for k, v in globals().items() if not k.startswith("_") and k not in ("pytest", "json")}
    )
