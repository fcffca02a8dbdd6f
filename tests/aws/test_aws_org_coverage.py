"""An audience rated by who is in it: the principals that can actually assume an organisation-trusted role are
organisation-wide (SB003) when together they cover the organisation, and no more than they are otherwise (issue 22
item 5; seenby.graph.organisation).

ORGID = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
CROSS = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
ROLES = https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html (roles people enter by
  federation: an identity provider's users are people of the account)
"""

from __future__ import annotations

from datetime import date
from typing import Any

from seenby.audit import audit
from seenby.config import parse_rules

ACCT, OTHER, MGMT, ORG = "111122223333", "444455556666", "123456789012", "o-a1b2c3d4e5"
TARGET = f"arn:aws:iam::{ACCT}:role/target"
CAROL = f"arn:aws:iam::{OTHER}:user/carol"
RULES = parse_rules(
    'version: 1\ndatasets:\n  - match: {id: "arn:aws:s3:::b"}\n    read: []\n    write: []\n    admin: []\n',
    source="rules.yaml",
)
ORG_TRUST = {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}}  # fmt: skip


def _findings(aws: Any, *other_account: Any, other_roles: tuple = ()) -> dict[str, set[str]]:
    """Rule → excess principal ids of bucket b's read findings, the target role (trusted by the organisation)
    reading b; ``other_account``: the users of the organisation's other member account."""
    target = aws.role("target", trust=aws.policy(ORG_TRUST), inline=(aws.policy(aws.idstmt()),))
    snapshot = aws.snapshot(
        aws.organization(),
        aws.account(ACCT, bpa=aws.bpa(), roles=(target,)),
        aws.account(OTHER, bpa=aws.bpa(), users=other_account, roles=other_roles),
        aws.account(MGMT, bpa=aws.bpa()),
        aws.bucket(),
    )
    result = audit(snapshot, RULES, today=date(2026, 12, 7))
    return {
        f.rule_id: {e.principal.id for e in f.excess}
        for f in result.active
        if f.dataset.id == "arn:aws:s3:::b" and f.level is not None and f.level.value == "read"
    }


def _assume(aws: Any) -> dict:
    return aws.policy(aws.idstmt(action="sts:AssumeRole", resource=TARGET))


def test_assumers_covering_every_account_are_organisation_wide(aws: Any) -> None:
    """The role's own account (the trust's "*" names its principals) and carol, the other account's one user,
    allowed sts:AssumeRole (CROSS); the management account has nobody: together the organisation (ORGID)."""
    found = _findings(aws, aws.user("carol", OTHER, inline=(_assume(aws),)))
    assert found == {"SB003": {CAROL, f"arn:aws:iam::{ACCT}:root", TARGET}}


def test_a_member_who_cannot_assume_keeps_it_below_organisation_wide(aws: Any) -> None:
    """dave, in the other account, cannot assume the role: the assumers are not the whole organisation, so carol is
    another account's reader (SB004) and the role's own account its specific readers (SB005)."""
    found = _findings(aws, aws.user("carol", OTHER, inline=(_assume(aws),)), aws.user("dave", OTHER))
    assert found == {"SB004": {CAROL}, "SB005": {f"arn:aws:iam::{ACCT}:root", TARGET}}


def test_a_federated_entry_role_that_cannot_assume_keeps_it_below_organisation_wide(aws: Any) -> None:
    """People entering the other account through a SAML provider's role (ROLES) are people of the organisation:
    that role cannot assume the target, so the assumers do not cover the organisation."""
    saml = f"arn:aws:iam::{OTHER}:saml-provider/corp-idp"
    trust = aws.policy({"Effect": "Allow", "Principal": {"Federated": saml}, "Action": "sts:AssumeRoleWithSAML"})
    analysts = aws.role("analysts", OTHER, trust=trust)
    found = _findings(aws, aws.user("carol", OTHER, inline=(_assume(aws),)), other_roles=(analysts,))
    assert "SB003" not in found and found["SB004"] == {CAROL}
