"""Hand-built findings and audiences for the report tests: one of every finding kind."""

from __future__ import annotations

from datetime import date

import pytest

from seenby.findings import (
    AudienceClass,
    AudienceMember,
    AudienceReport,
    AuditResult,
    ExcessEntry,
    Finding,
    PathStep,
    Severity,
    StepKind,
    Waiver,
)
from seenby.model import (
    AWS_PUBLIC,
    AccessLevel,
    Condition,
    CoverageGap,
    Dataset,
    DatasetKind,
    Evidence,
    EvidenceKind,
    Principal,
    PrincipalKind,
    Provider,
    ReadOutcome,
    aws_account_principal,
    aws_org_principal,
)

HOSTILE = "<script>alert(1)</script> | ]]> \n next line \x1b[31mred\x1b[0m \x00 \u202eevil"

TELEMETRY = Dataset(
    id="arn:aws:s3:::corp-telemetry",
    kind=DatasetKind.S3_BUCKET,
    provider=Provider.AWS,
    name="corp-telemetry",
    account="111122223333",
    location="eu-west-1",
    tags={"seenby:audience": "telemetry-analysts"},
)
EXPORTS = Dataset(
    id="gs://marketing-exports",
    kind=DatasetKind.GCS_BUCKET,
    provider=Provider.GCP,
    name="marketing-exports",
    account="corp-marketing",
    location="EU",
)
HR = Dataset(
    id="bigquery://corp-hr.people",
    kind=DatasetKind.BIGQUERY_DATASET,
    provider=Provider.GCP,
    name="people",
    account="corp-hr",
    location="EU",
)
CLEAN = Dataset(
    id="arn:aws:s3:::corp-logs",
    kind=DatasetKind.S3_BUCKET,
    provider=Provider.AWS,
    name="corp-logs",
    account="111122223333",
    location="eu-west-1",
)

READER_ROLE = Principal(
    id="arn:aws:iam::111122223333:role/telemetry-reader",
    kind=PrincipalKind.ROLE,
    provider=Provider.AWS,
    account="111122223333",
    name="role/telemetry-reader",
)
ANALYST = Principal(id="user:dana@corp.example", kind=PrincipalKind.USER, provider=Provider.GCP)

