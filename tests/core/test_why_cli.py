"""``seenby why`` end to end on the example organisation (subprocess, real CLI)."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = str(ROOT / "examples" / "telemetry-incident" / "snapshot.json")
ACCT = "111122223333"


def _why(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seenby", "why", *args, "--snapshot", SNAPSHOT],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip


def _json(*args: str) -> dict[str, Any]:
    run = _why(*args, "--format", "json")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def _layer(doc: dict[str, Any], caller: str, kind: str) -> dict[str, Any]:
    (action,) = [a for a in doc["actions"] if a["action"] == "s3:GetObject" and a["caller"]["id"] == caller]
    return next(layer for layer in action["layers"] if layer["kind"] == kind)


def test_org_read_names_org_wide_read_and_the_reader_chain() -> None:
    """OrgWideRead allows the organisation's principals on the bucket's side, but every other account's IAM is in
    the snapshot: the class itself is not allowed and has no path (its members are answered one by one, as
    who-can-read lists them: issue 19 item 1).  The data account reads straight through OrgWideRead (its own
    bucket) and through the telemetry-reader chain, whose trust lets its principals in (issue 22 item 5)."""
    doc = _json("aws-org:o-a1b2c3d4e5", "arn:aws:s3:::corp-employee-telemetry-raw")
    layer = _layer(doc, "aws-org:o-a1b2c3d4e5", "resource-policy")
    identity = _layer(doc, "aws-org:o-a1b2c3d4e5", "identity-policies")
    assert (doc["answer"], layer["status"], [e.get("sid") for e in layer["allowing"]], identity["status"]) == (
        "not-allowed", "allows", ["OrgWideRead"], "no-allow",
    )  # fmt: skip
    assert doc["paths"] == []
    account = _json(f"arn:aws:iam::{ACCT}:root", "arn:aws:s3:::corp-employee-telemetry-raw")
    account_chains = [[s["node"] for s in p["steps"]] for p in account["paths"]]
    assert account["answer"] == "allowed"
    assert [f"arn:aws:iam::{ACCT}:root", "arn:aws:s3:::corp-employee-telemetry-raw"] in account_chains
    assert [f"arn:aws:iam::{ACCT}:root", f"arn:aws:iam::{ACCT}:role/telemetry-reader",
            "arn:aws:s3:::corp-employee-telemetry-raw"] in account_chains  # fmt: skip


def test_ml_training_reads_curated_through_training_decrypt() -> None:
    """ml-training reads the SSE-KMS curated bucket: the KMS layer allows via TrainingDecrypt."""
    role = f"arn:aws:iam::{ACCT}:role/ml-training"
    doc = _json(role, "arn:aws:s3:::corp-employee-telemetry-curated")
    layer = _layer(doc, role, "kms-key-policy")
    assert (doc["answer"], layer["status"], [e.get("sid") for e in layer["allowing"]]) == (
        "allowed", "allows", ["TrainingDecrypt"],
    )  # fmt: skip


def test_engineering_cannot_read_curated_because_the_key_does_not_enable_iam() -> None:
    """The engineering group is stopped by the key policy, which does not enable IAM policies."""
    group = f"arn:aws:iam::{ACCT}:group/engineering"
    doc = _json(group, "arn:aws:s3:::corp-employee-telemetry-curated")
    layer = _layer(doc, group, "kms-key-policy")
    assert (doc["answer"], layer["status"], layer["decisive"]) == ("not-allowed", "no-allow", True)
    assert "does not enable IAM" in layer["summary"]


def test_json_output_matches_its_schema() -> None:
    """--format json validates against seenby/schemas/explain-v1.schema.json."""
    doc = _json("aws-org:o-a1b2c3d4e5", "arn:aws:s3:::corp-employee-telemetry-raw")
    schema = json.loads(resources.files("seenby").joinpath("schemas/explain-v1.schema.json").read_text())
    jsonschema.validate(doc, schema)


def test_table_output_names_the_statement_and_the_layers() -> None:
    """The table names the allowing statement and lists each layer."""
    run = _why("aws-org:o-a1b2c3d4e5", "arn:aws:s3:::corp-employee-telemetry-raw")
    assert run.returncode == 0 and "Sid OrgWideRead" in run.stdout and "kms-key-policy" in run.stdout


def test_gcp_dataset_is_explained_by_bindings_on_paths() -> None:
    """A GCP dataset is explained by its graph paths, each step naming the binding."""
    doc = _json("domain:corp.example", "gs://corp-keystrokes")
    kinds = {e["kind"] for p in doc["paths"] for s in p["steps"] for e in s["evidence"]}
    assert (doc["answer"], doc["actions"], "iam-binding" in kinds) == ("allowed", [], True)


def test_unknown_principal_is_a_usage_error() -> None:
    """A principal the snapshot does not know exits 2 with one message naming it."""
    run = _why("user:nobody@nowhere.example", "gs://corp-keystrokes")
    assert (run.returncode, run.stdout) == (2, "") and "user:nobody@nowhere.example" in run.stderr
