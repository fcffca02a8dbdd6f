"""Glue Data Catalog and Lake Formation scanning against the moto server.

moto serves GetDatabases, GetTables, GetResourcePolicy, GetDataLakeSettings, ListPermissions and
ListResources; what moto does not do (answer EntityNotFoundException when there is no catalog
policy, page ListPermissions) is answered with recorded responses shaped per the Glue and Lake
Formation API references, at the botocore layer.
"""

from __future__ import annotations

import json

from botocore.awsrequest import AWSResponse

from seenby.audit import audit
from seenby.config import parse_rules
from seenby.model import ReadOutcome
from seenby.scanners.aws import scan_aws
from tests.scanners.helpers import ACCOUNT, REGION, policy, scan_config

CATALOG = f"arn:aws:glue:{REGION}:{ACCOUNT}:catalog"
LF = f"arn:aws:lakeformation:{REGION}:{ACCOUNT}:settings"
TABLE = f"arn:aws:glue:{REGION}:{ACCOUNT}:table/lake/events"
PARTNER = "444455556666"


def _catalog(snapshot):
    return next(r for r in snapshot.of_type("aws.glue.catalog") if r.id == CATALOG)


def _lake(snapshot):
    return next(r for r in snapshot.of_type("aws.lakeformation.settings") if r.id == LF)


def _seed_table(client, name="events", location="s3://lake-bucket/events/"):
    glue = client("glue")
    glue.create_database(DatabaseInput={"Name": "lake"})
    glue.create_table(DatabaseName="lake", TableInput={
        "Name": name, "StorageDescriptor": {"Location": location, "Columns": [{"Name": "user_id", "Type": "string"}]},
    })  # fmt: skip


def _answer(session, event, pages):
    """Answer ``event`` with the recorded ``pages`` in turn (a dict with ``Error`` is an error response)."""
    sent = []

    def answer(params, **_):
        sent.append(json.loads(params.get("body") or b"{}"))
        body = pages[min(len(sent) - 1, len(pages) - 1)]
        status = 400 if "Error" in body else 200
        return AWSResponse("", status, {}, None), {**body, "ResponseMetadata": {"HTTPStatusCode": status}}

    session.events.register(event, answer)
    return sent


def test_catalog_reads_databases_tables_and_policy(session, endpoint, client):
    """GetDatabases, GetTables (location kept) and GetResourcePolicy land on the region's catalog resource."""
    _seed_table(client)
    doc = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"}, "Action": "glue:GetTable",
                  "Resource": TABLE})  # fmt: skip
    client("glue").put_resource_policy(PolicyInJson=doc)

    catalog = _catalog(scan_aws(scan_config(session, endpoint)))

    assert [d["Name"] for d in catalog.document("databases")["DatabaseList"]] == ["lake"]
    (table,) = catalog.document("tables")["TableList"]
    assert (table["DatabaseName"], table["StorageDescriptor"]["Location"]) == ("lake", "s3://lake-bucket/events/")
    assert json.loads(catalog.document("resource_policy")["PolicyInJson"]) == json.loads(doc)


def test_missing_catalog_policy_is_absent(session, endpoint):
    """EntityNotFoundException from GetResourcePolicy means there is none: absent, not a gap."""
    _answer(session, "before-call.glue.GetResourcePolicy",
            [{"Error": {"Code": "EntityNotFoundException", "Message": "Policy not found"}}])  # fmt: skip

    read = _catalog(scan_aws(scan_config(session, endpoint))).read("resource_policy")

    assert (read.outcome, read.error_code) == (ReadOutcome.ABSENT, "EntityNotFoundException")


def test_denied_database_listing_makes_tables_a_gap_too(session, endpoint, client):
    """GetDatabases denied: databases and tables are recorded denied, never an empty catalog."""
    _seed_table(client)
    _answer(session, "before-call.glue.GetDatabases", [{"Error": {"Code": "AccessDeniedException", "Message": "no"}}])

    catalog = _catalog(scan_aws(scan_config(session, endpoint)))

    assert catalog.read("databases").outcome is ReadOutcome.DENIED
    assert (catalog.read("tables").outcome, catalog.read("tables").api) == (ReadOutcome.DENIED, "glue:GetTables")


def test_one_failed_database_fails_the_whole_tables_read(session, endpoint, client):
    """GetTables failing for one database makes the tables read that failure, not a partial list."""
    _seed_table(client)
    _answer(session, "before-call.glue.GetTables", [{"Error": {"Code": "InternalServiceException", "Message": "x"}}])

    read = _catalog(scan_aws(scan_config(session, endpoint))).read("tables")

    assert (read.outcome, read.error_code) == (ReadOutcome.ERROR, "InternalServiceException")


