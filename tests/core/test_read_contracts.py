"""Read contracts (seenby/registry.py): each resource type declares its reads once, and a required read a
snapshot lacks is a coverage gap exactly as a denied read is (DESIGN.md section 1, docs/snapshot.md)."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

from seenby.demo.example_org import build
from seenby.explain import explain
from seenby.graph.build import build_graph
from seenby.model import AccessLevel, ReadOutcome
from seenby.policies import evaluate
from seenby.registry import NOT_IN_SNAPSHOT, RESOURCE_TYPES, S3BucketRead, TypeName
from seenby.scanners.aws.dynamodb import TABLE_READS
from seenby.scanners.aws.s3 import BUCKET_READS
from seenby.snapshot import Read, Snapshot

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_BUCKET = "arn:aws:s3:::corp-analytics-exports"  # public through its bucket policy (example org)


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


def test_no_module_spells_an_aws_type_name():
    """Outside seenby/registry.py no code spells an AWS resource type as a string literal (docstrings aside)."""
    names = {t.value for t in TypeName if t.value.startswith("aws.")}
    offenders = []
    for top in ("seenby", "scanners", "policies", "graph", "reports"):
        for path in (ROOT / top).rglob("*.py"):
            if path.name == "registry.py" and top == "seenby":
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            docstrings = {
                id(node.body[0].value)
                for node in ast.walk(tree)
                if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                and node.body
                and isinstance(node.body[0], ast.Expr)
                and isinstance(node.body[0].value, ast.Constant)
            }
            offenders += [
                f"{path.relative_to(ROOT)}:{node.lineno}"
                for node in ast.walk(tree)
                if isinstance(node, ast.Constant) and node.value in names and id(node) not in docstrings
            ]
    assert offenders == []
