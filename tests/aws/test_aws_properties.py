"""Invariants over random bucket policies (hypothesis).

Sources: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html (an explicit
Deny always wins, so adding one cannot widen; an Allow cannot narrow),
https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html (BPA only restricts),
https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html (enforced ownership only disables).
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from seenby.model import AccessLevel

ACCT, OTHER, OUTSIDE, MGMT, ORG = "111122223333", "444455556666", "999988887777", "123456789012", "o-a1b2c3d4e5"
ORG_ACCOUNTS = {ACCT, OTHER, MGMT}

PRINCIPALS = st.sampled_from(
    [
        "*",
        {"AWS": "*"},
        {"AWS": OTHER},
        {"AWS": f"arn:aws:iam::{OUTSIDE}:root"},
        {"AWS": f"arn:aws:iam::{ACCT}:user/alice"},
        {"AWS": f"arn:aws:iam::{OUTSIDE}:role/x"},
        {"Service": "logging.s3.amazonaws.com"},
    ]
)
ACTIONS = st.sampled_from(["s3:GetObject", "s3:*", "s3:PutObject", "s3:ListBucket", "s3:Get*", "s3:PutBucketPolicy"])
RESOURCES = st.sampled_from(["arn:aws:s3:::b/*", "arn:aws:s3:::b", "*", "arn:aws:s3:::b/logs/*"])
CONDITIONS = st.sampled_from(
    [
        None,
        {"StringEquals": {"aws:PrincipalOrgID": ORG}},
        {"StringNotEquals": {"aws:PrincipalOrgID": ORG}},
        {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        {"StringEquals": {"aws:PrincipalAccount": OTHER}},
        {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OUTSIDE}:role/*"}},
        {"Bool": {"aws:SecureTransport": "false"}},
        {"Null": {"aws:PrincipalOrgID": "true"}},
        {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
        {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
        {"StringEquals": {"aws:SourceAccount": ACCT}},
        {"StringNotEquals": {"aws:SourceAccount": ACCT}},
        {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        {"DateLessThan": {"aws:CurrentTime": "2025-01-01T00:00:00Z"}},
        {"StringEquals": {"s3:ExistingObjectTag/classification": "public"}},
        {"StringEquals": {"s3:ExistingJobOperation": "S3GetObject"}},
    ]
)


@st.composite
def statements(draw: Any, effect: str | None = None) -> dict:
    s: dict[str, Any] = {
        "Effect": effect or draw(st.sampled_from(["Allow", "Deny"])),
        "Action": draw(ACTIONS),
        "Resource": draw(RESOURCES),
    }
    if s["Effect"] == "Deny" and draw(st.booleans()) and draw(st.booleans()):
        s["NotPrincipal"] = draw(PRINCIPALS.filter(lambda p: p != "*" and p != {"AWS": "*"}))
    else:
        s["Principal"] = draw(PRINCIPALS)
    condition = draw(CONDITIONS)
    if condition:
        s["Condition"] = condition
    return s


POLICIES = st.lists(statements(), min_size=1, max_size=4)
ACLS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "http://acs.amazonaws.com/groups/global/AllUsers",
                "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
            ]
        ),
        st.sampled_from(["READ", "WRITE", "FULL_CONTROL", "WRITE_ACP"]),
    ),
    max_size=2,
)


def _account_of(pid: str) -> str | None:
    if pid.startswith("arn:aws:") and pid.count(":") >= 5:
        return pid.split(":")[4] or None
    return None


def _within(pid: str, audience: set[str]) -> bool:
    """``pid`` is in ``audience`` itself or inside a class that is."""
    if pid in audience or "aws:public" in audience:
        return True
    if pid.startswith("aws-service-for:") and any(a.endswith(".amazonaws.com") or a == "aws:any-service"
                                                  for a in audience):  # fmt: skip
        return True  # a service acting for someone named is one of the services acting for anyone
    if "@aws-network:" in pid:
        within, network = pid.rsplit("@", 1)
        return _within(within, audience) or _within(network, audience)  # a class's callers through a network
    if pid.startswith("aws-root-user:"):
        pid = f"arn:aws:iam::{pid.split(':', 1)[1]}:root"  # the root user is one of its account's principals
    if pid != "aws:public" and "aws:authenticated" in audience:
        return True
    account = _account_of(pid)
    in_org = pid.startswith("aws-ou:") or pid == f"aws-org:{ORG}" or account in ORG_ACCOUNTS
    if in_org and f"aws-org:{ORG}" in audience:
        return True
    return account is not None and f"arn:aws:iam::{account}:root" in audience


# a named principal's grant through a network notes the network (population.through_network): such a grant is that
# principal's calls through it, inside the network's audience as a class's callers through it are
_THROUGH = re.compile(r"only when calling (from|through VPC endpoint|in a VPC from private addresses) (\S+)")


def _audiences(aws: Any, ev: Any) -> dict[AccessLevel, set[str]]:
    out: dict[AccessLevel, set[str]] = {}
    for level in AccessLevel:
        ids: set[str] = set()
        for g in aws.grants_of(ev, "b", level):
            through = next((m for e in g.evidence if e.note and (m := _THROUGH.search(e.note))), None)
            if through is None:
                ids.add(g.principal.id)
            else:
                network = f"vpc-ip:{through[2]}" if through[1].startswith("in a VPC") else through[2]
                ids.add(f"{g.principal.id}@aws-network:{network}")
        out[level] = ids
    return out


def _no_wider(aws: Any, before: Any, after: Any) -> None:
    a, b = _audiences(aws, before), _audiences(aws, after)
    for level in AccessLevel:
        wider = {p for p in b[level] if not _within(p, a[level])}
        assert not wider, (level, wider, a[level])


def _evaluate(aws: Any, stmts: list[dict], *, acl: list | None = None, bpa: Any = "absent", account_bpa: Any = "absent",
              ownership: Any = "absent") -> Any:  # fmt: skip
    grants = [aws.acl_grant(g, p) for g, p in (acl or [])]
    bucket = aws.bucket(policy=aws.policy(*stmts), acl=grants, bpa=bpa, ownership=ownership)
    return aws.evaluate(*aws.base(bucket, users=(aws.user("alice"),), account_bpa=account_bpa))


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


_NETWORK_ONLY = {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
_ALICE = {"AWS": "arn:aws:iam::111122223333:user/alice"}
_DENY_ALICE_GET = {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Principal": _ALICE}


@PROPERTY
@given(policy=POLICIES, deny=statements(effect="Deny"))
# found by hypothesis: a Deny that names alice made her a candidate, and her grant through the network was listed
# beside the network's audience (anyone through it; her account's principals through it) that already holds it
@example(
    policy=[
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Principal": "*"},
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*", "Principal": "*",
         "Condition": _NETWORK_ONLY},
    ],
    deny=_DENY_ALICE_GET,
)
@example(
    policy=[
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Principal": "*"},
        {"Effect": "Allow", "Action": "s3:PutBucketPolicy", "Resource": "arn:aws:s3:::b", "Principal": "*",
         "Condition": _NETWORK_ONLY},
    ],
    deny=_DENY_ALICE_GET,
)
def test_adding_a_deny_never_widens(aws: Any, policy: list[dict], deny: dict) -> None:
    """Adding a Deny statement never widens the audience at any level."""
    _no_wider(aws, _evaluate(aws, policy), _evaluate(aws, [*policy, deny]))


@PROPERTY
@given(policy=POLICIES, allow=statements(effect="Allow"))
# found by hypothesis: alice's grant through the network folded into the network's audience once anyone through it
# holds the same grant; she is still one of its callers
@example(
    policy=[
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Principal": "*"},
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*", "Principal": _ALICE,
         "Condition": _NETWORK_ONLY},
    ],
    allow={"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*", "Principal": "*",
           "Condition": _NETWORK_ONLY},
)
def test_adding_an_allow_never_narrows(aws: Any, policy: list[dict], allow: dict) -> None:
    """Adding an Allow statement never narrows the audience at any level."""
    _no_wider(aws, _evaluate(aws, [*policy, allow]), _evaluate(aws, policy))


SETTINGS = st.sampled_from(["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"])


@PROPERTY
@given(policy=POLICIES, acl=ACLS, setting=SETTINGS, level=st.sampled_from(["account", "bucket"]))
def test_block_public_access_never_widens(aws: Any, policy: list[dict], acl: list, setting: str, level: str) -> None:
    """Turning on any Block Public Access setting, at either level, never widens the audience."""
    off = aws.bpa()
    on = aws.bpa(**{setting: True})
    before = _evaluate(aws, policy, acl=acl, bpa=off, account_bpa=off)
    after = _evaluate(
        aws, policy, acl=acl, bpa=on if level == "bucket" else off, account_bpa=on if level == "account" else off
    )
    _no_wider(aws, before, after)


@PROPERTY
@given(policy=POLICIES, acl=ACLS)
def test_bucket_owner_enforced_never_widens(aws: Any, policy: list[dict], acl: list) -> None:
    """Object Ownership BucketOwnerEnforced never widens the audience."""
    before = _evaluate(aws, policy, acl=acl, account_bpa=aws.bpa())
    after = _evaluate(aws, policy, acl=acl, account_bpa=aws.bpa(), ownership="BucketOwnerEnforced")
    _no_wider(aws, before, after)


# -- decided families never leave a class's grant conditional (issue 14) --------------------------------------------

# keys of every decided family a bucket policy meets, with values of each shape (fixed, wildcard, negated)
DECIDED = st.sampled_from(
    [
        {"Bool": {"aws:SecureTransport": "true"}},
        {"Bool": {"aws:SecureTransport": "false"}},
        {"StringLike": {"aws:Referer": "https://example.com/*"}},
        {"StringNotLike": {"aws:UserAgent": "curl/*"}},
        {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
        {"IpAddress": {"aws:SourceIp": ["0.0.0.0/0", "::/0"]}},
        {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        {"NotIpAddress": {"aws:SourceIp": "198.51.100.0/24"}},
        {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
        {"StringNotEquals": {"aws:SourceVpc": "vpc-111bbb22"}},
        {"StringLike": {"aws:SourceVpce": "vpce-*"}},
        {"StringEquals": {"aws:SourceAccount": ACCT}},
        {"ArnLike": {"aws:SourceArn": f"arn:aws:cloudtrail:*:{ACCT}:trail/*"}},
        {"StringEquals": {"aws:SourceOrgID": ORG}},
        {"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}},
        {"NumericLessThan": {"aws:EpochTime": "1700000000"}},
        {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
        {"StringEquals": {"s3:signatureversion": "AWS4-HMAC-SHA256"}},
        {"StringLike": {"s3:prefix": "public/*"}},
        {"StringEquals": {"s3:ExistingObjectTag/classification": "public"}},
        {"StringEquals": {"aws:PrincipalOrgID": ORG}},
        {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/r-ab12/*"}},
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/reader"}},
        {"StringEquals": {"aws:PrincipalTag/team": "ml"}},
        {"StringEquals": {"aws:PrincipalType": "AssumedRole"}},
        {"Bool": {"aws:PrincipalIsAWSService": "true"}},
    ]
)
CLASS_KINDS = {"public", "any-authenticated", "organization", "org-unit", "account", "network", "service-for"}


@st.composite
def decided_statements(draw: Any) -> dict:
    """A statement to "*" (or its negation in a Deny) whose every condition key is in a decided family."""
    condition: dict[str, dict] = {}
    for block in draw(st.lists(DECIDED, min_size=1, max_size=3)):
        for operator, keys in block.items():
            condition.setdefault(operator, {}).update(keys)
    return {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"])), "Principal": "*",
            "Action": draw(ACTIONS), "Resource": draw(RESOURCES), "Condition": condition}  # fmt: skip


@PROPERTY
@given(policy=st.lists(decided_statements(), min_size=1, max_size=3))
def test_decided_families_leave_no_class_grant_conditional(aws: Any, policy: list[dict]) -> None:
    """No grant to "*" or a class whose conditions all fall in the decided families is conditional."""
    ev = _evaluate(aws, policy, account_bpa=aws.bpa())
    conditional = [
        (g.principal.id, g.level.value) for g in ev.grants if g.principal.kind.value in CLASS_KINDS and g.conditional
    ]
    assert conditional == []
