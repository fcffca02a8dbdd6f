"""Identity policies, permission boundaries, role trust, SCPs and RCPs.

Sources: LOGIC = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
TRUST = https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user.html,
BOUNDARY = https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html,
SCP = https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html,
RCP = https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
"""

from __future__ import annotations

from typing import Any

import pytest

ACCT, OTHER, OUTSIDE, MGMT, ORG = "111122223333", "444455556666", "999988887777", "123456789012", "o-a1b2c3d4e5"
ROOT, ORG_NODE, AUTH, PUBLIC = f"arn:aws:iam::{ACCT}:root", f"aws-org:{ORG}", "aws:authenticated", "aws:public"
TARGET = f"arn:aws:iam::{ACCT}:role/target"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
SURE, COND = "sure", "conditional"


def _trust(aws: Any, principal: Any, condition: dict | None = None, action: str = "sts:AssumeRole") -> dict:
    s = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        s["Condition"] = condition
    return aws.policy(s)


TRUST_CASES = [
    ("service", {"Service": "sagemaker.amazonaws.com"}, None, {"sagemaker.amazonaws.com": SURE}),
    ("other-account-root", {"AWS": f"arn:aws:iam::{OUTSIDE}:root"}, None, {f"arn:aws:iam::{OUTSIDE}:root": SURE}),
    ("other-account-id", {"AWS": OUTSIDE}, None, {f"arn:aws:iam::{OUTSIDE}:root": SURE}),
    ("aws-star-is-authenticated", {"AWS": "*"}, None, {AUTH: SURE}),
    ("org-condition", {"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": ORG}}, {ORG_NODE: SURE}),
    # sts:ExternalId is a value the caller sends: it guards against a confused deputy, it names no audience
    ("external-id-narrows-nobody", {"AWS": OUTSIDE}, {"StringEquals": {"sts:ExternalId": "x"}},
     {f"arn:aws:iam::{OUTSIDE}:root": SURE}),
    # a service trust narrowed to the own account (confused-deputy guard): services acting for that account
    ("service-for-own-account", {"Service": "lambda.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": ACCT}},
     {f"aws-service-for:{ACCT}": SURE}),
    ("unmodelled-key-conditional", {"AWS": OUTSIDE}, {"StringEquals": {"sts:AWSServiceName": "x"}},
     {f"arn:aws:iam::{OUTSIDE}:root": COND}),
    ("named-user-same-account", {"AWS": ALICE}, None, {ALICE: SURE}),
    ("role-chaining", {"AWS": f"arn:aws:iam::{ACCT}:role/ml-training"}, None,
     {f"arn:aws:iam::{ACCT}:role/ml-training": SURE}),
]  # fmt: skip


@pytest.mark.parametrize(("principal", "condition", "expected"), [c[1:] for c in TRUST_CASES],
                         ids=[c[0] for c in TRUST_CASES])  # fmt: skip
def test_trust_edges(aws: Any, principal: Any, condition: dict | None, expected: dict) -> None:
    """Trust policy principals become CAN_ASSUME edges into the role, conditions kept (TRUST)."""
    roles = (aws.role("target", trust=_trust(aws, principal, condition)), aws.role("ml-training"))
    ev = aws.evaluate(*aws.base(roles=roles, users=(aws.user("alice"),)))
    assert aws.edges_into(ev, TARGET) == expected


def test_own_account_root_delegates_to_its_iam(aws: Any) -> None:
    """A trust naming the role's own account delegates to that account's IAM: with its IAM in the snapshot, only
    principals whose identity policies allow sts:AssumeRole may assume (here none: alice and ml-training have no
    policies), and the account node gets no edge, the root user being unable to assume a role
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts,
    TRUST)."""
    roles = (aws.role("target", trust=_trust(aws, {"AWS": ROOT})), aws.role("ml-training"))
    ev = aws.evaluate(*aws.base(roles=roles, users=(aws.user("alice"),)))
    assert aws.edges_into(ev, TARGET) == {}


