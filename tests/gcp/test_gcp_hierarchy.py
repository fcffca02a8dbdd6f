"""Allow-policy inheritance organisation → folders → project → bucket / dataset / table, and conditions."""

from __future__ import annotations

import pytest

from seenby.model import AccessLevel
from tests.gcp.builders import (
    DENIED,
    ORG,
    PROJECT,
    audience,
    binding,
    bq_dataset,
    bq_table,
    bucket,
    evaluate,
    folder,
    grants,
    org,
    policy,
    project,
)

R, A = AccessLevel.READ, AccessLevel.ADMIN
TABLE = f"bigquery://{PROJECT}.ds.t"

ATTACHMENTS = ["organization", "folder", "project"]


def _at(where: str, *bindings: dict) -> list:
    iam = policy(*bindings)
    return [
        org(iam=iam if where == "organization" else None),
        folder("folders/7", iam=iam if where == "folder" else None),
        project(parent="folders/7", iam=iam if where == "project" else None),
    ]


SOURCES = {"organization": ORG, "folder": "folders/7", "project": f"projects/{PROJECT}"}


@pytest.mark.parametrize("where", ATTACHMENTS)
def test_bucket_inherits_bindings(where: str) -> None:
    """A storage role bound at any ancestor reads the bucket; evidence names the ancestor; https://cloud.google.com/iam/docs/resource-hierarchy-access-control"""
    ev = evaluate(*_at(where, binding("roles/storage.objectViewer", "group:g@corp.example")), bucket("b"))
    [grant] = grants(ev, "gs://b", R, "group:g@corp.example")
    assert grant.evidence[0].source == SOURCES[where]
    assert grant.evidence[0].note == f"inherited by gs://b from {SOURCES[where]}"


@pytest.mark.parametrize("where", ATTACHMENTS)
def test_table_inherits_bindings(where: str) -> None:
    """roles/bigquery.dataViewer bound at any ancestor reads every table below it; https://cloud.google.com/bigquery/docs/access-control"""
    inherited = _at(where, binding("roles/bigquery.dataViewer", "group:g@corp.example"))
    ev = evaluate(*inherited, bq_dataset("ds"), bq_table("ds", "t"))
    assert "group:g@corp.example" in audience(ev, TABLE, R)


def test_effective_policy_is_the_union() -> None:
    """Bucket, project and organisation bindings all count: the effective policy is their union; https://cloud.google.com/iam/docs/allow-policies#inheritance"""
    ev = evaluate(
        org(iam=policy(binding("roles/storage.objectViewer", "user:o@corp.example"))),
        project(iam=policy(binding("roles/storage.objectViewer", "user:p@corp.example"))),
        bucket("b", iam=policy(binding("roles/storage.objectViewer", "user:b@corp.example"))),
    )
    assert audience(ev, "gs://b", R) == {"user:o@corp.example", "user:p@corp.example", "user:b@corp.example"}


def test_project_policy_gap_keeps_what_else_is_known() -> None:
    """An unreadable project policy is no 'no bindings': bucket and organisation bindings still grant; https://cloud.google.com/iam/docs/resource-hierarchy-access-control"""
    ev = evaluate(
        org(iam=policy(binding("roles/storage.objectViewer", "user:o@corp.example"))),
        project(iam=DENIED),
        bucket("b", iam=policy(binding("roles/storage.objectViewer", "user:b@corp.example"))),
    )
    assert audience(ev, "gs://b", R) == {"user:o@corp.example", "user:b@corp.example"}


def test_conditional_binding_becomes_conditional_grant() -> None:
    """A binding with an IAM Condition is kept as a conditional grant with the CEL as written; https://cloud.google.com/iam/docs/conditions-overview"""
    expression = 'origin.ip == "203.0.113.7"'  # not an IAM Conditions attribute: not decided offline
    condition = {"title": "from corp network", "expression": expression}
    iam = policy(binding("roles/storage.objectViewer", "user:temp@corp.example", condition=condition))
    ev = evaluate(org(), project(), bucket("b", iam=iam))
    [grant] = grants(ev, "gs://b", R, "user:temp@corp.example")
    assert grant.conditions[0].expression == expression
    assert grant.conditions[0].keys == ("origin.ip",)
    assert "from corp network" in grant.conditions[0].reason


def test_project_owner_administers_datasets_below() -> None:
    """roles/owner on the project can rewrite the policy datasets inherit: ADMIN, not READ; https://cloud.google.com/bigquery/docs/access-control-basic-roles"""
    ev = evaluate(org(), project(iam=policy(binding("roles/owner", "user:boss@corp.example"))), bq_dataset("ds"))
    ds = f"bigquery://{PROJECT}.ds"
    assert "user:boss@corp.example" in audience(ev, ds, A)
    assert "user:boss@corp.example" not in audience(ev, ds, R)


def test_project_viewer_gets_no_bucket_data_from_the_role_alone() -> None:
    """roles/viewer alone lists buckets but reads no objects; https://cloud.google.com/storage/docs/access-control/iam-roles#basic-roles"""
    ev = evaluate(org(), project(iam=policy(binding("roles/viewer", "user:v@corp.example"))), bucket("b"))
    assert grants(ev, "gs://b", R) == []
