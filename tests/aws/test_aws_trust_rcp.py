"""Resource control policies on role assumption: the RCPs of the role's account cap ``sts:AssumeRole*``.

Sources: RCPS = https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
(AWS STS is among the services RCPs apply to, #rcp-supported-services; the RCPs of the account owning the resource
the request authorizes apply, the role for ``sts:AssumeRole``; member accounts only; not a service-linked role's
trust nor calls made by one, #actions-not-restricted-by-rcps),
EVAL = https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_evaluation.html
(RCPFullAWSAccess is attached everywhere: RCPs only deny),
PERIMETER = https://docs.aws.amazon.com/kms/latest/developerguide/resource-control-policies.html (the identity
perimeter statement: Deny unless ``aws:PrincipalOrgID`` is the organisation's, services exempt),
SLR = https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html (path ``/aws-service-role/``).
"""

from __future__ import annotations

from typing import Any

import pytest

from seenby.explain import Answer, LayerKind, LayerStatus, explain
from seenby.graph.build import build_graph
from seenby.model import AccessLevel
from seenby.policies import evaluate

ACCT, OTHER, OUTSIDE, MGMT, ORG = "111122223333", "444455556666", "999988887777", "123456789012", "o-a1b2c3d4e5"
OTHER_ROOT, OUTSIDE_ROOT = f"arn:aws:iam::{OTHER}:root", f"arn:aws:iam::{OUTSIDE}:root"
SLR_PATH = "aws-service-role/elasticbeanstalk.amazonaws.com/"
SURE, COND = "sure", "conditional"
ROOT_ID = "r-ab12"

