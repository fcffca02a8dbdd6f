"""Flows out of S3 buckets, from recorded API shapes, through the graph into the audit (issue 20, docs/flows.md).

Shapes: ReplicationConfiguration and its rules
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_ReplicationRule.html), inventory
configurations (https://docs.aws.amazon.com/AmazonS3/latest/API/API_InventoryConfiguration.html).
moto 5.2 drops a replication rule's prefix filter, so the ``part`` shapes are recorded here.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from importlib import resources

import jsonschema

from seenby.audit import audit
from seenby.config import parse_rules
from seenby.graph.build import build_graph
from seenby.history.exposure import exposure_timeline
from seenby.history.store import HistoryStore
from seenby.history_results import EventKind
from seenby.model import Carries, ReadOutcome
from seenby.policies import evaluate
from seenby.policies.flows import OUT_OF_SCOPE
from seenby.queries import who_can_read
from seenby.reports.html import path_graph
from seenby.reports.json_report import audience_document
from seenby.snapshot import Read, Resource, new_snapshot

SOURCE_ACCOUNT = "111122223333"
ANALYTICS = "444455556666"
ORG = "o-a1b2c3d4e5"
SOURCE = "arn:aws:s3:::corp-telemetry"
REPLICA = "arn:aws:s3:::corp-telemetry-replica"
TODAY = date(2026, 12, 7)


def _ok(api: str, document: dict) -> Read:
    return Read(outcome=ReadOutcome.OK, api=api, document=document)


def _bucket(arn: str, account: str, policy: dict | None = None, replication: dict | None = None) -> Resource:
    reads = {
        "acl": _ok("s3:GetBucketAcl", {"Owner": {"ID": f"owner-{account}"}, "Grants": []}),
        "public_access_block": _ok(
            "s3:GetBucketPublicAccessBlock",
            {
                "PublicAccessBlockConfiguration": dict.fromkeys(
                    ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), False
                )
            },
        ),
        "ownership_controls": _ok(
            "s3:GetBucketOwnershipControls",
            {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}},
        ),
    }
    if policy is not None:
        reads["policy"] = _ok("s3:GetBucketPolicy", {"Policy": json.dumps(policy)})
    if replication is not None:
        reads["replication"] = _ok("s3:GetBucketReplication", {"ReplicationConfiguration": replication})
    name = arn.rsplit(":", 1)[1]
    return Resource(type="aws.s3.bucket", id=arn, name=name, account=account, region="eu-west-1", reads=reads)


def _rule(**extra) -> dict:
    return {
        "ID": "to-analytics",
        "Priority": 1,
        "Status": "Enabled",
        "Destination": {"Bucket": REPLICA, "Account": ANALYTICS, "AccessControlTranslation": {"Owner": "Destination"}},
        **extra,
    }


ORG_READ = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "OrgRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"{REPLICA}/*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}},
        }
    ],
}


def _snapshot(*resources: Resource):
    return new_snapshot(list(resources), scope={}, mode="test")


def _replicated(rule: dict, *, with_replica: bool = True):
    source = _bucket(SOURCE, SOURCE_ACCOUNT, replication={"Role": "arn:aws:iam::111122223333:role/r", "Rules": [rule]})
    replica = _bucket(REPLICA, ANALYTICS, policy=ORG_READ)
    return _snapshot(source, replica) if with_replica else _snapshot(source)


RULES = f"""version: 1
datasets:
  - match: {{id: "{SOURCE}"}}
    classification: employee-telemetry
    read: [arn:aws:iam::{SOURCE_ACCOUNT}:role/ml-training]
    admin: []
