"""The condition-key catalogue: valid package data, the docs' tables generated from it, and the keys seenby's
evaluator sets itself all listed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from seenby.model import ConditionFamily
from seenby.policies.condition_catalogue import FAMILY_RULES, aws_catalogue, gcp_catalogue, markdown_table

ROOT = Path(__file__).resolve().parents[2]
MARKERS = re.compile(r"<!-- condition-catalogue:start -->\n(.*?)<!-- condition-catalogue:end -->", re.S)


def _doc_block(doc: str) -> str:
    found = MARKERS.search((ROOT / doc).read_text(encoding="utf-8"))
    assert found, f"{doc} has no condition-catalogue block"
    return found.group(1)


def test_aws_semantics_table_matches_the_catalogue():
    """docs/aws-semantics.md carries the AWS catalogue's table exactly as generated."""
    assert _doc_block("docs/aws-semantics.md") == markdown_table(aws_catalogue())


def test_every_family_has_a_rule():
    """Each family states the one rule that decides its keys."""
    assert set(FAMILY_RULES) == set(ConditionFamily)


@pytest.mark.parametrize(
    ("key", "family"),
    [
        ("AWS:SourceIP", ConditionFamily.NETWORK),  # keys compare case-insensitively
        ("aws:PrincipalTag/team", ConditionFamily.CALLER_IDENTITY),  # a prefix entry
        ("s3:x-amz-grant-read", ConditionFamily.REQUEST_PROPERTY),
        ("kms:EncryptionContext:aws:s3:arn", ConditionFamily.DATA_PART),
        ("aws:SourceAccount", ConditionFamily.SERVICE_CONTEXT),
        ("s3:ExistingJobOperation", ConditionFamily.UNMODELLED),  # not listed: undecided, fail closed
    ],
)
def test_lookup(key: str, family: ConditionFamily):
    """A key resolves to its family, by exact name or the longest prefix entry."""
    assert aws_catalogue().family(key) is family


def test_keys_the_evaluator_sets_are_catalogued():
    """Every condition key a candidate's request context sets (every kind of candidate) is in the catalogue."""
    from seenby.model import EvidenceKind
    from seenby.policies.aws.document import parse_policy
    from seenby.policies.aws.org import Directory
    from seenby.policies.aws.population import Population
    from seenby.policies.aws.s3 import _ACCESS_POINT_KEYS

    pop = Population(Directory(), {}, {})
    networks = parse_policy(
        {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*", "Condition": {
            "IpAddress": {"aws:SourceIp": "203.0.113.0/24", "aws:VpcSourceIp": "10.0.0.0/8"},
            "StringEquals": {"aws:SourceVpce": "vpce-1", "aws:SourceVpcArn": "arn:aws:ec2:r:111122223333:vpc/vpc-1",
                             "aws:VpceAccount": "111122223333", "aws:VpceOrgID": "o-a1b2c3d4e5"}}}]},
        source="b", kind=EvidenceKind.RESOURCE_POLICY, require_principal=True,
    )  # fmt: skip
    classes = [pop.public(), pop.authenticated(), pop.organization("o-a1b2c3d4e5"), pop.account("111122223333"),
               pop.any_service(), pop.service("cloudtrail.amazonaws.com"),
               pop.service_for("*", {"aws:sourceaccount": "111122223333"})]  # fmt: skip
    candidates = classes + [v for c in classes for v in pop.through_networks(c, (networks,))]
    keys = {k for c in candidates for k in c.context.values} | {k.lower() for k in _ACCESS_POINT_KEYS}
    assert sorted(k for k in keys if aws_catalogue().lookup(k) is None) == []


def test_every_entry_cites_a_documentation_page():
    """Each catalogue entry names the provider page its family comes from."""
    for catalogue in (aws_catalogue(), gcp_catalogue()):
        assert all(e.doc.startswith("https://") for e in catalogue.entries)
        assert catalogue.version and catalogue.retrieved