def test_federated_web_identity(aws: Any) -> None:
    """A federated provider assuming with web identity is an edge from the provider, its claims conditional (TRUST)."""
    trust = _trust(aws, {"Federated": "token.actions.githubusercontent.com"},
                   {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:corp/*"}},
                   action="sts:AssumeRoleWithWebIdentity")  # fmt: skip
    ev = aws.evaluate(*aws.base(roles=(aws.role("target", trust=trust),)))
    assert aws.edges_into(ev, TARGET) == {"token.actions.githubusercontent.com": COND}


def test_identity_deny_removes_trust_edge(aws: Any) -> None:
    """A same-account user named in the trust but denied sts:AssumeRole has no edge (LOGIC)."""
    deny = aws.policy(aws.idstmt(effect="Deny", action="sts:AssumeRole", resource="*"))
    users = (aws.user("alice", inline=(deny,)),)
    ev = aws.evaluate(*aws.base(roles=(aws.role("target", trust=_trust(aws, {"AWS": ALICE})),), users=users))
    assert aws.edges_into(ev, TARGET) == {}


def test_trust_edge_evidence_is_trust_statement(aws: Any) -> None:
    """A trust edge quotes the trust policy statement (TRUST)."""
    ev = aws.evaluate(*aws.base(roles=(aws.role("target", trust=_trust(aws, {"AWS": OUTSIDE})),)))
    (edge,) = [e for e in ev.edges if e.target.id == TARGET]
    assert (edge.evidence[0].kind.value, edge.evidence[0].location) == ("trust-policy", "Statement[0]")


BOUNDARY_ARN = f"arn:aws:iam::{ACCT}:policy/boundary"


def _boundary(aws: Any, action: str) -> dict:
    return aws.managed(BOUNDARY_ARN, aws.policy(aws.idstmt(action=action, resource="*")))


BOUNDARY_CASES = [
    ("boundary-allows", "s3:*", {ALICE: SURE}),
    ("boundary-excludes-s3", "ec2:*", {}),
]


@pytest.mark.parametrize(("boundary_action", "expected"), [c[1:] for c in BOUNDARY_CASES],
                         ids=[c[0] for c in BOUNDARY_CASES])  # fmt: skip
def test_permission_boundary_caps_identity(aws: Any, boundary_action: str, expected: dict) -> None:
    """A permissions boundary intersects identity permissions (BOUNDARY)."""
    user = aws.user("alice", inline=(aws.policy(aws.idstmt()),), boundary=BOUNDARY_ARN)
    ev = aws.evaluate(*aws.base(aws.bucket(), users=(user,), policies=(_boundary(aws, boundary_action),)))
    assert aws.audience(ev) == expected


def test_boundary_missing_is_conditional(aws: Any) -> None:
    """A boundary whose document is not in the snapshot keeps the grant, conditional (fail closed)."""
    user = aws.user("alice", inline=(aws.policy(aws.idstmt()),), boundary=BOUNDARY_ARN)
    ev = aws.evaluate(*aws.base(aws.bucket(), users=(user,)))
    assert aws.audience(ev) == {ALICE: COND}


def test_boundary_does_not_cap_resource_policy_naming_user(aws: Any) -> None:
    """A bucket policy naming the IAM user itself is not limited by the user's boundary (LOGIC)."""
    user = aws.user("alice", boundary=BOUNDARY_ARN)
    pol = aws.policy(aws.stmt(principal={"AWS": ALICE}))
    ev = aws.evaluate(*aws.base(aws.bucket(policy=pol), users=(user,), policies=(_boundary(aws, "ec2:*"),)))
    assert aws.audience(ev) == {ALICE: SURE}


def test_boundary_caps_resource_policy_naming_role(aws: Any) -> None:
    """A bucket policy naming a role is limited by the role's boundary (LOGIC)."""
    role_arn = f"arn:aws:iam::{ACCT}:role/r"
    pol = aws.policy(aws.stmt(principal={"AWS": role_arn}))
    roles = (aws.role("r", boundary=BOUNDARY_ARN),)
    ev = aws.evaluate(*aws.base(aws.bucket(policy=pol), roles=roles, policies=(_boundary(aws, "ec2:*"),)))
    assert aws.audience(ev) == {}


def test_managed_policy_default_version(aws: Any) -> None:
    """Only the default version of a managed policy applies (the v1 Deny-all here is not default)."""
    arn = f"arn:aws:iam::{ACCT}:policy/read"
    user = aws.user("alice", attached=(arn,))
    ev = aws.evaluate(*aws.base(aws.bucket(), users=(user,), policies=(aws.managed(arn, aws.policy(aws.idstmt())),)))
    assert aws.audience(ev) == {ALICE: SURE}


def test_missing_managed_policy_is_conditional(aws: Any) -> None:
    """An attached policy whose document is missing may allow anything: conditional grant (fail closed)."""
    user = aws.user("alice", attached=("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",))
    ev = aws.evaluate(*aws.base(aws.bucket(), users=(user,)))
    assert aws.audience(ev) == {ALICE: COND}


def test_user_allowed_through_group_only_is_reached_through_group(aws: Any) -> None:
    """Group policies give the group the grant; members reach it through MEMBER_OF, not a grant of their own."""
    grp = aws.group("g", inline=(aws.policy(aws.idstmt()),))
    ev = aws.evaluate(*aws.base(aws.bucket(), users=(aws.user("alice", groups=("g",)),), groups=(grp,)))
    assert aws.audience(ev) == {f"arn:aws:iam::{ACCT}:group/g": SURE}


def test_userid_condition_names_a_role(aws: Any) -> None:
    """aws:userid "ROLEID:*" in a condition names that role as a candidate (condition keys page)."""
    role = aws.role("r", rid="AROAROLEIDEXAMPLE123")
    pol = aws.policy(aws.stmt(condition={"StringLike": {"aws:userid": "AROAROLEIDEXAMPLE123:*"}}))
    ev = aws.evaluate(*aws.base(aws.bucket(policy=pol), roles=(role,)))
    assert aws.audience(ev) == {f"arn:aws:iam::{ACCT}:role/r": SURE}


def test_deleted_principal_unique_id_grants_nobody(aws: Any) -> None:
    """A unique id left by a deleted principal matches no current principal (principal page)."""
    pol = aws.policy(aws.stmt(principal={"AWS": "AROADELETEDROLE12345"}))
    ev = aws.evaluate(*aws.base(aws.bucket(policy=pol)))
    assert aws.audience(ev) == {}


def _scp(aws: Any, effect: str, action: str) -> dict:
    return aws.policy({"Effect": effect, "Action": action, "Resource": "*"})


def _org_with(aws: Any, scps: tuple = (), rcps: tuple = ()) -> dict:
    return aws.organization(scps=scps, rcps=rcps)


def test_scp_deny_removes_member_account_grant(aws: Any) -> None:
    """An SCP Deny at the root removes a member account principal's access (SCP)."""
    role = aws.role("r", inline=(aws.policy(aws.idstmt()),))
    deny = _scp(aws, "Deny", "s3:GetObject")
    org = _org_with(aws, scps=((_scp(aws, "Allow", "*"), ("r-ab12",)), (deny, ("r-ab12",))))
    ev = aws.evaluate(org, aws.account(ACCT, roles=(role,)), aws.bucket())
    assert aws.audience(ev) == {}


def test_scp_does_not_apply_to_management_account(aws: Any) -> None:
    """SCPs do not restrict the management account (SCP)."""
    role = aws.role("r", MGMT, inline=(aws.policy(aws.idstmt()),))
    org = _org_with(aws, scps=((_scp(aws, "Deny", "s3:GetObject"), ("r-ab12",)),))
    ev = aws.evaluate(org, aws.account(MGMT, roles=(role,)), aws.bucket(account=MGMT))
    assert aws.audience(ev) == {f"arn:aws:iam::{MGMT}:role/r": SURE}


def test_scp_allow_needed_at_every_level(aws: Any) -> None:
    """Without an Allow at the account level (only ec2 allowed there), S3 access is gone (SCP)."""
    role = aws.role("r", inline=(aws.policy(aws.idstmt()),))
    org = _org_with(aws, scps=((_scp(aws, "Allow", "*"), ("r-ab12",)), (_scp(aws, "Allow", "ec2:*"), (ACCT,))))
    ev = aws.evaluate(org, aws.account(ACCT, roles=(role,)), aws.bucket())
    assert aws.audience(ev) == {}


def test_rcp_limits_bucket_to_organisation(aws: Any) -> None:
    """An RCP denying principals outside the org cuts a public bucket policy to the org (RCP)."""
    rcp = aws.policy({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                      "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG}}})  # fmt: skip
    org = _org_with(aws, rcps=((aws.policy({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}),
                                 ("r-ab12",)), (rcp, ("r-ab12",))))  # fmt: skip
    ev = aws.evaluate(org, aws.account(ACCT), aws.bucket(policy=aws.policy(aws.stmt())))
    assert aws.audience(ev) == {ORG_NODE: SURE}


WIF = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif"


def test_public_web_identity_provider_without_audience_is_public(aws: Any) -> None:
    """A role trusting accounts.google.com with no audience or subject fixed: anyone with a Google account (WIF)."""
    trust = _trust(aws, {"Federated": "accounts.google.com"}, None, action="sts:AssumeRoleWithWebIdentity")
    ev = aws.evaluate(*aws.base(roles=(aws.role("target", trust=trust),)))
    assert aws.edges_into(ev, TARGET) == {"aws:public": SURE}


def test_public_web_identity_provider_with_fixed_audience_is_its_app(aws: Any) -> None:
    """The same trust fixing accounts.google.com:aud lets in that app's users: an edge from the provider (WIF)."""
    trust = _trust(aws, {"Federated": "accounts.google.com"},
                   {"StringEquals": {"accounts.google.com:aud": "1234.apps.googleusercontent.com"}},
                   action="sts:AssumeRoleWithWebIdentity")  # fmt: skip
    ev = aws.evaluate(*aws.base(roles=(aws.role("target", trust=trust),)))
    assert aws.edges_into(ev, TARGET) == {"accounts.google.com": SURE}


def test_saml_provider_belongs_to_its_account(aws: Any) -> None:
    """A SAML provider ARN is a principal of the account it names (TRUST)."""
    saml = f"arn:aws:iam::{OUTSIDE}:saml-provider/corp-idp"
    trust = _trust(aws, {"Federated": saml}, None, action="sts:AssumeRoleWithSAML")
    ev = aws.evaluate(*aws.base(roles=(aws.role("target", trust=trust),)))
    assert ev.principals[saml].account == OUTSIDE
