"""AWS data stores other than S3, checked against AWS's documented statements, one case per statement.

DynamoDB tables (resource policies, indexes, streams, PartiQL, export), the Glue Data Catalog
resource policy, Lake Formation permissions, QuickSight dashboard sharing and IAM Identity Center
permission sets.  Every case names the page that states the behaviour; the verdict is the page's,
not seenby's.  Account 111122223333 owns everything; 444455556666 is another account.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from seenby.graph.audience import audience as graph_audience
from seenby.graph.build import build_graph
from seenby.model import AccessLevel, EdgeKind, EvidenceKind
from seenby.policies import evaluate as evaluate_all
from seenby.policies.aws.document import parse_policy
from seenby.policies.aws.dynamodb import is_public_statement
from seenby.policies.aws.identitycenter import sso_group_id

ACCT, OTHER, ORG, R = "111122223333", "444455556666", "o-a1b2c3d4e5", "eu-west-1"
ROOT, OTHER_ROOT = f"arn:aws:iam::{ACCT}:root", f"arn:aws:iam::{OTHER}:root"
AUTH, PUBLIC = "aws:authenticated", "aws:public"
SURE, COND = "sure", "conditional"
READ, WRITE, ADMIN, LIST = AccessLevel.READ, AccessLevel.WRITE, AccessLevel.ADMIN, AccessLevel.LIST

# -- pages -------------------------------------------------------------------------------------------------
DDB = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide"
DDB_RBP = f"{DDB}/access-control-resource-based.html"
DDB_EXAMPLES = f"{DDB}/rbac-examples.html"
DDB_CROSS = f"{DDB}/rbac-cross-account-access.html"
DDB_BPA = f"{DDB}/rbac-bpa-rbp.html"
DDB_PARTIQL = f"{DDB}/ql-iam.html"
DDB_EXPORT = f"{DDB}/S3DataExport_Requesting.html"
DDB_STREAMS = f"{DDB}/rbac-attach-resource-policy-streams.html"
DDB_PUT_POLICY = "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutResourcePolicy.html"
DDB_ACTIONS = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html"
LOGIC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"
GLUE_RP = "https://docs.aws.amazon.com/glue/latest/dg/glue-resource-policies.html"
GLUE_CROSS = "https://docs.aws.amazon.com/glue/latest/dg/cross-account-access.html"
GLUE_ARNS = "https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html"
LF = "https://docs.aws.amazon.com/lake-formation/latest/dg"
LF_PERMS = f"{LF}/lf-permissions-reference.html"
LF_SETTINGS = f"{LF}/change-settings.html"
LF_HYBRID = f"{LF}/hybrid-access-mode.html"
LF_UNDERLYING = f"{LF}/access-control-underlying-data.html"
LF_CROSS = f"{LF}/cross-account-prereqs.html"
LF_FILTERS = f"{LF}/data-filtering.html"
LF_TBAC = f"{LF}/tag-based-access-control.html"
LF_ADMINS = f"{LF}/getting-started-setup.html#create-data-lake-admin"
LF_ALLIAM = "https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_DataLakePrincipal.html"
ATHENA_LF = "https://docs.aws.amazon.com/athena/latest/ug/security-athena-lake-formation.html"
QS_PERMS = "https://docs.aws.amazon.com/quicksight/latest/APIReference/API_UpdateDashboardPermissions.html"
QS_EVERYONE = "https://docs.aws.amazon.com/quicksight/latest/user/share-a-dashboard-grant-access-everyone-api.html"
QS_ANYONE = "https://docs.aws.amazon.com/quicksight/latest/user/share-a-dashboard-grant-access-anyone-api.html"
QS_SOURCES = "https://docs.aws.amazon.com/quicksight/latest/APIReference/API_DataSourceParameters.html"
SSO_CONCEPT = "https://docs.aws.amazon.com/singlesignon/latest/userguide/permissionsetsconcept.html"
SSO_NAMING = "https://docs.aws.amazon.com/singlesignon/latest/userguide/referencingpermissionsets.html"


def state(ev, dataset: str, level: AccessLevel = READ) -> dict[str, str]:
    """principal id -> sure/conditional for one dataset and level (sure wins)."""
    out: dict[str, str] = {}
    for g in ev.grants:
        if g.dataset == dataset and g.level is level and out.get(g.principal.id) != SURE:
            out[g.principal.id] = COND if g.conditional else SURE
    return out


# == DynamoDB ==============================================================================================
TABLE = f"arn:aws:dynamodb:{R}:{ACCT}:table/Music"
INDEX = f"{TABLE}/index/by-artist"
STREAM = f"{TABLE}/stream/2024-02-12T18:57:26.492"
JANE = f"arn:aws:iam::{ACCT}:user/Jane"
ALICE_ARN = f"arn:aws:iam::{ACCT}:user/alice"


def ddb_table(aws, policy: Any = "absent", *, projection: str = "ALL", description: Any = None) -> dict[str, Any]:
    if isinstance(policy, dict):
        policy = {"Policy": json.dumps(policy), "RevisionId": "1"}
    if description is None:
        description = {"Table": {
            "TableName": "Music", "TableArn": TABLE,
            "GlobalSecondaryIndexes": [{"IndexName": "by-artist", "IndexArn": INDEX,
                                        "Projection": {"ProjectionType": projection}}],
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            "LatestStreamArn": STREAM,
        }}  # fmt: skip
    return {
        "type": "aws.dynamodb.table", "id": TABLE, "name": "Music", "account": ACCT, "region": R,
        "reads": {
            "description": aws.read("dynamodb:DescribeTable", description),
            "resource_policy": aws.read("dynamodb:GetResourcePolicy", policy),
            "tags": aws.read("dynamodb:ListTagsOfResource", {"Tags": []}),
        },
    }  # fmt: skip


def rp(principal: Any, action: Any, resource: Any = TABLE, effect: str = "Allow", **cond: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": effect, "Principal": principal, "Action": action, "Resource": resource}
    if cond:
        s["Condition"] = cond
    return s


def idp(action: Any, resource: Any = TABLE, effect: str = "Allow") -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": resource}


# (id, url, table policy statements, identity statements of user alice, level, expected)
DDB_CASES: list[Any] = [
    ("ddb-example-named-users-getitem-batchgetitem", DDB_EXAMPLES,
     [rp({"AWS": [JANE]}, ["dynamodb:GetItem", "dynamodb:BatchGetItem"])], [], READ, {JANE: SURE}),
    ("ddb-cross-account-root-reads", DDB_CROSS, [rp({"AWS": OTHER_ROOT}, "dynamodb:GetItem")], [], READ,
     {OTHER_ROOT: SURE}),
    ("ddb-star-is-any-authenticated-principal", DDB_BPA, [rp("*", "dynamodb:Query")], [], READ, {AUTH: SURE}),
    ("ddb-partiql-select-reads", DDB_PARTIQL, [rp({"AWS": OTHER_ROOT}, "dynamodb:PartiQLSelect")], [], READ,
     {OTHER_ROOT: SURE}),
    ("ddb-partiql-insert-writes", DDB_PARTIQL, [rp({"AWS": OTHER_ROOT}, "dynamodb:PartiQLInsert")], [], WRITE,
     {OTHER_ROOT: SURE}),
    ("ddb-partiql-update-writes", DDB_PARTIQL, [rp({"AWS": OTHER_ROOT}, "dynamodb:PartiQLUpdate")], [], WRITE,
     {OTHER_ROOT: SURE}),
    ("ddb-partiql-select-identity-same-account", DDB_PARTIQL, [], [idp("dynamodb:PartiQLSelect")], READ,
     {ALICE_ARN: SURE}),
    ("ddb-export-to-s3-reads-the-table", DDB_EXPORT, [], [idp("dynamodb:ExportTableToPointInTime")], READ,
     {ALICE_ARN: SURE}),
    ("ddb-identity-query-on-index-reads", DDB_PARTIQL, [], [idp("dynamodb:Query", f"{TABLE}/index/*")], READ,
     {ALICE_ARN: SURE}),
    ("ddb-table-policy-controls-index-access", DDB_PUT_POLICY,
     [rp({"AWS": OTHER_ROOT}, "dynamodb:Query", INDEX)], [], READ, {OTHER_ROOT: SURE}),
    ("ddb-getitem-on-index-arn-reads-nothing", DDB_ACTIONS, [], [idp("dynamodb:GetItem", f"{TABLE}/index/*")],
     READ, {}),
    ("ddb-identity-getrecords-on-stream-reads-changes", DDB_STREAMS, [],
     [idp(["dynamodb:GetRecords", "dynamodb:GetShardIterator"], f"{TABLE}/stream/*")], READ, {ALICE_ARN: SURE}),
    ("ddb-table-policy-statement-on-stream-arn-does-not-apply", DDB_EXAMPLES,
     [rp({"AWS": OTHER_ROOT}, "dynamodb:GetRecords", STREAM)], [], READ, {}),
    ("ddb-describe-stream-is-not-read", DDB_STREAMS, [], [idp("dynamodb:DescribeStream", f"{TABLE}/stream/*")],
     READ, {}),
    ("ddb-explicit-deny-in-table-policy-wins", LOGIC,
     [rp({"AWS": ALICE_ARN}, "dynamodb:*", [TABLE, f"{TABLE}/*"], effect="Deny")], [idp("dynamodb:*")], READ, {}),
    ("ddb-deny-on-index-leaves-the-table", LOGIC,
     [rp({"AWS": ALICE_ARN}, "dynamodb:Query", INDEX, effect="Deny")], [idp("dynamodb:GetItem")], READ,
     {ALICE_ARN: SURE}),
    ("ddb-put-resource-policy-administers", DDB_RBP, [rp({"AWS": OTHER_ROOT}, "dynamodb:PutResourcePolicy")], [],
     ADMIN, {OTHER_ROOT: SURE}),
    ("ddb-source-ip-condition-narrows-to-network", DDB_BPA,
     [rp("*", "dynamodb:GetItem", IpAddress={"aws:SourceIp": "192.0.2.0/24"})], [], READ,
     {"aws-network:192.0.2.0/24": SURE}),
]


@pytest.mark.parametrize("name,url,table_statements,identity,level,expected", DDB_CASES,
                         ids=[c[0] for c in DDB_CASES])  # fmt: skip
def test_dynamodb_documented_audience(aws, name, url, table_statements, identity, level, expected):
    """The table's audience at one level for a table policy and alice's identity policy, as the page states."""
    policy = aws.policy(*table_statements) if table_statements else "absent"
    users = [aws.user("alice", inline=(aws.policy(*identity),))] if identity else []
    ev = aws.evaluate(*aws.base(ddb_table(aws, policy), users=users))
    assert state(ev, TABLE, level) == expected, url


def test_dynamodb_index_with_partial_projection_reads_conditionally(aws):
    """Query on a KEYS_ONLY index reads only the projected attributes: READ kept, conditional (DDB_PARTIQL)."""
    user = aws.user("alice", inline=(aws.policy(idp("dynamodb:Query", INDEX)),))
    ev = aws.evaluate(*aws.base(ddb_table(aws, projection="KEYS_ONLY"), users=[user]))
    assert state(ev, TABLE) == {ALICE_ARN: COND}, DDB_PARTIQL


DDB_PUBLIC_CASES: list[tuple[str, dict, bool]] = [
    ("ddb-bpa-two-accounts-non-public", rp({"AWS": ["123456789012", ACCT]}, "dynamodb:*", "*"), False),
    ("ddb-bpa-principal-arn-pins-star", rp("*", "dynamodb:GetItem",
                                           StringEquals={"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:user/John"}),
     False),
    ("ddb-bpa-source-org-id-pins", rp("*", "dynamodb:GetItem", StringEquals={"aws:SourceOrgID": ORG}), False),
    ("ddb-bpa-ec2-instance-source-vpc-pins", rp("*", "dynamodb:GetItem",
                                                StringEquals={"aws:Ec2InstanceSourceVpc": "vpc-1a2b3c4d"}), False),
    ("ddb-bpa-principal-service-name-pins", rp("*", "dynamodb:GetItem",
                                               StringEquals={"aws:PrincipalServiceName": "glue.amazonaws.com"}),
     False),
    ("ddb-bpa-wildcard-arn-value-is-public", rp("*", "dynamodb:GetItem",
                                                ArnLike={"aws:SourceArn": "arn:aws:lambda:*:*:function:*"}), True),
    ("ddb-bpa-variable-value-is-public", rp("*", "dynamodb:GetItem",
                                            StringEquals={"aws:PrincipalArn": "${aws:PrincipalArn}"}), True),
    ("ddb-bpa-untrusted-key-is-public", rp("*", "dynamodb:GetItem",
                                           StringEquals={"dynamodb:LeadingKeys": "user-1"}), True),
]


@pytest.mark.parametrize("name,statement,public", DDB_PUBLIC_CASES, ids=[c[0] for c in DDB_PUBLIC_CASES])
def test_dynamodb_block_public_access_definition(aws, name, statement, public):
    """DynamoDB's "public": a "*" no fixed value of a trusted key pins (DDB_BPA)."""
    doc = parse_policy(aws.policy(statement), source=TABLE, kind=EvidenceKind.RESOURCE_POLICY, require_principal=True)
    assert is_public_statement(doc.statements[0]) is public, DDB_BPA


