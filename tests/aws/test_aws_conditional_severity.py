"""Issue 14's "Done when": a conditional finding gates at its audience class's severity, class by class.

Each case opens bucket ``b`` (declared readable by its own account only) to one audience class through its bucket
policy, once as written and once with an extra condition key seenby cannot decide (``s3:ExistingJobOperation``, not
in the catalogue: the grant is conditional, fail closed).  The conditional one is rule SB010 with the severity
and audience class of the other, so ``--fail-on`` at that severity fails on both (seenby/cli_base.py
``exit_for``); only ``conditional`` differs
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status
for public; https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
for how an undecided key leaves the grant).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from seenby.audit import audit
from seenby.config import parse_rules
from seenby.findings import AudienceClass, Severity
from seenby.model import AccessLevel
from tests.aws.cases import ACCT, OBJ, ORG, OUTSIDE, S

RULES = f"""
version: 1
datasets:
  - match: {{id: "arn:aws:s3:::b"}}
    classification: internal
    read: ["arn:aws:iam::{ACCT}:root"]
    write: ["arn:aws:iam::{ACCT}:root"]
    admin: ["arn:aws:iam::{ACCT}:root"]
"""
UNDECIDED = {"StringLike": {"s3:ExistingJobOperation": "x*"}}  # an operator no class's condition uses
CLASSES = [
    # (id, principal, condition opening the class, the audience class expected)
    ("public", "*", None, AudienceClass.PUBLIC),
    ("organization", "*", {"StringEquals": {"aws:PrincipalOrgID": ORG}}, AudienceClass.ORGANIZATION),
    ("network", "*", {"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d"}}, AudienceClass.NETWORK),
    ("other-account", {"AWS": OUTSIDE}, None, AudienceClass.OTHER_ACCOUNT),
    ("role-of-another-account", {"AWS": f"arn:aws:iam::{OUTSIDE}:role/reader"}, None, AudienceClass.OTHER_ACCOUNT),
]


def _read_finding(aws: Any, principal: Any, condition: dict | None) -> tuple[str, Severity, AudienceClass, bool]:
    statement = S(principal=principal, action="s3:GetObject", resource=OBJ, condition=condition)
    snapshot = aws.snapshot(*aws.base(aws.bucket(policy=aws.policy(statement)), account_bpa=aws.bpa()))
    result = audit(snapshot, parse_rules(RULES, source="rules.yaml"), today=date(2026, 11, 23))
    [finding] = [f for f in result.active if f.dataset.id == "arn:aws:s3:::b" and f.level is AccessLevel.READ]
    broadest = min(finding.excess, key=lambda e: e.audience_class.rank)
    return finding.rule_id, finding.severity, broadest.audience_class, broadest.conditional


@pytest.mark.parametrize(("principal", "condition", "audience_class"), [c[1:] for c in CLASSES],
                         ids=[c[0] for c in CLASSES])  # fmt: skip
def test_conditional_finding_keeps_its_class_severity(
    aws: Any, principal: Any, condition: dict | None, audience_class: AudienceClass
) -> None:
    """The same grant with an undecided key added is the conditional rule (SB010) at the same severity, for the
    same audience class, marked conditional."""
    sure = _read_finding(aws, principal, condition)
    conditional = _read_finding(aws, principal, {**(condition or {}), **UNDECIDED})
    assert (sure[2], sure[3]) == (audience_class, False)
    assert conditional == ("SB010", *sure[1:3], True)
