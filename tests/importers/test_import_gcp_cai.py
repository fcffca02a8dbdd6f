"""`seenby import gcp-cai`: Cloud Asset Inventory exports into a snapshot, with what they lack as gaps."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from seenby.errors import InputError
from seenby.importers.gcp_cai import NOT_IN_EXPORT, import_cai
from seenby.model import AccessLevel, ReadOutcome
from seenby.policies import evaluate
from seenby.snapshot import load_snapshot

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
ALL = [DATA / "resource.ndjson", DATA / "iam_policy.ndjson", DATA / "org_policy.ndjson"]


def _resource(snapshot, id_):
    return next(r for r in snapshot.resources if r.id == id_)


def test_hierarchy_is_rebuilt_from_ancestors_with_project_ids():
    """Projects get their id from resource.data and their parent from `ancestors`; buckets hang under the project id."""
    snapshot = import_cai(ALL)

    project = _resource(snapshot, "projects/corp-telemetry")
    assert project.parent == "folders/222222222222"
    assert _resource(snapshot, "folders/222222222222").parent == "organizations/123456789012"
    bucket = _resource(snapshot, "gs://corp-keystrokes")
    assert (bucket.account, bucket.parent) == ("corp-telemetry", "projects/corp-telemetry")
    assert snapshot.scope["gcp_projects"] == ["corp-telemetry"]
    assert snapshot.collector["mode"] == "import"


def test_lines_of_one_asset_in_several_exports_are_merged():
    """RESOURCE and IAM_POLICY lines of the same asset name become one resource with both reads."""
    bucket = _resource(import_cai(ALL), "gs://corp-keystrokes")

    assert bucket.document("metadata")["labels"] == {"classification": "employee-telemetry"}
    assert bucket.document("iam_policy")["bindings"][0]["members"] == ["domain:corp.example"]


def test_deny_policies_are_a_gap_never_none():
    """CAI holds no IAM deny policies: every hierarchy node records deny_policies as error NotInExport."""
    snapshot = import_cai(ALL)

    for node in ("organizations/123456789012", "folders/222222222222", "projects/corp-telemetry"):
        read = _resource(snapshot, node).read("deny_policies")
        assert (read.outcome, read.error_code) == (ReadOutcome.ERROR, NOT_IN_EXPORT)


def test_hmac_keys_are_a_gap_never_none():
    """CAI does not list HMAC keys: every project records hmac_keys as error NotInExport."""
    read = _resource(import_cai(ALL), "projects/corp-telemetry").read("hmac_keys")
    assert (read.outcome, read.api, read.error_code) == (ReadOutcome.ERROR, "storage.hmacKeys.list", NOT_IN_EXPORT)


def test_fine_grained_bucket_without_acls_in_the_export_has_acl_gaps():
    """A bucket with uniform access off whose resource.data has no ACL: acl and default_object_acl are gaps."""
    snapshot = import_cai(ALL)

    legacy = _resource(snapshot, "gs://corp-legacy")
    assert legacy.read("acl").error_code == NOT_IN_EXPORT
    assert legacy.read("default_object_acl").outcome is ReadOutcome.ERROR
    assert "acl" not in _resource(snapshot, "gs://corp-keystrokes").reads  # uniform access: ACLs are off anyway
    assert "gs://corp-legacy" in {d for g in evaluate(snapshot).gaps for d in g.datasets}


def test_dataset_without_access_list_is_a_gap():
    """A dataset whose resource.data lacks `access` records the access list as a gap."""
    dataset = _resource(import_cai(ALL), "bigquery://corp-telemetry.ml_raw")

    assert dataset.read("access").error_code == NOT_IN_EXPORT
    assert dataset.read("metadata").ok


def test_org_policy_content_is_read_in_the_api_spelling_and_enforces_prevention():
    """An exported v1 `boolean_policy` becomes `booleanPolicy`; the folder's enforced PAP protects buckets below."""
    snapshot = import_cai(ALL)

    policies = _resource(snapshot, "folders/222222222222").document("org_policies")["policies"]
    assert policies[0]["booleanPolicy"] == {"enforced": True}
    assert _resource(snapshot, "projects/corp-telemetry").document("org_policies") == {"policies": []}


def test_missing_content_type_is_a_gap_and_no_policy_line_is_absent():
    """Without ORG_POLICY content org_policies is a gap; with IAM content, a node without a policy line is absent."""
    snapshot = import_cai([DATA / "resource.ndjson", DATA / "iam_policy.ndjson"])

    assert _resource(snapshot, "projects/corp-telemetry").read("org_policies").error_code == NOT_IN_EXPORT
    assert _resource(snapshot, "folders/222222222222").read("iam_policy").outcome is ReadOutcome.ABSENT


def test_imported_snapshot_evaluates_the_domain_grant():
    """The imported bucket binding gives domain:corp.example read access, with evidence naming the binding."""
    ev = evaluate(import_cai(ALL))

    grants = [g for g in ev.grants if g.dataset == "gs://corp-keystrokes" and g.level is AccessLevel.READ]
    assert {g.principal.id for g in grants} == {"domain:corp.example"}
    assert grants[0].evidence[0].location == "bindings[0]"


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("{not json", "not valid JSON"),
        ('{"asset_type": "storage.googleapis.com/Bucket"}', "`name`"),
        ('{"name": "//storage.googleapis.com/b", "asset_type": "x", "iam_policy": []}', "`iam_policy`"),
        ('["a list"]', "JSON object"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path, line, says):
    """A malformed export line is an input error naming the file and the line number."""
    bad = tmp_path / "export.ndjson"
    good = (DATA / "resource.ndjson").read_text().splitlines()[0]
    bad.write_text(f"{good}\n\n{line}\n")

    with pytest.raises(InputError) as err:
        import_cai([bad])

    assert str(err.value).startswith(f"{bad}: line 3: ") and says in str(err.value)


def _seenby(*args):
    return subprocess.run(
        [sys.executable, "-m", "seenby", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=os.environ
    )


def test_cli_writes_an_owner_only_snapshot(tmp_path):
    """`seenby import gcp-cai FILE… -o OUT` writes a loadable 0600 snapshot."""
    out = tmp_path / "cai.json"

    proc = _seenby("import", "gcp-cai", *map(str, ALL), "-o", str(out))

    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert any(r.id == "gs://corp-keystrokes" for r in load_snapshot(out).resources)


def test_cli_malformed_export_exits_2_and_writes_nothing(tmp_path):
    """A malformed line: exit 2, one line naming file and line, no output file."""
    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"name": 1}\n')
    out = tmp_path / "cai.json"

    proc = _seenby("import", "gcp-cai", str(bad), "-o", str(out))

    assert proc.returncode == 2
    assert f"{bad}: line 1:" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


def test_transfer_configs_and_jobs_are_a_gap_never_none():
    """The importer reads no transfers from an export: each project's flows are NotInExport gaps (docs/flows.md)."""
    project = _resource(import_cai(ALL), "projects/corp-telemetry")

    reads = {name: (project.read(name).outcome, project.read(name).error_code) for name in
             ("transfer_configs", "transfer_jobs")}  # fmt: skip
    assert reads == {"transfer_configs": (ReadOutcome.ERROR, NOT_IN_EXPORT),
                     "transfer_jobs": (ReadOutcome.ERROR, NOT_IN_EXPORT)}  # fmt: skip
