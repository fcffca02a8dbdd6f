"""Where a bucket's data flows (issue 20): replication, inventory and logging read from a real moto server.

Shapes: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketReplication.html,
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBucketInventoryConfigurations.html,
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLogging.html.
"""

from __future__ import annotations

from botocore.stub import Stubber

from seenby.model import Carries, FlowKind, ReadOutcome
from seenby.policies import evaluate
from seenby.scanners.aws import scan_aws
from seenby.scanners.aws.s3 import list_inventory_configurations
from tests.scanners.helpers import ACCOUNT, scan_config

SOURCE = "flow-source"
REPLICA = "flow-replica"
LOGS = "flow-logs"


def _bucket(snapshot, name):
    return next(r for r in snapshot.of_type("aws.s3.bucket") if r.name == name)


def _versioned(s3, name):
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def _seed_replication(s3, **rule):
    _versioned(s3, SOURCE)
    _versioned(s3, REPLICA)
    s3.put_bucket_replication(
        Bucket=SOURCE,
        ReplicationConfiguration={
            "Role": f"arn:aws:iam::{ACCOUNT}:role/replication",
            "Rules": [
                {
                    "ID": "to-replica",
                    "Priority": 1,
                    "Status": "Enabled",
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "Destination": {"Bucket": f"arn:aws:s3:::{REPLICA}", "Account": ACCOUNT},
                    **rule,
                }
            ],
        },
    )


def test_replication_configuration_is_read_as_written(session, endpoint, client):
    """GetBucketReplication's configuration is recorded under ``replication``, ok, rules as S3 returned them."""
    _seed_replication(client("s3"), Filter={"Prefix": ""})

    bucket = _bucket(scan_aws(scan_config(session, endpoint)), SOURCE)

    rules = bucket.document("replication")["ReplicationConfiguration"]["Rules"]
    assert rules[0]["Destination"]["Bucket"] == f"arn:aws:s3:::{REPLICA}"
    assert bucket.read("replication").api == "s3:GetBucketReplication"


def test_bucket_without_replication_is_absent_with_the_provider_code(session, endpoint, client):
    """No replication configuration reads as absent (ReplicationConfigurationNotFoundError), never a gap."""
    client("s3").create_bucket(Bucket=REPLICA)

    read = _bucket(scan_aws(scan_config(session, endpoint)), REPLICA).read("replication")

    assert (read.outcome, read.error_code) == (ReadOutcome.ABSENT, "ReplicationConfigurationNotFoundError")


def test_replication_of_everything_is_a_flow_of_all_the_data(session, endpoint, client):
    """An enabled rule with an empty prefix filter is a flow of all the data to the replica."""
    _seed_replication(client("s3"), Filter={"Prefix": ""})

    flows = evaluate(scan_aws(scan_config(session, endpoint))).flows

    assert [(f.source, f.destination, f.kind, f.carries) for f in flows] == [
        (f"arn:aws:s3:::{SOURCE}", f"arn:aws:s3:::{REPLICA}", FlowKind.S3_REPLICATION, Carries.ALL)
    ]


def test_logging_into_another_bucket_is_a_metadata_flow(session, endpoint, client):
    """Server access logging into a target bucket is a flow of metadata only."""
    s3 = client("s3")
    s3.create_bucket(Bucket=SOURCE)
    s3.create_bucket(Bucket=LOGS)
    s3.put_bucket_acl(Bucket=LOGS, GrantWrite="uri=http://acs.amazonaws.com/groups/s3/LogDelivery",
                      GrantReadACP="uri=http://acs.amazonaws.com/groups/s3/LogDelivery")  # fmt: skip
    s3.put_bucket_logging(
        Bucket=SOURCE, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": LOGS, "TargetPrefix": "src/"}}
    )

    flows = evaluate(scan_aws(scan_config(session, endpoint))).flows

    assert [(f.destination, f.kind, f.carries) for f in flows] == [
        (f"arn:aws:s3:::{LOGS}", FlowKind.S3_ACCESS_LOGS, Carries.METADATA)
    ]


def test_inventory_configuration_is_a_metadata_flow(session, endpoint, client):
    """An enabled inventory configuration is a flow of metadata into its destination bucket."""
    s3 = client("s3")
    s3.create_bucket(Bucket=SOURCE)
    s3.create_bucket(Bucket=LOGS)
    s3.put_bucket_inventory_configuration(
        Bucket=SOURCE,
        Id="weekly",
        InventoryConfiguration={
            "Id": "weekly",
            "IsEnabled": True,
            "IncludedObjectVersions": "Current",
            "Schedule": {"Frequency": "Weekly"},
            "Destination": {"S3BucketDestination": {"Bucket": f"arn:aws:s3:::{LOGS}", "Format": "CSV"}},
        },
    )

    flows = evaluate(scan_aws(scan_config(session, endpoint))).flows

    assert [(f.destination, f.kind, f.carries) for f in flows] == [
        (f"arn:aws:s3:::{LOGS}", FlowKind.S3_INVENTORY, Carries.METADATA)
    ]


