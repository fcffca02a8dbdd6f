"""A trust policy opening a role to another account, or to "*" narrowed by the organisation, gets an edge from
each principal that can actually assume it wherever the snapshot holds the account's IAM (issue 22 item 5).

TRUST = https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user.html,
CROSS = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html,
ORGID = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid

A cross-account caller needs both the trust policy and its own identity policies to allow sts:AssumeRole
(CROSS); "*" narrowed with aws:PrincipalOrgID lets in the organisation's principals (ORGID) — those whose own IAM
allows it.  With every member account's IAM in the snapshot, the organisation's class gets no edge (it would let
in members that cannot assume the role); where an account's IAM is not in the snapshot, the class keeps its edge
(fail closed).  The audit rates the actual assumers organisation-wide when together they cover the organisation
(tests/aws/test_aws_org_coverage.py).
"""

from __future__ import annotations

from typing import Any

from seenby.explain import explain
from seenby.graph.build import build_graph

ACCT, OTHER, MGMT, ORG = "111122223333", "444455556666", "123456789012", "o-a1b2c3d4e5"
TARGET = f"arn:aws:iam::{ACCT}:role/target"
CAROL, DAVE = f"arn:aws:iam::{OTHER}:user/carol", f"arn:aws:iam::{OTHER}:user/dave"
ORG_TRUST = {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}}  # fmt: skip


def _assume(aws: Any) -> dict:
    return aws.policy(aws.idstmt(action="sts:AssumeRole", resource=TARGET))


def _world(aws: Any, trust: dict, *, mgmt_iam: bool = True) -> tuple:
    role = aws.role("target", trust=aws.policy(trust), inline=(aws.policy(aws.idstmt()),))
    accounts = [
        aws.account(ACCT, bpa=aws.bpa(), roles=(role,)),
        aws.account(OTHER, bpa=aws.bpa(), users=(aws.user("carol", OTHER, inline=(_assume(aws),)),
                                                 aws.user("dave", OTHER))),
    ]  # fmt: skip
    if mgmt_iam:
        accounts.append(aws.account(MGMT, bpa=aws.bpa()))
    return (aws.organization(), *accounts, aws.bucket())


def test_org_trust_resolves_to_who_may_assume(aws: Any) -> None:
    """"*" + aws:PrincipalOrgID with every member account's IAM known: in the other account carol (allowed) assumes
    and dave does not; in the role's own account the trust's "*" names every principal itself, so no identity Allow
    is needed there (TRUST); the organisation's class gets no edge (ORGID, CROSS)."""
    ev = aws.evaluate(*_world(aws, ORG_TRUST))
    assert aws.edges_into(ev, TARGET) == {CAROL: "sure", f"arn:aws:iam::{ACCT}:root": "sure"}


def test_org_trust_keeps_the_class_when_an_accounts_iam_is_unknown(aws: Any) -> None:
    """With the management account's IAM missing, the organisation's class keeps its edge (fail closed)."""
    ev = aws.evaluate(*_world(aws, ORG_TRUST, mgmt_iam=False))
    assert aws.edges_into(ev, TARGET) == {CAROL: "sure", f"aws-org:{ORG}": "sure"}


def test_why_says_no_for_an_org_member_without_assume_role(aws: Any) -> None:
    """Under the organisation trust, `why` answers yes for carol and no for dave, a member of the organisation
    whose IAM does not allow sts:AssumeRole on the role (CROSS)."""
    snapshot = aws.snapshot(*_world(aws, ORG_TRUST))
    from seenby.policies import evaluate

    evaluation = evaluate(snapshot)
    rg = build_graph(evaluation)
    answers = {p: explain(snapshot, evaluation, rg, p, "arn:aws:s3:::b").answer.allows for p in (CAROL, DAVE)}
    assert answers == {CAROL: True, DAVE: False}


def test_trust_naming_another_known_account_resolves_to_its_holders(aws: Any) -> None:
    """A trust naming an account whose IAM is known delegates to it: carol's edge, no account node (CROSS)."""
    trust = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "sts:AssumeRole"}
    ev = aws.evaluate(*_world(aws, trust))
    assert aws.edges_into(ev, TARGET) == {CAROL: "sure"}


def test_why_says_no_for_a_principal_without_assume_role(aws: Any) -> None:
    """With a trust naming carol's account, `why` answers yes for carol and no for dave, whose IAM does not
    allow sts:AssumeRole on the role (CROSS)."""
    trust = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "sts:AssumeRole"}
    snapshot = aws.snapshot(*_world(aws, trust))
    from seenby.policies import evaluate

    evaluation = evaluate(snapshot)
    rg = build_graph(evaluation)
    answers = {p: explain(snapshot, evaluation, rg, p, "arn:aws:s3:::b").answer.allows for p in (CAROL, DAVE)}
    assert answers == {CAROL: True, DAVE: False}


def test_ou_trust_keeps_the_ou_class_beside_the_members_able_to_assume(aws: Any) -> None:
    """"*" + aws:PrincipalOrgPaths: carol gets her own edge and the OU's class keeps its edge even with every
    account's IAM known (the graph cannot tell which accounts an OU holds, so the class is not replaced)."""
    trust = {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
             "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/r-ab12/*"}}}  # fmt: skip
    edges = aws.edges_into(aws.evaluate(*_world(aws, trust)), TARGET)
    assert edges.get(CAROL) == "sure" and edges.get(f"aws-ou:{ORG}/r-ab12/") == "sure"
