"""The example organisation, end to end: the exact findings of each scenario, and none where it is safe."""

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
SCREENS = "arn:aws:s3:::corp-employee-telemetry-screens"
CURATED = "arn:aws:s3:::corp-employee-telemetry-curated"
EXPORTS = "arn:aws:s3:::corp-analytics-exports"
PRESS = "arn:aws:s3:::corp-press-kit"
LEGACY = "arn:aws:s3:::corp-legacy-archive"
KEYSTROKES = "gs://corp-keystrokes"
SITE = "gs://corp-public-site-assets"
ML_RAW = "bigquery://corp-telemetry.ml_raw"
ENGINEERING = "arn:aws:iam::111122223333:group/engineering"
READER_ROLE = "arn:aws:iam::111122223333:role/telemetry-reader"
DATA_ACCOUNT = "arn:aws:iam::111122223333:root"
EVENTS = "arn:aws:s3:::corp-employee-telemetry-events"
EVENTS_REPLICA = "arn:aws:s3:::corp-analytics-telemetry-replica"
ANALYTICS_ACCOUNT = "arn:aws:iam::222233334444:root"
ROOT_USER = "aws-root-user:"


@pytest.fixture(scope="module")
def result() -> AuditResult:
    return audit(load_snapshot(SNAPSHOT), load_rules(ROOT / "rules.yaml"), today=date(2026, 11, 23))


def findings(
    result: AuditResult, dataset: str, rule: str | None = None, level: AccessLevel | None = None
) -> list[Finding]:
    return [
        f
        for f in result.active
        if f.dataset.id == dataset and (rule is None or f.rule_id == rule) and (level is None or f.level is level)
    ]


def one(result: AuditResult, dataset: str, rule: str, level: AccessLevel = AccessLevel.READ) -> Finding:
    found = findings(result, dataset, rule, level)
    assert len(found) == 1, f"expected one {rule} {level} finding on {dataset}, got {found}"
    return found[0]


def excess_ids(finding: Finding) -> set[str]:
    return {e.principal.id for e in finding.excess}


def test_raw_bucket_is_organisation_wide_through_its_bucket_policy(result):
    """The org-conditioned bucket policy ("*" with aws:PrincipalOrgID) lets in every principal of the data account
    and, from the organisation's other accounts (whose IAM is known), those whose own IAM allows: their root users
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
    With engineering and telemetry-reader they cover the organisation: org-wide (issue 19 item 1)."""
    finding = one(result, RAW, "SB003")
    assert excess_ids(finding) == {DATA_ACCOUNT, ENGINEERING, READER_ROLE, f"{ROOT_USER}222233334444",
                                   f"{ROOT_USER}999988887777"}  # fmt: skip
    entry = next(e for e in finding.excess if e.principal.id == DATA_ACCOUNT)
    assert [s.node for s in entry.path] == [DATA_ACCOUNT, RAW]
    assert entry.opening_evidence[0].sid == "OrgWideRead"
    assert "together every principal of organisation o-a1b2c3d4e5" in finding.message


def test_engineering_group_reads_raw_beyond_declaration_with_people_count(result):
    """The engineering group's identity policy reaches raw telemetry: 1,200 people beyond the declaration (an
    entry of the org-wide finding, its readers covering the organisation)."""
    finding = one(result, RAW, "SB003")
    assert ENGINEERING in excess_ids(finding)
    group_entry = next(e for e in finding.excess if e.principal.id == ENGINEERING)
    assert group_entry.people == 1200
    assert group_entry.opening_evidence[0].sid == "DebugTelemetry"


def test_screens_bucket_is_organisation_wide_through_an_assumable_role(result):
    """The role the organisation's trust opens reads the screens bucket: its actual assumers (every principal of the
    data account, where the trust's "*" names them) and the engineering group together cover the organisation
    (the other accounts have nobody who could be left out), so it is org-wide, the chain shown (issue 22 item 5)."""
    finding = one(result, SCREENS, "SB003")
    assert excess_ids(finding) == {DATA_ACCOUNT, ENGINEERING, READER_ROLE}
    entry = finding.excess[0]
    assert [s.node for s in entry.path] == [DATA_ACCOUNT, READER_ROLE, SCREENS]
    assert [s.via for s in entry.path[:-1]] == ["can-assume", "grant:read"]
    assert "together every principal of organisation o-a1b2c3d4e5" in finding.message
    assert findings(result, SCREENS, "SB005") == []


