"""Issue 14's "Done when" on Google Cloud: a conditional finding gates at its audience class's severity.

Each case grants roles/storage.objectViewer on bucket ``b`` (declared readable by its owner only) to one audience
class, once under a condition seenby decides (or none) and once with ``origin.ip`` added, which it does not
decide offline (https://cloud.google.com/iam/docs/conditions-attribute-reference: the grant is conditional, fail
closed).  The conditional finding is rule SB010 with the same severity and audience class as the other, so
``--fail-on`` at that severity fails on both.
"""

from __future__ import annotations

from datetime import date

import pytest

from seenby.audit import audit
from seenby.config import parse_rules
from seenby.findings import AudienceClass, Severity
from seenby.model import AccessLevel
from tests.gcp.builders import binding, bucket, org, policy, project, snapshot

RULES = """
version: 1
datasets:
  - match: {id: "gs://b"}
    classification: internal
    read: ["user:owner@corp.example"]
"""
CORP = "accessPolicies/1/accessLevels/corp"
UNDECIDED = 'origin.ip == "203.0.113.7"'
CLASSES = [
    # (id, member, condition opening the class, the audience class expected)
    ("public", "allUsers", None, AudienceClass.PUBLIC),
    ("any-authenticated", "allAuthenticatedUsers", None, AudienceClass.ANY_AUTHENTICATED),
    ("domain", "domain:partner.example", None, AudienceClass.ORGANIZATION),
    ("access-level", "allUsers", f"'{CORP}' in request.auth.access_levels", AudienceClass.NETWORK),
    ("specific", "user:mallory@partner.example", None, AudienceClass.SPECIFIC),
]


def _read_finding(member: str, expression: str | None) -> tuple[str, Severity, AudienceClass, bool]:
    condition = {"title": "t", "expression": expression} if expression else None
    iam = policy(binding("roles/storage.objectViewer", member, condition=condition))
    result = audit(snapshot(org(), project(), bucket("b", iam=iam)), parse_rules(RULES, source="rules.yaml"),
                   today=date(2026, 12, 7))  # fmt: skip
    [finding] = [f for f in result.active if f.dataset.id == "gs://b" and f.level is AccessLevel.READ]
    broadest = min(finding.excess, key=lambda e: e.audience_class.rank)
    return finding.rule_id, finding.severity, broadest.audience_class, broadest.conditional


@pytest.mark.parametrize(("member", "condition", "audience_class"), [c[1:] for c in CLASSES],
                         ids=[c[0] for c in CLASSES])  # fmt: skip
def test_conditional_finding_keeps_its_class_severity(
    member: str, condition: str | None, audience_class: AudienceClass
) -> None:
    """The same binding with an undecided attribute added is SB010 at the same severity and class, conditional."""
    sure = _read_finding(member, condition)
    conditional = _read_finding(member, f"({condition}) && {UNDECIDED}" if condition else UNDECIDED)
    assert (sure[2], sure[3]) == (audience_class, False)
    assert conditional == ("SB010", *sure[1:3], True)
