"""The KMS join: SSE-KMS buckets need the key policy too.

Sources: https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html,
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
"""

from __future__ import annotations

from typing import Any

ACCT, OUTSIDE, ORG = "111122223333", "999988887777", "o-a1b2c3d4e5"
PUBLIC, AUTH, ROOT, ORG_NODE = "aws:public", "aws:authenticated", f"arn:aws:iam::{ACCT}:root", f"aws-org:{ORG}"
ROLE = f"arn:aws:iam::{ACCT}:role/ml-training"
SURE, COND = "sure", "conditional"
ORG_COND = {"StringEquals": {"aws:PrincipalOrgID": ORG}}


def _kp(aws: Any, *statements: dict) -> dict:
    return aws.policy(*statements)


def _root(aws: Any, action: Any = "kms:*") -> dict:
    return aws.stmt(principal={"AWS": ROOT}, action=action, resource="*", sid="EnableIAM")


def _run(aws: Any, *, bucket_policy: dict | None = None, key_policy: Any, roles=(), encryption: str | None = None,
         extra=()) -> Any:  # fmt: skip
    bucket = aws.bucket(policy=bucket_policy or "absent", encryption=encryption or aws.key_arn())
    return aws.evaluate(*aws.base(bucket, aws.kms_key(key_policy=key_policy), *extra, roles=roles))


def _role_reader(aws: Any) -> dict:
    return aws.role("ml-training", inline=(aws.policy(aws.idstmt(), aws.idstmt(action="kms:Decrypt", resource="*")),))


def test_key_policy_enabling_iam_lets_identity_policy_read(aws: Any) -> None:
    """Default key policy (root kms:*) enables IAM: an identity Allow for s3 and kms reads."""
    ev = _run(aws, key_policy=_kp(aws, _root(aws)), roles=(_role_reader(aws),))
    assert aws.audience(ev) == {ROLE: SURE}


def test_key_policy_without_iam_blocks_identity_policy(aws: Any) -> None:
    """Without the root statement, IAM policies cannot grant key use: no READ."""
    admin = _root(aws, action=["kms:Describe*", "kms:Put*"])
    ev = _run(aws, key_policy=_kp(aws, admin), roles=(_role_reader(aws),))
    assert aws.audience(ev) == {}


def test_identity_needs_kms_permission_too(aws: Any) -> None:
    """With IAM enabled, an identity policy that allows s3 but not kms:Decrypt cannot read."""
    role = aws.role("ml-training", inline=(aws.policy(aws.idstmt()),))
    ev = _run(aws, key_policy=_kp(aws, _root(aws)), roles=(role,))
    assert aws.audience(ev) == {}


def test_public_bucket_with_customer_key_is_not_public_for_read(aws: Any) -> None:
    """A public bucket policy does not make SSE-KMS object data public unless the key allows it."""
    ev = _run(aws, bucket_policy=aws.policy(aws.stmt()), key_policy=_kp(aws, _root(aws)))
    assert aws.audience(ev) == {}


def test_public_key_policy_and_public_bucket_is_public(aws: Any) -> None:
    """A key policy allowing "*" kms:Decrypt plus a public bucket policy is READ for any authenticated principal:
    SSE-KMS objects are served to signed requests only, so never to anonymous callers
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html)."""
    kp = _kp(aws, _root(aws), aws.stmt(principal="*", action="kms:Decrypt", resource="*"))
    ev = _run(aws, bucket_policy=aws.policy(aws.stmt()), key_policy=kp)
    assert aws.audience(ev) == {AUTH: SURE}


def test_kms_does_not_narrow_delete(aws: Any) -> None:
    """WRITE through DeleteObject needs no key: a public delete stays public."""
    ev = _run(aws, bucket_policy=aws.policy(aws.stmt(action="s3:DeleteObject")), key_policy=_kp(aws, _root(aws)))
    assert aws.audience(ev, "b", "write") == {PUBLIC: SURE}


def test_put_object_needs_generate_data_key(aws: Any) -> None:
    """WRITE through PutObject needs kms:GenerateDataKey: a key allowing only Decrypt blocks it."""
    kp = _kp(aws, aws.stmt(principal="*", action="kms:Decrypt", resource="*"))
    ev = _run(aws, bucket_policy=aws.policy(aws.stmt(action="s3:PutObject")), key_policy=kp)
    assert aws.audience(ev, "b", "write") == {}


