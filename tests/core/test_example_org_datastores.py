"""The example organisation's data stores beyond S3 and GCS: exact findings of the DynamoDB table, the
QuickSight dashboard and the Glue table (rule, dataset, excess principal, path)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from seenby.audit import audit
from seenby.config import load_rules
from seenby.findings import AuditResult, Finding
from seenby.model import AccessLevel
from seenby.snapshot import load_snapshot

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "examples" / "telemetry-incident" / "snapshot.json"
ORG = "aws-org:o-a1b2c3d4e5"
RAW = "arn:aws:s3:::corp-employee-telemetry-raw"
SESSIONS = "arn:aws:dynamodb:eu-west-1:111122223333:table/corp-telemetry-sessions"
PARTNER_ROOT = "arn:aws:iam::444455556666:root"
QS = "arn:aws:quicksight:eu-west-1:222233334444"
DASHBOARD = f"{QS}:dashboard/employee-productivity"
NAMESPACE = f"{QS}:namespace/default"
AUTHORS = f"{QS}:group/default/bi-authors"
GLUE_TABLE = "arn:aws:glue:eu-west-1:111122223333:table/telemetry/keystrokes_raw"
ENGINEERING = "arn:aws:iam::111122223333:group/engineering"
READER_ROLE = "arn:aws:iam::111122223333:role/telemetry-reader"
DATA_ACCOUNT = "arn:aws:iam::111122223333:root"  # its principals assume telemetry-reader (issue 22 item 5)


@pytest.fixture(scope="module")
def result() -> AuditResult:
    return audit(load_snapshot(SNAPSHOT), load_rules(ROOT / "rules.yaml"), today=date(2026, 11, 23))


def active(result: AuditResult, dataset: str) -> list[Finding]:
    return [f for f in result.active if f.dataset.id == dataset]


def paths(finding: Finding) -> dict[str, list[str]]:
    return {e.principal.id: [s.node for s in e.path] for e in finding.excess}


def test_sessions_table_policy_lets_the_partner_read(result):
    """The DynamoDB resource policy naming the partner's root is one cross-account read finding, nothing else."""
    (finding,) = active(result, SESSIONS)
    assert (finding.rule_id, finding.level) == ("SB004", AccessLevel.READ)
    assert paths(finding) == {PARTNER_ROOT: [PARTNER_ROOT, SESSIONS]}
    assert finding.excess[0].opening_evidence[0].sid == "PartnerReadSessions"


def test_dashboard_reexposes_raw_telemetry_to_every_quicksight_user(result):
    """The link-shared dashboard re-exposes the raw bucket to all QuickSight users of corp-analytics and its authors."""
    (finding,) = [f for f in active(result, RAW) if f.rule_id == "SB008"]
    assert finding.level is AccessLevel.READ
    assert paths(finding) == {
        NAMESPACE: [NAMESPACE, DASHBOARD, RAW],
        AUTHORS: [AUTHORS, DASHBOARD, RAW],
    }
    lineage = next(e for e in finding.excess if e.principal.id == NAMESPACE).path[1].evidence[0]
    assert lineage.kind.value == "dashboard-lineage"


def test_raw_bucket_keeps_its_other_findings(result):
    """Adding the dashboard adds SB008 to the raw bucket and changes none of its other findings (one org-wide
    finding: its readers together cover the organisation, tests/core/test_example_org.py)."""
    assert sorted(f.rule_id for f in active(result, RAW)) == ["SB003", "SB008"]


def test_dashboard_itself_is_within_its_declaration(result):
    """The dashboard's own audience (QuickSight users, its authors) is what rules.yaml declares: no finding."""
    assert active(result, DASHBOARD) == []


def test_glue_table_inherits_every_reader_of_its_s3_location(result):
    """The Glue table over the raw bucket is read by whoever reads the bucket, each path through the bucket (the
    bucket's org-wide statement: the data account and the other accounts' root users, issue 19 item 1)."""
    (finding,) = active(result, GLUE_TABLE)
    assert (finding.rule_id, finding.level) == ("SB008", AccessLevel.READ)
    assert paths(finding) == {
        DATA_ACCOUNT: [DATA_ACCOUNT, RAW, GLUE_TABLE],
        ENGINEERING: [ENGINEERING, RAW, GLUE_TABLE],
        READER_ROLE: [READER_ROLE, RAW, GLUE_TABLE],
        "aws-root-user:222233334444": ["aws-root-user:222233334444", RAW, GLUE_TABLE],
        "aws-root-user:999988887777": ["aws-root-user:999988887777", RAW, GLUE_TABLE],
        NAMESPACE: [NAMESPACE, DASHBOARD, RAW, GLUE_TABLE],
        AUTHORS: [AUTHORS, DASHBOARD, RAW, GLUE_TABLE],
    }
    location = next(e for e in finding.excess if e.principal.id == DATA_ACCOUNT).path[1].evidence[0]
    assert (location.kind.value, location.excerpt["Location"]) == (
        "catalog-location", "s3://corp-employee-telemetry-raw/keystrokes/"
    )  # fmt: skip
