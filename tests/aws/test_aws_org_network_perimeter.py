"""Network perimeters in organisation policies: RCPs and SCPs that let callers in only through a network.

Sources: RCPS = https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html (RCPs
restrict every caller of the member account's resources, anonymous ones included, except calls by service-linked
roles and the management account's resources), SCPS =
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html (SCPs restrict the
organisation's IAM principals only, never anyone outside it nor anonymous callers), PERIMETER =
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_data-perimeters.html
(the network perimeter: Deny unless ``aws:SourceIp`` is the corporate range or ``aws:SourceVpc`` / ``aws:SourceVpce``
the company's, AWS services exempt by ``aws:PrincipalIsAWSService`` and ``aws:ViaAWSService``; most cases here keep
the first exemption only; with the second, a signed-in caller can still call through a service that forwards its
credentials, while an anonymous request never is one: ``aws:ViaAWSService`` false), FAS =
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html, KEYS =
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html.

A perimeter never removes the callers through its network: they are the audience (``aws-network:…``), so a public
bucket behind an RCP perimeter is readable by anyone through that network, not by no one.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from seenby.audit import audit_evaluation
from seenby.config import parse_rules
from seenby.explain import Answer, LayerKind, LayerStatus, explain
from seenby.graph.build import build_graph
from seenby.model import AccessLevel
from seenby.policies import evaluate
from tests.aws.cases import ACCT, AUTH, COND, MGMT, ORG, ORG_NODE, OTHER, OTHER_ROOT, OUTSIDE, PUBLIC, SURE, S

ROOT_ID = "r-ab12"
RANGE, ENDPOINT, VPC = "203.0.113.0/24", "vpce-1a2b3c4d", "vpc-111bbb22"
NET_RANGE, NET_ENDPOINT = f"aws-network:{RANGE}", f"aws-network:{ENDPOINT}"
FULL_ACCESS = {"Version": "2012-10-17",
               "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}  # fmt: skip
SCP_FULL_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
SERVICES_EXEMPT = {"BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}


def _deny_outside(network: dict, *, scp: bool = False, extra: dict | None = None) -> dict:
    """PERIMETER's network statement: Deny s3:* unless the request comes through ``network``, services exempt."""
    st: dict[str, Any] = {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                          "Condition": {**network, **SERVICES_EXEMPT, **(extra or {})}}  # fmt: skip
    if not scp:
        st["Principal"] = "*"  # an RCP names its principals; an SCP has no Principal element
    return {"Version": "2012-10-17", "Statement": [st]}


BY_RANGE = _deny_outside({"NotIpAddressIfExists": {"aws:SourceIp": RANGE}})
SCP_BY_RANGE = _deny_outside({"NotIpAddressIfExists": {"aws:SourceIp": RANGE}}, scp=True)
# the same for every action: the organisation's principals reach nothing from outside the range
SCP_ANY_ACTION_BY_RANGE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"NotIpAddressIfExists": {"aws:SourceIp": RANGE}}}
]}  # fmt: skip
# OTHER confined to the range (FullAWSAccess stays attached at each level, as an Allow is needed at every level)
OTHER_CONFINED = ((SCP_FULL_ACCESS, (ROOT_ID,)), (SCP_FULL_ACCESS, (OTHER,)), (SCP_ANY_ACTION_BY_RANGE, (OTHER,)))
BY_ENDPOINT = _deny_outside({"StringNotEqualsIfExists": {"aws:SourceVpce": ENDPOINT}})
# PERIMETER's statement as published, both service exemptions: BoolIfExists on aws:ViaAWSService too
BY_RANGE_VIA_SERVICE = _deny_outside({"NotIpAddressIfExists": {"aws:SourceIp": RANGE}},
                                     extra={"BoolIfExists": {"aws:PrincipalIsAWSService": "false",
                                                             "aws:ViaAWSService": "false"}})  # fmt: skip
