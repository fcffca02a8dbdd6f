"""A trust policy naming the role's own account delegates to that account's IAM.

Sources: PRINCIPAL = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts,
CROSS = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html,
TRUST = https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user.html,
BOUNDARY = https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html,
SCP = https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html

Naming the account (``arn:aws:iam::ACCT:root`` or ``ACCT``) lets in exactly the principals of that account
whose identity policies (within their permissions boundary and the SCPs) allow ``sts:AssumeRole`` on the role;
the root user cannot assume a role (TRUST).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from seenby.audit import audit
from seenby.config import parse_rules
from seenby.graph.audience import audience as graph_audience
from seenby.graph.build import build_graph
from seenby.model import AccessLevel
from seenby.policies.aws.iam import load_account_iam
from seenby.policies.aws.org import load_directory
from seenby.policies.aws.population import Population
from seenby.policies.aws.trust import trust_edges

ACCT, SURE, COND = "111122223333", "sure", "conditional"
ROOT = f"arn:aws:iam::{ACCT}:root"
TARGET = f"arn:aws:iam::{ACCT}:role/target"
ALICE, BOB = f"arn:aws:iam::{ACCT}:user/alice", f"arn:aws:iam::{ACCT}:user/bob"
ANALYSTS = f"arn:aws:iam::{ACCT}:group/analysts"
BOUNDARY = f"arn:aws:iam::{ACCT}:policy/boundary"
MISSING = f"arn:aws:iam::{ACCT}:policy/not-in-snapshot"


def _trust(aws: Any, principal: Any = ROOT) -> dict:
    return aws.policy({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"})


def _assume(aws: Any, resource: str = TARGET, condition: dict | None = None) -> dict:
    return aws.policy(aws.idstmt(action="sts:AssumeRole", resource=resource, condition=condition))


def _world(aws: Any, *, users: tuple = (), groups: tuple = (), policies: tuple = (), scps: Any = ()) -> tuple:
    """The role ``target`` (reads bucket ``b`` through its own policy) trusting its own account, and the users."""
    role = aws.role("target", trust=_trust(aws), inline=(aws.policy(aws.idstmt()),))
    org = aws.organization(scps=scps)
    acct = aws.account(ACCT, bpa=aws.bpa(), users=users, groups=groups, roles=(role,), policies=policies)
    return org, acct, aws.bucket()


def test_user_allowed_on_the_role_may_assume(aws: Any) -> None:
    """A user whose policy allows sts:AssumeRole on the role gets a sure edge, the account node none (PRINCIPAL)."""
    ev = aws.evaluate(*_world(aws, users=(aws.user("alice", inline=(_assume(aws),)), aws.user("bob"))))
    assert aws.edges_into(ev, TARGET) == {ALICE: SURE}


def test_user_allowed_on_every_role_may_assume(aws: Any) -> None:
    """sts:AssumeRole on Resource "*" covers the role: a sure edge from the user (PRINCIPAL)."""
    ev = aws.evaluate(*_world(aws, users=(aws.user("alice", inline=(_assume(aws, "*"),)),)))
    assert aws.edges_into(ev, TARGET) == {ALICE: SURE}


def test_user_allowed_on_another_role_may_not_assume(aws: Any) -> None:
    """sts:AssumeRole on another role only gives no edge into this one (PRINCIPAL)."""
    other = f"arn:aws:iam::{ACCT}:role/other"
    ev = aws.evaluate(*_world(aws, users=(aws.user("alice", inline=(_assume(aws, other),)),)))
    assert aws.edges_into(ev, TARGET) == {}


def test_user_without_assume_permission_may_not_assume(aws: Any) -> None:
    """A user of the account whose policies do not allow sts:AssumeRole has no edge, nor has the account (PRINCIPAL)."""
    ev = aws.evaluate(*_world(aws, users=(aws.user("bob", inline=(aws.policy(aws.idstmt()),)),)))
    assert aws.edges_into(ev, TARGET) == {}


def test_group_policy_edge_leaves_the_group(aws: Any) -> None:
    """A user allowed through its group's policy reaches the role through the group, as for S3 group grants
    (edge from the group, the user a member of it) (PRINCIPAL)."""
    groups = (aws.group("analysts", inline=(_assume(aws),)),)
    ev = aws.evaluate(*_world(aws, users=(aws.user("alice", groups=("analysts",)),), groups=groups))
    assert aws.edges_into(ev, TARGET) == {ANALYSTS: SURE}


def test_group_member_reaches_the_bucket_through_the_role(aws: Any) -> None:
    """The member of a group allowed to assume the role is in the bucket's read audience, the account is not."""
    groups = (aws.group("analysts", inline=(_assume(aws),)),)
    ev = aws.evaluate(*_world(aws, users=(aws.user("alice", groups=("analysts",)), aws.user("bob")), groups=groups))
    reach = {r.principal.id for r in graph_audience(build_graph(ev), "arn:aws:s3:::b", AccessLevel.READ)}
    assert reach == {TARGET, ANALYSTS, ALICE}


