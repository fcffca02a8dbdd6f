"""``seenby why`` on AWS: each layer's say, from the evaluator's own decision.

Sources: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html,
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
"""

from __future__ import annotations

from typing import Any

from seenby.explain import Answer, LayerKind, LayerStatus, explain
from seenby.graph.build import build_graph
from seenby.model import AccessLevel
from seenby.policies import evaluate

ACCT, OUTSIDE = "111122223333", "999988887777"
ROLE = f"arn:aws:iam::{ACCT}:role/reader"
B = "arn:aws:s3:::b"


def _why(aws: Any, principal: str, *resources: dict, level: AccessLevel = AccessLevel.READ) -> Any:
    snap = aws.snapshot(*resources)
    ev = evaluate(snap)
    return explain(snap, ev, build_graph(ev), principal, B, level)


def _layer(report: Any, kind: LayerKind, action: str = "s3:GetObject") -> Any:
    (a,) = [a for a in report.actions if a.action == action and a.caller.id == report.principal.id and not a.via]
    return next(layer for layer in a.layers if layer.kind is kind)


def test_explicit_deny_in_bucket_policy_is_the_deciding_layer(aws: Any) -> None:
    """An explicit Deny in the bucket policy denies, is marked decisive and named by Sid."""
    policy = aws.policy(aws.stmt(), aws.stmt(effect="Deny", principal="*", sid="NoOne"))
    report = _why(aws, "aws:public", *aws.base(aws.bucket(policy=policy)))
    layer = _layer(report, LayerKind.RESOURCE_POLICY)
    assert (layer.status, layer.decisive, [e.sid for e in layer.denying]) == (LayerStatus.DENIES, True, ["NoOne"])


def test_allowing_statement_is_named(aws: Any) -> None:
    """The bucket-policy statement that allows the public is named in the resource-policy layer."""
    report = _why(aws, "aws:public", *aws.base(aws.bucket(policy=aws.policy(aws.stmt(sid="Pub")))))
    assert (report.answer, [e.sid for e in _layer(report, LayerKind.RESOURCE_POLICY).allowing]) == (
        Answer.ALLOWED, ["Pub"],
    )  # fmt: skip


def test_conditional_allow_is_conditional_layer(aws: Any) -> None:
    """An Allow under a key seenby does not model makes the resource-policy layer conditional, naming the key."""
    st = aws.stmt(condition={"StringEquals": {"s3:ExistingJobOperation": "S3PutObjectCopy"}})
    layer = _layer(_why(aws, "aws:public", *aws.base(aws.bucket(policy=aws.policy(st)))), LayerKind.RESOURCE_POLICY)
    assert layer.status is LayerStatus.CONDITIONAL and layer.conditions[0].keys == ("s3:ExistingJobOperation",)


