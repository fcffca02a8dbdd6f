"""A group's grant reaches its members as themselves: a member whose own Deny or boundary refuses the access is not
reached through the group.

AWS evaluates a user's request with every policy that applies to the user: its own and its groups'; an explicit
Deny in any of them wins, and a permissions boundary caps what the identity-based policies allow (LOGIC, BOUNDARY).
A group is not a principal of its own (GROUPS).  seenby keeps a group's grant on the group node, reached through
member-of edges; when some members refuse it themselves the grant is given to each other member instead, with a
note naming who refused it.

LOGIC = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
BOUNDARY = https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
GROUPS = https://docs.aws.amazon.com/IAM/latest/UserGuide/id_groups.html
"""

from __future__ import annotations

from typing import Any

from seenby.graph.audience import audience
from seenby.graph.build import build_graph
from seenby.model import AccessLevel

ACCT = "111122223333"
TEAM = f"arn:aws:iam::{ACCT}:group/team"
ALICE, BOB = f"arn:aws:iam::{ACCT}:user/alice", f"arn:aws:iam::{ACCT}:user/bob"
BOUNDARY = f"arn:aws:iam::{ACCT}:policy/no-s3"


def _world(aws: Any, *, alice: dict | None = None, policies: tuple = ()) -> Any:
    team = aws.group("team", inline=(aws.policy(aws.idstmt()),))
    users = [alice or aws.user("alice", groups=("team",)), aws.user("bob", groups=("team",))]
    return aws.evaluate(*aws.base(aws.bucket(), users=users, groups=[team], policies=policies))


def _readers(ev: Any) -> dict[str, bool]:
    """Who reaches bucket b at READ in the graph: principal id -> conditional."""
    return {r.principal.id: r.conditional for r in audience(build_graph(ev), "arn:aws:s3:::b", AccessLevel.READ)}


def test_without_refusals_the_grant_stays_on_the_group(aws: Any) -> None:
    """No member refuses: the group holds the grant and both members reach it through their member-of edges."""
    ev = _world(aws)
    assert set(aws.audience(ev)) == {TEAM}
    assert {ALICE, BOB, TEAM} <= set(_readers(ev))


def test_a_members_own_explicit_deny_keeps_it_out(aws: Any) -> None:
    """alice's own inline Deny of s3:GetObject* wins over the group's Allow (LOGIC): bob reads, alice does not."""
    deny = aws.policy(aws.idstmt(action="s3:GetObject*", effect="Deny"))
    ev = _world(aws, alice=aws.user("alice", groups=("team",), inline=(deny,)))
    readers = _readers(ev)
    assert BOB in readers and ALICE not in readers and TEAM not in set(aws.audience(ev))
    (grant,) = [g for g in aws.grants_of(ev) if g.principal.id == BOB]
    assert ALICE in (grant.evidence[0].note or "") and grant.evidence[0].source == TEAM


def test_a_members_boundary_without_the_action_keeps_it_out(aws: Any) -> None:
    """alice's permissions boundary allows no S3 read: the group's Allow does not reach her (BOUNDARY)."""
    no_s3 = aws.managed(BOUNDARY, aws.policy(aws.idstmt(action="sqs:*", resource="*")))
    ev = _world(aws, alice=aws.user("alice", groups=("team",), boundary=BOUNDARY), policies=[no_s3])
    readers = _readers(ev)
    assert BOB in readers and ALICE not in readers


def test_a_deny_of_one_read_action_only_does_not_refuse_the_level(aws: Any) -> None:
    """alice denies s3:GetObjectVersion only: s3:GetObject still reaches her through the group (LOGIC)."""
    deny = aws.policy(aws.idstmt(action="s3:GetObjectVersion", effect="Deny"))
    ev = _world(aws, alice=aws.user("alice", groups=("team",), inline=(deny,)))
    assert set(aws.audience(ev)) == {TEAM} and ALICE in _readers(ev)


def test_an_undecidable_deny_keeps_the_member(aws: Any) -> None:
    """A Deny conditional on the source address may not apply: alice still reaches the data (fail closed)."""
    deny = aws.policy(aws.idstmt(action="s3:*", effect="Deny",
                                 condition={"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))  # fmt: skip
    ev = _world(aws, alice=aws.user("alice", groups=("team",), inline=(deny,)))
    assert ALICE in _readers(ev)


def test_the_same_holds_for_a_dynamodb_table(aws: Any) -> None:
    """On a DynamoDB table too: alice's own Deny of dynamodb:* keeps the group's read from reaching her (LOGIC)."""
    table = f"arn:aws:dynamodb:eu-west-1:{ACCT}:table/t"
    resource = {
        "type": "aws.dynamodb.table", "id": table, "name": "t", "account": ACCT, "region": "eu-west-1",
        "reads": {
            "description": aws.read("dynamodb:DescribeTable", {"Table": {"TableName": "t", "TableArn": table}}),
            "resource_policy": aws.read("dynamodb:GetResourcePolicy", "absent"),
            "tags": aws.read("dynamodb:ListTagsOfResource", {"Tags": []}),
        },
    }  # fmt: skip
    team = aws.group("team", inline=(aws.policy(aws.idstmt(action="dynamodb:GetItem", resource=table)),))
    deny = aws.policy(aws.idstmt(action="dynamodb:*", resource="*", effect="Deny"))
    users = [aws.user("alice", groups=("team",), inline=(deny,)), aws.user("bob", groups=("team",))]
    ev = aws.evaluate(*aws.base(resource, users=users, groups=[team]))
    readers = {r.principal.id for r in audience(build_graph(ev), table, AccessLevel.READ)}
    assert BOB in readers and ALICE not in readers


def _world_with_bucket_policy(aws: Any, *statements: dict) -> Any:
    team = aws.group("team", inline=(aws.policy(aws.idstmt()),))
    users = [aws.user("alice", groups=("team",)), aws.user("bob", groups=("team",))]
    return aws.evaluate(*aws.base(aws.bucket(policy=aws.policy(*statements)), users=users, groups=[team]))


def test_a_bucket_policy_deny_naming_a_member_applies_on_the_groups_path(aws: Any) -> None:
    """A bucket policy Deny naming alice by ARN applies to her requests, group grant or not (LOGIC): bob reads."""
    deny = aws.stmt(effect="Deny", principal={"AWS": ALICE}, action="s3:*",
                    resource=["arn:aws:s3:::b", "arn:aws:s3:::b/*"])  # fmt: skip
    readers = _readers(_world_with_bucket_policy(aws, deny))
    assert BOB in readers and ALICE not in readers


def test_a_bucket_policy_deny_by_principal_arn_condition_applies_to_the_member(aws: Any) -> None:
    """A Deny to "*" when aws:PrincipalArn is alice's ARN keeps the group's grant from her too."""
    deny = aws.stmt(effect="Deny", action="s3:*", resource=["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                    condition={"ArnEquals": {"aws:PrincipalArn": ALICE}})  # fmt: skip
    readers = _readers(_world_with_bucket_policy(aws, deny))
    assert BOB in readers and ALICE not in readers


def test_a_bucket_policy_deny_of_everyone_else_keeps_only_the_named_member(aws: Any) -> None:
    """A Deny with NotPrincipal naming bob (and his account) leaves bob alone of the group."""
    deny = aws.stmt(effect="Deny", not_principal={"AWS": [BOB, f"arn:aws:iam::{ACCT}:root"]}, action="s3:*",
                    resource=["arn:aws:s3:::b", "arn:aws:s3:::b/*"])  # fmt: skip
    readers = _readers(_world_with_bucket_policy(aws, deny))
    assert BOB in readers and ALICE not in readers
