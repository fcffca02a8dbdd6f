"""Condition keys decided by their family (seenby/policies/aws/data/condition_keys.yaml), case by case.

Each case is one bucket policy on bucket ``b`` (account 111122223333, Block Public Access off) and the audience
expected at one level, from the page cited.  The families and their rules: seenby.model.ConditionFamily.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.aws.cases import (
    ACCT,
    AUTH,
    BUCKET,
    COND,
    IAM,
    KEYS,
    OBJ,
    OPERATORS,
    ORG,
    OUTSIDE,
    OUTSIDE_ROOT,
    PUBLIC,
    ROOT,
    S3,
    SURE,
    S,
)

SECURE = S3 + "security-best-practices.html#transit"
REFERER = S3 + "example-bucket-policies.html#example-bucket-policies-HTTP-HTTPS"
VPCE = S3 + "example-bucket-policies-vpc-endpoint.html"
CONFUSED_DEPUTY = IAM + "confused-deputy.html"
CLOUDTRAIL = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html"
TAGS = S3 + "tagging-and-policies.html"
LIST_PREFIX = S3 + "amazon-s3-policy-keys.html#condition-key-bucket-ops-2"
IFEXISTS = OPERATORS + "#Conditions_IfExists"
ALL = [BUCKET, OBJ]
FAS = IAM + "access_forward_access_sessions.html"
PERIMETER = IAM + "access_policies_data-perimeters.html"
# PERIMETER's network statement on a bucket policy: Deny unless the corporate range or the company's VPC, AWS services
# (as themselves, or forwarding a principal's credentials) exempt
NETWORK_PERIMETER = S("Deny", action="s3:*", resource=ALL, condition={
    "NotIpAddressIfExists": {"aws:SourceIp": "203.0.113.0/24"},
    "StringNotEqualsIfExists": {"aws:SourceVpc": "vpc-111bbb22"},
    "BoolIfExists": {"aws:PrincipalIsAWSService": "false", "aws:ViaAWSService": "false"},
})  # fmt: skip
TRAIL = f"arn:aws:cloudtrail:eu-west-1:{ACCT}:trail/org-trail"

CASES: list[tuple[str, str, list[dict], str, dict[str, str]]] = [
    # -- request properties: any caller meets them, a Deny on them removes nobody -------------------------------
    ("secure-transport-allow-is-public", KEYS + "#condition-keys-securetransport",
     [S(condition={"Bool": {"aws:SecureTransport": "true"}})], "read", {PUBLIC: SURE}),
    ("referer-allow-is-public", REFERER,
     [S(condition={"StringLike": {"aws:Referer": ["https://www.example.com/*"]}})], "read", {PUBLIC: SURE}),
    ("user-agent-deny-removes-nobody", KEYS + "#condition-keys-useragent",
     [S(), S("Deny", condition={"StringLike": {"aws:UserAgent": "curl/*"}})], "read", {PUBLIC: SURE}),
    ("deny-insecure-transport-removes-nobody", SECURE,
     [S(), S("Deny", action="s3:*", resource=ALL, condition={"Bool": {"aws:SecureTransport": "false"}})],
     "read", {PUBLIC: SURE}),
    ("deny-without-sse-header-leaves-writers", S3 + "UsingServerSideEncryption.html",
     [S(action="s3:PutObject"),
      S("Deny", action="s3:PutObject", condition={"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}})],
     "write", {PUBLIC: SURE}),
    # -- network: 0.0.0.0/0 narrows nothing, a fixed network narrows "*" to the callers from it -----------------
    ("any-ipv4-is-public", KEYS + "#condition-keys-sourceip",
     [S(condition={"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})], "read", {PUBLIC: SURE}),
    ("any-ipv6-is-public", KEYS + "#condition-keys-sourceip",
     [S(condition={"IpAddress": {"aws:SourceIp": "::/0"}})], "read", {PUBLIC: SURE}),
    ("fixed-range-narrows-to-network", KEYS + "#condition-keys-sourceip",
     [S(condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})], "read",
     {"aws-network:203.0.113.0/24": SURE}),
    ("deny-unless-vpce-leaves-that-network", VPCE,
     [S(), S("Deny", action="s3:*", resource=ALL, condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}})],
     "read", {"aws-network:vpce-1a2b3c4d": SURE}),
    ("deny-unless-vpc-leaves-that-network", VPCE,
     [S(), S("Deny", action="s3:*", resource=ALL, condition={"StringNotEquals": {"aws:SourceVpc": "vpc-111bbb22"}})],
     "read", {"aws-network:vpc-111bbb22": SURE}),
    ("two-endpoints-are-two-networks", KEYS + "#condition-keys-sourcevpce",
     [S(condition={"StringEquals": {"aws:SourceVpce": ["vpce-1", "vpce-2"]}})], "read",
     {"aws-network:vpce-1": SURE, "aws-network:vpce-2": SURE}),
    ("endpoint-owner-account", KEYS + "#condition-keys-vpceaccount",
     [S(condition={"StringEquals": {"aws:VpceAccount": ACCT}})], "read",
     {f"aws-network:vpce-account:{ACCT}": SURE}),
    ("wildcard-endpoint-is-public", KEYS + "#condition-keys-sourcevpce",
     [S(condition={"StringLike": {"aws:SourceVpce": "vpce-*"}})], "read", {PUBLIC: SURE}),
    # -- service context: present only on requests a service makes for someone --------------------------------
    ("source-account-is-services-for-it", CONFUSED_DEPUTY,
     [S(condition={"StringEquals": {"aws:SourceAccount": ACCT}})], "read", {f"aws-service-for:{ACCT}": SURE}),
    ("cloudtrail-own-trail", CLOUDTRAIL,
     [S(principal={"Service": "cloudtrail.amazonaws.com"}, action="s3:PutObject",
        condition={"StringEquals": {"aws:SourceArn": TRAIL}})], "write", {f"aws-service-for:{TRAIL}": SURE}),
    ("source-org-is-services-for-the-org", KEYS + "#condition-keys-sourceorgid",
     [S(condition={"StringEquals": {"aws:SourceOrgID": ORG}})], "read", {f"aws-service-for:{ORG}": SURE}),
    ("deny-other-source-accounts-leaves-own", CONFUSED_DEPUTY,
     [S(principal={"Service": "logging.s3.amazonaws.com"}, action="s3:PutObject"),
      S("Deny", action="s3:PutObject", condition={"StringNotEquals": {"aws:SourceAccount": ACCT}})],
     "write", {f"aws-service-for:{ACCT}": SURE}),
    # -- time: decided at the snapshot's collection time (2026-11-23T09:00:00Z) ----------------------------------
    ("expired-window-is-gone", OPERATORS + "#Conditions_Date",
     [S(condition={"DateLessThan": {"aws:CurrentTime": "2025-01-01T00:00:00Z"}})], "read", {}),
    ("open-window-is-public", OPERATORS + "#Conditions_Date",
     [S(condition={"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})], "read", {PUBLIC: SURE}),
    ("epoch-time-open", KEYS + "#condition-keys-epochtime",
     [S(condition={"NumericGreaterThan": {"aws:EpochTime": "1700000000"}})], "read", {PUBLIC: SURE}),
    # -- authentication: absent on anonymous requests, a signed-in person meets it ------------------------------
    ("mfa-allow-is-any-authenticated", KEYS + "#condition-keys-multifactorauthpresent",
     [S(condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})], "read", {AUTH: SURE}),
    # Bool on an absent key does not match: a Deny "MFA false" never applies to anonymous callers
    ("deny-mfa-false-misses-anonymous", KEYS + "#condition-keys-multifactorauthpresent",
     [S(), S("Deny", condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}})], "read", {PUBLIC: SURE}),
    # BoolIfExists on an absent key matches: anonymous callers are denied, people sign in with MFA
    ("deny-mfa-false-if-exists-removes-anonymous", IFEXISTS,
     [S(), S("Deny", condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})], "read", {AUTH: SURE}),
    # anonymous requests are not signed: a Deny on other signature versions shuts them out
    ("deny-other-signature-versions-removes-anonymous", "https://docs.aws.amazon.com/AmazonS3/latest/API/bucket-policy-s3-sigv4-conditions.html",
     [S(), S("Deny", condition={"StringNotEquals": {"s3:signatureversion": "AWS4-HMAC-SHA256"}})], "read",
     {AUTH: SURE}),
    # -- service route: an anonymous request is never forwarded by a service (FAS); a signed-in caller chooses ----
    # the network perimeter with its ViaAWSService exception: anonymous callers (aws:ViaAWSService false) are denied
    # outside the company's networks, so no one reaches the bucket anonymously but through them; a signed-in caller
    # can still call through a service that forwards its credentials (the exception's purpose), so stays
    ("perimeter-with-service-route-exception-leaves-networks", PERIMETER, [S(), NETWORK_PERIMETER], "read",
     {"aws-network:203.0.113.0/24": SURE, "aws-network:vpc-111bbb22": SURE, AUTH: SURE}),
    # aws:ViaAWSService is true only on a service's request with a principal's credentials: never anonymous
    ("via-service-allow-is-any-authenticated", KEYS + "#condition-keys-viaawsservice",
     [S(condition={"Bool": {"aws:ViaAWSService": "true"}})], "read", {AUTH: SURE}),
    ("via-service-allow-keeps-another-account", KEYS + "#condition-keys-viaawsservice",
     [S(principal={"AWS": OUTSIDE}, condition={"Bool": {"aws:ViaAWSService": "true"}})], "read",
     {OUTSIDE_ROOT: SURE}),
    # aws:ViaAWSService is always in the request context, false on a direct call: a Deny on false (no IfExists)
    # shuts anonymous callers out, a signed-in caller can call through a service
    ("deny-direct-calls-removes-anonymous", KEYS + "#condition-keys-viaawsservice",
     [S(), S("Deny", condition={"Bool": {"aws:ViaAWSService": "false"}})], "read", {AUTH: SURE}),
    # aws:CalledVia is present only on requests a service makes with a principal's credentials (FAS)
    ("called-via-athena-is-any-authenticated", KEYS + "#condition-keys-calledvia",
     [S(condition={"ForAnyValue:StringEquals": {"aws:CalledVia": "athena.amazonaws.com"}})], "read", {AUTH: SURE}),
    ("called-via-first-is-any-authenticated", FAS,
     [S(condition={"StringEquals": {"aws:CalledViaFirst": "cloudformation.amazonaws.com"}})], "read",
     {AUTH: SURE}),
    # -- part of the dataset: a finding at full severity, not a condition ---------------------------------------
    ("existing-object-tag-is-part-of-the-data", TAGS,
     [S(condition={"StringEquals": {"s3:ExistingObjectTag/classification": "public"}})], "read", {PUBLIC: SURE}),
    ("list-prefix-is-part-of-the-listing", LIST_PREFIX,
     [S(action="s3:ListBucket", resource=BUCKET, condition={"StringLike": {"s3:prefix": "public/*"}})],
     "list", {PUBLIC: SURE}),
    # -- caller identity: a wildcard value is not fixed (Block Public Access) -----------------------------------
    ("wildcard-account-role-name-is-any-authenticated", KEYS + "#condition-keys-principalarn",
     [S(condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/reader"}})], "read", {AUTH: SURE}),
    # -- anything else stays conditional, shown with the condition ---------------------------------------------
    ("unmodelled-key-is-conditional", KEYS,
     [S(condition={"StringEquals": {"s3:ExistingJobOperation": "S3GetObject"}})], "read", {PUBLIC: COND}),
    # -- several keys in one block: AND across keys, OR across a key's values ------------------------------------
    ("tls-and-endpoint", OPERATORS,
     [S(condition={"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"aws:SourceVpce": "vpce-1"}})],
     "read", {"aws-network:vpce-1": SURE}),
    ("time-and-unmodelled", OPERATORS,
     [S(condition={"DateLessThan": {"aws:CurrentTime": "2025-01-01T00:00:00Z"},
                   "StringEquals": {"s3:ExistingJobOperation": "S3GetObject"}})], "read", {}),
    # -- NotPrincipal in a Deny, narrowed by a request property: it removes nobody ------------------------------
    ("not-principal-deny-on-transport", IAM + "reference_policies_elements_notprincipal.html",
     [S(), S("Deny", not_principal={"AWS": ROOT}, condition={"Bool": {"aws:SecureTransport": "false"}})],
     "read", {PUBLIC: SURE}),
    # -- NotPrincipal naming an account's root exempts that root user alone (NOTPRINCIPAL) ------------------------
    ("not-principal-root-exempts-root-user-only", IAM + "reference_policies_elements_notprincipal.html",
     [S(principal={"AWS": ROOT}), S(principal={"AWS": f"arn:aws:iam::{ACCT}:user/alice"}),
      S("Deny", action="s3:*", resource=ALL, not_principal={"AWS": ROOT})], "read", {f"aws-root-user:{ACCT}": SURE}),
    # aws:PrincipalArn = the account's root ARN matches its root user, not the account's other principals
    ("principal-arn-root-is-the-root-user", KEYS + "#condition-keys-principalarn",
     [S(condition={"ArnEquals": {"aws:PrincipalArn": ROOT}})], "read", {f"aws-root-user:{ACCT}": SURE}),
]  # fmt: skip


def _evaluate(aws: Any, statements: list[dict]) -> Any:
    return aws.evaluate(*aws.base(aws.bucket(policy=aws.policy(*statements)), account_bpa=aws.bpa()))


@pytest.mark.parametrize(("url", "statements", "level", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_condition_family_audience(aws: Any, url: str, statements: list[dict], level: str, expected: dict) -> None:
    """A condition narrows the audience by what its key says about the caller (documented in ``url``)."""
    assert aws.audience(_evaluate(aws, statements), level=level) == expected, url


def _decided(aws: Any, statements: list[dict], principal: str, level: str = "read") -> dict[str, str]:
    ev = _evaluate(aws, statements)
    (grant,) = [g for g in aws.grants_of(ev, "b", level) if g.principal.id == principal]
    return {d.key: d.family.value for e in grant.evidence for d in e.decided}


def test_grant_records_the_family_that_decided(aws: Any) -> None:
    """A grant under aws:SecureTransport records the key, its family and how it was decided."""
    families = _decided(aws, [S(condition={"Bool": {"aws:SecureTransport": "true"}})], PUBLIC)
    assert families == {"aws:SecureTransport": "request-property"}


def test_service_route_grant_records_its_family(aws: Any) -> None:
    """A grant to signed-in callers under aws:ViaAWSService records the service-route family (FAS)."""
    families = _decided(aws, [S(condition={"Bool": {"aws:ViaAWSService": "true"}})], AUTH)
    assert families == {"aws:ViaAWSService": "service-route"}


def test_data_part_grant_says_which_part(aws: Any) -> None:
    """A grant limited by s3:ExistingObjectTag says which part of the data it covers."""
    statement = S(condition={"StringEquals": {"s3:ExistingObjectTag/classification": "public"}})
    grant = next(g for g in aws.grants_of(_evaluate(aws, [statement])) if g.principal.id == PUBLIC)
    (decided,) = grant.evidence[0].decided
    assert decided.family.value == "data-part"
    assert "s3:ExistingObjectTag/classification" in decided.how and "public" in decided.how


def test_time_decision_says_when_it_changes(aws: Any) -> None:
    """A grant open at collection time says when the time condition's answer changes."""
    statement = S(condition={"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})
    grant = next(g for g in aws.grants_of(_evaluate(aws, [statement])) if g.principal.id == PUBLIC)
    (decided,) = grant.evidence[0].decided
    assert decided.family.value == "time" and "2030-01-01T00:00:00Z" in decided.how and "2026-11-23" in decided.how


def test_network_grant_is_not_conditional(aws: Any) -> None:
    """A grant narrowed to a VPC endpoint is an unconditional grant to that network's callers."""
    statement = S(condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}})
    grant = next(g for g in aws.grants_of(_evaluate(aws, [statement])) if g.principal.id == "aws-network:vpce-1")
    assert (grant.conditional, grant.principal.kind.value) == (False, "network")


