"""Cloud Asset Inventory import complete (issue 15.3): custom roles, v2 organisation policies, tables, routines,
asset types missing from an export as gaps, and the merge rule with a live scan.

Shapes: https://cloud.google.com/asset-inventory/docs/asset-types (asset types),
https://cloud.google.com/iam/docs/reference/rest/v1/organizations.roles (Role),
https://cloud.google.com/resource-manager/docs/reference/orgpolicy/rest/v2/projects.policies (Policy v2).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from seenby.importers.gcp_cai import NOT_IN_EXPORT, import_cai
from seenby.model import AccessLevel, ReadOutcome
from seenby.policies import evaluate
from seenby.snapshot import Read, Resource, merge_snapshots, new_snapshot

DATA = Path(__file__).parent / "data"
ALL = [DATA / "resource.ndjson", DATA / "iam_policy.ndjson", DATA / "org_policy.ndjson"]
COMPLETE = [*ALL, DATA / "supporting.ndjson"]
PROJECT = "projects/corp-telemetry"
ORG = "organizations/123456789012"


def _resource(snapshot, id_):
    return next(r for r in snapshot.resources if r.id == id_)


def test_custom_roles_are_read_into_their_organisation() -> None:
    """An organisation's iam.googleapis.com/Role asset becomes its custom_roles read with the role's permissions."""
    roles = _resource(import_cai(COMPLETE), ORG).document("custom_roles")["roles"]
    assert roles == [{"name": f"{ORG}/roles/telemetryReader",
                      "includedPermissions": ["storage.objects.get", "storage.objects.list"]}]


def test_deleted_custom_role_is_left_out() -> None:
    """A project's deleted custom role is not a role of the project; its live one is."""
    roles = _resource(import_cai(COMPLETE), PROJECT).document("custom_roles")["roles"]
    assert [r["name"] for r in roles] == [f"{PROJECT}/roles/exporter"]


def test_binding_to_an_exported_custom_role_is_unconditional() -> None:
    """A bucket binding to the exported custom role opens READ unconditionally (no longer an unknown role)."""
    ev = evaluate(import_cai([*COMPLETE, DATA / "custom_role_binding.ndjson"]))
    reads = [g for g in ev.grants if g.dataset == "gs://corp-keystrokes" and g.level is AccessLevel.READ
             and g.principal.id == "group:analysts@corp.example"]
    assert [g.conditional for g in reads] == [False]


def test_custom_roles_missing_from_the_export_are_a_gap() -> None:
    """No iam.googleapis.com/Role asset in the export: custom_roles is a NotInExport gap, never "no custom roles"."""
    read = _resource(import_cai(ALL), PROJECT).read("custom_roles")
    assert (read.outcome, read.error_code) == (ReadOutcome.ERROR, NOT_IN_EXPORT)


def test_v2_organisation_policy_joins_its_project() -> None:
    """An orgpolicy.googleapis.com/Policy asset is one of its project's org_policies, in the v2 shape."""
    policies = _resource(import_cai(COMPLETE), PROJECT).document("org_policies")["policies"]
    assert [p["spec"]["rules"] for p in policies] == [[{"enforce": True}]]


def test_v2_policy_enforces_public_access_prevention() -> None:
    """The project's v2 publicAccessPrevention policy removes the public grant it otherwise has."""
    export = [DATA / "resource.ndjson", DATA / "public_binding.ndjson"]

    def public(paths: list[Path]) -> set[str]:
        return {g.dataset for g in evaluate(import_cai(paths)).grants if g.principal.id == "allUsers"}

    assert (public(export), public([*export, DATA / "supporting.ndjson"])) == ({"gs://corp-legacy"}, set())


def test_tables_listing_comes_from_table_assets() -> None:
    """A dataset's tables read lists the Table assets under it."""
    tables = _resource(import_cai(COMPLETE), "bigquery://corp-telemetry.ml_raw").document("tables")["tables"]
    assert [t["tableReference"]["tableId"] for t in tables] == ["keystrokes"]


def test_tables_missing_from_the_export_are_a_gap(tmp_path: Path) -> None:
    """An export without any bigquery.googleapis.com/Table asset records each dataset's tables as a gap."""
    lines = [line for line in (DATA / "resource.ndjson").read_text().splitlines() if "/tables/" not in line]
    path = tmp_path / "no_tables.ndjson"
    path.write_text("\n".join(lines) + "\n")
    read = _resource(import_cai([path]), "bigquery://corp-telemetry.ml_raw").read("tables")
    assert read.error_code == NOT_IN_EXPORT


def test_routines_listing_comes_from_routine_assets() -> None:
    """A dataset's routines read lists the Routine assets under it."""
    routines = _resource(import_cai(COMPLETE), "bigquery://corp-telemetry.ml_raw").document("routines")["routines"]
    assert [r["routineReference"]["routineId"] for r in routines] == ["mask_keys"]


def test_project_listings_come_from_bucket_and_dataset_assets() -> None:
    """The project's buckets and datasets reads list the assets under it."""
    project = _resource(import_cai(ALL), PROJECT)
    got = ([b["name"] for b in project.document("buckets")["items"]],
           [d["datasetReference"]["datasetId"] for d in project.document("datasets")["datasets"]])
    assert got == (["corp-keystrokes", "corp-legacy"], ["ml_raw"])


def test_collected_at_is_the_newest_update_time() -> None:
    """The imported snapshot is dated by the newest update_time of the export, not by the import."""
    assert import_cai(COMPLETE).collected_at == "2026-11-21T10:00:00Z"


def _scan_of_project(deny: Read, iam: Read, when: datetime):
    project = Resource(type="gcp.project", id=PROJECT, account="corp-telemetry",
                       reads={"deny_policies": deny, "iam_policy": iam})
    return new_snapshot([project], scope={"gcp_projects": ["corp-telemetry"]}, mode="scan", collected_at=when)


def test_merge_keeps_a_scanned_read_the_export_lacks() -> None:
    """An older scan's deny_policies read survives a newer export's NotInExport placeholder."""
    scanned = Read(outcome=ReadOutcome.OK, api="iam.policies.listPolicies", document={"policies": []})
    scan = _scan_of_project(scanned, Read(outcome=ReadOutcome.OK, api="getIamPolicy", document={"bindings": []}),
                            datetime(2026, 11, 1, tzinfo=UTC))
    merged = merge_snapshots([scan, import_cai(ALL)])
    assert _resource(merged, PROJECT).read("deny_policies") == scanned


def test_merge_takes_the_newer_export_read_over_an_older_scan() -> None:
    """A read both made: the newer one wins (the export's project IAM over the older scan's)."""
    scanned = Read(outcome=ReadOutcome.OK, api="getIamPolicy", document={"bindings": []})
    scan = _scan_of_project(Read(outcome=ReadOutcome.OK, api="x", document={}), scanned,
                            datetime(2026, 11, 1, tzinfo=UTC))
    exported = _resource(import_cai(ALL), PROJECT).read("iam_policy")
    merged = merge_snapshots([scan, import_cai(ALL)])
    assert _resource(merged, PROJECT).read("iam_policy") == exported