def test_lake_formation_settings_and_permissions_are_read(session, endpoint, client):
    """GetDataLakeSettings and ListPermissions land under settings and permissions, as Lake Formation answers."""
    lf = client("lakeformation")
    admin = f"arn:aws:iam::{ACCOUNT}:role/lake-admin"
    lf.put_data_lake_settings(DataLakeSettings={"DataLakeAdmins": [{"DataLakePrincipalIdentifier": admin}]})
    lf.grant_permissions(Principal={"DataLakePrincipalIdentifier": PARTNER}, Permissions=["SELECT"],
                         Resource={"Table": {"DatabaseName": "lake", "Name": "events"}})  # fmt: skip

    lake = _lake(scan_aws(scan_config(session, endpoint)))

    assert lake.document("settings")["DataLakeSettings"]["DataLakeAdmins"] == [{"DataLakePrincipalIdentifier": admin}]
    (entry,) = lake.document("permissions")["PrincipalResourcePermissions"]
    assert (entry["Principal"]["DataLakePrincipalIdentifier"], entry["Permissions"]) == (PARTNER, ["SELECT"])


def test_list_permissions_follows_next_token(session, endpoint):
    """ListPermissions has no botocore paginator: every NextToken is followed and the pages merged."""
    page = {"Principal": {"DataLakePrincipalIdentifier": PARTNER}, "Permissions": ["SELECT"],
            "Resource": {"Table": {"DatabaseName": "lake", "Name": "events"}}}  # fmt: skip
    sent = _answer(session, "before-call.lakeformation.ListPermissions", [
        {"PrincipalResourcePermissions": [page], "NextToken": "t2"},
        {"PrincipalResourcePermissions": [{**page, "Permissions": ["INSERT"]}]},
    ])  # fmt: skip

    doc = _lake(scan_aws(scan_config(session, endpoint))).document("permissions")

    assert [e["Permissions"] for e in doc["PrincipalResourcePermissions"]] == [["SELECT"], ["INSERT"]]
    assert "NextToken" not in doc and sent[1].get("NextToken") == "t2"


def test_failed_second_page_fails_the_permissions_read(session, endpoint):
    """A ListPermissions page that fails makes the whole read that failure: a partial list is never ok."""
    _answer(session, "before-call.lakeformation.ListPermissions", [
        {"PrincipalResourcePermissions": [], "NextToken": "t2"},
        {"Error": {"Code": "AccessDeniedException", "Message": "no"}},
    ])  # fmt: skip

    read = _lake(scan_aws(scan_config(session, endpoint))).read("permissions")

    assert (read.outcome, read.api) == (ReadOutcome.DENIED, "lakeformation:ListPermissions")


def test_scanned_lake_formation_grant_to_a_partner_is_a_cross_account_finding(session, endpoint, client):
    """End to end: a SELECT granted to another account on a catalog table whose location is registered with
    Lake Formation (so Lake Formation vends the credentials) is an SB004 finding on that table."""
    _seed_table(client)
    client("lakeformation").register_resource(ResourceArn="arn:aws:s3:::lake-bucket", UseServiceLinkedRole=True)
    client("lakeformation").grant_permissions(
        Principal={"DataLakePrincipalIdentifier": PARTNER}, Permissions=["SELECT"],
        Resource={"Table": {"DatabaseName": "lake", "Name": "events"}},
    )  # fmt: skip
    rules = parse_rules("version: 1\ndatasets:\n  - match: {id: '*'}\n    read: []\n    admin: []\n", source="<t>")

    result = audit(scan_aws(scan_config(session, endpoint)), rules)

    (finding,) = [f for f in result.findings if f.dataset.id == TABLE and f.rule_id == "SB004"]
    assert {e.principal.id for e in finding.excess} == {f"arn:aws:iam::{PARTNER}:root"}


def test_scanned_grant_on_an_unregistered_location_is_conditional_on_the_partners_own_s3_access(
    session, endpoint, client
):
    """End to end: the same SELECT on a table whose location is not registered reaches the data only with the
    partner's own S3 access: reported, conditional (SB010), naming the location
    (https://docs.aws.amazon.com/athena/latest/ug/security-athena-lake-formation.html)."""
    _seed_table(client)
    client("lakeformation").grant_permissions(
        Principal={"DataLakePrincipalIdentifier": PARTNER}, Permissions=["SELECT"],
        Resource={"Table": {"DatabaseName": "lake", "Name": "events"}},
    )  # fmt: skip
    rules = parse_rules("version: 1\ndatasets:\n  - match: {id: '*'}\n    read: []\n    admin: []\n", source="<t>")

    result = audit(scan_aws(scan_config(session, endpoint)), rules)

    (finding,) = [f for f in result.findings if f.dataset.id == TABLE and f.rule_id == "SB010"]
    (entry,) = [e for e in finding.excess if e.principal.id == f"arn:aws:iam::{PARTNER}:root"]
    assert entry.conditional and "s3://lake-bucket/events/" in entry.path[-2].conditions[0].reason