def test_conditional_identity_statement_gives_conditional_edge(aws: Any) -> None:
    """An identity Allow under a condition seenby cannot decide makes the edge conditional."""
    unmodelled = {"StringEquals": {"sts:AWSServiceName": "x"}}
    ev = aws.evaluate(*_world(aws, users=(aws.user("alice", inline=(_assume(aws, condition=unmodelled),)),)))
    assert aws.edges_into(ev, TARGET) == {ALICE: COND}


def test_mfa_identity_statement_gives_an_edge(aws: Any) -> None:
    """An identity Allow that requires MFA gives a sure edge: alice, a person, signs in with MFA."""
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    ev = aws.evaluate(*_world(aws, users=(aws.user("alice", inline=(_assume(aws, condition=mfa),)),)))
    assert aws.edges_into(ev, TARGET) == {ALICE: SURE}


def test_boundary_without_assume_removes_the_edge(aws: Any) -> None:
    """A permissions boundary that does not allow sts:AssumeRole caps the user's Allow: no edge (BOUNDARY)."""
    boundary = aws.managed(BOUNDARY, aws.policy(aws.idstmt(action="s3:*", resource="*")))
    users = (aws.user("alice", inline=(_assume(aws),), boundary=BOUNDARY),)
    ev = aws.evaluate(*_world(aws, users=users, policies=(boundary,)))
    assert aws.edges_into(ev, TARGET) == {}


def test_scp_denying_assume_removes_the_edge(aws: Any) -> None:
    """An SCP denying sts:AssumeRole to the account caps the user's Allow: no edge (SCP)."""
    deny = aws.policy(aws.idstmt(effect="Deny", action="sts:AssumeRole", resource="*"))
    full = aws.policy(aws.idstmt(action="*", resource="*"))
    ev = aws.evaluate(*_world(aws, users=(aws.user("alice", inline=(_assume(aws),)),),
                              scps=((full, ("r-ab12",)), (deny, (ACCT,)))))  # fmt: skip
    assert aws.edges_into(ev, TARGET) == {}


def test_missing_managed_policy_keeps_a_conditional_edge(aws: Any) -> None:
    """A user with an attached managed policy not in the snapshot may hold sts:AssumeRole: a conditional edge,
    never dropped (fail closed)."""
    ev = aws.evaluate(*_world(aws, users=(aws.user("alice", attached=(MISSING,)),)))
    assert aws.edges_into(ev, TARGET) == {ALICE: COND}


def test_evidence_quotes_trust_and_identity_statements(aws: Any) -> None:
    """The edge quotes the trust statement that delegates and the identity statement that allows (PRINCIPAL)."""
    ev = aws.evaluate(*_world(aws, users=(aws.user("alice", inline=(_assume(aws),)),)))
    (edge,) = [e for e in ev.edges if e.target.id == TARGET]
    quoted = {(e.kind.value, e.source) for e in edge.evidence}
    assert quoted == {("trust-policy", TARGET), ("identity-policy", ALICE)}


def test_unknown_account_iam_keeps_the_account_edge(aws: Any) -> None:
    """Without the account's IAM (its authorization details a gap) the delegation stays an edge from the account
    node: someone of that account, unknown who (fail closed)."""
    snap = aws.snapshot(aws.organization())
    role_iam = load_account_iam(ACCT, {"RoleDetailList": [aws.role("target", trust=_trust(aws, ACCT))]})
    (role,) = role_iam.roles.values()
    directory = load_directory(snap)
    edges = trust_edges(role, Population(directory, {}, {}), directory)
    assert {(e.source.id, bool(e.conditions)) for e in edges} == {(ROOT, False)}


def test_audit_names_the_users_not_the_account(aws: Any) -> None:
    """On a bucket readable only by the role, the finding names the user allowed to assume it, not the whole
    account (PRINCIPAL)."""
    users = (aws.user("alice", inline=(_assume(aws),)), aws.user("bob"), aws.user("carol"))
    rules = parse_rules(f"version: 1\ndatasets:\n  - match: {{id: 'arn:aws:s3:::b'}}\n    read: ['{TARGET}']\n",
                        source="rules.yaml")  # fmt: skip
    result = audit(aws.snapshot(*_world(aws, users=users)), rules, today=date(2026, 11, 23))
    excess = {e.principal.id for f in result.active if f.level is AccessLevel.READ for e in f.excess}
    assert excess == {ALICE}
