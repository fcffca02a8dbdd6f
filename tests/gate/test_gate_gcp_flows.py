"""The gate judges Google Cloud flow resources (issue 20, docs/flows.md): a copy's readers read the source.

Attributes per the Google provider: google_bigquery_data_transfer_config (``data_source_id``,
``destination_dataset_id``, ``params`` a map of strings, ``disabled``) and google_storage_transfer_job
(``transfer_spec``/``replication_spec`` with ``gcs_data_source``/``gcs_data_sink`` blocks, ``status``),
https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/bigquery_data_transfer_config,
https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/storage_transfer_job.
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from seenby.cli import cli
from seenby.importers.terraform import planned_snapshot
from seenby.importers.terraform.plan import load_plan
from seenby.model import ReadOutcome
from seenby.snapshot import Read, Resource, new_snapshot

from .tfplan import UNKNOWN, TfPlan

PROJECT = "corp-telemetry"
RAW = f"bigquery://{PROJECT}.ml_raw"
REPORTING = f"bigquery://{PROJECT}.shared_reporting"
RULES = f"""version: 1
audiences:
  ml-team: ["group:ml-team@corp.example"]
datasets:
  - match: {{id: "{RAW}"}}
    read: [ml-team]
    admin: []
  - match: {{id: "gs://corp-keystrokes"}}
    read: [ml-team]
    admin: ["projectOwner:{PROJECT}", "projectEditor:{PROJECT}"]
    list: [ml-team, "projectOwner:{PROJECT}", "projectEditor:{PROJECT}", "projectViewer:{PROJECT}"]
undeclared:
  action: report
"""
QUERY = f"SELECT user, COUNT(*) AS n FROM `{PROJECT}.ml_raw.keystrokes` GROUP BY user"
OWNER = [{"role": "OWNER", "group_by_email": "ml-team@corp.example"}]


def _datasets(plan: TfPlan, reporting_access: list[dict]) -> TfPlan:
    return (plan.provider("google", project=PROJECT)
            .add("google_bigquery_dataset.raw", {"dataset_id": "ml_raw", "project": PROJECT, "location": "EU",
                                                 "access": OWNER})
            .add("google_bigquery_dataset.reporting", {"dataset_id": "shared_reporting", "project": PROJECT,
                                                       "location": "EU", "access": reporting_access}))  # fmt: skip


def _scheduled(destination, *, disabled: bool = False) -> TfPlan:
    everyone = [*OWNER, {"role": "READER", "special_group": "allAuthenticatedUsers"}]
    return _datasets(TfPlan(), everyone).add("google_bigquery_data_transfer_config.daily", {
        "display_name": "daily keystroke summary", "project": PROJECT, "location": "EU",
        "data_source_id": "scheduled_query", "destination_dataset_id": destination, "schedule": "every 24 hours",
        "disabled": disabled, "name": UNKNOWN,
        "params": {"query": QUERY, "destination_table_name_template": "summary",
                   "write_disposition": "WRITE_TRUNCATE"}})  # fmt: skip


def _gate(tmp_path, plan: TfPlan, fmt: str = "json"):
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    path = plan.write(tmp_path / "plan.json")
    return CliRunner().invoke(cli, ["gate", path, "--rules", str(rules), "--format", fmt])


def _on(result, rule: str, dataset: str) -> list[dict]:
    found = json.loads(result.stdout)["findings"]
    return [f for f in found if f["rule"]["id"] == rule and f["dataset"]["id"] == dataset]


def test_scheduled_query_into_a_dataset_any_google_account_reads_fails_on_the_source(tmp_path):
    """A planned scheduled query copying ml_raw into a dataset allAuthenticatedUsers read fails on ml_raw (SB002)."""
    result = _gate(tmp_path, _scheduled("shared_reporting"))

    assert result.exit_code == 1, result.output
    on_source = _on(result, "SB002", RAW)
    assert [s["via"] for s in on_source[0]["excess"][0]["path"][:-1]] == ["grant:read", "flows-to"]


def test_scheduled_query_finding_points_at_the_transfer_config(tmp_path):
    """The source's SARIF result is located at the google_bigquery_data_transfer_config that opens it."""
    result = _gate(tmp_path, _scheduled("shared_reporting"), "sarif")

    results = json.loads(result.stdout)["runs"][0]["results"]
    names = [r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] for r in results
             if r["ruleId"] == "SB002" and r["message"]["text"].startswith(f"{PROJECT}.ml_raw ")]  # fmt: skip
    assert names == ["google_bigquery_data_transfer_config.daily"]


def test_disabled_scheduled_query_opens_nothing_on_the_source(tmp_path):
    """A planned config with disabled = true runs no query: the source has no finding."""
    result = _gate(tmp_path, _scheduled("shared_reporting", disabled=True))

    assert _on(result, "SB002", RAW) == []


def test_destination_known_only_after_apply_is_a_gap_on_the_source(tmp_path):
    """destination_dataset_id known only after apply: a coverage gap on the dataset the query reads, never safe."""
    result = _gate(tmp_path, _scheduled(UNKNOWN))

    assert result.exit_code == 1
    gaps = [(g["gap"]["read"], g["gap"]["error_code"]) for g in _on(result, "SB011", RAW)]
    assert gaps == [("google_bigquery_data_transfer_config.daily", "UnknownAfterApply")]