def test_dynamodb_unreadable_policy_is_a_gap_and_keeps_identity_readers(aws):
    """GetResourcePolicy denied: a coverage gap on the table; same-account identity readers are not dropped."""
    user = aws.user("alice", inline=(aws.policy(idp("dynamodb:GetItem")),))
    ev = evaluate_all(aws.snapshot(*aws.base(ddb_table(aws, "denied"), users=[user])))
    assert ALICE_ARN in state(ev, TABLE), DDB_RBP
    assert [(g.read, g.datasets) for g in ev.gaps if g.resource == TABLE] == [("resource_policy", (TABLE,))]


# == Glue Data Catalog =====================================================================================
CATALOG = f"arn:aws:glue:{R}:{ACCT}:catalog"
GLUE_TABLE = f"arn:aws:glue:{R}:{ACCT}:table/lake/events"
ANALYST = f"arn:aws:iam::{ACCT}:role/analyst"
LF_ID = f"arn:aws:lakeformation:{R}:{ACCT}:settings"
LAKE_BUCKET = "arn:aws:s3:::lake-bucket"


def catalog(aws, policy: Any = "absent", location: str = "s3://lake-bucket/events/") -> dict[str, Any]:
    if isinstance(policy, dict):
        policy = {"PolicyInJson": json.dumps(policy), "PolicyHash": "h"}
    table = {"Name": "events", "DatabaseName": "lake", "StorageDescriptor": {"Location": location, "Columns": []}}
    return {
        "type": "aws.glue.catalog", "id": CATALOG, "account": ACCT, "region": R,
        "reads": {
            "resource_policy": aws.read("glue:GetResourcePolicy", policy),
            "databases": aws.read("glue:GetDatabases", {"DatabaseList": [{"Name": "lake"}]}),
            "tables": aws.read("glue:GetTables", {"TableList": [table]}),
        },
    }  # fmt: skip


