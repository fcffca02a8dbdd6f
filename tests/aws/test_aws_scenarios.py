"""The acceptance scenarios (a)-(f) of the example organisation, as miniature snapshots.

Sources: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid,
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user.html
"""

from __future__ import annotations

from seenby.model import AccessLevel, EvidenceKind

TELEMETRY = "corp-employee-telemetry-raw"
TELEMETRY_KMS = "corp-employee-telemetry-curated"
ORG_CONDITION = {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}


def _org_read_policy(aws, name):
    return aws.policy(
        aws.stmt(principal="*", action="s3:GetObject", bucket=name, condition=ORG_CONDITION, sid="OrgRead")
    )


def _key_policy(aws):
    admin_actions = ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
                     "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:ScheduleKeyDeletion"]  # fmt: skip
    return aws.policy(
        aws.stmt(principal={"AWS": f"arn:aws:iam::{aws.ACCT}:root"}, action=admin_actions, resource="*", sid="Admin"),
        aws.stmt(principal={"AWS": f"arn:aws:iam::{aws.ACCT}:role/ml-training"}, action=["kms:Decrypt"],
                 resource="*", sid="MlTrainingDecrypt"),
    )  # fmt: skip


def _engineering(aws, n=3):
    grp = aws.group(
        "engineering", inline=(aws.policy(aws.idstmt(resource="arn:aws:s3:::corp-employee-telemetry-*/*")),)
    )
    users = [aws.user(f"eng{i}", groups=("engineering",)) for i in range(n)]
    return grp, users


def test_a_org_wide_read_through_principal_org_id(aws) -> None:
    """(a) Principal "*" + StringEquals aws:PrincipalOrgID gives one READ grant to the organisation node."""
    ev = aws.evaluate(*aws.base(aws.bucket(TELEMETRY, policy=_org_read_policy(aws, TELEMETRY))))
    assert aws.audience(ev, TELEMETRY) == {aws.ORG_NODE: "sure"}
    (grant,) = aws.grants_of(ev, TELEMETRY)
    (evidence,) = grant.evidence
    assert evidence.kind is EvidenceKind.RESOURCE_POLICY
    assert (evidence.location, evidence.sid) == ("Statement[0]", "OrgRead")
    assert evidence.excerpt["Condition"]["StringEquals"]["aws:PrincipalOrgID"] == "o-a1b2c3d4e5"


def test_a_dataset_record(aws) -> None:
    """(a) The bucket becomes a Dataset with ARN id, account, region and tags."""
    ev = aws.evaluate(*aws.base(aws.bucket(TELEMETRY, tags={"classification": "restricted"})))
    ds = ev.datasets[f"arn:aws:s3:::{TELEMETRY}"]
    assert (ds.name, ds.account, ds.location, dict(ds.tags)) == (
        TELEMETRY, aws.ACCT, "eu-west-1", {"classification": "restricted"},
    )  # fmt: skip


def test_b_kms_key_narrows_org_read_to_the_role_it_allows(aws) -> None:
    """(b) A key policy allowing only ml-training kms:Decrypt leaves only ml-training at READ."""
    ev = aws.evaluate(
        *aws.base(
            aws.bucket(TELEMETRY_KMS, policy=_org_read_policy(aws, TELEMETRY_KMS), encryption=aws.key_arn()),
            aws.kms_key(key_policy=_key_policy(aws)),
            roles=(aws.role("ml-training"),),
        )
    )
    role = f"arn:aws:iam::{aws.ACCT}:role/ml-training"
    assert aws.audience(ev, TELEMETRY_KMS) == {role: "sure"}
    (grant,) = aws.grants_of(ev, TELEMETRY_KMS)
    assert [(e.kind, e.sid) for e in grant.evidence] == [
        (EvidenceKind.RESOURCE_POLICY, "OrgRead"), (EvidenceKind.KEY_POLICY, "MlTrainingDecrypt"),
    ]  # fmt: skip


