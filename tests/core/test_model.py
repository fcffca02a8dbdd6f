"""The model's records validate their invariants at construction."""

from __future__ import annotations

import pytest

from seenby.model import (
    AccessLevel,
    CoverageGap,
    Edge,
    EdgeKind,
    Evidence,
    EvidenceKind,
    FrozenJson,
    Grant,
    PrincipalKind,
    ReadOutcome,
    Reexposure,
    aws_org_principal,
)
from tests.core.builders import role


def test_grant_requires_evidence():
    """A grant with no evidence cannot be built: every finding must explain itself."""
    with pytest.raises(ValueError, match="evidence is required"):
        Grant(principal=role("x"), dataset="arn:aws:s3:::b", level=AccessLevel.READ, evidence=())


def test_evidence_excerpt_is_frozen_and_hashable():
    """Evidence keeps its excerpt immutable, so records can be compared and deduplicated."""
    ev = Evidence(
        kind=EvidenceKind.RESOURCE_POLICY, source="b", location="Statement[0]", excerpt={"Action": ["s3:GetObject"]}
    )
    assert isinstance(ev.excerpt, FrozenJson) and ev.excerpt["Action"] == ("s3:GetObject",)
    assert hash(ev) == hash(
        Evidence(
            kind=EvidenceKind.RESOURCE_POLICY, source="b", location="Statement[0]", excerpt={"Action": ["s3:GetObject"]}
        )
    )
    assert ev.to_json()["excerpt"] == {"Action": ["s3:GetObject"]}


def test_coverage_gap_refuses_a_non_gap_outcome():
    """An ok or absent read is not a coverage gap."""
    with pytest.raises(ValueError):
        CoverageGap(
            resource="b",
            resource_type="aws.s3.bucket",
            read="policy",
            api="s3:GetBucketPolicy",
            outcome=ReadOutcome.ABSENT,
        )


def test_edge_to_itself_is_refused():
    """A principal cannot be its own member or assume itself."""
    with pytest.raises(ValueError):
        Edge(source=role("x"), target=role("x"), kind=EdgeKind.CAN_ASSUME, evidence=())


def test_reexposure_through_itself_is_refused():
    """A dataset cannot re-expose itself."""
    with pytest.raises(ValueError):
        Reexposure(via="d", dataset="d", evidence=())


@pytest.mark.parametrize(
    ("kind", "is_class"),
    [
        (PrincipalKind.PUBLIC, True),
        (PrincipalKind.ORGANIZATION, True),
        (PrincipalKind.ACCOUNT, True),
        (PrincipalKind.DOMAIN, True),
        (PrincipalKind.USER, False),
        (PrincipalKind.ROLE, False),
    ],
)
def test_broad_classes_are_marked(kind: PrincipalKind, is_class: bool):
    """Broad classes stay single nodes; only they are classes."""
    assert kind.is_class is is_class


def test_gap_outcomes():
    """Denied and error are gaps; ok and absent are knowledge."""
    assert [o for o in ReadOutcome if o.is_gap] == [ReadOutcome.DENIED, ReadOutcome.ERROR]


def test_org_principal_id_is_documented_form():
    """Organisation classes use the documented seenby id aws-org:<id>."""
    assert aws_org_principal("o-abc").id == "aws-org:o-abc"