def analyst(aws, *actions: str, resource: Any = GLUE_TABLE) -> dict:
    return aws.role("analyst", inline=(aws.policy({"Effect": "Allow", "Action": list(actions), "Resource": resource}),))


GLUE_CATALOG_ARNS = [CATALOG, f"arn:aws:glue:{R}:{ACCT}:database/lake", GLUE_TABLE]
GLUE_CASES: list[Any] = [
    ("glue-cross-account-catalog-policy-lists", GLUE_CROSS,
     [rp({"AWS": OTHER_ROOT}, "glue:GetTable", GLUE_CATALOG_ARNS)], [], LIST, {OTHER_ROOT: SURE}),
    ("glue-catalog-policy-star-is-authenticated", GLUE_RP, [rp("*", "glue:GetTable", GLUE_CATALOG_ARNS)], [],
     LIST, {AUTH: SURE}),
    ("glue-same-account-identity-get-table-lists", GLUE_ARNS, [], ["glue:GetTable"], LIST, {ANALYST: SURE}),
    ("glue-get-tables-lists", GLUE_ARNS, [], ["glue:GetTables"], LIST, {ANALYST: SURE}),
    ("glue-get-table-does-not-read-the-data", ATHENA_LF, [], ["glue:GetTable"], READ, {}),
    ("glue-catalog-policy-deny-wins-over-identity", LOGIC,
     [rp({"AWS": ANALYST}, "glue:*", GLUE_CATALOG_ARNS, effect="Deny")], ["glue:GetTable"], LIST, {}),
    ("glue-put-resource-policy-administers", GLUE_RP, [], ["glue:PutResourcePolicy"], ADMIN, {ANALYST: SURE}),
]