def test_c_group_identity_policy_reaches_matching_buckets_only_where_key_allows(aws) -> None:
    """(c) The engineering group reads every matching bucket, except the one whose key does not enable IAM."""
    grp, users = _engineering(aws)
    ev = aws.evaluate(
        *aws.base(
            aws.bucket(TELEMETRY),
            aws.bucket("corp-employee-telemetry-archive"),
            aws.bucket("corp-finance"),
            aws.bucket(TELEMETRY_KMS, encryption=aws.key_arn()),
            aws.kms_key(key_policy=_key_policy(aws)),
            groups=(grp,), users=users, roles=(aws.role("ml-training"),),
        )
    )  # fmt: skip
    engineering = f"arn:aws:iam::{aws.ACCT}:group/engineering"
    assert aws.audience(ev, TELEMETRY) == {engineering: "sure"}
    assert aws.audience(ev, "corp-employee-telemetry-archive") == {engineering: "sure"}
    assert aws.audience(ev, "corp-finance") == {}
    assert aws.audience(ev, TELEMETRY_KMS) == {}
    member_edges = {(e.source.id, e.target.id) for e in ev.edges if e.kind.value == "member-of"}
    assert member_edges == {(f"arn:aws:iam::{aws.ACCT}:user/eng{i}", engineering) for i in range(3)}


def test_c_class_people_counts_users(aws) -> None:
    """(c) class_people counts the IAM users behind the account and organisation nodes."""
    grp, users = _engineering(aws, n=1200)
    ev = aws.evaluate(*aws.base(groups=(grp,), users=users))
    assert ev.class_people[aws.ROOT] == 1200
    assert ev.class_people[aws.ORG_NODE] == 1200


def test_d_authenticated_users_acl_gives_list(aws) -> None:
    """(d) An ACL READ grant to AuthenticatedUsers is LIST (not READ) for aws:authenticated."""
    ev = aws.evaluate(*aws.base(aws.bucket("corp-analytics-exports", acl=[aws.acl_grant(aws.AUTH_USERS, "READ")])))
    assert aws.audience(ev, "corp-analytics-exports", AccessLevel.LIST) == {aws.AUTH: "sure"}
    assert aws.audience(ev, "corp-analytics-exports", AccessLevel.READ) == {}
    (grant,) = aws.grants_of(ev, "corp-analytics-exports", AccessLevel.LIST)
    assert [(e.kind, e.location) for e in grant.evidence] == [(EvidenceKind.ACL_GRANT, "Grants[1]")]


def test_d_ignore_public_acls_at_account_level(aws) -> None:
    """(d) Account-level IgnorePublicAcls removes the AuthenticatedUsers grant."""
    ev = aws.evaluate(
        *aws.base(
            aws.bucket("corp-analytics-exports", acl=[aws.acl_grant(aws.AUTH_USERS, "READ")]),
            account_bpa=aws.bpa(IgnorePublicAcls=True),
        )
    )
    assert aws.audience(ev, "corp-analytics-exports", AccessLevel.LIST) == {}


def test_e_restrict_public_buckets_keeps_owner_account_only(aws) -> None:
    """(e) A public policy under account-level RestrictPublicBuckets reaches only the owner account."""
    public = aws.policy(aws.stmt(principal="*", action="s3:GetObject"))
    ev = aws.evaluate(*aws.base(aws.bucket(policy=public), account_bpa=aws.bpa(RestrictPublicBuckets=True)))
    assert aws.audience(ev) == {aws.ROOT: "sure"}


def test_e_without_restrict_public_buckets_it_is_public(aws) -> None:
    """(e) The same public policy without BPA is one public grant."""
    public = aws.policy(aws.stmt(principal="*", action="s3:GetObject"))
    ev = aws.evaluate(*aws.base(aws.bucket(policy=public), account_bpa=aws.bpa()))
    assert aws.audience(ev) == {aws.PUBLIC: "sure"}


def test_f_org_trust_edge_and_role_read(aws) -> None:
    """(f) {"AWS":"*"} + aws:PrincipalOrgID trust: org node CAN_ASSUME the role, which reads the bucket."""
    trust = aws.policy(
        aws.stmt(principal={"AWS": "*"}, action="sts:AssumeRole", resource=None, condition=ORG_CONDITION)
    )
    del trust["Statement"][0]["Resource"]
    reader = aws.role(
        "telemetry-reader", trust=trust,
        inline=(aws.policy(aws.idstmt(resource=f"arn:aws:s3:::{TELEMETRY}/*")),),
    )  # fmt: skip
    ev = aws.evaluate(*aws.base(aws.bucket(TELEMETRY), roles=(reader,)))
    role_arn = f"arn:aws:iam::{aws.ACCT}:role/telemetry-reader"
    assert aws.edges_into(ev, role_arn) == {aws.ORG_NODE: "sure"}
    assert aws.audience(ev, TELEMETRY) == {role_arn: "sure"}
    (edge,) = [e for e in ev.edges if e.target.id == role_arn]
    assert edge.evidence[0].kind is EvidenceKind.TRUST_POLICY
