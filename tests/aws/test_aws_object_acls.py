"""Object ACLs (issue 22 item 1): grants on objects open the bucket's dataset, under the bucket ACL's rules.

Sources: ACL = https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html,
OWN = https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html,
BPA = https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
"""

from __future__ import annotations

from typing import Any

import pytest

from seenby.model import ReadOutcome
from seenby.policies.gaps import collect_gaps

ACCT = "111122223333"
PUBLIC, AUTH = "aws:public", "aws:authenticated"
ALL = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHU = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
OWNER_ID = "c" * 64  # the bucket owner's canonical id (tests/aws/conftest.py)
PARTNER_ID = "d" * 64  # another account's canonical user
SURE, COND = "sure", "conditional"


def with_object_acls(bucket: dict, grants: list[dict], *, keys: tuple[str, ...] = ("a.csv", "b.csv"),
                     listed: int | None = None, chosen: int | None = None, failures: list[dict] | None = None,
                     complete: bool = True) -> dict:  # fmt: skip
    """``bucket`` with an ``object_acls`` read: one ACL (owner FULL_CONTROL plus ``grants``) on ``keys``."""
    acl = {"Owner": {"ID": OWNER_ID}, "Grants": [_grant(OWNER_ID, "FULL_CONTROL"), *grants], "Keys": list(keys)}
    failures = failures or []
    chosen = len(keys) + len(failures) if chosen is None else chosen
    document = {"Listed": chosen if listed is None else listed, "ListingComplete": complete, "Chosen": chosen,
                "Acls": [acl], "Failures": failures}  # fmt: skip
    bucket["reads"]["object_acls"] = {"outcome": "ok", "api": "s3:GetObjectAcl", "document": document}
    return bucket


def _grant(grantee: str, permission: str) -> dict[str, Any]:
    if grantee.startswith("http://"):
        return {"Grantee": {"Type": "Group", "URI": grantee}, "Permission": permission}
    return {"Grantee": {"Type": "CanonicalUser", "ID": grantee}, "Permission": permission}


# (id, object grants [(grantee, permission)], {level: expected audience}) — ACL: object permissions
PERMISSION_CASES: list[tuple[str, list[tuple[str, str]], dict[str, dict[str, str]]]] = [
    ("all-users-read-is-data", [(ALL, "READ")], {"read": {PUBLIC: SURE}, "list": {}, "admin": {}}),
    ("authenticated-read-is-data", [(AUTHU, "READ")], {"read": {AUTH: SURE}}),
    ("other-account-read-is-data", [(PARTNER_ID, "READ")], {"read": {PARTNER_ID: SURE}}),
    ("all-users-read-acp-is-list", [(ALL, "READ_ACP")], {"list": {PUBLIC: SURE}, "read": {}}),
    ("all-users-write-acp-is-admin", [(ALL, "WRITE_ACP")], {"admin": {PUBLIC: SURE}, "read": {}}),
    ("all-users-full-control", [(ALL, "FULL_CONTROL")],
     {"read": {PUBLIC: SURE}, "list": {PUBLIC: SURE}, "admin": {PUBLIC: SURE}, "write": {}}),
    ("owner-own-grant-grants-nothing", [], {"read": {}, "list": {}, "admin": {}}),
]  # fmt: skip


@pytest.mark.parametrize(("grants", "expected"), [c[1:] for c in PERMISSION_CASES],
                         ids=[c[0] for c in PERMISSION_CASES])  # fmt: skip
def test_object_acl_permission_levels(aws: Any, grants: list, expected: dict) -> None:
    """Object READ is the data, READ_ACP lists, WRITE_ACP administers; object ACLs have no WRITE (ACL)."""
    bucket = with_object_acls(aws.bucket(), [_grant(g, p) for g, p in grants])

    ev = aws.evaluate(*aws.base(bucket, account_bpa=aws.bpa()))

    for level, audience in expected.items():
        assert aws.audience(ev, "b", level) == audience, level


# (id, bucket kwargs, account BPA, object grants, expected READ audience) — OWN and BPA
IN_FORCE_CASES = [
    ("bucket-owner-enforced-disables", {"ownership": "BucketOwnerEnforced"}, "absent", [ALL], {}),
    ("object-writer-keeps", {"ownership": "ObjectWriter"}, "absent", [ALL], {PUBLIC: SURE}),
    ("bucket-ignore-public-acls", {"bpa": {"IgnorePublicAcls": True}}, "absent", [ALL], {}),
    ("account-ignore-public-acls", {}, {"IgnorePublicAcls": True}, [ALL], {}),
    ("ignore-public-acls-keeps-other-accounts", {}, {"IgnorePublicAcls": True}, [ALL, PARTNER_ID],
     {PARTNER_ID: SURE}),
    ("block-public-acls-does-not-ignore", {}, {"BlockPublicAcls": True}, [ALL], {PUBLIC: SURE}),
    ("account-bpa-denied-conditional", {}, "denied", [ALL], {PUBLIC: COND}),
    ("ownership-unknown-conditional", {"ownership": "denied"}, {}, [ALL], {PUBLIC: COND}),
]  # fmt: skip