@pytest.mark.parametrize("name,url,catalog_statements,actions,level,expected", GLUE_CASES,
                         ids=[c[0] for c in GLUE_CASES])  # fmt: skip
def test_glue_documented_audience(aws, name, url, catalog_statements, actions, level, expected):
    """A Glue table's audience under "Use only IAM access control" for a catalog policy and an identity policy."""
    policy = aws.policy(*catalog_statements) if catalog_statements else "absent"
    roles = [analyst(aws, *actions)] if actions else []
    ev = aws.evaluate(*aws.base(catalog(aws, policy), roles=roles))
    assert state(ev, GLUE_TABLE, level) == expected, url


def test_glue_unreadable_catalog_policy_is_a_gap_and_keeps_identity_listers(aws):
    """GetResourcePolicy denied: a coverage gap on the catalog; same-account glue:GetTable holders stay (GLUE_RP)."""
    ev = evaluate_all(aws.snapshot(*aws.base(catalog(aws, "denied"), roles=[analyst(aws, "glue:GetTable")])))
    assert state(ev, GLUE_TABLE, LIST) == {ANALYST: SURE}, GLUE_RP
    assert any(g.resource == CATALOG and g.read == "resource_policy" for g in ev.gaps)


# == Lake Formation ========================================================================================
def lf_entry(principal: str, resource: dict, perms: list[str], grantable: list[str] | None = None) -> dict:
    return {"Principal": {"DataLakePrincipalIdentifier": principal}, "Resource": resource, "Permissions": perms,
            "PermissionsWithGrantOption": grantable or []}  # fmt: skip


ON_TABLE = {"Table": {"CatalogId": ACCT, "DatabaseName": "lake", "Name": "events"}}
ON_ALL_TABLES = {"Table": {"CatalogId": ACCT, "DatabaseName": "lake", "TableWildcard": {}}}
ON_DATABASE = {"Database": {"CatalogId": ACCT, "Name": "lake"}}
IAM_ALL = lf_entry("IAM_ALLOWED_PRINCIPALS", ON_TABLE, ["ALL"])


def lake(aws, *entries: dict, admins: tuple[str, ...] = (), readonly: tuple[str, ...] = (), permissions: Any = None,
         registered: Any = ((LAKE_BUCKET, False),)) -> dict:  # fmt: skip
    settings = {"DataLakeSettings": {
        "DataLakeAdmins": [{"DataLakePrincipalIdentifier": a} for a in admins],
        "ReadOnlyAdmins": [{"DataLakePrincipalIdentifier": a} for a in readonly],
        "CreateDatabaseDefaultPermissions": [], "CreateTableDefaultPermissions": []}}  # fmt: skip
    resources = registered if isinstance(registered, str) else {"ResourceInfoList": [
        {"ResourceArn": arn, "RoleArn": "r", "HybridAccessEnabled": hybrid} for arn, hybrid in registered]}
    return {
        "type": "aws.lakeformation.settings", "id": LF_ID, "account": ACCT, "region": R,
        "reads": {
            "settings": aws.read("lakeformation:GetDataLakeSettings", settings),
            "permissions": aws.read("lakeformation:ListPermissions", permissions if permissions is not None
                                    else {"PrincipalResourcePermissions": list(entries)}),
            "resources": aws.read("lakeformation:ListResources", resources),
        },
    }  # fmt: skip