# the perimeter with the data-perimeter examples' exception on a resource tag: undecided when the tags are unread
TAG_EXCEPTION = {"StringNotEqualsIfExists": {"aws:ResourceTag/dp:exclude:network": "true"}}
BY_RANGE_TAG_EXCEPTION = _deny_outside({"NotIpAddressIfExists": {"aws:SourceIp": RANGE}}, extra=TAG_EXCEPTION)


def _owner_account(aws: Any) -> dict:
    """The bucket's account, Block Public Access off, with the VPC endpoint its scan read (scanners/aws/ec2.py)."""
    acct = aws.account(ACCT, bpa=aws.bpa())
    endpoint = {"VpcEndpointId": ENDPOINT, "VpcId": VPC, "OwnerId": ACCT}
    vpcs = [{"VpcId": VPC, "OwnerId": ACCT}]
    acct["reads"]["vpcs"] = aws.read("ec2:DescribeVpcs", {"Regions": {"eu-west-1": {"Vpcs": vpcs}}})
    acct["reads"]["vpc_endpoints"] = aws.read(
        "ec2:DescribeVpcEndpoints", {"Regions": {"eu-west-1": {"VpcEndpoints": [endpoint]}}}
    )
    return acct


def _snapshot(aws: Any, bucket_policy: dict, *, rcps: tuple = (), scps: tuple = (), tags: Any = None) -> Any:
    org = aws.organization(rcps=((FULL_ACCESS, (ROOT_ID,)), *rcps), scps=((SCP_FULL_ACCESS, (ROOT_ID,)), *scps))
    bucket = aws.bucket(policy=aws.policy(*bucket_policy), **({"tags": tags} if tags is not None else {}))
    return aws.snapshot(org, _owner_account(aws), bucket)


PUBLIC_READ = [S()]
OTHER_ACCOUNT_READ = [S(principal={"AWS": OTHER})]
OUTSIDE_ROLE = f"arn:aws:iam::{OUTSIDE}:role/etl"
OUTSIDE_ROLE_READ = [S(principal={"AWS": OUTSIDE_ROLE})]
ORGANISATION_READ = [S(condition={"StringEquals": {"aws:PrincipalOrgID": ORG}})]

CASES = [
    # RCPS + PERIMETER: anonymous callers are within RCPs; only those from the corporate range still read
    ("rcp-source-ip-leaves-the-range", PUBLIC_READ, ((BY_RANGE, (ROOT_ID,)),), (), None, {NET_RANGE: SURE}),
    # RCPS + PERIMETER + KEYS#condition-keys-sourcevpce: only callers through the owner's endpoint
    ("rcp-source-vpce-leaves-the-endpoint", PUBLIC_READ, ((BY_ENDPOINT, (ACCT,)),), (), None, {NET_ENDPOINT: SURE}),
    # RCPS + PERIMETER + FAS + KEYS#condition-keys-viaawsservice: an anonymous request is never forwarded by a
    # service (aws:ViaAWSService false), so the exemption lets no anonymous caller out of the range; a signed-in
    # caller can call through a service that forwards its credentials
    ("rcp-via-service-exemption-leaves-the-range", PUBLIC_READ, ((BY_RANGE_VIA_SERVICE, (ROOT_ID,)),), (), None,
     {NET_RANGE: SURE, AUTH: SURE}),
    # RCPS: the RCPs of the bucket's account apply, not another member account's
    ("rcp-of-another-account-unchanged", PUBLIC_READ, ((BY_RANGE, (OTHER,)),), (), None, {PUBLIC: SURE}),
    # RCPS: RCPFullAWSAccess alone changes nothing
    ("no-rcp-unchanged", PUBLIC_READ, (), (), None, {PUBLIC: SURE}),
    # SCPS: an SCP confines the organisation's principals to the network; anonymous callers are beyond it
    ("scp-never-restricts-anonymous", PUBLIC_READ, (), ((SCP_BY_RANGE, (ROOT_ID,)),), None, {PUBLIC: SURE}),
    # SCPS: a cross-account grant to a member account confined by its SCP (FullAWSAccess stays attached to it, as
    # an Allow is needed at every level): its principals through the network
    ("scp-confines-member-account", OTHER_ACCOUNT_READ, (),
     ((SCP_FULL_ACCESS, (OTHER,)), (SCP_BY_RANGE, (OTHER,))), None,
     {f"{OTHER_ROOT}@{NET_RANGE}": SURE}),
    # RCPS: a role of an account seenby does not see, named by the bucket policy, keeps its grant through the range
    ("rcp-keeps-named-outside-role", OUTSIDE_ROLE_READ, ((BY_RANGE, (ROOT_ID,)),), (), None, {OUTSIDE_ROLE: SURE}),
    # SCPS: a root SCP confines every member account's principals: the organisation's (and the owner account's)
    # principals through the range; from elsewhere only the management account's, which SCPs never restrict
    ("scp-confines-the-organisation", ORGANISATION_READ, (), ((SCP_BY_RANGE, (ROOT_ID,)),), None,
     {f"{ORG_NODE}@{NET_RANGE}": SURE, f"arn:aws:iam::{ACCT}:root@{NET_RANGE}": SURE, ORG_NODE: COND}),
    # KEYS#condition-keys-resourcetag: a tag exception on an unread tag set cannot be decided: conditional, kept
    ("rcp-undecidable-stays-conditional", PUBLIC_READ, ((BY_RANGE_TAG_EXCEPTION, (ROOT_ID,)),), (), "denied",
     {PUBLIC: COND, NET_RANGE: SURE}),
]  # fmt: skip