@pytest.mark.parametrize(("bucket_kw", "account_bpa", "grantees", "expected"), [c[1:] for c in IN_FORCE_CASES],
                         ids=[c[0] for c in IN_FORCE_CASES])  # fmt: skip
def test_object_acls_apply_as_bucket_acls_do(aws: Any, bucket_kw: dict, account_bpa: Any, grantees: list,
                                             expected: dict) -> None:  # fmt: skip
    """BucketOwnerEnforced disables object ACLs; IgnorePublicAcls drops public grants only (OWN, BPA)."""
    if isinstance(bucket_kw.get("bpa"), dict):
        bucket_kw = {**bucket_kw, "bpa": aws.bpa(**bucket_kw["bpa"])}
    acct = aws.bpa(**account_bpa) if isinstance(account_bpa, dict) else account_bpa
    bucket = with_object_acls(aws.bucket(**bucket_kw), [_grant(g, "READ") for g in grantees])

    ev = aws.evaluate(*aws.base(bucket, account_bpa=acct))

    assert aws.audience(ev, "b", "read") == expected


def test_bucket_policy_deny_still_wins_over_a_public_object(aws: Any) -> None:
    """An explicit Deny of both object reads to everyone closes a public-read object (evaluation logic)."""
    deny = aws.policy(aws.stmt(effect="Deny", action=["s3:GetObject", "s3:GetObjectVersion"]))
    bucket = with_object_acls(aws.bucket(policy=deny), [_grant(ALL, "READ")])

    ev = aws.evaluate(*aws.base(bucket, account_bpa=aws.bpa()))

    assert aws.audience(ev, "b", "read") == {}


def test_evidence_names_the_objects(aws: Any) -> None:
    """The grant's evidence counts the objects and names the first few keys."""
    keys = tuple(f"exports/{i}.csv" for i in range(7))
    bucket = with_object_acls(aws.bucket(), [_grant(ALL, "READ")], keys=keys)

    (grant,) = aws.grants_of(aws.evaluate(*aws.base(bucket, account_bpa=aws.bpa())), "b", "read")

    (evidence,) = grant.evidence
    assert evidence.location == "object_acls.Acls[0].Grants[1]"
    assert evidence.excerpt["Objects"] == 7
    assert list(evidence.excerpt["Keys"]) == list(keys[:5])
    assert evidence.note == "object ACL: READ on 7 object(s): " + ", ".join(keys[:5]) + ", …"


def _object_gaps(aws: Any, bucket: dict) -> list:
    snapshot = aws.snapshot(*aws.base(bucket, account_bpa=aws.bpa()))
    ev = aws.evaluate(*aws.base(bucket, account_bpa=aws.bpa()))
    return [g for g in collect_gaps(snapshot, ev) if g.read == "object_acls"]


def test_bound_that_cut_is_a_coverage_gap(aws: Any) -> None:
    """1,000 of 4,200 objects read: a gap on the bucket saying so, never "the rest are private"."""
    bucket = with_object_acls(aws.bucket(), [], keys=tuple(f"k{i}" for i in range(1000)), listed=4200)

    (gap,) = _object_gaps(aws, bucket)

    assert gap.message == "object ACLs read for 1000 of 4200 objects"
    assert (gap.outcome, gap.error_code, gap.datasets) == (ReadOutcome.ERROR, "ObjectAclLimit", ("arn:aws:s3:::b",))


def test_denied_object_acl_is_a_denied_gap(aws: Any) -> None:
    """A GetObjectAcl answered AccessDenied is a denied coverage gap naming the object."""
    failed = [{"Key": "secret.csv", "outcome": "denied", "error_code": "AccessDenied"}]
    bucket = with_object_acls(aws.bucket(), [], keys=("a.csv",), failures=failed)

    (gap,) = _object_gaps(aws, bucket)

    assert gap.message == "object ACLs read for 1 of 2 objects; GetObjectAcl failed for 1 (secret.csv)"
    assert (gap.outcome, gap.error_code) == (ReadOutcome.DENIED, "AccessDenied")


def test_every_object_read_is_no_gap(aws: Any) -> None:
    """All listed objects read: no object ACL gap."""
    assert _object_gaps(aws, with_object_acls(aws.bucket(), [])) == []


def test_incomplete_listing_says_at_least(aws: Any) -> None:
    """A listing stopped by object_listing_limit reports "of at least M objects"."""
    bucket = with_object_acls(aws.bucket(), [], keys=("a",), listed=100_000, complete=False)

    (gap,) = _object_gaps(aws, bucket)

    assert gap.message == "object ACLs read for 1 of at least 100000 objects"


def test_audit_finding_names_the_public_objects(aws: Any) -> None:
    """A bucket declared private with one public-read object: a read finding for the public whose path names it."""
    from datetime import date

    from seenby.audit import audit
    from seenby.config import parse_rules
    from seenby.model import AccessLevel

    bucket = with_object_acls(aws.bucket(), [_grant(ALL, "READ")], keys=("exports/q3.csv",))
    rules = parse_rules("version: 1\ndatasets:\n  - match: {id: 'arn:aws:s3:::b'}\n    read: []\n", source="rules.yaml")

    result = audit(aws.snapshot(*aws.base(bucket, account_bpa=aws.bpa())), rules, today=date(2026, 11, 23))

    (finding,) = [f for f in result.active if f.level is AccessLevel.READ]
    assert {e.principal.id for e in finding.excess} == {PUBLIC}
    notes = [step.evidence[0].note for e in finding.excess for step in e.path if step.evidence]
    assert notes == ["object ACL: READ on 1 object(s): exports/q3.csv"]


