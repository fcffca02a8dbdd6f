"""Every history answer finds every dataset the audit audits, and counts the same people.

The example organisation is recorded once; for each of its datasets (buckets, DynamoDB
and Glue tables, a QuickSight dashboard, BigQuery datasets and tables), `exposure`,
`who-can-read --at` and `diff` run through the real command line and are checked against
`audit` on the same scan.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from seenby.audit import audit
from seenby.cli import cli
from seenby.config import load_rules
from seenby.history.store import HistoryStore
from seenby.model import AccessLevel
from seenby.snapshot import load_snapshot, new_snapshot, save_snapshot

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "telemetry-incident" / "snapshot.json"
RULES = ROOT / "rules.yaml"
AT = "2026-11-21"  # the day after the example was collected
AUDITED = audit(load_snapshot(EXAMPLE), load_rules(str(RULES)))
DATASETS = [d.id for d in AUDITED.datasets]


def read_excess(dataset_id: str) -> set[str]:
    """The principals the audit finds beyond the declared read audience of one dataset (waived or not:
    a waiver hides a finding, it does not narrow the audience)."""
    return {
        e.principal.id
        for f in AUDITED.findings
        if f.dataset.id == dataset_id and f.level is AccessLevel.READ
        for e in f.excess
    }


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("every") / "history.sqlite3"
    with HistoryStore.open(path) as history:
        history.record(load_snapshot(EXAMPLE), source=str(EXAMPLE))
    return path


def run(*args: str) -> dict:
    result = CliRunner().invoke(cli, [*args, "--format", "json", "--rules", str(RULES)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_example_has_datasets_inside_container_resources() -> None:
    """The example holds datasets that are no resource of their own: a Glue table (in its catalog's reads) and
    the Superset server's charts and connections (in the server's reads)."""
    resource_ids = {r.id for r in load_snapshot(EXAMPLE).resources}
    inside = [d for d in DATASETS if d not in resource_ids]
    superset = "superset://superset.corp.example:8088"
    assert inside == [
        "arn:aws:glue:eu-west-1:111122223333:table/telemetry/keystrokes_raw",
        *(f"{superset}/chart/{i}" for i in (1, 2, 3)),
        *(f"{superset}/database/{i}" for i in (1, 2)),
    ]


@pytest.mark.parametrize("dataset", DATASETS)
def test_exposure_finds_the_dataset_and_the_audits_excess(dataset: str, store: Path) -> None:
    """`exposure` sees the dataset present, and beyond the declaration exactly when the audit finds read excess."""
    timeline = run("exposure", dataset, "--store", str(store))
    point = timeline["scans"][0]
    assert point["present"] is True
    assert (point["excess"] > 0) == bool(read_excess(dataset))


@pytest.mark.parametrize("dataset", DATASETS)
def test_who_can_read_at_a_time_finds_the_audits_excess_principals(dataset: str, store: Path) -> None:
    """`who-can-read --at` answers for the dataset; every principal the audit finds in excess is undeclared there."""
    report = run("who-can-read", dataset, "--at", AT, "--store", str(store))
    undeclared = {m["principal"]["id"] for m in report["members"] if m["declared"] is False}
    assert report["dataset"]["id"] == dataset
    assert read_excess(dataset) <= undeclared


@pytest.mark.parametrize("dataset", DATASETS)
def test_exposure_and_who_can_read_count_the_same_people(dataset: str, store: Path) -> None:
    """People beyond the declaration are one figure in exposure and who-can-read; no audit finding exceeds it."""
    point = run("exposure", dataset, "--store", str(store))["scans"][0]
    people = run("who-can-read", dataset, "--at", AT, "--store", str(store))["people"]["read"]
    per_finding = [f.people or 0 for f in AUDITED.findings if f.dataset.id == dataset and f.level is AccessLevel.READ]
    assert (point["excess_people"], point["declared_people"]) == (people["excess"], people["declared"])
    assert max(per_finding, default=0) <= (people["excess"] or 0)


def test_raw_bucket_people_are_distinct_across_overlapping_groups(store: Path) -> None:
    """The raw bucket's excess is 1,242 people in exposure, not 2,442: engineering's 1,200 are in the data
    account; the other accounts' root users (2) and QuickSight's 40 are apart (issue 19 item 1)."""
    point = run("exposure", "corp-employee-telemetry-raw", "--store", str(store))["scans"][0]
    organisation = next(
        f for f in AUDITED.findings if f.rule_id == "SB003" and f.dataset.name == "corp-employee-telemetry-raw"
    )
    assert organisation.people == 1202
    assert point["excess_people"] == 1242


def test_diff_from_an_empty_scan_adds_every_audited_dataset(store: Path, tmp_path: Path) -> None:
    """`diff EMPTY @1` lists every dataset the audit audits as added."""
    empty = tmp_path / "empty.json"
    save_snapshot(new_snapshot([], scope={}, mode="test"), empty)
    result = run("diff", str(empty), "@1", "--store", str(store))
    assert result["datasets_added"] == sorted(DATASETS)