def test_decided_condition_shows_family_and_how(aws: Any) -> None:
    """An Allow under aws:SourceIp 0.0.0.0/0 allows, its evidence saying the network family decided it."""
    st = aws.stmt(condition={"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})
    layer = _layer(_why(aws, "aws:public", *aws.base(aws.bucket(policy=aws.policy(st)))), LayerKind.RESOURCE_POLICY)
    (decided,) = layer.allowing[0].decided
    assert (layer.status, decided.key, decided.family.value) == (LayerStatus.ALLOWS, "aws:SourceIp", "network")


def test_unreadable_bucket_policy_is_unknown(aws: Any) -> None:
    """A denied GetBucketPolicy is an unknown layer (coverage gap), never "no policy"."""
    report = _why(aws, "aws:public", *aws.base(aws.bucket(policy=aws.DENIED)))
    assert _layer(report, LayerKind.RESOURCE_POLICY).status is LayerStatus.UNKNOWN


def test_bucket_owner_enforced_denies_an_acl_grant(aws: Any) -> None:
    """BucketOwnerEnforced disables a public ACL grant: the ownership layer denies (ListBucket, level list)."""
    bucket = aws.bucket(acl=[aws.acl_grant(aws.ALL_USERS, "READ")], ownership="BucketOwnerEnforced")
    report = _why(aws, "aws:public", *aws.base(bucket), level=AccessLevel.LIST)
    layer = _layer(report, LayerKind.OBJECT_OWNERSHIP, "s3:ListBucket")
    assert (layer.status, report.answer) == (LayerStatus.DENIES, Answer.NOT_ALLOWED)


def test_ignore_public_acls_denies_a_public_acl_grant(aws: Any) -> None:
    """IgnorePublicAcls neutralises an AllUsers READ grant: the Block Public Access layer denies."""
    bucket = aws.bucket(acl=[aws.acl_grant(aws.ALL_USERS, "READ")], bpa=aws.bpa(IgnorePublicAcls=True))
    report = _why(aws, "aws:public", *aws.base(bucket), level=AccessLevel.LIST)
    assert _layer(report, LayerKind.BLOCK_PUBLIC_ACCESS, "s3:ListBucket").status is LayerStatus.DENIES


def test_restrict_public_buckets_denies_cross_account(aws: Any) -> None:
    """RestrictPublicBuckets on a public policy cuts access from outside the owner account."""
    bucket = aws.bucket(policy=aws.policy(aws.stmt()), bpa=aws.bpa(RestrictPublicBuckets=True))
    report = _why(aws, "aws:public", *aws.base(bucket))
    layer = _layer(report, LayerKind.BLOCK_PUBLIC_ACCESS)
    assert (layer.status, layer.decisive, report.answer) == (LayerStatus.DENIES, True, Answer.NOT_ALLOWED)


def test_boundary_without_the_action_is_no_allow(aws: Any) -> None:
    """A permissions boundary that does not allow s3:GetObject caps the role's identity Allow."""
    arn = f"arn:aws:iam::{ACCT}:policy/boundary"
    role = aws.role("reader", inline=(aws.policy(aws.idstmt()),), boundary=arn)
    boundary = aws.managed(arn, aws.policy(aws.idstmt(action="s3:ListBucket", resource="*")))
    report = _why(aws, ROLE, *aws.base(aws.bucket(), roles=[role], policies=[boundary]))
    layer = _layer(report, LayerKind.PERMISSION_BOUNDARY)
    assert (layer.status, report.answer) == (LayerStatus.NO_ALLOW, Answer.NOT_ALLOWED)


def test_scp_deny_is_named(aws: Any) -> None:
    """An SCP Deny on the caller's account is the denying SCP layer, with its statement."""
    allow_all = aws.policy(aws.idstmt(action="*", resource="*"))
    deny = aws.policy(aws.idstmt(action="s3:GetObject", resource="*", effect="Deny", sid="NoS3"))
    org = aws.organization(scps=((allow_all, ("r-ab12",)), (deny, (ACCT,))))
    role = aws.role("reader", inline=(aws.policy(aws.idstmt()),))
    report = _why(aws, ROLE, org, aws.account(ACCT, roles=[role]), aws.bucket())
    layer = _layer(report, LayerKind.SCP)
    assert (layer.status, [e.sid for e in layer.denying]) == (LayerStatus.DENIES, ["NoS3"])


def test_key_without_iam_enabled_blocks_identity_reader(aws: Any) -> None:
    """A key policy without the account-root statement blocks an identity-only reader: KMS layer decisive."""
    role = aws.role("reader", inline=(aws.policy(aws.idstmt(), aws.idstmt(action="kms:Decrypt", resource="*")),))
    kp = aws.policy(aws.stmt(principal={"AWS": f"arn:aws:iam::{ACCT}:root"}, action="kms:Describe*", resource="*"))
    report = _why(aws, ROLE, *aws.base(aws.bucket(encryption=aws.key_arn()), aws.kms_key(key_policy=kp), roles=[role]))
    layer = _layer(report, LayerKind.KMS_KEY_POLICY)
    assert (layer.status, layer.decisive, report.answer) == (LayerStatus.NO_ALLOW, True, Answer.NOT_ALLOWED)


def test_other_account_identity_is_assumed(aws: Any) -> None:
    """Another account's identity policies are not in the snapshot: the layer says 'assumed' (fail closed)."""
    report = _why(aws, OUTSIDE, *aws.base(aws.bucket(policy=aws.policy(aws.stmt(principal={"AWS": OUTSIDE})))))
    assert (_layer(report, LayerKind.IDENTITY).status, report.answer) == (LayerStatus.ASSUMED, Answer.ALLOWED)


def test_user_is_also_explained_as_each_group(aws: Any) -> None:
    """A user allowed only through its group is explained as itself and as the group; the answer allows."""
    grp = aws.group("readers", inline=(aws.policy(aws.idstmt()),))
    user = aws.user("alice", groups=("readers",))
    report = _why(aws, f"arn:aws:iam::{ACCT}:user/alice", *aws.base(aws.bucket(), users=[user], groups=[grp]))
    callers = {a.caller.id: a.answer for a in report.actions if a.action == "s3:GetObject"}
    assert callers == {f"arn:aws:iam::{ACCT}:user/alice": Answer.NOT_ALLOWED,
                       f"arn:aws:iam::{ACCT}:group/readers": Answer.ALLOWED}  # fmt: skip
    assert report.answer is Answer.ALLOWED


def test_every_path_is_listed_not_only_the_shortest(aws: Any) -> None:
    """The organisation reaching a bucket directly and through an assumable role gives two paths."""
    org_cond = {"StringEquals": {"aws:PrincipalOrgID": aws.ORG}}
    trust = aws.policy(aws.stmt(principal={"AWS": "*"}, action="sts:AssumeRole", resource=None, condition=org_cond))
    trust["Statement"][0].pop("Resource")
    role = aws.role("reader", trust=trust, inline=(aws.policy(aws.idstmt()),))
    bucket = aws.bucket(policy=aws.policy(aws.stmt(condition=org_cond)))
    report = _why(aws, aws.ORG_NODE, *aws.base(bucket, roles=[role]))
    hops = sorted(tuple(s.via for s in p[:-1]) for p in report.paths)
    assert hops == [("can-assume", "grant:read"), ("grant:read",)]


def test_access_point_layer_explains_a_request_through_the_point(aws: Any) -> None:
    """A request through an access point has an access-point layer naming its statement
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html)."""
    import json

    ap = f"arn:aws:s3:eu-west-1:{ACCT}:accesspoint/ap1"
    point = {"Name": "ap1", "NetworkOrigin": "Internet", "AccessPointArn": ap, "BucketAccountId": ACCT,
             "Policy": json.dumps(aws.policy(aws.stmt(resource=f"{ap}/object/*", sid="ApPublic")))}  # fmt: skip
    bucket = aws.bucket(policy=aws.policy(aws.stmt(action="*", resource=["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                        condition={"StringEquals": {"s3:DataAccessPointAccount": ACCT}})))  # fmt: skip
    bucket["reads"]["access_points"] = aws.read("s3control:ListAccessPoints", {"AccessPointList": [point]})
    report = _why(aws, "aws:public", *aws.base(bucket))
    (through,) = [a for a in report.actions if a.via == ap and a.action == "s3:GetObject"]
    layer = next(x for x in through.layers if x.kind is LayerKind.ACCESS_POINT)
    assert (through.answer, [e.sid for e in layer.allowing]) == (Answer.ALLOWED, ["ApPublic"])


def test_an_identity_side_assumed_to_allow_is_not_what_decided_a_refusal(aws: Any) -> None:
    """Another account reading a bucket whose policy names only a role of its own: the bucket's side decided,
    not the caller's own IAM, which seenby assumes able to allow (cross-account evaluation logic)."""
    other_root = f"arn:aws:iam::{OUTSIDE}:root"
    policy = aws.policy(aws.stmt(principal={"AWS": ROLE}, sid="OwnReader"))
    report = _why(aws, other_root, *aws.base(aws.bucket(policy=policy), roles=(aws.role("reader"),)))
    identity = _layer(report, LayerKind.IDENTITY)
    resource = _layer(report, LayerKind.RESOURCE_POLICY)
    assert report.answer is not Answer.ALLOWED
    assert (identity.status, identity.decisive) == (LayerStatus.ASSUMED, False)
    assert (resource.status, resource.decisive) == (LayerStatus.NO_ALLOW, True)


def test_an_organisation_the_snapshot_does_not_know_is_noted(aws: Any) -> None:
    """A mistyped organisation id still gets an answer (an outsider's), with a note naming the known ones."""
    report = _why(aws, "aws-org:o-typo00000", *aws.base(aws.bucket()))
    assert any("o-typo00000 is not an organisation of the snapshot" in n and "o-a1b2c3d4e5" in n for n in report.notes)


def test_a_role_arn_not_in_the_account_is_noted(aws: Any) -> None:
    """An ARN naming no IAM principal of a known account is flagged (check the ARN); a known one is not."""
    missing = _why(aws, f"arn:aws:iam::{ACCT}:role/raeder", *aws.base(aws.bucket(), roles=(aws.role("reader"),)))
    known = _why(aws, ROLE, *aws.base(aws.bucket(), roles=(aws.role("reader"),)))
    assert any("role/raeder is not an IAM principal" in n for n in missing.notes)
    assert not any("is not an IAM principal" in n for n in known.notes)
