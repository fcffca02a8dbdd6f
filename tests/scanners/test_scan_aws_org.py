"""Organisation mode: the organisation, member accounts through AssumeRole, shards and the merged view."""

from __future__ import annotations

import json

from seenby.model import ReadOutcome
from seenby.scanners.aws import scan_aws, scan_aws_shards
from tests.scanners.helpers import ACCOUNT, http_fault, query_error, scan_config
from tests.scanners.seeds import DENY_PUBLIC, seed_org


def test_org_mode_reads_the_organisation_tree_and_policies(session, endpoint, client):
    """The organisation resource holds its description, accounts, OU tree and SCPs/RCPs with targets."""
    seeded = seed_org(session, endpoint, client)

    (org,) = scan_aws(scan_config(session, endpoint, org_mode=True)).of_type("aws.organizations.organization")

    assert org.id == seeded["org"]
    assert {name: r.outcome for name, r in org.reads.items()} == {
        "organization": ReadOutcome.OK,
        "accounts": ReadOutcome.OK,
        "tree": ReadOutcome.OK,
        "policies": ReadOutcome.OK,
    }
    assert {a["Id"] for a in org.document("accounts")["Accounts"]} == {ACCOUNT, seeded["data"], seeded["analytics"]}
    tree = org.document("tree")
    assert [r["Id"] for r in tree["Roots"]] == [seeded["root"]]
    assert tree["OrganizationalUnits"][0]["ParentId"] == seeded["root"]
    assert tree["AccountParents"] == {
        ACCOUNT: seeded["root"],
        seeded["analytics"]: seeded["root"],
        seeded["data"]: seeded["ou"],
    }
    by_id = {p["PolicySummary"]["Id"]: p for p in org.document("policies")["Policies"]}
    assert json.loads(by_id[seeded["scp"]]["Content"]) == json.loads(DENY_PUBLIC)
    assert by_id[seeded["scp"]]["Targets"][0]["TargetId"] == seeded["ou"]
    assert {p["PolicySummary"]["Type"] for p in by_id.values()} == {"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"}


def test_org_mode_scans_every_member_account_through_its_role(session, endpoint, client):
    """Each member account's buckets and IAM are read with the assumed role's credentials."""
    seeded = seed_org(session, endpoint, client)

    snapshot = scan_aws(scan_config(session, endpoint, org_mode=True))

    buckets = {b.name: b.account for b in snapshot.of_type("aws.s3.bucket")}
    assert buckets == {
        "corp-data-lake": seeded["data"],
        "corp-analytics-exports": seeded["analytics"],
        "corp-management-logs": ACCOUNT,
    }
    accounts = {a.id: a for a in snapshot.of_type("aws.account")}
    assert set(accounts) == {ACCOUNT, seeded["data"], seeded["analytics"]}
    assert accounts[seeded["data"]].name == "corp-data"
    assert (
        accounts[seeded["data"]]
        .document("assume_role")["AssumedRoleUser"]["Arn"]
        .startswith(f"arn:aws:sts::{seeded['data']}:assumed-role/OrganizationAccountAccessRole/")
    )
    assert accounts[seeded["data"]].read("authorization_details").ok
    assert snapshot.scope["aws_organization"] == seeded["org"]
    assert snapshot.scope["aws_accounts"] == sorted(accounts)


def test_org_mode_gives_one_shard_per_account(session, endpoint, client):
    """Shards: one per account, the organisation in the caller's, each scoped to its own account."""
    seeded = seed_org(session, endpoint, client)

    shards = {s.scope["aws_accounts"][0]: s for s in scan_aws_shards(scan_config(session, endpoint, org_mode=True))}

    assert set(shards) == {ACCOUNT, seeded["data"], seeded["analytics"]}
    assert [r.id for r in shards[ACCOUNT].of_type("aws.organizations.organization")] == [seeded["org"]]
    assert [b.name for b in shards[seeded["data"]].of_type("aws.s3.bucket")] == ["corp-data-lake"]
    assert shards[seeded["data"]].of_type("aws.organizations.organization") == []
    assert shards[seeded["data"]].collector["identity"].startswith(f"arn:aws:sts::{seeded['data']}:assumed-role/")
    assert all(s.scope["aws_organization"] == seeded["org"] for s in shards.values())


def test_org_mode_accounts_option_narrows_the_scan(session, endpoint, client):
    """``accounts`` limits which accounts are scanned; the organisation is still read whole."""
    seeded = seed_org(session, endpoint, client)

    snapshot = scan_aws(scan_config(session, endpoint, org_mode=True, accounts=(seeded["data"],)))

    assert [a.id for a in snapshot.of_type("aws.account")] == [seeded["data"]]
    assert [b.name for b in snapshot.of_type("aws.s3.bucket")] == ["corp-data-lake"]
    assert len(snapshot.of_type("aws.organizations.organization")[0].document("accounts")["Accounts"]) == 3


def test_unassumable_member_role_is_a_gap_on_that_account(session, endpoint, client):
    """A member role that cannot be assumed records denied/error reads for that account; others complete."""
    seeded = seed_org(session, endpoint, client)
    http_fault(
        session,
        "before-send.sts.AssumeRole",
        status=403,
        body=query_error("AccessDenied", "not authorized to perform sts:AssumeRole"),
        when="",
    )

    snapshot = scan_aws(scan_config(session, endpoint, org_mode=True))

    accounts = {a.id: a for a in snapshot.of_type("aws.account")}
    blocked = accounts[seeded["data"]]
    assert blocked.read("assume_role").outcome is ReadOutcome.DENIED
    for name in ("public_access_block", "authorization_details", "buckets"):
        assert blocked.read(name).outcome is ReadOutcome.DENIED
        assert blocked.read(name).error_code == "AccessDenied"
    assert accounts[ACCOUNT].read("authorization_details").ok
    assert [b.name for b in snapshot.of_type("aws.s3.bucket")] == ["corp-management-logs"]


def test_org_listings_follow_pages(session, endpoint, client):
    """More accounts and SCPs than one moto page (100 accounts, 20 policies): all are recorded."""
    orgs = client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    for i in range(100):
        orgs.create_account(AccountName=f"acct-{i:03d}", Email=f"a{i}@corp.example")
    for i in range(21):
        orgs.create_policy(Name=f"scp-{i:02d}", Description="", Type="SERVICE_CONTROL_POLICY", Content=DENY_PUBLIC)

    (org,) = scan_aws(scan_config(session, endpoint, org_mode=True, accounts=(ACCOUNT,))).of_type(
        "aws.organizations.organization"
    )

    assert len(org.document("accounts")["Accounts"]) == 101
    assert len(org.document("tree")["AccountParents"]) == 101
    scps = [p for p in org.document("policies")["Policies"] if p["PolicySummary"]["Type"] == "SERVICE_CONTROL_POLICY"]
    assert len(scps) == 22  # 21 created + FullAWSAccess