"""


def test_prefix_filter_makes_a_flow_of_part_of_the_data():
    """A rule filtered by prefix (Filter.Prefix) carries part of the data, its scope naming the prefix."""
    (flow,) = evaluate(_replicated(_rule(Filter={"Prefix": "raw/"}))).flows

    assert (flow.carries, flow.scope) == (Carries.PART, "prefix raw/")


def test_tag_filter_makes_a_flow_of_part_of_the_data():
    """A rule filtered by prefix and tags (Filter.And) carries part of the data, naming both."""
    rule = _rule(Filter={"And": {"Prefix": "eu/", "Tags": [{"Key": "team", "Value": "ml"}]}})

    (flow,) = evaluate(_replicated(rule)).flows

    assert (flow.carries, flow.scope) == (Carries.PART, "prefix eu/, tag team=ml")


def test_disabled_rule_is_no_flow():
    """A rule whose Status is Disabled copies nothing."""
    assert evaluate(_replicated(_rule(Status="Disabled"))).flows == []


def test_replica_outside_the_snapshot_is_a_coverage_gap_on_the_source():
    """Replication into a bucket of an unscanned account is a gap on the source: its audience is unknown."""
    gaps = [g for g in evaluate(_replicated(_rule(), with_replica=False)).gaps if g.error_code == OUT_OF_SCOPE]

    assert [(g.resource, g.datasets) for g in gaps] == [(SOURCE, (SOURCE,))]


def test_replica_readers_reach_the_source_with_the_hop_in_the_path():
    """The organisation reading the replica is an SB003 finding on the source, its path through flows-to."""
    result = audit(_replicated(_rule()), parse_rules(RULES, source="rules.yaml"), today=TODAY)

    (finding,) = [f for f in result.active if f.rule_id == "SB003" and f.dataset.id == SOURCE]
    assert [s.via for s in finding.excess[0].path[:-1]] == ["grant:read", "flows-to"]
    assert finding.excess[0].path[1].node == REPLICA


def test_undeclared_replica_inherits_its_source_declaration():
    """An undeclared replica is audited against its source's declaration, not reported undeclared."""
    result = audit(_replicated(_rule()), parse_rules(RULES, source="rules.yaml"), today=TODAY)

    replica = [f.rule_id for f in result.active if f.dataset.id == REPLICA]
    assert "SB009" not in replica and "SB003" in replica


def test_replica_declared_broader_than_its_source_is_sb015():
    """A replica declared for the organisation while its source is declared for one role is SB015 on the source."""
    text = (
        RULES
        + f"""  - match: {{id: "{REPLICA}"}}
    read: ["aws-org:{ORG}"]
"""
    )
    result = audit(_replicated(_rule()), parse_rules(text, source="rules.yaml"), today=TODAY)

    (finding,) = [f for f in result.active if f.rule_id == "SB015"]
    assert (finding.dataset.id, finding.severity.value) == (SOURCE, "high")


def test_who_can_read_lists_readers_through_the_copy():
    """who-can-read on the source lists the organisation, its path through the replica."""
    rg = build_graph(evaluate(_replicated(_rule())))

    report = who_can_read(rg, SOURCE)

    (member,) = [m for m in report.members if m.principal.id == f"aws-org:{ORG}"]
    assert [s.via for s in member.path[:-1]] == ["grant:read", "flows-to"]


def test_who_can_read_marks_a_reader_through_a_copy():
    """A member reaching the source through the replica is marked with that copy; a direct one is not."""
    rg = build_graph(evaluate(_replicated(_rule())))

    marks = {m.principal.id: m.through_copy for m in who_can_read(rg, SOURCE).members}

    assert marks[f"aws-org:{ORG}"] == REPLICA


