"""IAM policy documents in every valid shape read the same as their plain equivalent, end to end.

Each case is a bucket policy written in a valid but unusual shape and the same policy in the
plain shape seenby's own fixtures use; both are evaluated as a whole snapshot and must give the
same audience (who reads, lists, writes; sure or conditional).  Sources per case.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

ACCT, OUTSIDE = "111122223333", "999988887777"
B, BO = "arn:aws:s3:::b", "arn:aws:s3:::b/*"
GRAMMAR = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html"
PRINCIPAL = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
ACTION = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html"
CONDITION = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"
MULTI = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html"
VERSION = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html"
SID = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html"


def _s(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": BO}
    base.update(kw)
    return {k: v for k, v in base.items() if v is not None}


def _p(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    doc: dict[str, Any] = {"Statement": list(statements)}
    if version:
        doc["Version"] = version
    return doc


SECURE_DENY = {"Bool": {"aws:SecureTransport": "false"}}

# (id, unusual document, plain equivalent, source)
EQUIVALENT = [
    ("statement-object", {"Version": "2012-10-17", "Statement": _s()}, _p(_s()), GRAMMAR),
    ("principal-aws-star", _p(_s(Principal={"AWS": "*"})), _p(_s()), PRINCIPAL),
    ("principal-aws-star-list", _p(_s(Principal={"AWS": ["*"]})), _p(_s()), PRINCIPAL),
    ("principal-account-id", _p(_s(Principal={"AWS": OUTSIDE})),
     _p(_s(Principal={"AWS": f"arn:aws:iam::{OUTSIDE}:root"})), PRINCIPAL),
    ("principal-list-mixed", _p(_s(Principal={"AWS": [OUTSIDE, f"arn:aws:iam::{ACCT}:root"]})),
     _p(_s(Principal={"AWS": f"arn:aws:iam::{OUTSIDE}:root"}), _s(Principal={"AWS": ACCT})), PRINCIPAL),
    ("action-mixed-case", _p(_s(Action="S3:getobject")), _p(_s()), ACTION),
    ("action-upper-case-wildcard", _p(_s(Action="S3:GET*")), _p(_s(Action="s3:Get*")), ACTION),
    ("action-list", _p(_s(Action=["s3:GetObject"])), _p(_s()), GRAMMAR),
    ("resource-list", _p(_s(Resource=[BO])), _p(_s()), GRAMMAR),
    ("resource-list-both", _p(_s(Action=["s3:GetObject", "s3:ListBucket"], Resource=[B, BO])),
     _p(_s(), _s(Action="s3:ListBucket", Resource=B)), GRAMMAR),
    ("not-action", _p(_s(Action=None, NotAction=["s3:Put*", "s3:Delete*"], Resource=[B, BO])),
     _p(_s(Action="s3:Get*", Resource=[B, BO]), _s(Action="s3:List*", Resource=[B, BO])), GRAMMAR),
    ("not-resource", _p(_s(Resource=None, NotResource="arn:aws:s3:::other/*")),
     _p(_s(Resource="*")), GRAMMAR),
    ("condition-bool-json",
     _p(_s(), _s(Effect="Deny", Action="s3:*", Condition={"Bool": {"aws:SecureTransport": False}})),
     _p(_s(), _s(Effect="Deny", Action="s3:*", Condition=SECURE_DENY)), CONDITION),
    ("condition-numeric-json", _p(_s(Condition={"NumericLessThan": {"s3:max-keys": 10}})),
     _p(_s(Condition={"NumericLessThan": {"s3:max-keys": "10"}})), CONDITION),
    ("condition-value-list", _p(_s(Condition={"StringEquals": {"aws:PrincipalAccount": [OUTSIDE]}})),
     _p(_s(Condition={"StringEquals": {"aws:PrincipalAccount": OUTSIDE}})), MULTI),
    ("condition-key-case", _p(_s(Condition={"StringEquals": {"AWS:PrincipalAccount": OUTSIDE}})),
     _p(_s(Condition={"StringEquals": {"aws:PrincipalAccount": OUTSIDE}})), CONDITION),
    ("condition-two-operators", _p(_s(Condition={"StringEquals": {"aws:PrincipalAccount": OUTSIDE},
                                                  "Bool": {"aws:SecureTransport": True}})),
     _p(_s(Condition={"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"aws:PrincipalAccount": OUTSIDE}})),
     MULTI),
    ("sid-missing-vs-duplicate", _p(_s(Sid="A"), _s(Sid="A", Action="s3:ListBucket", Resource=B)),
     _p(_s(), _s(Action="s3:ListBucket", Resource=B)), SID),
    ("version-2008", _p(_s(), version="2008-10-17"), _p(_s()), VERSION),
    ("version-missing", _p(_s(), version=None), _p(_s()), VERSION),
]  # fmt: skip


def _audiences(aws: Any, document: Any) -> dict[str, dict[str, str]]:
    """``document``: a policy (sent as S3 returns it, a JSON string) or a whole GetBucketPolicy response."""
    bucket = aws.bucket(policy={"Statement": []})
    bucket["reads"]["policy"]["document"] = document if "Policy" in document else {"Policy": json.dumps(document)}
    ev = aws.evaluate(*aws.base(bucket))
    return {level: aws.audience(ev, "b", level) for level in ("read", "list", "write", "admin")}


@pytest.mark.parametrize(("shape", "plain"), [c[1:3] for c in EQUIVALENT], ids=[c[0] for c in EQUIVALENT])
def test_equivalent_shapes_give_equal_audiences(aws: Any, shape: dict, plain: dict) -> None:
    """A policy in a valid unusual shape grants exactly what its plain equivalent grants (sources in EQUIVALENT)."""
    assert _audiences(aws, shape) == _audiences(aws, plain)


def test_equivalence_cases_are_not_empty(aws: Any) -> None:
    """Every plain equivalent grants someone something, so the comparison above can fail."""
    empty = [c[0] for c in EQUIVALENT if not any(_audiences(aws, c[2]).values())]
    assert empty == []


PUBLIC_READ = _p(_s(Sid="Public"))
ENCODINGS = [
    ("json-string", {"Policy": json.dumps(PUBLIC_READ)}),
    ("json-indented", {"Policy": json.dumps(PUBLIC_READ, indent=4)}),
    ("leading-whitespace", {"Policy": "\n\t  " + json.dumps(PUBLIC_READ)}),
    ("utf8-bom", {"Policy": "\ufeff" + json.dumps(PUBLIC_READ)}),
    ("url-encoded", {"Policy": quote(json.dumps(PUBLIC_READ))}),
    ("url-encoded-indented", {"Policy": quote(json.dumps(PUBLIC_READ, indent=2))}),
    ("url-encoded-leading-newline", {"Policy": quote("\n" + json.dumps(PUBLIC_READ))}),
]


@pytest.mark.parametrize("document", [c[1] for c in ENCODINGS], ids=[c[0] for c in ENCODINGS])
def test_policy_text_encodings(aws: Any, document: dict) -> None:
    """A bucket policy is public read however its JSON text is encoded (IAM URL-encodes documents:
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html)."""
    assert _audiences(aws, document)["read"].get(aws.PUBLIC) == "sure"


def test_empty_statement_list_grants_nothing_and_does_not_raise(aws: Any) -> None:
    """``"Statement": []`` parses (GRAMMAR allows an empty list in a stored document) and adds no grant."""
    assert _audiences(aws, _p())["read"].get(aws.PUBLIC) is None


VERSIONS = [("2008-10-17", "sure"), (None, "sure"), ("2012-10-17", "conditional")]


@pytest.mark.parametrize(("version", "verdict"), VERSIONS)
def test_policy_variables_exist_only_in_version_2012(aws: Any, version: str | None, verdict: str) -> None:
    """Under Version 2008-10-17 (the default when Version is missing) ``${aws:username}`` is literal text, so the
    public reads the literal prefix for sure; under 2012-10-17 it is a variable no class can resolve: conditional
    (VERSION)."""
    doc = _p(_s(Resource="arn:aws:s3:::b/${aws:username}/*"), version=version)
    assert _audiences(aws, doc)["read"].get(aws.PUBLIC) == verdict


OAI = "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHEXAMPLE"
# (id, statement, principal id expected to read, its verdict, source)
VERDICTS = [
    ("cloudfront-oai", _s(Principal={"AWS": OAI}), OAI, "sure",
     "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html"),
    ("china-partition-account", _s(Principal={"AWS": f"arn:aws-cn:iam::{OUTSIDE}:root"}),
     f"arn:aws:iam::{OUTSIDE}:root", "sure", PRINCIPAL),
    ("role-with-path", _s(Principal={"AWS": f"arn:aws:iam::{OUTSIDE}:role/team/etl/loader"}),
     f"arn:aws:iam::{OUTSIDE}:role/team/etl/loader", "sure", PRINCIPAL),
    ("service-list", _s(Principal={"Service": ["s3.amazonaws.com", "logging.s3.amazonaws.com"]}),
     "logging.s3.amazonaws.com", "sure", PRINCIPAL),
    ("saml-provider", _s(Principal={"Federated": f"arn:aws:iam::{OUTSIDE}:saml-provider/okta"}),
     f"arn:aws:iam::{OUTSIDE}:saml-provider/okta", "sure", PRINCIPAL),
    ("canonical-user", _s(Principal={"CanonicalUser": "d" * 64}), "d" * 64, "sure", PRINCIPAL),
    ("if-exists-operator", _s(Condition={"StringEqualsIfExists": {"aws:PrincipalAccount": OUTSIDE}}),
     "aws:public", "sure", CONDITION),
    # a time key is decided at the snapshot's collection time: 1700000000 (2023-11-14) has passed
    ("date-as-epoch-number", _s(Condition={"DateGreaterThan": {"aws:CurrentTime": 1700000000}}),
     "aws:public", "sure", CONDITION),
    # s3:max-keys is a property of the caller's own request: any caller meets it
    ("numeric-float", _s(Condition={"NumericLessThanEquals": {"s3:max-keys": 10.5}}),
     "aws:public", "sure", CONDITION),
    ("numeric-float-unmodelled-key", _s(Condition={"NumericLessThanEquals": {"s3:ExistingJobPriority": 10.5}}),
     "aws:public", "conditional", CONDITION),
    ("unknown-operator-is-conditional", _s(Condition={"StringFutureOperator": {"aws:x": "y"}}),
     "aws:public", "conditional", CONDITION),
    ("bucket-name-wildcard", _s(Resource="arn:aws:s3:::b*/*"), "aws:public", "sure",
     "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html"),
    ("action-single-char-wildcard", _s(Action="s3:GetObjec?"), "aws:public", "sure", ACTION),
]  # fmt: skip


@pytest.mark.parametrize(("statement", "who", "verdict"), [c[1:4] for c in VERDICTS], ids=[c[0] for c in VERDICTS])
def test_valid_shapes_documented_verdicts(aws: Any, statement: dict, who: str, verdict: str) -> None:
    """Each valid but unusual statement reads with its documented verdict (source in VERDICTS), never raising."""
    assert _audiences(aws, _p(statement))["read"].get(who) == verdict


def test_cloudfront_oai_does_not_make_bucket_public(aws: Any) -> None:
    """A bucket policy naming only a CloudFront OAI grants the OAI, not the public (VERDICTS source)."""
    assert aws.PUBLIC not in _audiences(aws, _p(_s(Principal={"AWS": OAI})))["read"]