OU = f"arn:aws:organizations::{ACCT}:ou/{ORG}/ou-ab12-cdef3456"
EXT_ROLE = f"arn:aws:iam::{OTHER}:role/consumer"
COLUMNS = {"TableWithColumns": {"CatalogId": ACCT, "DatabaseName": "lake", "Name": "events",
                                "ColumnWildcard": {"ExcludedColumnNames": ["ssn"]}}}  # fmt: skip
FILTER = {"DataCellsFilter": {"TableCatalogId": ACCT, "DatabaseName": "lake", "TableName": "events", "Name": "eu"}}
TAGS = {"LFTagPolicy": {"CatalogId": ACCT, "ResourceType": "TABLE",
                        "Expression": [{"TagKey": "domain", "TagValues": ["telemetry"]}]}}  # fmt: skip
LOCATION = {"DataLocation": {"CatalogId": ACCT, "ResourceArn": LAKE_BUCKET}}

# (id, url, entries, lake kwargs, role actions, level, expected)
LF_CASES: list[Any] = [
    ("lf-select-reads", LF_PERMS, [lf_entry(OTHER, ON_TABLE, ["SELECT"])], {}, (), READ, {OTHER_ROOT: SURE}),
    ("lf-describe-lists-not-reads", LF_PERMS, [lf_entry(OTHER, ON_TABLE, ["DESCRIBE"])], {}, (), READ, {}),
    ("lf-insert-writes", LF_PERMS, [lf_entry(OTHER, ON_TABLE, ["INSERT"])], {}, (), WRITE, {OTHER_ROOT: SURE}),
    ("lf-super-reads", LF_PERMS, [lf_entry(OTHER, ON_TABLE, ["ALL"])], {}, (), READ, {OTHER_ROOT: SURE}),
    ("lf-all-tables-wildcard-reaches-table", LF_PERMS, [lf_entry(OTHER, ON_ALL_TABLES, ["SELECT"])], {}, (), READ,
     {OTHER_ROOT: SURE}),
    ("lf-database-describe-reads-no-table", LF_PERMS, [lf_entry(OTHER, ON_DATABASE, ["DESCRIBE"])], {}, (), READ, {}),
    ("lf-cross-account-grant-to-external-role", LF_CROSS, [lf_entry(EXT_ROLE, ON_TABLE, ["SELECT"])], {}, (), READ,
     {EXT_ROLE: SURE}),
    ("lf-grant-to-organization", LF_CROSS,
     [lf_entry(f"arn:aws:organizations::{ACCT}:organization/{ORG}", ON_TABLE, ["SELECT"])], {}, (), READ,
     {f"aws-org:{ORG}": SURE}),
    ("lf-grant-to-ou", LF_CROSS, [lf_entry(OU, ON_TABLE, ["SELECT"])], {}, (), READ, {OU: SURE}),
    ("lf-all-iam-principals-of-the-account", LF_ALLIAM, [lf_entry(f"{ACCT}:IAMPrincipals", ON_TABLE, ["SELECT"])],
     {}, (), READ, {ROOT: SURE}),
    ("lf-excluded-columns-read-conditionally", LF_PERMS, [lf_entry(OTHER, COLUMNS, ["SELECT"])], {}, (), READ,
     {OTHER_ROOT: COND}),
    ("lf-data-cells-filter-reads-conditionally", LF_FILTERS, [lf_entry(OTHER, FILTER, ["SELECT"])], {}, (), READ,
     {OTHER_ROOT: COND}),
    ("lf-tag-expression-reads-conditionally", LF_TBAC, [lf_entry(OTHER, TAGS, ["SELECT"])], {}, (), READ,
     {OTHER_ROOT: COND}),
    ("lf-data-location-access-reads-nothing", LF_UNDERLYING, [lf_entry(OTHER, LOCATION, ["DATA_LOCATION_ACCESS"])],
     {}, (), READ, {}),
    ("lf-grant-option-administers", LF_PERMS, [lf_entry(OTHER, ON_TABLE, ["SELECT"], ["SELECT"])], {}, (), ADMIN,
     {OTHER_ROOT: SURE}),
    ("lf-data-lake-admin-administers", LF_ADMINS, [], {"admins": (ANALYST,)}, ("glue:GetTable",), ADMIN,
     {ANALYST: SURE}),
    ("lf-read-only-admin-lists", LF_ADMINS, [], {"readonly": (ANALYST,)}, (), LIST, {ANALYST: SURE}),
    ("lf-iam-allowed-principals-super-keeps-iam-deciding", LF_SETTINGS, [IAM_ALL], {}, ("glue:GetTable",), LIST,
     {ANALYST: SURE}),
    ("lf-without-iam-allowed-principals-iam-get-table-lists-nothing", LF_SETTINGS,
     [lf_entry(OTHER, ON_TABLE, ["SELECT"])], {}, ("glue:GetTable",), LIST, {}),
    ("lf-empty-listing-keeps-iam-path", LF_SETTINGS, [], {}, ("glue:GetTable",), LIST, {ANALYST: SURE}),
    ("lf-iam-allowed-principals-on-database-only-governs-new-tables", LF_SETTINGS,
     [lf_entry("IAM_ALLOWED_PRINCIPALS", ON_DATABASE, ["ALL"])], {}, ("glue:GetTable",), LIST, {}),
    ("lf-hybrid-location-keeps-iam-path", LF_HYBRID, [], {"registered": ((LAKE_BUCKET, True),)},
     ("glue:GetTable",), LIST, {ANALYST: SURE}),
    ("lf-hybrid-elsewhere-does-not-open-iam", LF_HYBRID, [lf_entry(OTHER, ON_TABLE, ["SELECT"])],
     {"registered": (("arn:aws:s3:::other-bucket", True),)}, ("glue:GetTable",), LIST, {}),
    ("lf-select-on-unregistered-location-needs-s3-too", ATHENA_LF, [lf_entry(OTHER, ON_TABLE, ["SELECT"])],
     {"registered": ()}, (), READ, {OTHER_ROOT: COND}),
    ("lf-select-with-registrations-unknown-stays", ATHENA_LF, [lf_entry(OTHER, ON_TABLE, ["SELECT"])],
     {"registered": "denied"}, (), READ, {OTHER_ROOT: SURE}),
]


