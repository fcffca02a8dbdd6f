"""Policy documents: every shape normalised once, shapes AWS rejects refused with a located error.

Sources: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from seenby.errors import PolicyDocumentError
from seenby.model import EvidenceKind
from seenby.policies.aws.document import PrincipalType, parse_policy
from seenby.policies.aws.matching import action_matches, glob_covers, glob_intersects, wildcard_match

RP = EvidenceKind.RESOURCE_POLICY


def _one(principal: object) -> list[tuple[PrincipalType, str]]:
    doc = parse_policy(
        {"Statement": {"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": "*"}},
        source="arn:aws:s3:::b", kind=RP,
    )  # fmt: skip
    return [(r.type, r.value) for r in doc.statements[0].principals or ()]


PRINCIPAL_SHAPES = [
    ("star-string", "*", [(PrincipalType.ANY, "*")]),
    ("aws-star", {"AWS": "*"}, [(PrincipalType.ANY, "*")]),
    ("account-id", {"AWS": "111122223333"}, [(PrincipalType.ACCOUNT, "111122223333")]),
    ("account-root-arn", {"AWS": "arn:aws:iam::111122223333:root"}, [(PrincipalType.ACCOUNT, "111122223333")]),
    ("user-arn", {"AWS": "arn:aws:iam::111122223333:user/alice"},
     [(PrincipalType.ARN, "arn:aws:iam::111122223333:user/alice")]),
    ("role-list", {"AWS": ["arn:aws:iam::111122223333:role/r", "444455556666"]},
     [(PrincipalType.ARN, "arn:aws:iam::111122223333:role/r"), (PrincipalType.ACCOUNT, "444455556666")]),
    ("assumed-role-session", {"AWS": "arn:aws:sts::111122223333:assumed-role/r/s"},
     [(PrincipalType.ARN, "arn:aws:sts::111122223333:assumed-role/r/s")]),
    ("service", {"Service": "CloudTrail.amazonaws.com"}, [(PrincipalType.SERVICE, "cloudtrail.amazonaws.com")]),
    ("federated", {"Federated": "cognito-identity.amazonaws.com"},
     [(PrincipalType.FEDERATED, "cognito-identity.amazonaws.com")]),
    ("canonical", {"CanonicalUser": "ab" * 32}, [(PrincipalType.CANONICAL, "ab" * 32)]),
    ("deleted-principal-unique-id", {"AWS": "AROAEXAMPLEID12345678"},
     [(PrincipalType.UNIQUE_ID, "AROAEXAMPLEID12345678")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("principal", "expected"), [c[1:] for c in PRINCIPAL_SHAPES], ids=[c[0] for c in PRINCIPAL_SHAPES]
)
def test_principal_shapes(principal: object, expected: list) -> None:
    """Every documented Principal shape normalises to typed references."""
    assert _one(principal) == expected


DOC = {"Version": "2012-10-17", "Statement": [{"Sid": "A", "Effect": "Allow", "Principal": "*",
                                                "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}  # fmt: skip


@pytest.mark.parametrize("raw", [DOC, json.dumps(DOC), quote(json.dumps(DOC))], ids=["dict", "json", "url-encoded"])
def test_document_encodings(raw: object) -> None:
    """A policy may arrive as a dict, a JSON string or URL-encoded JSON (IAM returns that)."""
    doc = parse_policy(raw, source="arn:aws:s3:::b", kind=RP)
    assert (doc.statements[0].sid, doc.statements[0].actions) == ("A", ("s3:GetObject",))


def test_string_action_and_single_statement_object() -> None:
    """Action as a string and Statement as one object are the same as one-element lists."""
    doc = parse_policy({"Statement": {"Effect": "Deny", "Principal": "*", "NotAction": "s3:*", "NotResource": "x"}},
                       source="s", kind=RP)  # fmt: skip
    st = doc.statements[0]
    assert (st.not_action, st.actions, st.not_resource, st.resources) == (True, ("s3:*",), True, ("x",))


BAD = [
    ("effect", {"Effect": "Permit", "Principal": "*", "Action": "s3:*", "Resource": "*"}, "Effect"),
    ("action-and-notaction", {"Effect": "Allow", "Principal": "*", "Action": "a:b", "NotAction": "a:c"}, "Action"),
    ("no-action", {"Effect": "Allow", "Principal": "*", "Resource": "*"}, "Action"),
    ("principal-string", {"Effect": "Allow", "Principal": "alice", "Action": "s3:*"}, "Principal"),
    ("principal-wildcard-arn", {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/*"},
                                "Action": "s3:*"}, "wildcards"),
    ("principal-unknown-type", {"Effect": "Allow", "Principal": {"Group": "x"}, "Action": "s3:*"}, "principal type"),
    ("both-principal-kinds", {"Effect": "Allow", "Principal": "*", "NotPrincipal": "*", "Action": "s3:*"}, "both"),
    ("condition-not-map", {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Condition": ["x"]}, "Condition"),
]  # fmt: skip


@pytest.mark.parametrize(("statement", "message"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_rejected_shapes_name_source_and_statement(statement: dict, message: str) -> None:
    """Shapes AWS rejects raise PolicyDocumentError naming the resource and Statement[i]."""
    with pytest.raises(PolicyDocumentError) as err:
        parse_policy({"Statement": [DOC["Statement"][0], statement]}, source="arn:aws:s3:::b", kind=RP)
    assert err.value.file == "arn:aws:s3:::b"
    assert err.value.where == "Statement[1]"
    assert message in err.value.message


def test_identity_policy_may_not_name_principal() -> None:
    """An identity-based policy with a Principal is refused."""
    with pytest.raises(PolicyDocumentError):
        parse_policy(DOC, source="arn:aws:iam::1:user/a", kind=EvidenceKind.IDENTITY_POLICY)


def test_not_json() -> None:
    """A policy string that is not JSON is refused with the source named."""
    with pytest.raises(PolicyDocumentError) as err:
        parse_policy("{nope", source="arn:aws:s3:::b", kind=RP)
    assert err.value.file == "arn:aws:s3:::b"


MATCHING = [
    ("action-case-insensitive", action_matches("S3:getobject", "s3:GetObject"), True),
    ("action-star", action_matches("s3:Get*", "s3:GetObjectVersion"), True),
    ("action-question", action_matches("s3:GetObjec?", "s3:GetObject"), True),
    ("action-other-service", action_matches("s3:*", "kms:Decrypt"), False),
    ("resource-case-sensitive", wildcard_match("arn:aws:s3:::B/*", "arn:aws:s3:::b/x"), False),
    ("resource-star-crosses-slash", wildcard_match("arn:aws:s3:::b*", "arn:aws:s3:::b/x/y"), True),
    ("intersects-prefix", glob_intersects("arn:aws:s3:::b/logs/*", "arn:aws:s3:::b/*"), True),
    ("bucket-arn-not-objects", glob_intersects("arn:aws:s3:::b", "arn:aws:s3:::b/*"), False),
    ("covers-all-objects", glob_covers("arn:aws:s3:::b/*", "arn:aws:s3:::b/*"), True),
    ("prefix-does-not-cover", glob_covers("arn:aws:s3:::b/logs/*", "arn:aws:s3:::b/*"), False),
]


@pytest.mark.parametrize(("got", "expected"), [c[1:] for c in MATCHING], ids=[c[0] for c in MATCHING])
def test_wildcard_matching(got: bool, expected: bool) -> None:
    """Actions match case-insensitively, resources case-sensitively; * crosses / and :."""
    assert got is expected