@pytest.mark.parametrize(("statements", "rcps", "scps", "tags", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_org_network_perimeter(
    aws: Any, statements: list, rcps: tuple, scps: tuple, tags: Any, expected: dict[str, str]
) -> None:
    """A network perimeter in the organisation's policies narrows readers to the callers through it (RCPS, SCPS)."""
    ev = evaluate(_snapshot(aws, statements, rcps=rcps, scps=scps, tags=tags))
    assert aws.audience(ev) == expected


def test_owner_endpoint_network_is_the_owners(aws: Any) -> None:
    """The endpoint an RCP perimeter names, read by the owner's scan, is shown as the owner account's network."""
    ev = evaluate(_snapshot(aws, PUBLIC_READ, rcps=((BY_ENDPOINT, (ROOT_ID,)),)))
    assert ev.principals[NET_ENDPOINT].account == ACCT


DECLARED = """
version: 1
datasets:
  - match: {id: "arn:aws:s3:::b"}
    classification: telemetry
    read: []
    admin: []
"""


def test_public_bucket_behind_an_rcp_perimeter_is_a_network_finding(aws: Any) -> None:
    """The finding stays, as a network audience finding (SB014, high), never disappears (RCPS, PERIMETER)."""
    snap = _snapshot(aws, PUBLIC_READ, rcps=((BY_RANGE, (ROOT_ID,)),))
    result = audit_evaluation(evaluate(snap), parse_rules(DECLARED, source="<test>"), snapshot=snap)
    found = {(f.rule_id, f.severity.value, e.principal.id) for f in result.active for e in f.excess}
    assert ("SB014", "high", NET_RANGE) in found


def test_why_shows_the_rcp_layer_passed_through_the_network(aws: Any) -> None:
    """``why`` for the callers through the range: allowed, the RCP layer allows them (RCPS)."""
    snap = _snapshot(aws, PUBLIC_READ, rcps=((BY_RANGE, (ROOT_ID,)),))
    ev = evaluate(snap)
    report = explain(snap, ev, build_graph(ev), NET_RANGE, "arn:aws:s3:::b", AccessLevel.READ)
    (get,) = [a for a in report.actions if a.action == "s3:GetObject" and not a.via]
    (rcp_layer,) = [layer for layer in get.layers if layer.kind is LayerKind.RCP]
    assert (report.answer, rcp_layer.status) == (Answer.ALLOWED, LayerStatus.ALLOWS)


def test_rcps_never_narrow_the_management_accounts_buckets(aws: Any) -> None:
    """A bucket of the management account stays public under a root RCP perimeter (RCPS: member accounts only)."""
    org = aws.organization(rcps=((FULL_ACCESS, (ROOT_ID,)), (BY_RANGE, (ROOT_ID,))))
    bucket = aws.bucket(account=MGMT, policy=aws.policy(*PUBLIC_READ))
    ev = evaluate(aws.snapshot(org, aws.account(MGMT, bpa=aws.bpa()), bucket))
    assert aws.audience(ev) == {PUBLIC: SURE}


def test_named_outside_role_grant_notes_the_network(aws: Any) -> None:
    """The named role's grant under the RCP perimeter says it holds only from the range (RCPS)."""
    ev = evaluate(_snapshot(aws, OUTSIDE_ROLE_READ, rcps=((BY_RANGE, (ROOT_ID,)),)))
    (grant,) = [g for g in aws.grants_of(ev) if g.principal.id == OUTSIDE_ROLE]
    assert RANGE in (grant.evidence[0].note or "")


def test_scp_confinement_narrows_an_assumption_edge(aws: Any) -> None:
    """A role another member account may assume: its SCP perimeter narrows the edge to its principals through the
    range (SCPS; SCPs cap sts:AssumeRole as any action of the organisation's principals)."""
    trust = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "sts:AssumeRole"}]}  # fmt: skip
    role = aws.role("target", ACCT, trust=trust)
    org = aws.organization(scps=OTHER_CONFINED)
    ev = aws.evaluate(org, aws.account(ACCT, roles=(role,)))
    assert aws.edges_into(ev, role["Arn"]) == {f"{OTHER_ROOT}@{NET_RANGE}": SURE}


