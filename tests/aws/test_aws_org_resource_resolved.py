"""A resource policy's "*" narrowed by aws:PrincipalOrgID reaches, in the organisation's other accounts, exactly the
principals whose own IAM allows the request, wherever the snapshot holds that account's IAM (issue 19 item 1).

CROSS = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html,
ORGID = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid,
ROOT = https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html

Across accounts both the bucket policy and the caller's identity policies must allow (CROSS); "*" narrowed with
aws:PrincipalOrgID names every principal of the organisation (ORGID).  The root user is limited by no identity
policy (ROOT, SCPs aside), so the root user of each member account passes.  In the bucket's own account the
policy alone suffices (the account's node).  An account whose IAM is not in the snapshot keeps its account node
(fail closed).  `why` and who-can-read agree for every principal.
"""

from __future__ import annotations

from typing import Any

from seenby.explain import explain
from seenby.graph.audience import audience
from seenby.graph.build import build_graph
from seenby.model import AccessLevel
from seenby.policies import evaluate

ACCT, OTHER, MGMT, ORG = "111122223333", "444455556666", "123456789012", "o-a1b2c3d4e5"
CAROL, DAVE = f"arn:aws:iam::{OTHER}:user/carol", f"arn:aws:iam::{OTHER}:user/dave"
BUCKET = "arn:aws:s3:::b"
ORG_READ = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{BUCKET}/*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}}  # fmt: skip


def _world(aws: Any, *, mgmt_iam: bool = True) -> tuple:
    carol = aws.user("carol", OTHER, inline=(aws.policy(aws.idstmt()),))
    accounts = [
        aws.account(ACCT, bpa=aws.bpa()),
        aws.account(OTHER, bpa=aws.bpa(), users=(carol, aws.user("dave", OTHER))),
    ]
    if mgmt_iam:
        accounts.append(aws.account(MGMT, bpa=aws.bpa()))
    return (aws.organization(), *accounts, aws.bucket(policy=aws.policy(ORG_READ)))


def test_org_read_resolves_to_who_passes_both_sides(aws: Any) -> None:
    """Every member account's IAM known: carol (her IAM allows), the other accounts' root users and the bucket's
    own account read; dave (no Allow of his own) and the organisation's class do not (CROSS, ORGID, ROOT)."""
    ev = aws.evaluate(*_world(aws))
    assert aws.audience(ev) == {
        CAROL: "sure", f"aws-root-user:{OTHER}": "sure", f"aws-root-user:{MGMT}": "sure",
        f"arn:aws:iam::{ACCT}:root": "sure",
    }  # fmt: skip


def test_org_read_keeps_the_node_of_an_account_whose_iam_is_unknown(aws: Any) -> None:
    """The management account's IAM missing: its account node reads (fail closed); the resolved account still
    resolves to carol and its root user."""
    ev = aws.evaluate(*_world(aws, mgmt_iam=False))
    assert aws.audience(ev) == {
        CAROL: "sure", f"aws-root-user:{OTHER}": "sure", f"arn:aws:iam::{MGMT}:root": "sure",
        f"arn:aws:iam::{ACCT}:root": "sure",
    }  # fmt: skip


def test_why_and_who_can_read_agree_for_org_members(aws: Any) -> None:
    """For each principal of the other account, `why` allows exactly when who-can-read lists it or a class
    containing it: carol yes, dave no (before, dave was in the graph's organisation class while his own layers
    said no)."""
    snapshot = aws.snapshot(*_world(aws))
    evaluation = evaluate(snapshot)
    rg = build_graph(evaluation)
    listed = {r.principal.id for r in audience(rg, BUCKET, AccessLevel.READ)}
    answers = {p: explain(snapshot, evaluation, rg, p, BUCKET).answer.allows for p in (CAROL, DAVE)}
    assert answers == {CAROL: True, DAVE: False}
    assert {p for p in (CAROL, DAVE) if p in listed} == {CAROL}
    assert f"aws-org:{ORG}" not in listed and f"arn:aws:iam::{OTHER}:root" not in listed