def test_named_user_narrowed_by_its_own_network_condition_stays_itself(aws: Any) -> None:
    """A user whose own policy allows reading only from a range keeps its grant, noting the network."""
    only_office = aws.idstmt(condition={"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}})
    ev = aws.evaluate(*aws.base(aws.bucket(), users=[aws.user("alice", inline=(aws.policy(only_office),))]))
    alice = f"arn:aws:iam::{ACCT}:user/alice"
    (grant,) = [g for g in aws.grants_of(ev) if g.principal.id == alice]
    assert not grant.conditional and "198.51.100.0/24" in (grant.evidence[0].note or "")


def _with_networks(aws: Any, *, endpoints: list[dict], vpcs: list[dict]) -> dict:
    """The owner account's resource carrying the VPCs and endpoints a scan read (scanners/aws/ec2.py)."""
    acct = aws.account(ACCT, bpa=aws.bpa())
    acct["reads"]["vpcs"] = aws.read("ec2:DescribeVpcs", {"Regions": {"eu-west-1": {"Vpcs": vpcs}}})
    acct["reads"]["vpc_endpoints"] = aws.read(
        "ec2:DescribeVpcEndpoints", {"Regions": {"eu-west-1": {"VpcEndpoints": endpoints}}}
    )
    return acct


def test_endpoint_the_scan_read_is_its_owner_accounts_network(aws: Any) -> None:
    """A VPC endpoint the snapshot shows carries its owner account: the network is that account's (VPCE)."""
    endpoint = {"VpcEndpointId": "vpce-1a2b3c4d", "VpcId": "vpc-111bbb22", "OwnerId": ACCT}
    vpc = {"VpcId": "vpc-111bbb22", "OwnerId": ACCT}
    bucket = aws.bucket(policy=aws.policy(
        S(), S("Deny", action="s3:*", resource=[BUCKET, OBJ],
               condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}})))  # fmt: skip
    ev = aws.evaluate(aws.organization(), _with_networks(aws, endpoints=[endpoint], vpcs=[vpc]), bucket)
    network = ev.principals["aws-network:vpce-1a2b3c4d"]
    assert (network.account, aws.audience(ev)) == (ACCT, {"aws-network:vpce-1a2b3c4d": SURE})


def test_endpoint_narrowed_by_its_vpc_too(aws: Any) -> None:
    """A Deny unless aws:SourceVpc is the endpoint's own VPC leaves the endpoint's callers in (both keys known)."""
    endpoint = {"VpcEndpointId": "vpce-1", "VpcId": "vpc-1", "OwnerId": ACCT}
    bucket = aws.bucket(policy=aws.policy(
        S(condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}}),
        S("Deny", condition={"StringNotEquals": {"aws:SourceVpc": "vpc-1"}})))  # fmt: skip
    ev = aws.evaluate(aws.organization(), _with_networks(aws, endpoints=[endpoint], vpcs=[]), bucket)
    assert aws.audience(ev) == {"aws-network:vpce-1": SURE}


def test_unknown_endpoint_is_no_accounts_network(aws: Any) -> None:
    """An endpoint the snapshot does not show is a network of no known account (never taken for the owner's)."""
    bucket = aws.bucket(policy=aws.policy(S(condition={"StringEquals": {"aws:SourceVpce": "vpce-9"}})))
    ev = aws.evaluate(aws.organization(), _with_networks(aws, endpoints=[], vpcs=[]), bucket)
    assert ev.principals["aws-network:vpce-9"].account is None
