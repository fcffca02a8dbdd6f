"""Properties over bucket policies built from a small grammar of valid shapes (hypothesis).

Rewriting a policy into an equivalent shape the grammar allows — one statement as an object,
a string as a one-element list, actions in another case, an account id as its root ARN,
condition values as JSON booleans and numbers, the text URL-encoded, indented or behind a
byte order mark — never changes who gets what, and evaluation never raises.
Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ACCT, OUTSIDE, ORG = "111122223333", "999988887777", "o-a1b2c3d4e5"

PRINCIPALS = st.sampled_from(["*", {"AWS": "*"}, {"AWS": OUTSIDE}, {"AWS": [ACCT, OUTSIDE]},
                              {"AWS": f"arn:aws:iam::{ACCT}:user/alice"}, {"Service": "logging.s3.amazonaws.com"}])
ACTIONS = st.sampled_from(["s3:GetObject", ["s3:GetObject", "s3:ListBucket"], "s3:*", "s3:Put*", "*",
                           ["s3:List*"], "s3:PutBucketPolicy"])
RESOURCES = st.sampled_from(["arn:aws:s3:::b/*", ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "*", "arn:aws:s3:::b"])
CONDITIONS = st.sampled_from([
    None,
    {"Bool": {"aws:SecureTransport": "false"}},
    {"NumericLessThan": {"s3:max-keys": "10"}},
    {"StringEquals": {"aws:PrincipalOrgID": ORG}},
    {"StringEquals": {"aws:PrincipalAccount": [OUTSIDE]}, "Bool": {"aws:SecureTransport": "true"}},
    {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}},
])  # fmt: skip


@st.composite
def statements(draw: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    s["Principal"] = draw(PRINCIPALS)
    s["NotAction" if draw(st.integers(0, 5)) == 0 else "Action"] = draw(ACTIONS)
    s["Resource"] = draw(RESOURCES)
    condition = draw(CONDITIONS)
    if condition:
        s["Condition"] = condition
    return s


def _listify(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _account_arn(value: Any) -> Any:
    if isinstance(value, str) and value.isdigit():
        return f"arn:aws:iam::{value}:root"
    if isinstance(value, list):
        return [_account_arn(v) for v in value]
    return value


def _json_values(condition: dict[str, Any]) -> dict[str, Any]:
    def conv(v: Any) -> Any:
        if isinstance(v, list):
            return [conv(x) for x in v]
        if v in ("true", "false"):
            return v == "true"
        return int(v) if isinstance(v, str) and v.isdigit() and len(v) < 6 else v

    return {op: {k: conv(v) for k, v in block.items()} for op, block in condition.items()}


def rewrite(statement: dict[str, Any], how: str) -> dict[str, Any]:
    s = json.loads(json.dumps(statement))
    key = "Action" if "Action" in s else "NotAction"
    if how == "lists":
        s[key], s["Resource"] = _listify(s[key]), _listify(s["Resource"])
        if isinstance(s["Principal"], dict):
            s["Principal"] = {k: _listify(v) for k, v in s["Principal"].items()}
    elif how == "case":
        s[key] = [a.upper() for a in _listify(s[key])]
    elif how == "accounts" and isinstance(s["Principal"], dict):
        s["Principal"] = {k: _account_arn(v) for k, v in s["Principal"].items()}
    elif how == "json-values" and "Condition" in s:
        s["Condition"] = _json_values(s["Condition"])
    elif how == "key-case" and "Condition" in s:
        s["Condition"] = {op: {k.upper(): v for k, v in block.items()} for op, block in s["Condition"].items()}
    return s


def encode(doc: dict[str, Any], how: str) -> str:
    text = json.dumps(doc, indent=2 if how in ("indent", "url") else None)
    return {"url": quote(text), "bom": "\ufeff" + text, "space": "\n  " + text}.get(how, text)


def _run(aws: Any, text: str) -> dict[str, dict[str, str]]:
    bucket = aws.bucket(acl=[aws.acl_grant(aws.AUTH_USERS, "READ")])
    bucket["reads"]["policy"] = aws.read("s3:GetBucketPolicy", {"Policy": text})
    ev = aws.evaluate(*aws.base(bucket))
    return {level: aws.audience(ev, "b", level) for level in ("read", "list", "write", "admin")}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.lists(statements(), min_size=1, max_size=3),
    how=st.sampled_from(["lists", "case", "accounts", "json-values", "key-case"]),
    encoding=st.sampled_from(["plain", "indent", "url", "bom", "space"]),
)
def test_equivalent_rewrites_keep_grants(aws: Any, body: list[dict], how: str, encoding: str) -> None:
    """An equivalent rewrite of a valid policy (see module docstring) grants exactly the same."""
    plain = {"Version": "2012-10-17", "Statement": body}
    rewritten: dict[str, Any] = {"Version": "2012-10-17", "Statement": [rewrite(s, how) for s in body]}
    if len(body) == 1:
        rewritten["Statement"] = rewritten["Statement"][0]
    assert _run(aws, encode(rewritten, encoding)) == _run(aws, json.dumps(plain))