@pytest.mark.parametrize("name,url,entries,lake_kw,actions,level,expected", LF_CASES, ids=[c[0] for c in LF_CASES])
def test_lake_formation_documented_audience(aws, name, url, entries, lake_kw, actions, level, expected):
    """A Glue table's audience at one level under the Lake Formation permissions given, as the page states."""
    roles = [analyst(aws, *actions)] if actions else [aws.role("analyst")]
    ev = aws.evaluate(*aws.base(catalog(aws), lake(aws, *entries, **lake_kw), roles=roles))
    assert state(ev, GLUE_TABLE, level) == expected, url


def test_lake_formation_unreadable_permissions_keep_iam_open_and_report_the_gap(aws):
    """ListPermissions denied: the IAM path stays open and the gap names the table, never "no access" (LF_SETTINGS)."""
    snap = aws.snapshot(*aws.base(catalog(aws), lake(aws, permissions="denied"),
                                  roles=[analyst(aws, "glue:GetTable")]))  # fmt: skip
    ev = evaluate_all(snap)
    assert state(ev, GLUE_TABLE, LIST) == {ANALYST: SURE}, LF_SETTINGS
    assert any(g.resource == LF_ID and GLUE_TABLE in g.datasets for g in ev.gaps)


def test_bucket_readers_still_read_a_lake_formation_table(aws):
    """Lake Formation does not stop direct S3 reads: the location's readers reach the table (LF_UNDERLYING)."""
    bucket_policy = aws.policy(aws.stmt(principal={"AWS": OTHER_ROOT}, resource=f"{LAKE_BUCKET}/*"))
    ev = evaluate_all(aws.snapshot(*aws.base(catalog(aws), lake(aws), aws.bucket("lake-bucket", policy=bucket_policy))))
    reach = {r.principal.id for r in graph_audience(build_graph(ev), GLUE_TABLE, READ)}
    assert OTHER_ROOT in reach, LF_UNDERLYING


# == QuickSight ============================================================================================
QS = f"arn:aws:quicksight:{R}:{ACCT}"
DASH = f"{QS}:dashboard/productivity"
NS = f"{QS}:namespace/default"
ANON = "arn:aws:quicksight:::publicAnonymousUser/*"
QS_ALICE, QS_BOB = f"{QS}:user/default/alice", f"{QS}:user/default/bob"
VIEW = ["quicksight:DescribeDashboard", "quicksight:ListDashboardVersions", "quicksight:QueryDashboard"]
OWNER = [*VIEW, "quicksight:UpdateDashboard", "quicksight:DeleteDashboard", "quicksight:UpdateDashboardPermissions",
         "quicksight:DescribeDashboardPermissions", "quicksight:UpdateDashboardPublishedVersion"]  # fmt: skip