DDB_KEY = {
    "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
    "BillingMode": "PAY_PER_REQUEST",
}


def test_dynamodb_export_to_a_bucket_is_a_flow_of_all_the_data(session, endpoint, client):
    """A table exported to S3 (ListExports, DescribeExport) flows, whole, into the export bucket."""
    s3, ddb = client("s3"), client("dynamodb")
    s3.create_bucket(Bucket=LOGS)
    table = ddb.create_table(TableName="sessions", **DDB_KEY)["TableDescription"]["TableArn"]
    ddb.update_continuous_backups(
        TableName="sessions", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    ddb.export_table_to_point_in_time(TableArn=table, S3Bucket=LOGS, S3Prefix="exports/")

    flows = evaluate(scan_aws(scan_config(session, endpoint))).flows

    assert [(f.source, f.destination, f.kind, f.carries) for f in flows] == [
        (table, f"arn:aws:s3:::{LOGS}", FlowKind.DYNAMODB_EXPORT, Carries.ALL)
    ]


def _inventory(ident: str, destination: str) -> dict:
    """An InventoryConfiguration as ListBucketInventoryConfigurations returns it."""
    return {
        "Id": ident,
        "IsEnabled": True,
        "IncludedObjectVersions": "Current",
        "Schedule": {"Frequency": "Daily"},
        "Destination": {"S3BucketDestination": {"Bucket": f"arn:aws:s3:::{destination}", "Format": "CSV"}},
    }


def _stubbed_s3():
    import boto3

    return boto3.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1").client("s3")


def test_inventory_listing_follows_continuation_tokens():
    """ListBucketInventoryConfigurations pages (IsTruncated, NextContinuationToken): every page is read and merged.

    moto 5.2 answers one page (IsTruncated false), so the second page is a recorded response shaped per
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBucketInventoryConfigurations.html.
    """
    s3 = _stubbed_s3()
    with Stubber(s3) as stub:
        stub.add_response("list_bucket_inventory_configurations",
                          {"InventoryConfigurationList": [_inventory("first", LOGS)], "IsTruncated": True,
                           "NextContinuationToken": "page-2"}, {"Bucket": SOURCE})  # fmt: skip
        second = {"InventoryConfigurationList": [_inventory("second", REPLICA)], "IsTruncated": False,
                  "ContinuationToken": "page-2"}  # fmt: skip
        stub.add_response("list_bucket_inventory_configurations", second,
                          {"Bucket": SOURCE, "ContinuationToken": "page-2"})  # fmt: skip
        result = list_inventory_configurations(s3, SOURCE)

    assert result.outcome is ReadOutcome.OK
    assert [c["Id"] for c in result.document["InventoryConfigurationList"]] == ["first", "second"]
    assert set(result.document) == {"InventoryConfigurationList"}


def test_truncated_inventory_listing_without_a_token_is_an_error_not_a_partial_list():
    """A page that says it is truncated but names no next token: the rest is unknown, so the read is an error."""
    s3 = _stubbed_s3()
    with Stubber(s3) as stub:
        stub.add_response("list_bucket_inventory_configurations",
                          {"InventoryConfigurationList": [_inventory("first", LOGS)], "IsTruncated": True},
                          {"Bucket": SOURCE})  # fmt: skip
        result = list_inventory_configurations(s3, SOURCE)

    assert (result.outcome, result.error_code) == (ReadOutcome.ERROR, "TruncatedListing")


def test_inventory_read_on_moto_is_one_complete_page(session, endpoint, client):
    """On moto's server the scan's inventory read is ok and holds every configuration (one page there)."""
    s3 = client("s3")
    s3.create_bucket(Bucket=SOURCE)
    s3.create_bucket(Bucket=LOGS)
    for ident in ("daily", "weekly"):
        s3.put_bucket_inventory_configuration(Bucket=SOURCE, Id=ident, InventoryConfiguration=_inventory(ident, LOGS))

    read = _bucket(scan_aws(scan_config(session, endpoint)), SOURCE).read("inventory")

    assert read.outcome is ReadOutcome.OK
    assert sorted(c["Id"] for c in read.document["InventoryConfigurationList"]) == ["daily", "weekly"]
