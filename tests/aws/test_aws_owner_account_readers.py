"""A grant narrowed to the bucket owner's account reaches every principal of that account, and so every caller
that can assume one of its roles (issue 22 item 4).

RPB = https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
  (RestrictPublicBuckets: "only AWS service principals and authorized users within the bucket owner's account");
KMS_DEFAULT = https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
  (a key whose policy enables only its own account's IAM: that account's principals allowed kms:Decrypt by IAM);
SSE_KMS = https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html;
ROLES = https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html
  (a role session is a principal of the role's account, whoever assumed it);
PRINCIPAL_ACCOUNT = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalaccount
"""

from __future__ import annotations

from typing import Any

ACCT, OUTSIDE = "111122223333", "999988887777"
ROOT = f"arn:aws:iam::{ACCT}:root"
OPS = f"arn:aws:iam::{ACCT}:role/ops"
LOCAL = f"arn:aws:iam::{ACCT}:role/local"
MALLORY = f"arn:aws:iam::{OUTSIDE}:user/mallory"
SURE = "sure"


def _trusting(aws: Any, account: str) -> dict:
    return aws.policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                       "Action": "sts:AssumeRole"})  # fmt: skip


def _ops(aws: Any, *inline: dict) -> dict:
    """Role ops: no S3 permission of its own, trusted by the outside account."""
    return aws.role("ops", trust=_trusting(aws, OUTSIDE), inline=inline)


def _outside(aws: Any) -> dict:
    """The outside account: mallory may assume ops."""
    assume = aws.policy(aws.idstmt(action="sts:AssumeRole", resource=OPS))
    return aws.account(OUTSIDE, bpa=aws.bpa(), users=(aws.user("mallory", OUTSIDE, inline=(assume,)),))


def _public_policy(aws: Any) -> dict:
    return aws.policy(aws.stmt())


def test_rpb_narrowed_public_policy_reaches_an_owner_role_and_who_assumes_it(aws: Any) -> None:
    """A public policy under RestrictPublicBuckets serves the owner account's principals (RPB): role ops among
    them (ROLES), so mallory, whom the outside account lets assume it, reads through it."""
    ev = aws.evaluate(*aws.base(aws.bucket(policy=_public_policy(aws)), _outside(aws),
                                account_bpa=aws.bpa(RestrictPublicBuckets=True), roles=(_ops(aws),)))  # fmt: skip
    assert aws.audience(ev) == {ROOT: SURE, OPS: SURE}
    assert aws.edges_into(ev, OPS) == {MALLORY: SURE}


def test_a_role_only_its_own_account_assumes_adds_nobody(aws: Any) -> None:
    """A role trusted by its own account alone brings in nobody beyond the account: it is not evaluated apart."""
    local = aws.role("local", trust=_trusting(aws, ACCT))
    ev = aws.evaluate(*aws.base(aws.bucket(policy=_public_policy(aws)), account_bpa=aws.bpa(RestrictPublicBuckets=True),
                                roles=(local,)))  # fmt: skip
    assert aws.audience(ev) == {ROOT: SURE}


def test_owner_only_key_lets_an_owner_role_with_decrypt_read(aws: Any) -> None:
    """A public policy on an SSE-KMS bucket whose key enables only its account's IAM (KMS_DEFAULT): anonymous
    callers are out (SSE_KMS); ops, allowed kms:Decrypt by its own IAM, reads, and mallory through it."""
    decrypt = aws.policy(aws.idstmt(action="kms:Decrypt", resource=aws.key_arn()))
    key = aws.kms_key(key_policy=aws.policy(aws.stmt(principal={"AWS": ROOT}, action="kms:*", resource="*")))
    bucket = aws.bucket(policy=_public_policy(aws), encryption=aws.key_arn())
    ev = aws.evaluate(*aws.base(bucket, key, _outside(aws), roles=(_ops(aws, decrypt),)))
    assert aws.audience(ev) == {OPS: SURE}
    assert aws.edges_into(ev, OPS) == {MALLORY: SURE}


def test_owner_only_key_keeps_out_an_owner_role_without_decrypt(aws: Any) -> None:
    """The same bucket and key, ops without kms:Decrypt: it passes S3 but not the key, so it does not read
    (KMS_DEFAULT)."""
    key = aws.kms_key(key_policy=aws.policy(aws.stmt(principal={"AWS": ROOT}, action="kms:*", resource="*")))
    bucket = aws.bucket(policy=_public_policy(aws), encryption=aws.key_arn())
    ev = aws.evaluate(*aws.base(bucket, key, _outside(aws), roles=(_ops(aws),)))
    assert aws.audience(ev) == {}


def test_aws_managed_key_lets_every_owner_role_read(aws: Any) -> None:
    """aws/s3 serves every principal of its account through S3 and nobody else (SSE_KMS): ops reads with no key
    permission of its own, and mallory through it."""
    bucket = aws.bucket(policy=_public_policy(aws), encryption="aws:kms")
    ev = aws.evaluate(*aws.base(bucket, _outside(aws), roles=(_ops(aws),)))
    assert aws.audience(ev) == {ROOT: SURE, OPS: SURE}


def test_account_wide_policy_and_own_decrypt_read(aws: Any) -> None:
    """A bucket policy of "*" narrowed to the owner account by aws:PrincipalAccount (PRINCIPAL_ACCOUNT) lets a
    same-account role with only kms:Decrypt on the key read: the policy is its S3 layer, its IAM its key layer."""
    decrypt = aws.policy(aws.idstmt(action="kms:Decrypt", resource=aws.key_arn()))
    key_user = aws.role("key-user", inline=(decrypt,))
    key = aws.kms_key(key_policy=aws.policy(aws.stmt(principal={"AWS": ROOT}, action="kms:*", resource="*")))
    account_wide = aws.policy(aws.stmt(condition={"StringEquals": {"aws:PrincipalAccount": ACCT}}))
    ev = aws.evaluate(*aws.base(aws.bucket(policy=account_wide, encryption=aws.key_arn()), key, roles=(key_user,)))
    assert aws.audience(ev) == {f"arn:aws:iam::{ACCT}:role/key-user": SURE}
