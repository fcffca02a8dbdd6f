"""Glue Data Catalog tables and Lake Formation: who reaches table ``lake/events`` of account 111122223333.

Each case names the AWS page that states the rule.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from seenby.graph.audience import audience as graph_audience
from seenby.graph.build import build_graph
from seenby.model import AccessLevel, DatasetKind, EvidenceKind
from seenby.policies import evaluate as evaluate_all

ACCT, OTHER, ORG = "111122223333", "444455556666", "o-a1b2c3d4e5"
REGION = "eu-west-1"
CATALOG = f"arn:aws:glue:{REGION}:{ACCT}:catalog"
LF_ID = f"arn:aws:lakeformation:{REGION}:{ACCT}:settings"
TABLE = f"arn:aws:glue:{REGION}:{ACCT}:table/lake/events"
BUCKET = "arn:aws:s3:::lake-bucket"
ANALYST = f"arn:aws:iam::{ACCT}:role/analyst"
ADMIN_ROLE = f"arn:aws:iam::{ACCT}:role/lake-admin"
OTHER_ROOT = f"arn:aws:iam::{OTHER}:root"
SURE, COND = "sure", "conditional"

SETTINGS = "https://docs.aws.amazon.com/lake-formation/latest/dg/change-settings.html"
PERMS = "https://docs.aws.amazon.com/lake-formation/latest/dg/lf-permissions-reference.html"
GRANTABLE = "https://docs.aws.amazon.com/lake-formation/latest/dg/lake-formation-permissions.html"
COLUMNS = "https://docs.aws.amazon.com/lake-formation/latest/dg/granting-table-permissions.html"
HYBRID = "https://docs.aws.amazon.com/lake-formation/latest/dg/hybrid-access-mode.html"
ADMINS = "https://docs.aws.amazon.com/lake-formation/latest/dg/getting-started-setup.html#create-data-lake-admin"
CROSS = "https://docs.aws.amazon.com/glue/latest/dg/cross-account-access.html"
ARNS = "https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html"
TABLE_API = "https://docs.aws.amazon.com/glue/latest/webapi/API_Table.html"


def catalog(aws, *, policy: Any = "absent", location: str = "s3://lake-bucket/events/") -> dict[str, Any]:
    if isinstance(policy, dict):
        policy = {"PolicyInJson": json.dumps(policy), "PolicyHash": "h"}
    table = {"Name": "events", "DatabaseName": "lake", "StorageDescriptor": {"Location": location, "Columns": []}}
    return {
        "type": "aws.glue.catalog", "id": CATALOG, "account": ACCT, "region": REGION,
        "reads": {
            "resource_policy": aws.read("glue:GetResourcePolicy", policy),
            "databases": aws.read("glue:GetDatabases", {"DatabaseList": [{"Name": "lake"}]}),
            "tables": aws.read("glue:GetTables", {"TableList": [table]}),
        },
    }  # fmt: skip


def lf_entry(principal: str, resource: dict, perms: list[str], grantable: list[str] | None = None) -> dict:
    return {"Principal": {"DataLakePrincipalIdentifier": principal}, "Resource": resource, "Permissions": perms,
            "PermissionsWithGrantOption": grantable or []}  # fmt: skip


def on_table(name: str = "events") -> dict:
    return {"Table": {"CatalogId": ACCT, "DatabaseName": "lake", "Name": name}}


IAM_DEFAULT = lf_entry("IAM_ALLOWED_PRINCIPALS", on_table(), ["ALL"])


def lake(aws, *entries: dict, admins: tuple[str, ...] = (), permissions: Any = None, hybrid: bool = False) -> dict:
    settings = {"DataLakeSettings": {"DataLakeAdmins": [{"DataLakePrincipalIdentifier": a} for a in admins],
                                     "CreateDatabaseDefaultPermissions": [], "CreateTableDefaultPermissions": []}}
    locations = [{"ResourceArn": BUCKET, "RoleArn": "r", "HybridAccessEnabled": hybrid}]
    return {
        "type": "aws.lakeformation.settings", "id": LF_ID, "account": ACCT, "region": REGION,
        "reads": {
            "settings": aws.read("lakeformation:GetDataLakeSettings", settings),
            "permissions": aws.read("lakeformation:ListPermissions", permissions if permissions is not None
                                    else {"PrincipalResourcePermissions": list(entries)}),
            "resources": aws.read("lakeformation:ListResources", {"ResourceInfoList": locations}),
        },
    }  # fmt: skip


def analyst(aws, *actions: str) -> dict:
    stmt = {"Effect": "Allow", "Action": list(actions or ("glue:GetTable",)), "Resource": TABLE}
    return aws.role("analyst", inline=(aws.policy(stmt),))


def audience(ev, level: AccessLevel = AccessLevel.READ) -> dict[str, str]:
    out: dict[str, str] = {}
    for g in ev.grants:
        if g.dataset == TABLE and g.level is level and out.get(g.principal.id) != SURE:
            out[g.principal.id] = COND if g.conditional else SURE
    return out


def test_every_table_is_a_glue_table_dataset(aws):
    """Each TableList entry becomes a dataset with the table ARN of glue-specifying-resource-arns.html."""
    ev = aws.evaluate(*aws.base(catalog(aws)))
    assert ev.datasets[TABLE].kind is DatasetKind.GLUE_TABLE
    assert ev.datasets[TABLE].name == "lake.events"


def test_s3_location_readers_read_the_table(aws):
    """The bucket under StorageDescriptor.Location re-exposes its readers onto the table (API_Table.html)."""
    ev = aws.evaluate(*aws.base(catalog(aws)))
    (rx,) = [r for r in ev.reexposures if r.dataset == TABLE]
    assert (rx.via, rx.evidence[0].kind) == (BUCKET, EvidenceKind.CATALOG_LOCATION), TABLE_API


def test_bucket_reader_reaches_the_table_through_the_graph(aws):
    """A principal that reads the location's bucket is in the table's READ audience, through re-exposure."""
    bucket_policy = aws.policy(aws.stmt(principal={"AWS": OTHER_ROOT}, action="s3:GetObject",
                                        resource="arn:aws:s3:::lake-bucket/*"))  # fmt: skip
    ev = aws.evaluate(*aws.base(catalog(aws), aws.bucket("lake-bucket", policy=bucket_policy)))
    reach = {r.principal.id: r for r in graph_audience(build_graph(ev), TABLE, AccessLevel.READ)}
    assert [s.node for s in reach[OTHER_ROOT].path] == [OTHER_ROOT, BUCKET, TABLE], TABLE_API


def test_non_s3_location_re_exposes_nothing(aws):
    """A table whose location is not S3 has no bucket to re-expose."""
    ev = aws.evaluate(*aws.base(catalog(aws, location="jdbc:postgresql://db/events")))
    assert [r for r in ev.reexposures if r.dataset == TABLE] == []


def test_iam_only_table_lists_for_glue_get_table_holders(aws):
    """Under IAMAllowedPrincipals (no Lake Formation resource: the default), glue:GetTable lists the table."""
    ev = aws.evaluate(*aws.base(catalog(aws), roles=[analyst(aws)]))
    assert audience(ev, AccessLevel.LIST) == {ANALYST: SURE}, SETTINGS


def test_get_partitions_lists_the_table(aws):
    """glue:GetPartitions reveals the table's partitions and their locations: LIST, like glue:GetTable."""
    ev = aws.evaluate(*aws.base(catalog(aws), roles=[analyst(aws, "glue:GetPartitions")]))
    assert audience(ev, AccessLevel.LIST) == {ANALYST: SURE}, ARNS