def qs_account(aws, public_sharing: Any = False) -> dict:
    settings = public_sharing if isinstance(public_sharing, str) else {
        "AccountSettings": {"AccountName": "corp", "Edition": "ENTERPRISE", "PublicSharingEnabled": public_sharing}}
    return {
        "type": "aws.quicksight.account", "id": f"{QS}:account/{ACCT}", "account": ACCT, "region": R,
        "reads": {
            "users": aws.read("quicksight:ListUsers", {"UserList": [
                {"Arn": QS_ALICE, "UserName": "alice", "Role": "READER"},
                {"Arn": QS_BOB, "UserName": "bob", "Role": "AUTHOR"}]}),
            "groups": aws.read("quicksight:ListGroups", {"GroupList": []}),
            "memberships": aws.read("quicksight:ListGroupMemberships", {"Groups": []}),
            "account_settings": aws.read("quicksight:DescribeAccountSettings", settings),
        },
    }  # fmt: skip


def dashboard(aws, *, permissions=(), link=(), permissions_read: Any = None) -> dict:
    perms: dict[str, Any] = {"DashboardId": "productivity", "DashboardArn": DASH,
                             "Permissions": [{"Principal": p, "Actions": a} for p, a in permissions]}
    if link:
        perms["LinkSharingConfiguration"] = {"Permissions": [{"Principal": p, "Actions": VIEW} for p in link]}
    source = {"Arn": f"{QS}:datasource/raw", "Type": "S3", "DataSourceParameters": {"S3Parameters": {
        "ManifestFileLocation": {"Bucket": "telemetry-raw", "Key": "manifest.json"}}}}
    return {
        "type": "aws.quicksight.dashboard", "id": DASH, "name": "Productivity", "account": ACCT, "region": R,
        "reads": {
            "dashboard": aws.read("quicksight:DescribeDashboard", {"Dashboard": {"Arn": DASH, "Name": "Productivity"}}),
            "permissions": aws.read("quicksight:DescribeDashboardPermissions",
                                    permissions_read if permissions_read is not None else perms),
            "data_sets": aws.read("quicksight:DescribeDataSet", {"DataSets": [{
                "Arn": f"{QS}:dataset/a", "PhysicalTableMap": {"t1": {"S3Source": {
                    "DataSourceArn": source["Arn"], "InputColumns": []}}}}]}),
            "data_sources": aws.read("quicksight:DescribeDataSource", {"DataSources": [source]}),
        },
    }  # fmt: skip


# (id, url, account public sharing (None: no account resource), dashboard kwargs, level, expected)
QS_CASES: list[Any] = [
    ("qs-viewer-actions-read", QS_PERMS, False, {"permissions": [(QS_ALICE, VIEW)]}, READ, {QS_ALICE: SURE}),
    ("qs-viewer-is-not-owner", QS_PERMS, False, {"permissions": [(QS_ALICE, VIEW)]}, ADMIN, {}),
    ("qs-owner-administers", QS_PERMS, False, {"permissions": [(QS_BOB, OWNER)]}, ADMIN, {QS_BOB: SURE}),
    ("qs-describe-permissions-only-is-not-read", QS_PERMS, False,
     {"permissions": [(QS_ALICE, ["quicksight:DescribeDashboardPermissions"])]}, READ, {}),
    ("qs-everyone-in-account-link-is-the-namespace", QS_EVERYONE, False, {"link": [NS]}, READ, {NS: SURE}),
    ("qs-namespace-in-permissions-is-the-namespace", QS_PERMS, False, {"permissions": [(NS, VIEW)]}, READ,
     {NS: SURE}),
    ("qs-anonymous-with-public-sharing-is-public", QS_ANYONE, True, {"link": [ANON]}, READ, {PUBLIC: SURE}),
    ("qs-anonymous-without-public-sharing-is-nobody", QS_ANYONE, False, {"link": [ANON]}, READ, {}),
    ("qs-anonymous-with-settings-denied-is-conditional", QS_ANYONE, "denied", {"link": [ANON]}, READ,
     {PUBLIC: COND}),
    ("qs-anonymous-with-settings-error-is-conditional", QS_ANYONE, "error", {"link": [ANON]}, READ,
     {PUBLIC: COND}),
    ("qs-anonymous-without-account-in-snapshot-is-conditional", QS_ANYONE, None, {"link": [ANON]}, READ,
     {PUBLIC: COND}),
]


@pytest.mark.parametrize("name,url,public_sharing,dash_kw,level,expected", QS_CASES, ids=[c[0] for c in QS_CASES])
def test_quicksight_documented_audience(aws, name, url, public_sharing, dash_kw, level, expected):
    """A dashboard's grants at one level for its permissions and link sharing, as the page states."""
    account = [qs_account(aws, public_sharing)] if public_sharing is not None else []
    ev = aws.evaluate(*account, dashboard(aws, **dash_kw))
    assert state(ev, DASH, level) == expected, url


def test_quicksight_everyone_in_account_reaches_every_user(aws):
    """Sharing with the default namespace reaches each QuickSight user of the account (QS_EVERYONE)."""
    ev = evaluate_all(aws.snapshot(qs_account(aws), dashboard(aws, link=[NS])))
    reach = {r.principal.id for r in graph_audience(build_graph(ev), DASH, READ)}
    assert {QS_ALICE, QS_BOB} <= reach, QS_EVERYONE


