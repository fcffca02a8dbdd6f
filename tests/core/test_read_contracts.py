"""Read contracts (seenby/registry.py): each resource type declares its reads once, and a required read a
snapshot lacks is a coverage gap exactly as a denied read is (DESIGN.md section 1, docs/snapshot.md)."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import date
from enum import StrEnum
from pathlib import Path

from seenby import registry
from seenby.audit import audit
from seenby.config import load_rules
from seenby.demo.example_org import build
from seenby.explain import explain
from seenby.findings import RuleId
from seenby.graph.build import build_graph
from seenby.model import AccessLevel, Provider, ReadOutcome
from seenby.policies import evaluate
from seenby.registry import (
    NOT_IN_SNAPSHOT,
    RESOURCE_TYPES,
    BigQueryDatasetRead,
    GcsBucketRead,
    S3BucketRead,
    SupersetDashboardRead,
    TypeName,
)
from seenby.scanners.aws.dynamodb import TABLE_READS
from seenby.scanners.aws.s3 import BUCKET_READS
from seenby.snapshot import Read, Snapshot

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_BUCKET = "arn:aws:s3:::corp-analytics-exports"  # public through its bucket policy (example org)
GCS_BUCKET = "gs://corp-public-site-assets"  # public through its IAM policy (example org)
BQ_DATASET = "bigquery://corp-telemetry.ml_raw"
DASHBOARD = "superset://superset.corp.example:8088/dashboard/1"


def _without_read(snapshot: Snapshot, resource_id: str, read: str) -> Snapshot:
    resources = tuple(
        replace(r, reads={k: v for k, v in r.reads.items() if k != read}) if r.id == resource_id else r
        for r in snapshot.resources
    )
    return replace(snapshot, resources=resources)


def test_a_bucket_without_its_policy_read_is_a_coverage_gap():
    """A bucket whose snapshot entry has no `policy` read gets a gap on that read, attributed to the bucket."""
    snapshot = _without_read(build(), PUBLIC_BUCKET, S3BucketRead.POLICY)

    gaps = [g for g in evaluate(snapshot).gaps if g.resource == PUBLIC_BUCKET]

    assert [(g.read, g.outcome, g.error_code, g.api, g.datasets) for g in gaps] == [
        ("policy", ReadOutcome.ERROR, NOT_IN_SNAPSHOT, "s3:GetBucketPolicy", (PUBLIC_BUCKET,))
    ]


def test_a_missing_optional_read_is_no_gap():
    """An optional read (replication: older snapshots lack it) that is absent adds no gap."""
    snapshot = build()
    assert not any(S3BucketRead.REPLICATION in r.reads for r in snapshot.resources if r.id == PUBLIC_BUCKET)

    gaps = [g for g in evaluate(snapshot).gaps if g.resource == PUBLIC_BUCKET]

    assert gaps == []


def test_a_denied_read_stays_one_gap():
    """A required read that is present but denied is reported once, with the provider's outcome, not twice."""
    denied = Read(outcome=ReadOutcome.DENIED, api="s3:GetBucketPolicy", error_code="AccessDenied")
    snapshot = build()
    resources = tuple(
        replace(r, reads={**r.reads, S3BucketRead.POLICY: denied}) if r.id == PUBLIC_BUCKET else r
        for r in snapshot.resources
    )

    gaps = [g for g in evaluate(replace(snapshot, resources=resources)).gaps if g.resource == PUBLIC_BUCKET]

    assert [(g.read, g.outcome, g.error_code) for g in gaps] == [("policy", ReadOutcome.DENIED, "AccessDenied")]


def test_why_says_a_missing_policy_read_is_unknown():
    """`why` shows the bucket policy layer of a bucket without its `policy` read as unknown, as the audit's gap."""
    snapshot = _without_read(build(), PUBLIC_BUCKET, S3BucketRead.POLICY)
    evaluation = evaluate(snapshot)

    answer = explain(snapshot, evaluation, build_graph(evaluation), "aws:public", PUBLIC_BUCKET, AccessLevel.READ)

    summaries = {layer.summary for action in answer.actions for layer in action.layers}
    assert any("could not be read" in s and NOT_IN_SNAPSHOT in s for s in summaries)