PUBLIC_STATEMENT = Evidence(
    kind=EvidenceKind.RESOURCE_POLICY,
    source=TELEMETRY.id,
    location="Statement[0]",
    sid="PublicRead",
    excerpt={"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::corp-telemetry/*"},
)
TRUST_STATEMENT = Evidence(
    kind=EvidenceKind.TRUST_POLICY,
    source=READER_ROLE.id,
    location="Statement[0]",
    excerpt={"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}},
)
ROLE_POLICY = Evidence(
    kind=EvidenceKind.IDENTITY_POLICY,
    source=READER_ROLE.id,
    location="telemetry-read/Statement[0]",
    sid="ReadTelemetry",
    excerpt={"Sid": "ReadTelemetry", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": ["arn:aws:s3:::corp-telemetry", "arn:aws:s3:::corp-telemetry/*"]},
)
SOURCE_IP = Condition(
    expression={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    keys=("aws:SourceIp",),
    reason="source IP is not known offline",
)
DECLARED = ("group:telemetry-analysts@corp.example",)


def dataset_step(dataset: Dataset) -> PathStep:
    return PathStep(node=dataset.id, kind=StepKind.DATASET, label=dataset.id)


def public_finding() -> Finding:
    entry = ExcessEntry(
        principal=AWS_PUBLIC,
        audience_class=AudienceClass.PUBLIC,
        path=(
            PathStep(node=AWS_PUBLIC.id, kind=StepKind.PRINCIPAL, label=AWS_PUBLIC.id, via="grant:read",
                     evidence=(PUBLIC_STATEMENT,)),
            dataset_step(TELEMETRY),
        ),
    )
    return Finding(
        rule_id="SB001", title="Dataset reachable by anyone on the internet", severity=Severity.CRITICAL,
        dataset=TELEMETRY, level=AccessLevel.READ, message="anyone can read arn:aws:s3:::corp-telemetry",
        fingerprint="fp-public", excess=(entry,), classification="employee-telemetry",
        declaration="rules.yaml:12 (datasets[0])", declared=DECLARED,
    )


def org_entry(conditions: tuple[Condition, ...] = ()) -> ExcessEntry:
    org = aws_org_principal("o-abc123")
    return ExcessEntry(
        principal=org,
        audience_class=AudienceClass.ORGANIZATION,
        people=4210,
        conditional=bool(conditions),
        path=(
            PathStep(node=org.id, kind=StepKind.PRINCIPAL, label=org.id, via="can-assume",
                     evidence=(TRUST_STATEMENT,)),
            PathStep(node=READER_ROLE.id, kind=StepKind.PRINCIPAL, label="role/telemetry-reader",
                     via="grant:read", evidence=(ROLE_POLICY,), conditions=conditions),
            dataset_step(TELEMETRY),
        ),
    )


def org_finding() -> Finding:
    return Finding(
        rule_id="SB003", title="Dataset reachable by the whole organisation", severity=Severity.HIGH,
        dataset=TELEMETRY, level=AccessLevel.READ, message="every principal of o-abc123 can read corp-telemetry",
        fingerprint="fp-org", excess=(org_entry(),), people=4210, classification="employee-telemetry",
        declaration="rules.yaml:12 (datasets[0])", declared=DECLARED,
    )


def other_account_finding() -> Finding:
    account = aws_account_principal("444455556666")
    entry = ExcessEntry(
        principal=account,
        audience_class=AudienceClass.OTHER_ACCOUNT,
        path=(
            PathStep(node=account.id, kind=StepKind.PRINCIPAL, label=account.id, via="grant:write",
                     evidence=(Evidence(kind=EvidenceKind.ACL_GRANT, source=TELEMETRY.id, location="Grants[1]",
                                        excerpt={"Grantee": {"ID": "abc"}, "Permission": "WRITE"}),)),
            dataset_step(TELEMETRY),
        ),
    )
    return Finding(
        rule_id="SB006", title="Principals can write beyond the declared writers", severity=Severity.HIGH,
        dataset=TELEMETRY, level=AccessLevel.WRITE, message="account 444455556666 can write corp-telemetry",
        fingerprint="fp-write", excess=(entry,), classification="employee-telemetry",
        declaration="rules.yaml:14 (datasets[0].write)", declared=("arn:aws:iam::111122223333:role/ingest",),
    )


def conditional_finding() -> Finding:
    return Finding(
        rule_id="SB010", title="Dataset reachable beyond its declaration under a condition",
        severity=Severity.MEDIUM, dataset=TELEMETRY, level=AccessLevel.READ,
        message="o-abc123 can read corp-telemetry if aws:SourceIp matches", fingerprint="fp-cond",
        excess=(org_entry((SOURCE_IP,)),), people=4210, classification="employee-telemetry",
        declaration="rules.yaml:12 (datasets[0])", declared=DECLARED,
    )


def gap_finding() -> Finding:
    return Finding(
        rule_id="SB011", title="A document that decides access could not be read", severity=Severity.HIGH,
        dataset=HR, level=None, message="the IAM policy of corp-hr.people could not be read",
        fingerprint="fp-gap", gap=hr_gap(),
    )


def hr_gap() -> CoverageGap:
    return CoverageGap(
        resource=HR.id, resource_type="gcp.bigquery.dataset", read="iam_policy",
        api="bigquery.datasets.getIamPolicy", outcome=ReadOutcome.DENIED, error_code="403 accessDenied",
        message="caller lacks bigquery.datasets.getIamPolicy", datasets=(HR.id,), account="corp-hr",
    )


def undeclared_finding() -> Finding:
    return Finding(
        rule_id="SB009", title="Dataset with no declared audience", severity=Severity.LOW, dataset=EXPORTS,
        level=None, message="no rules.yaml entry declares who may read gs://marketing-exports",
        fingerprint="fp-undeclared",
    )


def waived_finding() -> Finding:
    entry = ExcessEntry(
        principal=ANALYST, audience_class=AudienceClass.SPECIFIC, people=1,
        path=(
            PathStep(node=ANALYST.id, kind=StepKind.PRINCIPAL, label=ANALYST.id, via="grant:read",
                     evidence=(Evidence(kind=EvidenceKind.IAM_BINDING, source="projects/corp-marketing",
                                        location="bindings[2]",
                                        excerpt={"role": "roles/storage.objectViewer",
                                                 "members": ["user:dana@corp.example"]}),)),
            dataset_step(EXPORTS),
        ),
    )
    return Finding(
        rule_id="SB005", title="Specific principals beyond the declared audience", severity=Severity.MEDIUM,
        dataset=EXPORTS, level=AccessLevel.READ, message="user:dana@corp.example can read gs://marketing-exports",
        fingerprint="fp-waived", excess=(entry,), people=1,
        waiver=Waiver(rule="SB005", dataset="gs://marketing-exports", reason="quarterly export review",
                      owner="marketing-data@corp.example", expires=date(2099, 1, 31), where="rules.yaml:40"),
    )


def expired_waiver_finding() -> Finding:
    return Finding(
        rule_id="SB012", title="A waiver has expired", severity=Severity.MEDIUM, dataset=EXPORTS,
        level=AccessLevel.READ, message="the waiver at rules.yaml:44 (owner growth@corp.example) expired 2026-01-31",
        fingerprint="fp-expired", declaration="rules.yaml:44 (waivers[1])",
    )


def all_findings() -> tuple[Finding, ...]:
    return (undeclared_finding(), waived_finding(), gap_finding(), conditional_finding(), org_finding(),
            expired_waiver_finding(), other_account_finding(), public_finding())


def build_result(findings: tuple[Finding, ...]) -> AuditResult:
    return AuditResult(
        findings=findings,
        datasets=(TELEMETRY, EXPORTS, HR, CLEAN),
        gaps=(hr_gap(),),
        snapshot_source="examples/corp.snapshot.json",
        collected_at="2026-11-23T09:00:00Z",
        collector={"tool": "seenby", "version": "0.1.0",
                   "identity": "arn:aws:iam::111122223333:role/auditor", "mode": "scan"},
        scope={"aws_accounts": ["111122223333"], "aws_organization": "o-abc123", "gcp_projects": ["corp-hr"]},
        rules_file="rules.yaml",
    )


def hostile_finding() -> Finding:
    """Every untrusted string carries markup, pipes, CDATA ends, newlines and control characters."""
    dataset = Dataset(id="arn:aws:s3:::evil-bucket", kind=DatasetKind.S3_BUCKET, provider=Provider.AWS,
                      name="evil-bucket", account="111122223333", tags={"owner": HOSTILE})
    principal = Principal(id="arn:aws:iam::999988887777:user/x", kind=PrincipalKind.USER,
                          provider=Provider.AWS, name=HOSTILE)
    evidence = Evidence(kind=EvidenceKind.RESOURCE_POLICY, source=dataset.id, location="Statement[0]",
                        sid=HOSTILE, excerpt={"Sid": HOSTILE, "Effect": "Allow", "Principal": "*"})
    entry = ExcessEntry(
        principal=principal, audience_class=AudienceClass.SPECIFIC, people=1,
        path=(
            PathStep(node=principal.id, kind=StepKind.PRINCIPAL, label=HOSTILE, via="grant:read",
                     evidence=(evidence,), conditions=(Condition(expression=HOSTILE),)),
            dataset_step(dataset),
        ),
    )
    return Finding(
        rule_id="SB005", title="Specific principals beyond the declared audience", severity=Severity.MEDIUM,
        dataset=dataset, level=AccessLevel.READ, message=f"{HOSTILE} can read", fingerprint="fp-hostile",
        excess=(entry,), classification=HOSTILE, declared=(HOSTILE,), declaration="rules.yaml:3",
    )


def build_audience() -> AudienceReport:
    org = org_entry()
    analysts = Principal(id="group:telemetry-analysts@corp.example", kind=PrincipalKind.GROUP,
                        provider=Provider.AWS)
    return AudienceReport(
        dataset=TELEMETRY,
        classification="employee-telemetry",
        collected_at="2026-11-23T09:00:00Z",
        snapshot_source="examples/corp.snapshot.json",
        gaps=(hr_gap(),),
        members=(
            AudienceMember(principal=org.principal, level=AccessLevel.READ, audience_class=org.audience_class,
                           path=org.path, people=4210, declared=False),
            AudienceMember(principal=analysts, level=AccessLevel.READ, audience_class=AudienceClass.SPECIFIC,
                           people=12, declared=True,
                           path=(PathStep(node=analysts.id, kind=StepKind.PRINCIPAL, label=analysts.id,
                                          via="grant:read", evidence=(ROLE_POLICY,)), dataset_step(TELEMETRY))),
            AudienceMember(principal=READER_ROLE, level=AccessLevel.READ, audience_class=AudienceClass.SPECIFIC,
                           conditional=True, declared=None,
                           path=(PathStep(node=READER_ROLE.id, kind=StepKind.PRINCIPAL,
                                          label="role/telemetry-reader", via="grant:read",
                                          evidence=(ROLE_POLICY,), conditions=(SOURCE_IP,)),
                                 dataset_step(TELEMETRY))),
            AudienceMember(principal=AWS_PUBLIC, level=AccessLevel.LIST, audience_class=AudienceClass.PUBLIC,
                           declared=False,
                           path=(PathStep(node=AWS_PUBLIC.id, kind=StepKind.PRINCIPAL, label=AWS_PUBLIC.id,
                                          via="grant:list", evidence=(PUBLIC_STATEMENT,)),
                                 dataset_step(TELEMETRY))),
        ),
    )


@pytest.fixture
def result() -> AuditResult:
    """An audit with one finding of every kind, given out of report order."""
    return build_result(all_findings())


@pytest.fixture
def hostile_result() -> AuditResult:
    """An audit whose only finding is full of hostile untrusted text."""
    return build_result((hostile_finding(),))


@pytest.fixture
def empty_result() -> AuditResult:
    """An audit with no findings at all."""
    return build_result(())


@pytest.fixture
def audience() -> AudienceReport:
    """The effective audience of the telemetry bucket."""
    return build_audience()