def test_quicksight_unreadable_permissions_are_a_gap(aws):
    """DescribeDashboardPermissions denied: a coverage gap on the dashboard, not "nobody" (QS_PERMS)."""
    ev = evaluate_all(aws.snapshot(qs_account(aws), dashboard(aws, permissions_read="denied")))
    assert [(g.resource, g.read) for g in ev.gaps if g.resource == DASH] == [(DASH, "permissions")], QS_PERMS


def test_quicksight_viewers_reach_the_s3_source(aws):
    """The dashboard queries its S3 source with the data source's credentials: viewers reach the bucket (QS_SOURCES)."""
    snap = aws.snapshot(*aws.base(aws.bucket("telemetry-raw")), qs_account(aws),
                        dashboard(aws, permissions=[(QS_ALICE, VIEW)]))  # fmt: skip
    graph = build_graph(evaluate_all(snap))
    reach = {r.principal.id for r in graph_audience(graph, "arn:aws:s3:::telemetry-raw", READ)}
    assert QS_ALICE in reach, QS_SOURCES


# == IAM Identity Center ===================================================================================
STORE = "d-9067c1a2b3"
INSTANCE = "arn:aws:sso:::instance/ssoins-7223a1b2c3d4e5f6"


def sso(aws, permission_sets: dict[str, str], assignments: list[tuple[str, str]]) -> dict:
    """permission set arn -> name; assignments (permission set arn, group id)."""
    return {
        "type": "aws.sso.instance", "id": INSTANCE, "name": STORE, "region": R,
        "reads": {
            "instance": aws.read("sso-admin:ListInstances", {"InstanceArn": INSTANCE, "IdentityStoreId": STORE}),
            "permission_sets": aws.read("sso-admin:ListPermissionSets", {"PermissionSets": [
                {"PermissionSet": {"Name": n, "PermissionSetArn": a}} for a, n in permission_sets.items()]}),
            "account_assignments": aws.read("sso-admin:ListAccountAssignments", {"AccountAssignments": [
                {"AccountId": ACCT, "PermissionSetArn": ps, "PrincipalType": "GROUP", "PrincipalId": g}
                for ps, g in assignments]}),
            "users": aws.read("identitystore:ListUsers", {"Users": []}),
            "groups": aws.read("identitystore:ListGroups", {"Groups": [
                {"GroupId": "g-1", "DisplayName": "Engineering"}, {"GroupId": "g-2", "DisplayName": "Finance"}]}),
            "memberships": aws.read("identitystore:ListGroupMemberships", {"GroupMemberships": []}),
        },
    }  # fmt: skip


def sso_role(aws, name: str) -> dict:
    r = aws.role(name)
    r["Path"] = "/aws-reserved/sso.amazonaws.com/"
    r["Arn"] = f"arn:aws:iam::{ACCT}:role/aws-reserved/sso.amazonaws.com/{name}"
    return r


def test_identity_center_names_with_underscores_do_not_collide(aws):
    """Permission set "Data" provisions AWSReservedSSO_Data_<suffix>, not AWSReservedSSO_Data_Reader_<suffix>."""
    ps_data, ps_reader = f"{INSTANCE}/ps-1", f"{INSTANCE}/ps-2"
    roles = [sso_role(aws, "AWSReservedSSO_Data_Reader_0123456789abcdef"),
             sso_role(aws, "AWSReservedSSO_Data_fedcba9876543210")]  # fmt: skip
    inst = sso(aws, {ps_data: "Data", ps_reader: "Data_Reader"}, [(ps_data, "g-1"), (ps_reader, "g-2")])
    ev = aws.evaluate(*aws.base(inst, roles=roles))
    got = {(e.source.id, e.target.id.rsplit("/", 1)[-1]) for e in ev.edges if e.kind is EdgeKind.PERMISSION_SET}
    assert got == {(sso_group_id(STORE, "Engineering"), "AWSReservedSSO_Data_fedcba9876543210"),
                   (sso_group_id(STORE, "Finance"), "AWSReservedSSO_Data_Reader_0123456789abcdef")}, SSO_NAMING


def test_identity_center_group_reaches_the_role_and_its_data(aws):
    """Members of an assigned group sign in as the provisioned role and reach what it reads (SSO_CONCEPT)."""
    ps = f"{INSTANCE}/ps-1"
    role = sso_role(aws, "AWSReservedSSO_Reader_0123456789abcdef")
    role["RolePolicyList"] = [{"PolicyName": "p", "PolicyDocument": aws.policy(aws.idstmt())}]
    ev = evaluate_all(aws.snapshot(*aws.base(aws.bucket(), sso(aws, {ps: "Reader"}, [(ps, "g-1")]), roles=[role])))
    reach = {r.principal.id for r in graph_audience(build_graph(ev), "arn:aws:s3:::b", READ)}
    assert sso_group_id(STORE, "Engineering") in reach, SSO_CONCEPT