def test_iam_allowed_principals_grant_keeps_iam_deciding(aws):
    """IAM_ALLOWED_PRINCIPALS holding ALL on the table: IAM alone decides, glue:GetTable still lists."""
    ev = aws.evaluate(*aws.base(catalog(aws), lake(aws, IAM_DEFAULT), roles=[analyst(aws)]))
    assert audience(ev, AccessLevel.LIST) == {ANALYST: SURE}, SETTINGS


def test_lake_formation_mode_ignores_iam_only_get_table(aws):
    """Permissions name the table, IAM_ALLOWED_PRINCIPALS is not among them and the settings give new tables no
    IAM default: an IAM Allow of glue:GetTable alone opens nothing."""
    select = lf_entry(OTHER, on_table(), ["SELECT"])
    ev = aws.evaluate(*aws.base(catalog(aws), lake(aws, select), roles=[analyst(aws)]))
    assert audience(ev, AccessLevel.LIST) == {}, SETTINGS


def _lf_gaps(ev) -> dict[tuple[str, str], str]:
    return {(g.resource, g.read): g.message for g in ev.gaps if TABLE in g.datasets and "lakeformation" in g.api}


def test_empty_permissions_listing_keeps_the_iam_path_with_a_note(aws):
    """ListPermissions returned nothing: Lake Formation is not taken to govern; IAM lists, and a gap says why."""
    ev = aws.evaluate(*aws.base(catalog(aws), lake(aws), roles=[analyst(aws)]))
    assert audience(ev, AccessLevel.LIST) == {ANALYST: SURE}, SETTINGS
    assert set(_lf_gaps(ev)) == {(LF_ID, "permissions")}