FULL_ACCESS = {"Version": "2012-10-17",
               "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}  # fmt: skip


def _rcp(condition: dict | None = None, action: Any = "sts:AssumeRole") -> dict:
    st: dict[str, Any] = {"Effect": "Deny", "Principal": "*", "Action": action, "Resource": "*"}
    if condition:
        st["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [st]}


# PERIMETER's identity perimeter, on role assumption
PERIMETER = _rcp({"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG},
                  "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}})  # fmt: skip
# the same with a per-role exception on a resource tag, which seenby does not read for a role: undecided
PERIMETER_TAG_EXCEPTION = _rcp({"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG,
                                                            "aws:ResourceTag/dp:exclude:identity": "true"},
                                "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}})  # fmt: skip
NO_ASSUMING = _rcp()  # every sts:AssumeRole on the member accounts' roles


def _trust(principal: Any, action: str = "sts:AssumeRole") -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": action}]}


def _role(aws: Any, trust: dict, account: str = ACCT, path: str = "") -> dict:
    role = aws.role("target", account, trust=trust)
    role["Arn"] = f"arn:aws:iam::{account}:role/{path}target"
    role["Path"] = f"/{path}"
    return role


def _edges(aws: Any, role: dict, rcps: tuple, account: str = ACCT) -> dict[str, str]:
    org = aws.organization(rcps=((FULL_ACCESS, (ROOT_ID,)), *rcps))
    ev = aws.evaluate(org, aws.account(account, roles=(role,)))
    return aws.edges_into(ev, role["Arn"])


CASES = [
    # RCPS + PERIMETER: an outsider's edge goes, a member account's stays
    ("perimeter-removes-outsider", {"AWS": [OTHER, OUTSIDE]}, "sts:AssumeRole", ACCT, "",
     ((PERIMETER, (ROOT_ID,)),), {OTHER_ROOT: SURE}),
    # EVAL: only RCPFullAWSAccess attached: nothing changes
    ("no-rcp-unchanged", {"AWS": [OTHER, OUTSIDE]}, "sts:AssumeRole", ACCT, "",
     (), {OTHER_ROOT: SURE, OUTSIDE_ROOT: SURE}),
    # PERIMETER: AWS services are exempt by aws:PrincipalIsAWSService
    ("perimeter-keeps-service", {"Service": "lambda.amazonaws.com"}, "sts:AssumeRole", ACCT, "",
     ((PERIMETER, (ROOT_ID,)),), {"lambda.amazonaws.com": SURE}),
    # the RCP side knows whose role it is (aws:ResourceAccount, aws:ResourceOrgID), as policy variables too
    ("own-organisation-by-variable", {"AWS": [OTHER, OUTSIDE]}, "sts:AssumeRole", ACCT, "",
     ((_rcp({"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}), (ROOT_ID,)),),
     {OTHER_ROOT: SURE}),
    ("own-account-by-variable", {"AWS": [OTHER, OUTSIDE]}, "sts:AssumeRole", ACCT, "",
     ((_rcp({"StringNotEquals": {"aws:PrincipalAccount": "${aws:ResourceAccount}"}}), (ROOT_ID,)),), {}),
    # an undecidable condition keeps the edge, conditional; the member account is outside the Deny anyway
    ("undecidable-keeps-conditional", {"AWS": [OTHER, OUTSIDE]}, "sts:AssumeRole", ACCT, "",
     ((PERIMETER_TAG_EXCEPTION, (ROOT_ID,)),), {OTHER_ROOT: SURE, OUTSIDE_ROOT: COND}),
    # an RCP that lets callers in only through a network narrows the edges to those callers, it removes nobody else
    ("network-rcp-narrows-to-the-network", {"AWS": [OTHER, OUTSIDE]}, "sts:AssumeRole", ACCT, "",
     ((_rcp({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}), (ROOT_ID,)),),
     {f"{OTHER_ROOT}@aws-network:203.0.113.0/24": SURE, f"{OUTSIDE_ROOT}@aws-network:203.0.113.0/24": SURE}),
    # RCPS: the RCPs of the role's account apply, not those of another member account
    ("rcp-of-another-account", {"AWS": [OTHER, OUTSIDE]}, "sts:AssumeRole", ACCT, "",
     ((PERIMETER, (OTHER,)),), {OTHER_ROOT: SURE, OUTSIDE_ROOT: SURE}),
    # RCPS: RCPs never affect resources of the management account
    ("management-account-exempt", {"AWS": [OTHER, OUTSIDE]}, "sts:AssumeRole", MGMT, "",
     ((PERIMETER, (ROOT_ID,)),), {OTHER_ROOT: SURE, OUTSIDE_ROOT: SURE}),
    # RCPS: every STS assumption action, web identity federation included (no aws:PrincipalOrgID there)
    ("web-identity-outside-perimeter", {"Federated": "cognito-identity.amazonaws.com"},
     "sts:AssumeRoleWithWebIdentity", ACCT, "",
     ((_rcp({"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG}}, "sts:AssumeRoleWithWebIdentity"), (ROOT_ID,)),),
     {}),
    # RCPS: an unconditional Deny of sts:AssumeRole ends a service's assumption of an ordinary role ...
    ("ordinary-role-service-denied", {"Service": "elasticbeanstalk.amazonaws.com"}, "sts:AssumeRole", ACCT, "",
     ((NO_ASSUMING, (ROOT_ID,)),), {}),
    # ... but not of a service-linked role: its trust policy is beyond RCPs (RCPS, SLR)
    ("service-linked-role-exempt", {"Service": "elasticbeanstalk.amazonaws.com"}, "sts:AssumeRole", ACCT, SLR_PATH,
     ((NO_ASSUMING, (ROOT_ID,)),), {"elasticbeanstalk.amazonaws.com": SURE}),
]  # fmt: skip


@pytest.mark.parametrize(("principal", "action", "account", "path", "rcps", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_rcps_cap_role_assumption(
    aws: Any, principal: Any, action: str, account: str, path: str, rcps: tuple, expected: dict
) -> None:
    """The RCPs of the role's account decide its CAN_ASSUME edges as they decide S3 and KMS requests (RCPS)."""
    role = _role(aws, _trust(principal, action), account, path)
    assert _edges(aws, role, rcps, account) == expected


def test_no_rcp_attached_is_the_same_as_no_rcps_at_all(aws: Any) -> None:
    """RCPFullAWSAccess alone (RCPs enabled, none written) gives the edges an organisation without RCPs gives (EVAL)."""
    role = _role(aws, _trust({"AWS": [OTHER, OUTSIDE]}))
    without = aws.evaluate(aws.organization(), aws.account(ACCT, roles=(role,)))
    assert _edges(aws, role, ()) == aws.edges_into(without, role["Arn"])


def test_undecidable_rcp_names_the_rcp_on_the_edge(aws: Any) -> None:
    """The conditional edge quotes the RCP statement that may deny, so the path explains itself (RCPS)."""
    org = aws.organization(rcps=((FULL_ACCESS, (ROOT_ID,)), (PERIMETER_TAG_EXCEPTION, (ROOT_ID,))))
    role = _role(aws, _trust({"AWS": OUTSIDE}))
    ev = aws.evaluate(org, aws.account(ACCT, roles=(role,)))
    (edge,) = [e for e in ev.edges if e.target.id == role["Arn"]]
    (condition,) = edge.conditions
    assert condition.keys == ("aws:ResourceTag/dp:exclude:identity",)
    assert "resource-control-policy" in condition.reason and "p-rcp1" in condition.reason


def test_denied_organisation_policies_read_is_a_gap_and_keeps_the_edge(aws: Any) -> None:
    """Organisation policies that could not be read are a coverage gap; the outsider's edge stays (fail closed)."""
    org = aws.organization(rcps=((PERIMETER, (ROOT_ID,)),))
    org["reads"]["policies"] = aws.read("organizations:ListPolicies", aws.DENIED)
    role = _role(aws, _trust({"AWS": OUTSIDE}), ACCT)
    role["RolePolicyList"] = [{"PolicyName": "read", "PolicyDocument": aws.policy(aws.idstmt())}]
    ev = evaluate(aws.snapshot(org, aws.account(ACCT, roles=(role,)), aws.bucket()))
    gaps = [g for g in ev.gaps if g.resource == ORG and g.read == "policies"]
    assert aws.edges_into(ev, role["Arn"]) == {OUTSIDE_ROOT: SURE}
    assert [g.datasets for g in gaps] == [("arn:aws:s3:::b",)]


def test_calls_made_by_a_service_linked_role_are_beyond_rcps(aws: Any) -> None:
    """A bucket RCP denying every read leaves a service-linked role's own read, not an ordinary role's (RCPS)."""
    reads = (aws.policy(aws.idstmt()),)
    ordinary = aws.role("ordinary", inline=reads)
    linked = aws.role("AWSServiceRoleForElasticBeanstalk", inline=reads)
    linked["Arn"] = f"arn:aws:iam::{ACCT}:role/{SLR_PATH}AWSServiceRoleForElasticBeanstalk"
    org = aws.organization(rcps=((FULL_ACCESS, (ROOT_ID,)), (_rcp(action="s3:GetObject"), (ROOT_ID,))))
    ev = aws.evaluate(org, aws.account(ACCT, roles=(ordinary, linked)), aws.bucket())
    assert aws.audience(ev) == {linked["Arn"]: SURE}


def test_why_says_rcps_do_not_apply_to_a_service_linked_role(aws: Any) -> None:
    """``why`` agrees with the audit: the RCP layer does not apply to a service-linked role's read (RCPS)."""
    linked = aws.role("AWSServiceRoleForElasticBeanstalk", inline=(aws.policy(aws.idstmt()),))
    linked["Arn"] = f"arn:aws:iam::{ACCT}:role/{SLR_PATH}AWSServiceRoleForElasticBeanstalk"
    org = aws.organization(rcps=((FULL_ACCESS, (ROOT_ID,)), (_rcp(action="s3:GetObject"), (ROOT_ID,))))
    snap = aws.snapshot(org, aws.account(ACCT, roles=(linked,)), aws.bucket())
    ev = evaluate(snap)
    report = explain(snap, ev, build_graph(ev), linked["Arn"], "arn:aws:s3:::b", AccessLevel.READ)
    (get,) = [a for a in report.actions if a.action == "s3:GetObject" and not a.via]
    (rcp_layer,) = [layer for layer in get.layers if layer.kind is LayerKind.RCP]
    assert (report.answer, rcp_layer.status) == (Answer.ALLOWED, LayerStatus.NOT_APPLICABLE)


# -- why: the assumption step carries the organisation layer that decided it ------------------------------------


def _why_through_role(aws: Any, principal: str, *, rcps: tuple = (), scps: tuple = ()) -> Any:
    """``why PRINCIPAL b``, where ``b``'s policy lets in the role ``target`` that OTHER and OUTSIDE may assume."""
    role = _role(aws, _trust({"AWS": [OTHER, OUTSIDE]}))
    bucket = aws.bucket(policy=aws.policy(aws.stmt(principal={"AWS": role["Arn"]})))
    org = aws.organization(rcps=((FULL_ACCESS, (ROOT_ID,)), *rcps), scps=scps)
    snap = aws.snapshot(org, aws.account(ACCT, roles=(role,)), bucket)
    ev = evaluate(snap)
    return explain(snap, ev, build_graph(ev), principal, "arn:aws:s3:::b", AccessLevel.READ)


def _assume_step_conditions(report: Any) -> list[str]:
    (path,) = report.paths
    (step,) = [s for s in path if s.via is not None and s.via.value == "can-assume"]
    return [c.reason for c in step.conditions]


def test_why_shows_the_rcp_on_an_assumption_step(aws: Any) -> None:
    """An RCP that may deny the assumption is on the assumption step of ``why``'s path (RCPS)."""
    report = _why_through_role(aws, OUTSIDE_ROOT, rcps=((PERIMETER_TAG_EXCEPTION, (ROOT_ID,)),))
    (reason,) = _assume_step_conditions(report)
    assert report.answer is Answer.CONDITIONAL and reason.startswith("may be denied by resource-control-policy")


def test_why_shows_the_scp_on_an_assumption_step_alike(aws: Any) -> None:
    """An SCP that may deny the caller's assumption shows the same way, on the same step (SCP evaluation)."""
    scp = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:ResourceTag/dp:exclude:identity": "true"}}}]}  # fmt: skip
    report = _why_through_role(aws, OTHER_ROOT, scps=((scp, (ROOT_ID,)),))
    (reason,) = _assume_step_conditions(report)
    assert report.answer is Answer.CONDITIONAL and reason.startswith("may be denied by service-control-policy")


def test_why_answers_no_for_an_outsider_the_rcp_denies(aws: Any) -> None:
    """With the identity perimeter the outsider has no path through the role, and ``why`` says so (RCPS)."""
    report = _why_through_role(aws, OUTSIDE_ROOT, rcps=((PERIMETER, (ROOT_ID,)),))
    assert (report.answer, report.paths) == (Answer.NOT_ALLOWED, ())
