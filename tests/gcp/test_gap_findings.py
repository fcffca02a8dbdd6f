"""One gap, one finding (issue 15.6): a failed read is one SB011 finding listing every dataset it affects.

Google Cloud gaps come from a real miniature snapshot (a project's allow policy denied:
https://cloud.google.com/resource-manager/reference/rest/v3/projects/getIamPolicy); the AWS case builds the
gap directly, as the AWS evaluator records one for an account-level read (provider-neutral audit code).
"""

from __future__ import annotations

from datetime import date

from seenby.audit import audit, audit_evaluation
from seenby.config import parse_rules
from seenby.findings import AuditResult
from seenby.model import CoverageGap, Dataset, DatasetKind, Evaluation, Provider, ReadOutcome
from seenby.snapshot import new_snapshot
from tests.gcp.builders import DENIED, PROJECT, bucket, org, project, snapshot

RULES = parse_rules("version: 1\nundeclared: {action: report}\n", source="rules.yaml")
TODAY = date(2026, 6, 1)
BUCKETS = [f"b{i}" for i in range(7)]


def _gcp_result() -> AuditResult:
    return audit(snapshot(org(), project(iam=DENIED), *(bucket(b) for b in BUCKETS)), RULES, today=TODAY)


def _project_gaps(result: AuditResult) -> list:
    return [f for f in result.findings if f.rule_id == "SB011" and f.gap.resource == f"projects/{PROJECT}"]


def test_denied_project_policy_is_one_finding() -> None:
    """A denied project allow policy affecting seven buckets is one SB011 finding, not seven."""
    assert len(_project_gaps(_gcp_result())) == 1


def test_gap_finding_names_the_datasets_it_affects() -> None:
    """The finding's message counts the affected datasets and names the first five."""
    [finding] = _project_gaps(_gcp_result())
    assert "the audiences of 7 datasets may be broader than shown: b0, b1, b2, b3, b4 and 2 more" in finding.message


def test_coverage_gaps_stay_complete() -> None:
    """AuditResult.gaps (coverage_gaps in JSON) still lists every affected dataset."""
    [gap] = [g for g in _gcp_result().gaps if g.resource == f"projects/{PROJECT}" and g.read == "iam_policy"]
    assert set(gap.datasets) == {f"gs://{b}" for b in BUCKETS}


def test_aws_account_gap_is_one_finding() -> None:
    """An AWS account-level read that failed (GetAccountAuthorizationDetails) is one finding for its three buckets."""
    ev = Evaluation()
    for name in ("x", "y", "z"):
        arn = f"arn:aws:s3:::{name}"
        ev.datasets[arn] = Dataset(id=arn, kind=DatasetKind.S3_BUCKET, provider=Provider.AWS, name=name,
                                   account="111122223333")
    ev.gaps.append(CoverageGap(resource="111122223333", resource_type="aws.account", read="authorization_details",
                               api="iam:GetAccountAuthorizationDetails", outcome=ReadOutcome.DENIED,
                               error_code="AccessDenied", datasets=tuple(sorted(ev.datasets))))
    shot = new_snapshot((), scope={}, mode="test")
    result = audit_evaluation(ev, RULES, snapshot=shot, today=TODAY)
    gaps = [f for f in result.findings if f.rule_id == "SB011"]
    assert [(f.dataset.id, "3 datasets" in f.message) for f in gaps] == [("arn:aws:s3:::x", True)]