def test_no_lake_formation_in_the_snapshot_keeps_the_iam_path_with_a_note(aws):
    """No Lake Formation settings at all: the documented default (IAM_ALLOWED_PRINCIPALS) holds, noted as a gap."""
    ev = aws.evaluate(*aws.base(catalog(aws), roles=[analyst(aws)]))
    assert audience(ev, AccessLevel.LIST) == {ANALYST: SURE}, SETTINGS
    assert set(_lf_gaps(ev)) == {(LF_ID, "settings")}


def test_denied_settings_keep_the_iam_path(aws):
    """GetDataLakeSettings denied, the listing naming the table without IAM_ALLOWED_PRINCIPALS: IAM path kept and
    the denied read is the gap (no second note)."""
    res = lake(aws, lf_entry(OTHER, on_table(), ["SELECT"]))
    res["reads"]["settings"] = aws.read("lakeformation:GetDataLakeSettings", "denied")
    ev = evaluate_all(aws.snapshot(*aws.base(catalog(aws), res, roles=[analyst(aws)])))
    assert (audience(ev, AccessLevel.LIST), audience(ev)) == ({ANALYST: SURE}, {OTHER_ROOT: SURE}), SETTINGS
    assert [g.outcome.value for g in ev.gaps if g.resource == LF_ID] == ["denied"]


