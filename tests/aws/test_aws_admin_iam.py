"""Admin access through IAM: who can rewrite a principal that reaches a dataset.

Sources: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_manage-attach-detach.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/roles-managingrole-editing-api.html
"""

from __future__ import annotations

from typing import Any

ACCT = "111122223333"
READER = f"arn:aws:iam::{ACCT}:role/reader"
OPS = f"arn:aws:iam::{ACCT}:user/ops"
OTHER_ROLE = f"arn:aws:iam::{ACCT}:role/other"


def _reader(aws: Any, **kw: Any) -> dict:
    return aws.role("reader", inline=(aws.policy(aws.idstmt()),), **kw)


def _ops(aws: Any, action: str, resource: str = READER, **kw: Any) -> dict:
    return aws.user("ops", inline=(aws.policy(aws.idstmt(action=action, resource=resource, **kw)),))


def _admins(aws: Any, *resources: dict, policies=()) -> dict[str, str]:
    ev = aws.evaluate(*aws.base(aws.bucket(), users=[r for r in resources if "UserName" in r],
                                roles=[r for r in resources if "RoleName" in r], policies=policies))  # fmt: skip
    return aws.audience(ev, "b", "admin")


def test_put_role_policy_on_a_reader_role_is_admin(aws: Any) -> None:
    """iam:PutRolePolicy on a role that reads the bucket lets its holder widen access: ADMIN."""
    assert _admins(aws, _reader(aws), _ops(aws, "iam:PutRolePolicy")) == {OPS: "sure"}


def test_update_assume_role_policy_is_admin(aws: Any) -> None:
    """iam:UpdateAssumeRolePolicy on a reader role lets its holder let anyone assume it: ADMIN."""
    assert _admins(aws, _reader(aws), _ops(aws, "iam:UpdateAssumeRolePolicy")) == {OPS: "sure"}


def test_attach_role_policy_through_wildcard_resource_is_admin(aws: Any) -> None:
    """iam:AttachRolePolicy on role/* covers the reader role: ADMIN."""
    ops = _ops(aws, "iam:AttachRolePolicy", resource=f"arn:aws:iam::{ACCT}:role/*")
    assert _admins(aws, _reader(aws), ops) == {OPS: "sure"}


def test_iam_permission_on_an_unrelated_role_is_not_admin(aws: Any) -> None:
    """iam:PutRolePolicy on a role that reaches nothing gives no ADMIN on the bucket."""
    assert _admins(aws, _reader(aws), _ops(aws, "iam:PutRolePolicy", resource=OTHER_ROLE)) == {}


def test_read_only_iam_action_is_not_admin(aws: Any) -> None:
    """iam:GetRolePolicy changes nothing: no ADMIN."""
    assert _admins(aws, _reader(aws), _ops(aws, "iam:GetRolePolicy")) == {}


def test_create_policy_version_of_attached_managed_policy_is_admin(aws: Any) -> None:
    """iam:CreatePolicyVersion on a customer managed policy attached to the reader role: ADMIN."""
    arn = f"arn:aws:iam::{ACCT}:policy/read-b"
    reader = aws.role("reader", attached=(arn,))
    ops = _ops(aws, "iam:CreatePolicyVersion", resource=arn)
    assert _admins(aws, reader, ops, policies=[aws.managed(arn, aws.policy(aws.idstmt()))]) == {OPS: "sure"}


def test_put_group_policy_on_a_reader_group_is_admin(aws: Any) -> None:
    """iam:PutGroupPolicy on a group whose policy reads the bucket: ADMIN."""
    grp = aws.group("readers", inline=(aws.policy(aws.idstmt()),))
    ops = _ops(aws, "iam:PutGroupPolicy", resource=f"arn:aws:iam::{ACCT}:group/readers")
    ev = aws.evaluate(*aws.base(aws.bucket(), users=[ops], groups=[grp]))
    assert aws.audience(ev, "b", "admin") == {OPS: "sure"}


def test_explicit_deny_of_the_iam_action_removes_admin(aws: Any) -> None:
    """An explicit Deny of iam:PutRolePolicy in the holder's policies wins: no ADMIN."""
    ops = aws.user("ops", inline=(aws.policy(aws.idstmt(action="iam:PutRolePolicy", resource=READER),
                                             aws.idstmt(action="iam:*", resource="*", effect="Deny")),))  # fmt: skip
    assert _admins(aws, _reader(aws), ops) == {}


def test_conditional_iam_permission_gives_conditional_admin(aws: Any) -> None:
    """An iam:PutRolePolicy Allow under a condition seenby does not model gives a conditional ADMIN grant."""
    unmodelled = {"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}}
    ops = _ops(aws, "iam:PutRolePolicy", condition=unmodelled)
    assert _admins(aws, _reader(aws), ops) == {OPS: "conditional"}


def test_mfa_condition_on_iam_permission_keeps_admin(aws: Any) -> None:
    """An iam:PutRolePolicy Allow conditional on MFA is an ADMIN grant: a signed-in person can use MFA."""
    ops = _ops(aws, "iam:PutRolePolicy", condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    assert _admins(aws, _reader(aws), ops) == {OPS: "sure"}


def test_admin_grant_names_iam_statement_and_reaching_grant(aws: Any) -> None:
    """The ADMIN grant quotes the iam statement and the reader role's own grant on the bucket."""
    ops = _ops(aws, "iam:PutRolePolicy", sid="EditReader")
    ev = aws.evaluate(*aws.base(aws.bucket(), users=[ops], roles=[_reader(aws)]))
    (grant,) = [g for g in aws.grants_of(ev, "b", "admin") if g.principal.id == OPS]
    assert grant.evidence[0].sid == "EditReader"
    assert grant.evidence[-1].source == READER and READER in (grant.evidence[-1].note or "")


def test_scp_denying_iam_changes_removes_admin(aws: Any) -> None:
    """An SCP denying iam:PutRolePolicy to the account caps the holder: no ADMIN
    (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html)."""
    allow_all = aws.policy(aws.idstmt(action="*", resource="*"))
    deny = aws.policy(aws.idstmt(action="iam:PutRolePolicy", resource="*", effect="Deny"))
    org = aws.organization(scps=((allow_all, ("r-ab12",)), (deny, (ACCT,))))
    acct = aws.account(ACCT, users=[_ops(aws, "iam:PutRolePolicy")], roles=[_reader(aws)])
    ev = aws.evaluate(org, acct, aws.bucket())
    assert aws.audience(ev, "b", "admin") == {}