# -- invariants (hypothesis): object ACLs only add; BPA and enforced ownership never widen them ---------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_GRANTEES = st.sampled_from([ALL, AUTHU, PARTNER_ID, OWNER_ID])
_PERMISSIONS = st.sampled_from(["READ", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"])
_OBJECT_GRANTS = st.lists(st.tuples(_GRANTEES, _PERMISSIONS), min_size=1, max_size=3)
_STATEMENTS = st.lists(
    st.fixed_dictionaries({
        "Effect": st.sampled_from(["Allow", "Deny"]),
        "Principal": st.sampled_from(["*", {"AWS": "444455556666"}, {"AWS": "arn:aws:iam::999988887777:root"}]),
        "Action": st.sampled_from(["s3:GetObject", "s3:*", "s3:GetObjectAcl", "s3:PutObjectAcl", "s3:ListBucket"]),
        "Resource": st.sampled_from(["arn:aws:s3:::b/*", "arn:aws:s3:::b"]),
    }),
    max_size=2,
)  # fmt: skip
_PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_SETTING_OF: dict[str, Any] = {
    "ignore-bucket": {"bpa": {"IgnorePublicAcls": True}},
    "ignore-account": {"account_bpa": {"IgnorePublicAcls": True}},
    "enforced": {"ownership": "BucketOwnerEnforced"},
}


def _within(pid: str, audience: set[str]) -> bool:
    """``pid`` is in ``audience`` itself or inside a class that is (grants a class subsumes are pruned)."""
    if pid in audience or PUBLIC in audience:
        return True
    if pid != PUBLIC and AUTH in audience:
        return True
    account = pid.split(":")[4] if pid.startswith("arn:aws:iam::") else None
    return account is not None and f"arn:aws:iam::{account}:root" in audience


def _audiences(aws: Any, statements: list[dict], grants: list[tuple[str, str]], **kw: Any) -> dict[str, set[str]]:
    bpa = aws.bpa(**kw.get("bpa", {}))
    bucket = aws.bucket(policy=aws.policy(*statements) if statements else "absent", bpa=bpa,
                        ownership=kw.get("ownership", "absent"))  # fmt: skip
    if grants:
        bucket = with_object_acls(bucket, [_grant(g, p) for g, p in grants])
    ev = aws.evaluate(*aws.base(bucket, account_bpa=aws.bpa(**kw.get("account_bpa", {}))))
    return {level: set(aws.audience(ev, "b", level)) for level in ("read", "write", "list", "admin")}


@_PROPERTY
@given(statements=_STATEMENTS, grants=_OBJECT_GRANTS)
def test_object_acls_never_narrow(aws: Any, statements: list[dict], grants: list) -> None:
    """Adding object ACL grants never removes anyone from any level's audience (they only add allows)."""
    without, with_acls = _audiences(aws, statements, []), _audiences(aws, statements, grants)
    assert all(_within(p, with_acls[level]) for level in without for p in without[level])


@_PROPERTY
@given(statements=_STATEMENTS, grants=_OBJECT_GRANTS, setting=st.sampled_from(sorted(_SETTING_OF)))
def test_ignore_public_acls_and_enforced_ownership_never_widen_object_acls(
    aws: Any, statements: list[dict], grants: list, setting: str
) -> None:
    """IgnorePublicAcls (bucket or account) and BucketOwnerEnforced never add anyone to an audience (BPA, OWN)."""
    before, after = _audiences(aws, statements, grants), _audiences(aws, statements, grants, **_SETTING_OF[setting])
    assert all(_within(p, before[level]) for level in after for p in after[level])


def test_why_shows_the_object_acl_as_the_allowing_acl_layer(aws: Any) -> None:
    """`seenby why aws:public b`: the ACL layer allows, quoting the object ACL grant that names the object."""
    from seenby.explain import LayerKind, LayerStatus, explain
    from seenby.graph.build import build_graph
    from seenby.model import AccessLevel
    from seenby.policies import evaluate

    bucket = with_object_acls(aws.bucket(), [_grant(ALL, "READ")], keys=("open.csv",))
    snap = aws.snapshot(*aws.base(bucket, account_bpa=aws.bpa()))
    ev = evaluate(snap)

    report = explain(snap, ev, build_graph(ev), PUBLIC, "arn:aws:s3:::b", AccessLevel.READ)

    (action,) = [a for a in report.actions if a.action == "s3:GetObject" and not a.via]
    acl = next(layer for layer in action.layers if layer.kind is LayerKind.ACL)
    assert acl.status is LayerStatus.ALLOWS
    assert [e.note for e in acl.allowing] == ["object ACL: READ on 1 object(s): open.csv"]
