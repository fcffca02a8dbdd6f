"""DynamoDB tables: who gets which level on table ``t`` of account 111122223333 (org o-a1b2c3d4e5).

Each case names the AWS page that states the rule.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from seenby.model import AccessLevel, EvidenceKind
from seenby.policies import evaluate as evaluate_all
from seenby.policies.aws.document import parse_policy
from seenby.policies.aws.dynamodb import PUBLIC_NOTE, is_public_statement, table_of_pattern

ACCT, OTHER, OUTSIDE, ORG = "111122223333", "444455556666", "999988887777", "o-a1b2c3d4e5"
AUTH, ORG_NODE = "aws:authenticated", f"aws-org:{ORG}"
OTHER_ROOT, OUTSIDE_ROOT, ROOT = (f"arn:aws:iam::{a}:root" for a in (OTHER, OUTSIDE, ACCT))
TABLE = f"arn:aws:dynamodb:eu-west-1:{ACCT}:table/t"
RBP = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/access-control-resource-based.html"
CROSS = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-cross-account-access.html"
BPA = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-bpa-rbp.html"
ACTIONS = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html"
LOGIC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"
SCP = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html"
SURE, COND = "sure", "conditional"


def S(effect: str = "Allow", principal: Any = "*", action: Any = "dynamodb:GetItem", **kw: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": effect, "Principal": principal, "Action": action, "Resource": TABLE}
    if "condition" in kw:
        s["Condition"] = kw["condition"]
    return s


def I(action: Any = "dynamodb:Query", resource: Any = TABLE, effect: str = "Allow") -> dict[str, Any]:  # noqa: E743
    return {"Effect": effect, "Action": action, "Resource": resource}


def table(aws, policy: Any = "absent") -> dict[str, Any]:
    if isinstance(policy, dict):
        policy = {"Policy": json.dumps(policy), "RevisionId": "1"}
    return {
        "type": "aws.dynamodb.table", "id": TABLE, "name": "t", "account": ACCT, "region": "eu-west-1",
        "reads": {
            "description": aws.read("dynamodb:DescribeTable", {"Table": {"TableName": "t", "TableArn": TABLE}}),
            "resource_policy": aws.read("dynamodb:GetResourcePolicy", policy),
            "tags": aws.read("dynamodb:ListTagsOfResource", {"Tags": [{"Key": "classification", "Value": "x"}]}),
        },
    }  # fmt: skip


def audience(ev, level: AccessLevel = AccessLevel.READ) -> dict[str, str]:
    out: dict[str, str] = {}
    for g in ev.grants:
        if g.dataset == TABLE and g.level is level and out.get(g.principal.id) != SURE:
            out[g.principal.id] = COND if g.conditional else SURE
    return out


POLICY_CASES: list[tuple[str, str, list[dict], dict[str, str]]] = [
    ("no-policy-no-reader", RBP, [], {}),
    ("other-account-root", CROSS, [S(principal={"AWS": OTHER_ROOT})], {OTHER_ROOT: SURE}),
    ("outside-account-id", CROSS, [S(principal={"AWS": OUTSIDE})], {OUTSIDE_ROOT: SURE}),
    ("external-role", CROSS, [S(principal={"AWS": f"arn:aws:iam::{OUTSIDE}:role/etl"})],
     {f"arn:aws:iam::{OUTSIDE}:role/etl": SURE}),
    ("star-is-any-authenticated-not-anonymous", BPA, [S()], {AUTH: SURE}),
    ("star-pinned-to-organisation", BPA, [S(condition={"StringEquals": {"aws:PrincipalOrgID": ORG}})],
     {ORG_NODE: SURE}),
    ("star-with-source-ip-narrows-to-network", RBP, [S(condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})],
     {"aws-network:10.0.0.0/8": SURE}),
    ("own-root-delegates-to-iam", RBP, [S(principal={"AWS": ROOT})], {}),
    ("query-counts-as-read", ACTIONS, [S(principal={"AWS": OTHER}, action="dynamodb:Query")], {OTHER_ROOT: SURE}),
    ("wildcard-action-reads", ACTIONS, [S(principal={"AWS": OTHER}, action="dynamodb:*")], {OTHER_ROOT: SURE}),
    ("describe-only-is-not-read", ACTIONS, [S(principal={"AWS": OTHER}, action="dynamodb:DescribeTable")], {}),
    ("deny-wins", LOGIC, [S(principal={"AWS": OTHER}), S(effect="Deny", principal={"AWS": OTHER})], {}),
    # "*" covers AWS service principals too; narrowed to them, any service acting for any account reads
    ("star-narrowed-to-services", "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html",
     [S(condition={"Bool": {"aws:PrincipalIsAWSService": "true"}})], {"aws:any-service": SURE}),
]


@pytest.mark.parametrize("name,doc,statements,expected", POLICY_CASES, ids=[c[0] for c in POLICY_CASES])
def test_table_policy_read_audience(aws, name, doc, statements, expected):
    """The READ audience of a table for one resource policy, as the cited page states."""
    policy = aws.policy(*statements) if statements else "absent"
    ev = aws.evaluate(*aws.base(table(aws, policy)))
    assert audience(ev) == expected, doc


LEVEL_CASES = [
    ("put-item-writes", "dynamodb:PutItem", AccessLevel.WRITE),
    ("batch-write-writes", "dynamodb:BatchWriteItem", AccessLevel.WRITE),
    ("put-resource-policy-is-admin", "dynamodb:PutResourcePolicy", AccessLevel.ADMIN),
    ("describe-table-lists", "dynamodb:DescribeTable", AccessLevel.LIST),
]


@pytest.mark.parametrize("name,action,level", LEVEL_CASES, ids=[c[0] for c in LEVEL_CASES])
def test_action_maps_to_level(aws, name, action, level):
    """Each audited DynamoDB action opens its level (list_amazondynamodb.html, see ACTIONS)."""
    ev = aws.evaluate(*aws.base(table(aws, aws.policy(S(principal={"AWS": OTHER}, action=action)))))
    assert audience(ev, level) == {OTHER_ROOT: SURE}


def test_same_account_identity_policy_alone_reads(aws):
    """Same account: an identity Allow suffices without any table policy (RBP: access-control-resource-based.html)."""
    user = aws.user("alice", inline=(aws.policy(I()),))
    ev = aws.evaluate(*aws.base(table(aws), users=[user]))
    assert audience(ev) == {f"arn:aws:iam::{ACCT}:user/alice": SURE}


def test_identity_wildcard_table_pattern_reaches_table(aws):
    """An identity Allow on arn:aws:dynamodb:*:*:table/* reaches the table (IAM Resource element wildcards)."""
    user = aws.user("bob", inline=(aws.policy(I(resource="arn:aws:dynamodb:*:*:table/*")),))
    ev = aws.evaluate(*aws.base(table(aws), users=[user]))
    assert audience(ev) == {f"arn:aws:iam::{ACCT}:user/bob": SURE}


def test_identity_allow_on_index_only_does_not_read_table(aws):
    """An Allow on table/t/index/* does not allow GetItem on the table itself (ACTIONS: resource types)."""
    user = aws.user("carol", inline=(aws.policy(I(action="dynamodb:GetItem", resource=f"{TABLE}/index/*")),))
    ev = aws.evaluate(*aws.base(table(aws), users=[user]))
    assert audience(ev) == {}


def test_table_policy_deny_beats_same_account_identity_allow(aws):
    """An explicit Deny in the table policy removes what an identity policy allows (LOGIC)."""
    user = aws.user("dave", inline=(aws.policy(I(action="dynamodb:*")),))
    deny = S(effect="Deny", principal={"AWS": f"arn:aws:iam::{ACCT}:user/dave"}, action="dynamodb:*")
    ev = aws.evaluate(*aws.base(table(aws, aws.policy(deny)), users=[user]))
    assert audience(ev) == {}


def test_cross_account_needs_the_callers_identity_policy(aws):
    """A named user of another account reads only if its own identity policy allows too (CROSS)."""
    other_user = aws.user("eve", OTHER)
    ev = aws.evaluate(
        *aws.base(table(aws, aws.policy(S(principal={"AWS": f"arn:aws:iam::{OTHER}:user/eve"})))),
        aws.account(OTHER, users=[other_user]),
    )
    assert f"arn:aws:iam::{OTHER}:user/eve" not in audience(ev)


def test_scp_deny_on_caller_account_removes_cross_account_read(aws):
    """An SCP denying dynamodb:* to the caller's account wins over the table policy (SCP)."""
    scp = aws.policy({"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"})
    ev = aws.evaluate(
        aws.organization(scps=((scp, (OTHER,)),)), aws.account(ACCT),
        table(aws, aws.policy(S(principal={"AWS": OTHER}))),
    )
    assert audience(ev) == {}


def test_public_statement_evidence_says_dynamodb_would_refuse_it(aws):
    """A "*" statement no trusted key pins carries the note that DynamoDB's Block Public Access refuses it (BPA)."""
    ev = aws.evaluate(*aws.base(table(aws, aws.policy(S()))))
    (grant,) = [g for g in ev.grants if g.dataset == TABLE and g.level is AccessLevel.READ]
    (evidence,) = [e for e in grant.evidence if e.kind is EvidenceKind.RESOURCE_POLICY]
    assert evidence.note == PUBLIC_NOTE


PUBLIC_CASES: list[tuple[str, dict, bool]] = [
    ("star", S(), True),
    ("named-accounts", S(principal={"AWS": [OTHER, OUTSIDE]}), False),
    ("org-id", S(condition={"StringEquals": {"aws:PrincipalOrgID": ORG}}), False),
    ("principal-account", S(condition={"StringEquals": {"aws:PrincipalAccount": OTHER}}), False),
    ("source-vpce", S(condition={"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}), False),
    ("principal-arn-wildcard", S(condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/x"}}), True),
    ("variable-value", S(condition={"StringEquals": {"aws:PrincipalAccount": "${aws:ResourceAccount}"}}), True),
    ("source-ip-is-not-trusted", S(condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/24"}}), True),
    ("is-aws-service-true", S(condition={"Bool": {"aws:PrincipalIsAWSService": "true"}}), False),
    ("is-aws-service-false", S(condition={"Bool": {"aws:PrincipalIsAWSService": "false"}}), True),
    ("if-exists-does-not-pin", S(condition={"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}), True),
    ("deny-is-never-public", S(effect="Deny"), False),
]


@pytest.mark.parametrize("name,statement,public", PUBLIC_CASES, ids=[c[0] for c in PUBLIC_CASES])
def test_dynamodb_public_definition(aws, name, statement, public):
    """DynamoDB's "public": "*" not pinned by a fixed value of a trusted key (BPA: rbac-bpa-rbp.html)."""
    doc = parse_policy(aws.policy(statement), source=TABLE, kind=EvidenceKind.RESOURCE_POLICY, require_principal=True)
    assert is_public_statement(doc.statements[0]) is public


def test_denied_policy_read_is_a_gap_on_the_table_not_no_policy(aws):
    """A denied GetResourcePolicy is a coverage gap naming the table; no grant is invented (docs/snapshot.md)."""
    snap = aws.snapshot(*aws.base(table(aws, "denied")))
    ev = evaluate_all(snap)
    (gap,) = [g for g in ev.gaps if g.resource == TABLE]
    assert (gap.read, gap.api, gap.datasets) == ("resource_policy", "dynamodb:GetResourcePolicy", (TABLE,))
    assert TABLE in ev.datasets


@pytest.mark.parametrize(
    "pattern,expected",
    [
        (TABLE, TABLE),
        (f"{TABLE}/index/by-date", TABLE),
        (f"{TABLE}/stream/2026-01-01T00:00:00.000", TABLE),
        ("arn:aws:dynamodb:eu-west-1:111122223333:table/t*", None),
        ("arn:aws:dynamodb:*:111122223333:table/t", None),
        ("arn:aws:s3:::b/*", None),
    ],
)
def test_identity_index_files_statements_under_their_literal_table(pattern, expected):
    """Identity statements are indexed by the literal table ARN they name; wildcards are tested one by one."""
    assert table_of_pattern(pattern) == expected
