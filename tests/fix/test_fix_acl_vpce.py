"""Two candidates of issue 19: an ACL grant to a broad group replaced by a bucket policy grant to the declared
principals, and an ``aws:SourceVpce`` condition narrowing a ``"*"`` statement to the owner's VPC endpoint.

ACL = https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions (READ on a bucket:
s3:ListBucket, s3:ListBucketVersions), PACCOUNT =
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalaccount,
VPCE = https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies-vpc-endpoint.html
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from seenby import api
from seenby.fix import ChangeKind, Fix, find_fixes
from seenby.fix.changes import apply_changes
from seenby.model import AccessLevel, thaw_json

from .conftest import RULES, SNAPSHOT, TODAY

EXPORTS = "arn:aws:s3:::corp-analytics-exports"
RAW = "arn:aws:s3:::corp-employee-telemetry-raw"
OWNER = "111122223333"
ENDPOINT = "vpce-0a1b2c3d4e5f60718"
ADMIN_ROLE = "arn:aws:iam::222233334444:role/OrganizationAccountAccessRole"


def _only(snapshot: api.Snapshot, rules: api.Rules, dataset: str, rule: str, level: AccessLevel):
    audit = api.evaluate(snapshot).audit(rules, today=TODAY)
    found = [f for f in audit.findings if f.dataset.id == dataset and f.rule_id == rule and f.level is level]
    assert len(found) == 1, found
    return found[0], find_fixes(snapshot, rules, fingerprints=[found[0].fingerprint], today=TODAY)


def test_acl_grant_to_any_authenticated_becomes_a_policy_grant_to_the_declared(example_run):
    """corp-analytics-exports is declared for account 222233334444 and its analyst role; its AuthenticatedUsers
    READ grant is the only way the account's OrganizationAccountAccessRole lists it, so removing the grant alone
    cuts a declared member off.  The grant is replaced by a bucket policy statement granting the declared
    principals the same actions (ACL, PACCOUNT), proven: any authenticated principal is gone, the role still
    lists it."""
    snapshot, rules = api.load(SNAPSHOT), api.load_rules(RULES)
    finding = next(f for f in example_run.audit.findings if f.dataset.id == EXPORTS and f.rule_id == "SB002")
    fix = example_run.outcomes[finding.fingerprint]
    assert isinstance(fix, Fix)
    assert [(c.kind, c.read) for c in fix.changes] == [(ChangeKind.ACL_TO_POLICY, "acl"),
                                                      (ChangeKind.ACL_TO_POLICY, "policy")]  # fmt: skip
    policy = json.loads(thaw_json(fix.changes[1].document_after)["Policy"])
    added = [s for s in policy["Statement"] if s.get("Sid", "").endswith("InsteadOfAcl")]
    assert {json.dumps(s["Action"]) for s in added} == {json.dumps(["s3:ListBucket", "s3:ListBucketVersions"])}
    after = api.evaluate(apply_changes(snapshot, fix.changes))
    listers = {m.principal.id for m in after.who_can_read(EXPORTS, levels=(AccessLevel.LIST,), rules=rules).members}
    assert "aws:authenticated" not in listers and ADMIN_ROLE in listers
    assert not [f for f in after.audit(rules, today=TODAY).findings if f.dataset.id == EXPORTS and f.rule_id == "SB002"]


def _with_owner_endpoint(tmp_path: Path) -> api.Snapshot:
    """The example with the owner account's S3 gateway endpoint read, its RestrictPublicBuckets off, and the raw
    bucket's statement open to anyone."""
    data = json.loads(SNAPSHOT.read_text())
    by_id = {r["id"]: r for r in data["resources"]}
    account = next(r for r in data["resources"] if r["type"] == "aws.account" and r["id"] == OWNER)
    account["reads"]["vpc_endpoints"] = {
        "outcome": "ok", "api": "ec2:DescribeVpcEndpoints",
        "document": {"Regions": {"eu-west-1": {"VpcEndpoints": [
            {"VpcEndpointId": ENDPOINT, "VpcId": "vpc-0123456789abcdef0", "OwnerId": OWNER,
             "ServiceName": "com.amazonaws.eu-west-1.s3", "VpcEndpointType": "Gateway"}]}}},
    }  # fmt: skip
    account["reads"]["public_access_block"]["document"]["PublicAccessBlockConfiguration"].update(
        RestrictPublicBuckets=False
    )
    read = by_id[RAW]["reads"]["policy"]
    policy = json.loads(read["document"]["Policy"])
    policy["Statement"] = [{"Sid": "AnyoneReads", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                            "Resource": f"{RAW}/*"}]  # fmt: skip
    read["document"]["Policy"] = json.dumps(policy)
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(data))
    return api.load(path)


def _owner_network_rules(tmp_path: Path) -> api.Rules:
    """rules.yaml with the telemetry datasets declared readable from the owner's networks only (what aws-owner
    holds besides the account, docs/aws-semantics.md): no principal a Principal element could name."""
    data = yaml.safe_load(RULES.read_text())
    for entry in data["datasets"]:
        if "corp-employee-telemetry-*" in json.dumps(entry.get("match", {})):
            entry["read"] = [f"aws-network-of:{OWNER}"]
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return api.load_rules(path)


def test_public_statement_is_narrowed_to_the_owners_vpc_endpoint(tmp_path):
    """A "*" statement on a bucket declared for its owner's networks gets aws:SourceVpce of the owner account's
    S3 endpoint (VPCE), proven: anyone on the internet is gone, callers through the endpoint remain."""
    snapshot, rules = _with_owner_endpoint(tmp_path), _owner_network_rules(tmp_path)
    finding, run = _only(snapshot, rules, RAW, "SB001", AccessLevel.READ)
    fix = run.outcomes[finding.fingerprint]
    assert isinstance(fix, Fix), fix
    assert [c.kind for c in fix.changes] == [ChangeKind.ADD_CONDITION]
    ops = [op for op in fix.changes[0].policy_patch or () if op["op"] == "add"]
    assert [op["value"] for op in ops] == [{"StringEquals": {"aws:SourceVpce": ENDPOINT}}]
    after = api.evaluate(apply_changes(snapshot, fix.changes))
    readers = {m.principal.id for m in after.who_can_read(RAW, rules=rules).members}
    assert "aws:public" not in readers and f"aws-network:{ENDPOINT}" in readers


def test_no_endpoint_condition_without_the_owners_endpoints(tmp_path):
    """Without the owner's vpc_endpoints read, no aws:SourceVpce condition is proposed (nothing to name)."""
    from seenby.fix.candidates import candidates

    snapshot, rules = _with_owner_endpoint(tmp_path), _owner_network_rules(tmp_path)
    data = json.loads((tmp_path / "snapshot.json").read_text())
    for r in data["resources"]:
        r["reads"].pop("vpc_endpoints", None)
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(data))
    snapshot = api.load(bare)
    finding = next(f for f in api.evaluate(snapshot).audit(rules, today=TODAY).findings
                   if f.dataset.id == RAW and f.rule_id == "SB001")  # fmt: skip
    proposed = [json.dumps(thaw_json(c.policy_patch)) for option in candidates(snapshot, finding, finding.excess[0])
                for c in option]  # fmt: skip
    assert proposed and not any("aws:SourceVpce" in p for p in proposed)
