"""Which cloud table a Superset dataset reads, from its connection's URI (policies/superset/lineage.py)."""

from __future__ import annotations

import pytest

from seenby.policies.superset.lineage import Warehouse, cloud_tables, connection_reach, warehouse_of

GLUE = {"eu-west-1": {"111122223333"}}
CASES = [
    pytest.param("bigquery://corp-telemetry", {"schema": "ml_raw", "table_name": "keystrokes"},
                 ["bigquery://corp-telemetry.ml_raw.keystrokes"], id="bigquery physical"),
    pytest.param("bigquery://corp-telemetry", {"sql": "SELECT * FROM `other-proj.raw.t` JOIN ml_raw.keys k ON 1=1"},
                 ["bigquery://other-proj.raw.t", "bigquery://corp-telemetry.ml_raw.keys"], id="bigquery virtual"),
    pytest.param("awsathena+rest://@athena.eu-west-1.amazonaws.com:443/telemetry?s3_staging_dir=s3%3A%2F%2Fq",
                 {"schema": "telemetry", "table_name": "keystrokes_raw"},
                 ["arn:aws:glue:eu-west-1:111122223333:table/telemetry/keystrokes_raw"], id="athena physical"),
    pytest.param("awsathena+rest://@athena.us-east-1.amazonaws.com:443/telemetry", {"schema": "t", "table_name": "x"},
                 [], id="athena region without a catalog in the snapshot"),
    pytest.param("sqlite:////srv/warehouse/warehouse.db", {"schema": "main", "table_name": "t"}, [], id="sqlite"),
    pytest.param("redshift+psycopg2://u@c.abc.eu-west-1.redshift.amazonaws.com:5439/dev",
                 {"schema": "public", "table_name": "t"}, [], id="redshift: not audited (a gap)"),
]  # fmt: skip


@pytest.mark.parametrize(("uri", "dataset", "expected"), CASES)
def test_connection_uri_names_the_cloud_tables_read(uri, dataset, expected):
    """Each dialect maps a dataset to the seenby ids of the tables it reads."""
    assert cloud_tables(uri, dataset, GLUE) == expected


def test_bigquery_table_outside_the_snapshot_falls_back_to_its_dataset():
    """When the snapshot holds the BigQuery dataset but not the table, the dataset is the target."""
    known = frozenset({"bigquery://corp-telemetry.ml_raw"})
    got = cloud_tables("bigquery://corp-telemetry", {"schema": "ml_raw", "table_name": "keystrokes"}, GLUE, known)
    assert got == ["bigquery://corp-telemetry.ml_raw"]


WAREHOUSES = [
    pytest.param("bigquery://corp-telemetry", Warehouse.BIGQUERY, id="bigquery"),
    pytest.param("awsathena+rest://@athena.eu-west-1.amazonaws.com:443/telemetry", Warehouse.ATHENA, id="athena"),
    pytest.param("redshift+psycopg2://u@c1.abc.eu-west-1.redshift.amazonaws.com:5439/dev", Warehouse.REDSHIFT,
                 id="redshift+psycopg2"),
    pytest.param("redshift+redshift_connector://u@c1.abc.eu-west-1.redshift.amazonaws.com:5439/dev",
                 Warehouse.REDSHIFT, id="redshift+redshift_connector"),
    pytest.param("postgresql://u@c1.abc.eu-west-1.redshift.amazonaws.com:5439/dev", Warehouse.REDSHIFT,
                 id="postgres driver to a Redshift cluster"),
    pytest.param("postgresql://u@wg.123456789012.eu-west-1.redshift-serverless.amazonaws.com:5439/dev",
                 Warehouse.REDSHIFT, id="Redshift Serverless workgroup"),
    pytest.param("postgresql://u@db.corp.example:5432/wh", Warehouse.OTHER, id="postgres"),
    pytest.param("sqlite:////srv/warehouse.db", Warehouse.OTHER, id="sqlite"),
]  # fmt: skip


@pytest.mark.parametrize(("uri", "expected"), WAREHOUSES)
def test_connection_uri_names_its_warehouse(uri, expected):
    """The dialect, or a Redshift cluster or workgroup host, says which warehouse a connection queries."""
    assert warehouse_of(uri) is expected


KNOWN = frozenset({
    "bigquery://corp-telemetry.ml_raw", "bigquery://corp-telemetry.shared_reporting.daily_activity",
    "bigquery://corp-web.site", "arn:aws:glue:eu-west-1:111122223333:table/telemetry/keystrokes_raw",
    "arn:aws:glue:us-east-1:111122223333:table/other/t",
})  # fmt: skip


def test_sql_lab_reach_of_a_bigquery_connection_is_its_project():
    """A bigquery://PROJECT connection can be asked for every dataset and table of PROJECT, no other project."""
    assert connection_reach("bigquery://corp-telemetry", KNOWN) == [
        "bigquery://corp-telemetry.ml_raw", "bigquery://corp-telemetry.shared_reporting.daily_activity"]  # fmt: skip


def test_sql_lab_reach_of_an_athena_connection_is_its_regions_glue_tables():
    """An Athena connection reaches the Glue tables of its region, in every account the snapshot holds."""
    uri = "awsathena+rest://@athena.eu-west-1.amazonaws.com:443/telemetry"
    assert connection_reach(uri, KNOWN) == ["arn:aws:glue:eu-west-1:111122223333:table/telemetry/keystrokes_raw"]