def test_who_can_read_json_carries_the_copy():
    """The audience document gives ``through_copy`` for a member reading through the replica, valid per its schema."""
    rg = build_graph(evaluate(_replicated(_rule())))

    document = audience_document(who_can_read(rg, SOURCE))

    schema = json.loads(resources.files("seenby").joinpath("schemas/audience-v1.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(document)
    assert {m["principal"]["id"]: m.get("through_copy") for m in document["members"]}[f"aws-org:{ORG}"] == REPLICA


def test_truncated_inventory_listing_is_a_coverage_gap():
    """An inventory listing with IsTruncated true is a gap on the bucket: the configurations past it are unknown."""
    bare = _bucket(SOURCE, SOURCE_ACCOUNT)
    listing = {"InventoryConfigurationList": [], "IsTruncated": True}
    source = replace(bare, reads={**bare.reads, "inventory": _ok("s3:ListBucketInventoryConfigurations", listing)})

    gaps = [g for g in evaluate(_snapshot(source)).gaps if g.read == "inventory"]

    assert [(g.resource, g.error_code) for g in gaps] == [(SOURCE, "Truncated")]


def test_html_path_drawing_shows_the_flow_hop():
    """The HTML path drawing of the organisation's finding on the source has a flows-to arrow into the source."""
    result = audit(_replicated(_rule()), parse_rules(RULES, source="rules.yaml"), today=TODAY)
    (finding,) = [f for f in result.active if f.rule_id == "SB003" and f.dataset.id == SOURCE]

    drawing = path_graph(finding.excess[0].path, principal=finding.excess[0].principal, dataset=finding.dataset)

    assert [e.label for e in drawing.edges] == ["read", "flows-to"]


TABLE = f"arn:aws:dynamodb:eu-west-1:{SOURCE_ACCOUNT}:table/corp-telemetry-sessions"
TABLE_US = f"arn:aws:dynamodb:us-east-1:{SOURCE_ACCOUNT}:table/corp-telemetry-sessions"


def _table(arn: str, region: str, replicas: list[str]) -> Resource:
    """A global-table replica as DescribeTable shows it
    (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ReplicaDescription.html)."""
    table = {"TableName": "corp-telemetry-sessions", "TableArn": arn, "TableStatus": "ACTIVE",
             "Replicas": [{"RegionName": r, "ReplicaStatus": "ACTIVE"} for r in replicas]}  # fmt: skip
    reads = {
        "description": _ok("dynamodb:DescribeTable", {"Table": table}),
        "resource_policy": Read(
            outcome=ReadOutcome.ABSENT, api="dynamodb:GetResourcePolicy", error_code="PolicyNotFoundException"
        ),
        "tags": _ok("dynamodb:ListTagsOfResource", {"Tags": []}),
    }
    name = arn.rsplit("/", 1)[1]
    return Resource(type="aws.dynamodb.table", id=arn, name=name, account=SOURCE_ACCOUNT, region=region, reads=reads)


def test_global_table_replica_in_another_region_is_a_flow_of_all_the_data():
    """A replica listed in Table.Replicas is the same table in that region: a flow of all the data."""
    snapshot = _snapshot(_table(TABLE, "eu-west-1", ["eu-west-1", "us-east-1"]), _table(TABLE_US, "us-east-1", []))

    flows = [(f.source, f.destination, f.carries) for f in evaluate(snapshot).flows]

    assert flows == [(TABLE, TABLE_US, Carries.ALL)]


def test_global_table_replica_in_an_unscanned_region_is_a_gap():
    """A replica in a region the snapshot lacks is a coverage gap on the table: its readers are unknown."""
    gaps = [
        g for g in evaluate(_snapshot(_table(TABLE, "eu-west-1", ["us-east-1"]))).gaps if g.error_code == OUT_OF_SCOPE
    ]

    assert [g.resource for g in gaps] == [TABLE]


def test_exposure_names_the_replication_rule_added_between_scans(tmp_path):
    """The organisation appears in the source's audience when a replication rule is added: the cause is that read."""
    before = _snapshot(_bucket(SOURCE, SOURCE_ACCOUNT), _bucket(REPLICA, ANALYTICS, policy=ORG_READ))
    after = _replicated(_rule())
    with HistoryStore.open(tmp_path / "history.sqlite3") as history:
        for day, shot in ((1, before), (2, after)):
            history.record(replace(shot, collected_at=f"2026-12-0{day}T09:00:00Z"), source=f"day {day}")
        timeline = exposure_timeline(history, SOURCE, rules=parse_rules(RULES, source="rules.yaml"))

    appeared = next(e for e in timeline.events if e.kind is EventKind.APPEARED)
    assert appeared.principal.id == f"aws-org:{ORG}"
    assert [(c.resource, c.read, c.on_path) for c in appeared.causes] == [(SOURCE, "replication", True)]


def test_replica_declared_for_a_role_of_an_account_the_source_declares_is_not_sb015():
    """A replica declared for one role of the source's declared account is not broader: no SB015."""
    text = f"""version: 1
datasets:
  - match: {{id: "{SOURCE}"}}
    read: ["arn:aws:iam::{SOURCE_ACCOUNT}:root"]
  - match: {{id: "{REPLICA}"}}
    read: ["arn:aws:iam::{SOURCE_ACCOUNT}:role/ml-training"]
"""
    result = audit(_replicated(_rule()), parse_rules(text, source="rules.yaml"), today=TODAY)

    assert [f for f in result.active if f.rule_id == "SB015"] == []