def test_key_policy_gap_keeps_grant_conditional(aws: Any) -> None:
    """An unreadable key policy keeps the S3 grant, conditional with the reason named (fail closed)."""
    ev = _run(aws, bucket_policy=aws.policy(aws.stmt(condition=ORG_COND)), key_policy="denied")
    assert aws.audience(ev) == {ORG_NODE: COND}
    (g,) = aws.grants_of(ev)
    assert any("key policy" in c.reason and "could not be read" in c.reason for c in g.conditions)


def test_key_missing_from_snapshot_keeps_grant_conditional(aws: Any) -> None:
    """A key that is not in the snapshot is an unknown layer: conditional, never dropped."""
    bucket = aws.bucket(policy=aws.policy(aws.stmt(condition=ORG_COND)), encryption=aws.key_arn("not-there"))
    ev = aws.evaluate(*aws.base(bucket))
    assert aws.audience(ev) == {ORG_NODE: COND}


def test_key_referenced_by_id(aws: Any) -> None:
    """KMSMasterKeyID may be a bare key id; it resolves against the snapshot's keys."""
    kp = _kp(aws, aws.stmt(principal="*", action="kms:Decrypt", resource="*", condition=ORG_COND))
    ev = _run(aws, bucket_policy=aws.policy(aws.stmt(condition=ORG_COND)), key_policy=kp,
              encryption="1234abcd-12ab-34cd-56ef-1234567890ab")  # fmt: skip
    assert aws.audience(ev) == {ORG_NODE: SURE}


def test_sse_s3_does_not_narrow(aws: Any) -> None:
    """SSE-S3 (AES256) adds no layer: a public policy stays public."""
    ev = aws.evaluate(*aws.base(aws.bucket(policy=aws.policy(aws.stmt()), encryption="AES256")))
    assert aws.audience(ev) == {PUBLIC: SURE}


def test_aws_managed_key_does_not_narrow_within_account(aws: Any) -> None:
    """aws/s3 lets every principal of its account decrypt through S3: a same-account reader keeps READ."""
    role = aws.role("ml-training", inline=(aws.policy(aws.idstmt()),))
    ev = aws.evaluate(*aws.base(aws.bucket(encryption="alias/aws/s3"), roles=(role,)))
    assert aws.audience(ev) == {ROLE: SURE}


def test_aws_managed_key_blocks_public_read(aws: Any) -> None:
    """aws/s3 cannot be used by anonymous callers or other accounts: a public policy keeps only the owner account."""
    ev = aws.evaluate(*aws.base(aws.bucket(policy=aws.policy(aws.stmt()), encryption="aws:kms")))
    assert aws.audience(ev) == {ROOT: SURE}


def test_key_admin_is_bucket_admin(aws: Any) -> None:
    """kms:PutKeyPolicy on the bucket's key is ADMIN on the bucket (it decides who can read)."""
    kp = _kp(aws, aws.stmt(principal={"AWS": ROLE}, action="kms:PutKeyPolicy", resource="*", sid="KeyAdmin"))
    ev = _run(aws, key_policy=kp, roles=(aws.role("ml-training"),))
    assert aws.audience(ev, "b", "admin") == {ROLE: SURE}
    (g,) = aws.grants_of(ev, "b", "admin")
    assert g.evidence[0].sid == "KeyAdmin"


def test_cross_account_key_grant_needs_both(aws: Any) -> None:
    """A key policy naming another account delegates: that account's principals still need the bucket too."""
    kp = _kp(aws, aws.stmt(principal={"AWS": OUTSIDE}, action="kms:Decrypt", resource="*"))
    bp = aws.policy(aws.stmt(principal={"AWS": OUTSIDE}))
    ev = _run(aws, bucket_policy=bp, key_policy=kp)
    assert aws.audience(ev) == {f"arn:aws:iam::{OUTSIDE}:root": SURE}


def test_key_user_reads_a_public_bucket_through_its_own_kms_permission(aws: Any) -> None:
    """A role with only kms:Decrypt on the key (no S3 permission) reads a bucket whose policy allows "*": in the
    owner account the bucket policy's Allow suffices for S3, and its own IAM for the key (KMS_DEFAULT, SSE-KMS)."""
    key_user = aws.role("key-user", inline=(aws.policy(aws.idstmt(action="kms:Decrypt", resource=aws.key_arn())),))
    ev = _run(aws, bucket_policy=aws.policy(aws.stmt()), key_policy=_kp(aws, _root(aws)), roles=(key_user,))
    assert aws.audience(ev) == {f"arn:aws:iam::{ACCT}:role/key-user": SURE}