def test_query_known_only_after_apply_is_a_gap_on_the_project(tmp_path):
    """params.query known only after apply: what it copies is unknown, a gap of the project (every dataset there)."""
    plan = _datasets(TfPlan(), OWNER).add("google_bigquery_data_transfer_config.daily", {
        "project": PROJECT, "data_source_id": "scheduled_query", "destination_dataset_id": "shared_reporting",
        "params": {"query": UNKNOWN}})  # fmt: skip

    result = _gate(tmp_path, plan)

    gaps = [(g["gap"]["resource"], g["gap"]["read"]) for g in _on(result, "SB011", RAW)]
    assert gaps == [(f"projects/{PROJECT}", "google_bigquery_data_transfer_config.daily")]


def test_cross_region_copy_flows_the_source_dataset_whole(tmp_path):
    """A cross_region_copy of ml_raw (params.source_dataset_id) into the open dataset fails on ml_raw."""
    everyone = [*OWNER, {"role": "READER", "special_group": "allAuthenticatedUsers"}]
    plan = _datasets(TfPlan(), everyone).add("google_bigquery_data_transfer_config.copy", {
        "project": PROJECT, "data_source_id": "cross_region_copy", "destination_dataset_id": "shared_reporting",
        "params": {"source_dataset_id": "ml_raw", "source_project_id": PROJECT}})  # fmt: skip

    result = _gate(tmp_path, plan)

    assert _on(result, "SB002", RAW)


def _buckets(plan: TfPlan) -> TfPlan:
    return (plan.provider("google", project=PROJECT)
            .add("google_storage_bucket.source", {"name": "corp-keystrokes", "location": "EU", "project": PROJECT,
                                                  "uniform_bucket_level_access": True,
                                                  "public_access_prevention": "enforced"})
            .add("google_storage_bucket.copy", {"name": "corp-keystrokes-copy", "location": "EU", "project": PROJECT,
                                                "uniform_bucket_level_access": True,
                                                "public_access_prevention": "inherited"})
            .add("google_storage_bucket_iam_member.copy_public", {"bucket": "corp-keystrokes-copy",
                                                                  "role": "roles/storage.objectViewer",
                                                                  "member": "allUsers"}))  # fmt: skip


def _job(spec: str, sink) -> TfPlan:
    return _buckets(TfPlan()).add("google_storage_transfer_job.copy", {
        "project": PROJECT, "description": "copy", "name": UNKNOWN,
        spec: [{"gcs_data_source": [{"bucket_name": "corp-keystrokes", "path": ""}],
                "gcs_data_sink": [{"bucket_name": sink, "path": ""}]}]})  # fmt: skip


def test_transfer_job_into_a_public_bucket_fails_on_the_source(tmp_path):
    """A planned Storage Transfer job into a public bucket makes the source public through the copy (SB001)."""
    result = _gate(tmp_path, _job("transfer_spec", "corp-keystrokes-copy"))

    assert result.exit_code == 1, result.output
    on_source = _on(result, "SB001", "gs://corp-keystrokes")
    assert [s["via"] for s in on_source[0]["excess"][0]["path"][:-1]] == ["grant:read", "flows-to"]


def test_replication_job_into_a_public_bucket_fails_on_the_source(tmp_path):
    """A cross-bucket replication job (replication_spec) is judged as a flow too."""
    result = _gate(tmp_path, _job("replication_spec", "corp-keystrokes-copy"))

    assert _on(result, "SB001", "gs://corp-keystrokes")


def test_transfer_job_sink_known_only_after_apply_is_a_gap_on_the_source(tmp_path):
    """A sink bucket known only after apply is a coverage gap on the source bucket."""
    result = _gate(tmp_path, _job("transfer_spec", UNKNOWN))

    gaps = [(g["gap"]["read"], g["gap"]["error_code"]) for g in _on(result, "SB011", "gs://corp-keystrokes")]
    assert gaps == [("google_storage_transfer_job.copy", "UnknownAfterApply")]


def test_destroying_a_transfer_job_takes_it_out_of_the_baseline_listing(tmp_path):
    """A job the plan destroys leaves the project's transfer_jobs listing; the baseline's other jobs stay."""
    kept = {"name": "transferJobs/kept", "projectId": PROJECT, "status": "ENABLED"}
    gone = {"name": "transferJobs/gone", "projectId": PROJECT, "status": "ENABLED"}
    listing = Read(outcome=ReadOutcome.OK, api="storagetransfer.transferJobs.list",
                   document={"transferJobs": [kept, gone]})  # fmt: skip
    project = Resource(type="gcp.project", id=f"projects/{PROJECT}", name=PROJECT, account=PROJECT,
                       reads={"transfer_jobs": listing})  # fmt: skip
    baseline = new_snapshot([project], scope={"gcp_projects": [PROJECT]}, mode="scan")
    plan = TfPlan().provider("google", project=PROJECT).add(
        "google_storage_transfer_job.gone", {"project": PROJECT, "name": "transferJobs/gone"}, actions=("delete",))
    change = plan.changes[-1]["change"]  # a destroy: the values are `before`, `after` is null, nothing is planned
    change["before"], change["after"], change["after_unknown"] = change["after"], None, {}
    plan.planned.clear()

    planned = planned_snapshot(load_plan(plan.write(tmp_path / "plan.json")), baseline)

    project = next(r for r in planned.snapshot.of_type("gcp.project"))
    assert project.document("transfer_jobs") == {"transferJobs": [kept]}