def test_events_leak_to_the_organisation_through_their_replica(result):
    """The events bucket has no policy, but its replica in corp-analytics is readable by every principal of that
    account and the other accounts' root users (no IAM principal of the data account has an Allow of its own on
    the replica); with engineering, who reads the events directly, they cover the organisation: SB003 on the
    source."""
    finding = one(result, EVENTS, "SB003")
    assert excess_ids(finding) == {ENGINEERING, ANALYTICS_ACCOUNT, f"{ROOT_USER}111122223333",
                                   f"{ROOT_USER}999988887777"}  # fmt: skip
    entry = next(e for e in finding.excess if e.principal.id == ANALYTICS_ACCOUNT)
    assert [s.node for s in entry.path] == [ANALYTICS_ACCOUNT, EVENTS_REPLICA, EVENTS]
    assert [s.via for s in entry.path[:-1]] == ["grant:read", "flows-to"]


def test_undeclared_replica_is_audited_as_its_source(result):
    """The replica inherits the events' declaration: its own account (SB005) and the other accounts' root users
    (SB004) read it beyond that declaration; no undeclared-dataset finding.  Not org-wide: the data account's IAM
    principals have no Allow of their own on it, and across accounts both sides must allow (issue 19 item 1)."""
    assert excess_ids(one(result, EVENTS_REPLICA, "SB005")) == {ANALYTICS_ACCOUNT}
    assert excess_ids(one(result, EVENTS_REPLICA, "SB004")) == {f"{ROOT_USER}111122223333",
                                                               f"{ROOT_USER}999988887777"}  # fmt: skip
    assert findings(result, EVENTS_REPLICA, "SB003") == []
    assert findings(result, EVENTS_REPLICA, "SB009") == []


def test_kms_key_narrows_the_curated_bucket(result):
    """The same org-wide policy on an SSE-KMS bucket whose key only the training role may use: no org-wide read."""
    assert findings(result, CURATED, "SB003", AccessLevel.READ) == []
    assert findings(result, CURATED, "SB005", AccessLevel.READ) == []


def test_exports_bucket_is_listable_by_any_authenticated_aws_user(result):
    """An ACL READ grant to AuthenticatedUsers, no Block Public Access: any AWS user can list the exports."""
    finding = one(result, EXPORTS, "SB002", AccessLevel.LIST)
    assert excess_ids(finding) == {"aws:authenticated"}
    assert finding.excess[0].opening_evidence[0].kind.value == "acl-grant"


def test_partner_account_on_exports_is_waived(result):
    """The partner account's read is a cross-account finding hidden by the live waiver."""
    waived = [f for f in result.findings if f.dataset.id == EXPORTS and f.rule_id == "SB004" and f.waived]
    assert len(waived) == 1
    assert findings(result, EXPORTS, "SB004") == []


def test_restrict_public_buckets_keeps_the_press_kit_private(result):
    """A public bucket policy under account-level RestrictPublicBuckets is not public."""
    assert [f for f in findings(result, PRESS) if f.rule_id in ("SB001", "SB002", "SB003", "SB004")] == []


def test_denied_policy_read_is_a_coverage_gap(result):
    """The bucket whose policy could not be read is a coverage gap, not a clean bucket."""
    (gap,) = [f for f in findings(result, LEGACY) if f.rule_id == "SB011"]
    assert gap.gap is not None and gap.gap.api == "s3:GetBucketPolicy" and gap.gap.error_code == "AccessDenied"
    assert [f.rule_id for f in findings(result, LEGACY) if f.rule_id == "SB009"] == ["SB009"]


def test_keystrokes_bucket_is_domain_wide(result):
    """A domain: binding on the keystrokes bucket makes it readable by the whole Workspace domain."""
    finding = one(result, KEYSTROKES, "SB003")
    assert excess_ids(finding) == {"domain:corp.example"}
    assert finding.excess[0].people == 1500


def test_public_access_prevention_keeps_site_assets_private(result):
    """allUsers on a bucket with public access prevention enforced is not public."""
    assert findings(result, SITE, "SB001") == []
    assert findings(result, SITE, "SB002") == []


def test_authorized_view_reexposes_ml_raw_to_all_employees(result):
    """An authorized view in a dataset every employee reads re-exposes the restricted raw dataset."""
    finding = one(result, ML_RAW, "SB008")
    assert "group:all-employees@corp.example" in excess_ids(finding)
    entry = next(e for e in finding.excess if e.principal.id == "group:all-employees@corp.example")
    assert "bigquery://corp-telemetry.shared_reporting.daily_activity" in [s.node for s in entry.path]
    assert entry.people == 1500


def test_every_finding_explains_itself(result):
    """Every audience finding names a path ending at its dataset and the evidence that opens it."""
    for f in result.active:
        for entry in f.excess:
            assert entry.path[0].node == entry.principal.id
            assert entry.path[-1].node == f.dataset.id
            assert entry.opening_evidence, f"{f.rule_id} {f.dataset.id} {entry.principal.id} has no evidence"