def test_table_no_permission_names_follows_the_iam_default(aws):
    """Permissions only on another table, settings still giving new tables IAM_ALLOWED_PRINCIPALS: IAM decides."""
    res = lake(aws, lf_entry(OTHER, on_table("other"), ["SELECT"]))
    default = [{"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}]
    res["reads"]["settings"]["document"]["DataLakeSettings"]["CreateTableDefaultPermissions"] = default
    ev = aws.evaluate(*aws.base(catalog(aws), res, roles=[analyst(aws)]))
    assert audience(ev, AccessLevel.LIST) == {ANALYST: SURE}, SETTINGS


def test_each_grant_says_which_path(aws):
    """Hybrid mode: the IAM grant's evidence says "IAM path", the Lake Formation grant's "Lake Formation path"."""
    select = lf_entry(OTHER, on_table(), ["SELECT"])
    ev = aws.evaluate(*aws.base(catalog(aws), lake(aws, select, hybrid=True), roles=[analyst(aws)]))
    notes = {g.principal.id: g.evidence[-1].note.split(":", 1)[0] for g in ev.grants if g.dataset == TABLE}
    assert notes == {ANALYST: "IAM path", OTHER_ROOT: "Lake Formation path"}, HYBRID


def test_hybrid_access_mode_keeps_both_paths(aws):
    """A location registered in hybrid access mode: IAM's glue:GetTable and Lake Formation grants both count."""
    select = lf_entry(OTHER, on_table(), ["SELECT"])
    ev = aws.evaluate(*aws.base(catalog(aws), lake(aws, select, hybrid=True), roles=[analyst(aws)]))
    assert (audience(ev, AccessLevel.LIST), audience(ev)) == ({ANALYST: SURE}, {OTHER_ROOT: SURE}), HYBRID


LF_LEVEL_CASES = [
    ("select-reads", ["SELECT"], [], AccessLevel.READ),
    ("insert-writes", ["INSERT"], [], AccessLevel.WRITE),
    ("delete-writes", ["DELETE"], [], AccessLevel.WRITE),
    ("alter-administers", ["ALTER"], [], AccessLevel.ADMIN),
    ("drop-administers", ["DROP"], [], AccessLevel.ADMIN),
    ("all-reads", ["ALL"], [], AccessLevel.READ),
    ("all-administers", ["ALL"], [], AccessLevel.ADMIN),
    ("describe-lists", ["DESCRIBE"], [], AccessLevel.LIST),
    ("grant-option-administers", ["SELECT"], ["SELECT"], AccessLevel.ADMIN),
]


@pytest.mark.parametrize("name,perms,grantable,level", LF_LEVEL_CASES, ids=[c[0] for c in LF_LEVEL_CASES])
def test_lake_formation_permission_maps_to_level(aws, name, perms, grantable, level):
    """Each table permission of lf-permissions-reference.html opens its level (grant option: ADMIN)."""
    entry = lf_entry(ANALYST, on_table(), perms, grantable)
    ev = aws.evaluate(*aws.base(catalog(aws), lake(aws, entry), roles=[analyst(aws)]))
    assert audience(ev, level) == {ANALYST: SURE}, PERMS if not grantable else GRANTABLE


def test_select_does_not_write(aws):
    """SELECT alone grants no INSERT or DELETE (lf-permissions-reference.html)."""
    ev = aws.evaluate(*aws.base(catalog(aws), lake(aws, lf_entry(ANALYST, on_table(), ["SELECT"])),
                                roles=[analyst(aws)]))  # fmt: skip
    assert audience(ev, AccessLevel.WRITE) == {}, PERMS


def test_all_tables_wildcard_reaches_the_table(aws):
    """A grant on the database's ALL_TABLES (TableWildcard) reaches every table of it."""
    wildcard = {"Table": {"CatalogId": ACCT, "DatabaseName": "lake", "TableWildcard": {}}}
    ev = aws.evaluate(*aws.base(catalog(aws), lake(aws, lf_entry(OTHER, wildcard, ["SELECT"]))))
    assert audience(ev) == {OTHER_ROOT: SURE}, PERMS


def test_grant_on_another_table_does_not_reach(aws):
    """A grant on a sibling table gives nothing on this one."""
    ev = aws.evaluate(*aws.base(catalog(aws), lake(aws, lf_entry(OTHER, on_table("other"), ["SELECT"]))))
    assert audience(ev) == {}, PERMS


def test_grant_in_another_accounts_catalog_does_not_reach(aws):
    """A grant whose resource names another catalog id is not on this account's table."""
    foreign = {"Table": {"CatalogId": OTHER, "DatabaseName": "lake", "Name": "events"}}
    ev = aws.evaluate(*aws.base(catalog(aws), lake(aws, lf_entry(ANALYST, foreign, ["SELECT"]))))
    assert audience(ev) == {}, PERMS


def test_column_grant_reads_conditionally_naming_the_columns(aws):
    """A TableWithColumns grant reads part of the table: READ kept, conditional, the columns named."""
    cols = {"TableWithColumns": {"CatalogId": ACCT, "DatabaseName": "lake", "Name": "events",
                                 "ColumnNames": ["user_id", "ts"]}}  # fmt: skip
    ev = aws.evaluate(*aws.base(catalog(aws), lake(aws, lf_entry(OTHER, cols, ["SELECT"]))))
    (grant,) = [g for g in ev.grants if g.dataset == TABLE and g.level is AccessLevel.READ]
    assert grant.principal.id == OTHER_ROOT and grant.conditional, COLUMNS
    assert "user_id, ts" in grant.conditions[0].reason


def test_column_wildcard_without_exclusions_is_the_whole_table(aws):
    """ColumnWildcard excluding nothing is every column: an unconditional READ."""
    cols = {"TableWithColumns": {"CatalogId": ACCT, "DatabaseName": "lake", "Name": "events", "ColumnWildcard": {}}}
    ev = aws.evaluate(*aws.base(catalog(aws), lake(aws, lf_entry(OTHER, cols, ["SELECT"]))))
    assert audience(ev) == {OTHER_ROOT: SURE}, COLUMNS


def test_data_cells_filter_reads_conditionally(aws):
    """A grant through a data cells filter reads the rows and columns it lets through: conditional."""
    dcf = {"DataCellsFilter": {"TableCatalogId": ACCT, "DatabaseName": "lake", "TableName": "events", "Name": "eu"}}
    ev = aws.evaluate(*aws.base(catalog(aws), lake(aws, lf_entry(OTHER, dcf, ["SELECT"]))))
    assert audience(ev) == {OTHER_ROOT: COND}, COLUMNS


def test_lf_tag_grant_is_kept_conditional(aws):
    """An LF-tag expression grant, with table tags unread, is a conditional READ, never dropped."""
    tags = {"LFTagPolicy": {"CatalogId": ACCT, "ResourceType": "TABLE",
                            "Expression": [{"TagKey": "domain", "TagValues": ["telemetry"]}]}}  # fmt: skip
    ev = aws.evaluate(*aws.base(catalog(aws), lake(aws, lf_entry(OTHER, tags, ["SELECT"]))))
    assert audience(ev) == {OTHER_ROOT: COND}, PERMS


def test_data_lake_admin_administers_every_table(aws):
    """A data lake administrator can grant itself anything: ADMIN on the table."""
    ev = aws.evaluate(*aws.base(catalog(aws), lake(aws, admins=(ADMIN_ROLE,)), roles=[aws.role("lake-admin")]))
    assert audience(ev, AccessLevel.ADMIN) == {ADMIN_ROLE: SURE}, ADMINS


def test_database_all_administers_its_tables(aws):
    """ALL on the database lets its holder manage the database's tables: ADMIN, but no SELECT."""
    db = {"Database": {"CatalogId": ACCT, "Name": "lake"}}
    ev = aws.evaluate(*aws.base(catalog(aws), lake(aws, lf_entry(OTHER, db, ["ALL"]))))
    assert (audience(ev, AccessLevel.ADMIN), audience(ev)) == ({OTHER_ROOT: SURE}, {}), PERMS


def test_organization_grantee_is_the_organisation(aws):
    """A grant to an organisation ARN reaches the organisation's node."""
    org = f"arn:aws:organizations::999988887777:organization/{ORG}"
    ev = aws.evaluate(*aws.base(catalog(aws), lake(aws, lf_entry(org, on_table(), ["SELECT"]))))
    assert audience(ev) == {f"aws-org:{ORG}": SURE}, CROSS


def test_unknown_permissions_keep_iam_path_open(aws):
    """ListPermissions denied: Lake Formation unknown, so IAM's path stays open (fail closed), and a gap is kept."""
    ev = evaluate_all(aws.snapshot(*aws.base(catalog(aws), lake(aws, permissions="denied"), roles=[analyst(aws)])))
    assert audience(ev, AccessLevel.LIST) == {ANALYST: SURE}
    (gap,) = [g for g in ev.gaps if g.resource == LF_ID and g.read == "permissions"]
    assert TABLE in gap.datasets


def test_catalog_policy_lets_another_account_list(aws):
    """The catalog resource policy naming another account lets it call glue:GetTable (cross-account-access.html)."""
    stmt = {"Effect": "Allow", "Principal": {"AWS": OTHER_ROOT}, "Action": "glue:GetTable", "Resource": TABLE}
    ev = aws.evaluate(*aws.base(catalog(aws, policy=aws.policy(stmt))))
    assert audience(ev, AccessLevel.LIST) == {OTHER_ROOT: SURE}, CROSS


def test_catalog_policy_star_is_authenticated_not_public(aws):
    """Glue signs every request: a "*" catalog policy reaches any authenticated AWS principal, not anyone."""
    stmt = {"Effect": "Allow", "Principal": "*", "Action": "glue:GetTable", "Resource": TABLE}
    ev = aws.evaluate(*aws.base(catalog(aws, policy=aws.policy(stmt))))
    assert audience(ev, AccessLevel.LIST) == {"aws:authenticated": SURE}, CROSS


def test_put_resource_policy_administers(aws):
    """glue:PutResourcePolicy rewrites the catalog policy: ADMIN on its tables."""
    role = aws.role("analyst", inline=(aws.policy({"Effect": "Allow", "Action": "glue:PutResourcePolicy",
                                                   "Resource": TABLE}),))  # fmt: skip
    ev = aws.evaluate(*aws.base(catalog(aws), roles=[role]))
    assert audience(ev, AccessLevel.ADMIN) == {ANALYST: SURE}, ARNS


def test_denied_tables_read_is_a_gap(aws):
    """GetTables denied: no table is invented, and the catalog's read is a coverage gap."""
    res = catalog(aws)
    res["reads"]["tables"] = aws.read("glue:GetTables", "denied")
    ev = evaluate_all(aws.snapshot(*aws.base(res)))
    assert TABLE not in ev.datasets
    assert any(g.resource == CATALOG and g.read == "tables" for g in ev.gaps)