def test_scp_confinement_narrows_a_dynamodb_grant(aws: Any) -> None:
    """The core every resource type shares (here DynamoDB, a table policy granting a member account) narrows the
    grant to that account's principals through the range its SCP names (SCPS)."""
    table = f"arn:aws:dynamodb:eu-west-1:{ACCT}:table/t"
    statement = {"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "dynamodb:GetItem", "Resource": table}
    resource = {
        "type": "aws.dynamodb.table", "id": table, "name": "t", "account": ACCT, "region": "eu-west-1",
        "reads": {
            "description": aws.read("dynamodb:DescribeTable", {"Table": {"TableName": "t", "TableArn": table}}),
            "resource_policy": aws.read("dynamodb:GetResourcePolicy",
                                        {"Policy": json.dumps(aws.policy(statement)), "RevisionId": "1"}),
            "tags": aws.read("dynamodb:ListTagsOfResource", {"Tags": []}),
        },
    }  # fmt: skip
    org = aws.organization(scps=OTHER_CONFINED)
    ev = aws.evaluate(org, aws.account(ACCT), resource)
    readers = {g.principal.id for g in ev.grants if g.dataset == table and g.level is AccessLevel.READ}
    assert readers == {f"{OTHER_ROOT}@{NET_RANGE}"}


def test_why_for_the_organisation_through_the_network(aws: Any) -> None:
    """``why aws-org:…@aws-network:…``: the organisation's principals from the range pass the SCP layer (SCPS)."""
    snap = _snapshot(aws, ORGANISATION_READ, scps=((SCP_BY_RANGE, (ROOT_ID,)),))
    ev = evaluate(snap)
    report = explain(snap, ev, build_graph(ev), f"{ORG_NODE}@{NET_RANGE}", "arn:aws:s3:::b", AccessLevel.READ)
    (get,) = [a for a in report.actions if a.action == "s3:GetObject" and not a.via]
    (scp_layer,) = [layer for layer in get.layers if layer.kind is LayerKind.SCP]
    assert (report.answer, scp_layer.status) == (Answer.ALLOWED, LayerStatus.ALLOWS)