def test_scanners_write_exactly_the_declared_reads():
    """The S3 and DynamoDB scanners' read tables name only reads their type declares."""
    types = (TypeName.AWS_S3_BUCKET, TypeName.AWS_DYNAMODB_TABLE)
    declared = {t: {c.name for c in RESOURCE_TYPES[t].reads} for t in types}

    assert {r.name for r in BUCKET_READS} <= declared[TypeName.AWS_S3_BUCKET]
    assert {r.name for r in TABLE_READS} <= declared[TypeName.AWS_DYNAMODB_TABLE]


def _docstrings(tree: ast.AST) -> set[int]:
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def _code_files():
    for top in ("seenby", "scanners", "policies", "graph", "reports"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if not (path.name == "registry.py" and top == "seenby"):
                yield path


def test_no_module_spells_a_type_name():
    """Outside seenby/registry.py no code spells a resource type (AWS, Google Cloud, Superset) as a string literal."""
    names = {t.value for t in TypeName}
    offenders = []
    for path in _code_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        docstrings = _docstrings(tree)
        offenders += [
            f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value in names and id(node) not in docstrings
        ]
    assert offenders == []


# Where a read name stands in code: resource.read(NAME) / .document(NAME), reads[NAME], reads.get(NAME),
# NAME in reads, {NAME: ...} as a resource's reads, read=NAME (evidence, gaps), and the importers' and
# scanners' writers.
_READ_CALLS = {"read": 0, "document": 0, "set_read": 1, "put": 1, "_child": 1, "listing": 1}
_READS_METHODS = {"get", "setdefault", "pop"}
# The modules whose read names must come from the registry (issue 13): every Google Cloud and Superset
# scanner, importer and evaluator, and the AWS services that had bare names.
_READ_SCOPE = (
    "scanners/gcp", "scanners/superset", "policies/gcp", "policies/superset",
    "seenby/importers/gcp_cai.py", "seenby/importers/gcp_directory.py", "seenby/importers/terraform/gcp.py",
    "policies/aws/quicksight.py", "policies/aws/lakeformation.py", "policies/aws/glue.py",
    "policies/aws/identitycenter.py", "policies/aws/org.py", "scanners/aws/quicksight.py", "scanners/aws/glue.py",
    "scanners/aws/lakeformation.py", "scanners/aws/identitycenter.py", "scanners/aws/organizations.py",
    "scanners/aws/buckets.py", "scanners/aws/scan.py", "seenby/gate_unknowns.py", "reports/fix_commands.py",
)  # fmt: skip


def _is_reads(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and (node.id == "reads" or node.id.endswith("_reads"))) or (
        isinstance(node, ast.Attribute) and node.attr == "reads"
    )


def _is_type_name(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "TypeName"


def _read_name_positions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            at = _READ_CALLS.get(node.func.attr)
            if at is not None and len(node.args) > at:
                yield node.args[at]
            if node.func.attr in _READS_METHODS and _is_reads(node.func.value) and node.args:
                yield node.args[0]
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "reads" and isinstance(kw.value, ast.Dict):
                    yield from (k for k in kw.value.keys if k is not None)
                if kw.arg == "read":  # evidence and gaps name the read they come from
                    yield kw.value
        if isinstance(node, ast.Subscript) and _is_reads(node.value):
            yield node.slice
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and _is_reads(node.comparators[0]):
            yield node.left
        if isinstance(node, ast.Tuple) and len(node.elts) >= 2 and _is_type_name(node.elts[0]):
            yield node.elts[1]  # (type, read): a key of the tables that dispatch on a resource's read
        is_dict = isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
        if is_dict and any(_is_reads(t) for t in node.targets):
            yield from (k for k in node.value.keys if k is not None)


def test_read_names_come_from_the_registry():
    """In the Google Cloud, Superset and AWS service modules, a read name in a read position is a registry enum."""
    enums = [v for v in vars(registry).values() if isinstance(v, type) and issubclass(v, StrEnum) and v is not TypeName]
    names = {m.value for e in enums for m in e}
    offenders = []
    for scope in _READ_SCOPE:
        base = ROOT / scope
        for path in sorted(base.rglob("*.py")) if base.is_dir() else [base]:
            tree = ast.parse(path.read_text(), filename=str(path))
            offenders += [
                f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}"
                for node in _read_name_positions(tree)
                if isinstance(node, ast.Constant) and node.value in names
            ]
    assert offenders == []


def test_every_google_cloud_and_superset_type_declares_its_reads():
    """Each Google Cloud and Superset type has a read contract with at least one required read."""
    types = [t for t in RESOURCE_TYPES.values() if t.provider in (Provider.GCP, Provider.SUPERSET)]

    assert {t.name for t in types} == {t for t in TypeName if not t.startswith("aws.")}
    assert [t.name for t in types if not t.required()] == []


def _gaps_and_findings(snapshot: Snapshot, resource: str):
    result = audit(snapshot, load_rules(ROOT / "rules.yaml"), today=date(2026, 11, 23))
    gaps = [(g.read, g.outcome, g.error_code, g.api) for g in result.gaps if g.resource == resource]
    findings = [f for f in result.findings if f.rule_id == RuleId.COVERAGE_GAP and f.dataset.id == resource]
    return gaps, findings


def test_a_gcs_bucket_without_its_iam_policy_read_is_a_coverage_gap():
    """A Cloud Storage bucket whose snapshot entry lacks its IAM policy read has a NotInSnapshot gap and an SB011
    finding, never "no bindings" (storage.buckets.getIamPolicy, https://cloud.google.com/storage/docs/json_api/v1/buckets/getIamPolicy)."""
    snapshot = _without_read(build(), GCS_BUCKET, GcsBucketRead.IAM_POLICY)

    gaps, findings = _gaps_and_findings(snapshot, GCS_BUCKET)

    assert gaps == [("iam_policy", ReadOutcome.ERROR, NOT_IN_SNAPSHOT, "storage.buckets.getIamPolicy")]
    assert len(findings) == 1


def test_a_bigquery_dataset_without_its_access_entries_is_a_coverage_gap():
    """A BigQuery dataset without its datasets.get read (which holds its ``access`` entries) has a NotInSnapshot gap
    and an SB011 finding (https://cloud.google.com/bigquery/docs/reference/rest/v2/datasets/get)."""
    snapshot = _without_read(build(), BQ_DATASET, BigQueryDatasetRead.METADATA)

    gaps, findings = _gaps_and_findings(snapshot, BQ_DATASET)

    assert gaps == [("metadata", ReadOutcome.ERROR, NOT_IN_SNAPSHOT, "bigquery.datasets.get")]
    assert len(findings) == 1


def test_a_superset_dashboard_without_its_embedded_read_is_a_coverage_gap():
    """A Superset dashboard without its embedded read (guest-token embedding, GET /api/v1/dashboard/{id}/embedded,
    https://superset.apache.org/docs/api) has a NotInSnapshot gap and an SB011 finding."""
    snapshot = _without_read(build(), DASHBOARD, SupersetDashboardRead.EMBEDDED)

    gaps, findings = _gaps_and_findings(snapshot, DASHBOARD)

    api = "superset:GET /api/v1/dashboard/{id}/embedded"
    assert gaps == [("embedded", ReadOutcome.ERROR, NOT_IN_SNAPSHOT, api)]
    assert len(findings) == 1


def test_the_example_organisation_lacks_no_required_read():
    """The example organisation (the fixture every type has) holds every required read of every resource."""
    missing = [(r.id, c.name) for r in build().resources for c in registry.missing_reads(r.type, r.reads)]

    assert missing == []
