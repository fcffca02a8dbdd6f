"""Proven fixes on the example organisation: each one re-verified here, independently of the search.

Each emitted fix's JSON Patches are applied to the snapshot file by a small RFC 6902 applier
written in this test (not seenby's), the changed snapshot is audited again through
``seenby.api``, and the test checks what a fix promises: the finding's excess audience is
gone and every declared member still reaches every dataset it reached.
"""

from __future__ import annotations

import json

import pytest

from seenby import api
from seenby.fix import ChangeKind, Fix, NoFix, NoFixReason
from seenby.model import AccessLevel

from .conftest import RULES, TODAY
from .proofs import held_by, patched_snapshot, reach

RAW = "arn:aws:s3:::corp-employee-telemetry-raw"
EXPORTS = "arn:aws:s3:::corp-analytics-exports"
KEYSTROKES = "gs://corp-keystrokes"
ML_RAW = "bigquery://corp-telemetry.ml_raw"
SESSIONS = "arn:aws:dynamodb:eu-west-1:111122223333:table/corp-telemetry-sessions"
LEGACY = "arn:aws:s3:::corp-legacy-archive"


@pytest.fixture(scope="module")
def baseline(example_json, tmp_path_factory):
    rules = api.load_rules(RULES)
    path = tmp_path_factory.mktemp("baseline") / "snapshot.json"
    path.write_text(json.dumps(example_json))
    view = api.evaluate(api.load(path))
    return rules, view.audit(rules, today=TODAY), reach(view, rules)


def _outcome(run, dataset: str, rule: str, level: AccessLevel | None = AccessLevel.READ):
    found = [f for f in run.audit.findings if f.dataset.id == dataset and f.rule_id == rule and f.level is level]
    assert len(found) == 1, found
    return found[0], run.outcomes[found[0].fingerprint]


def test_every_proven_fix_closes_its_finding_and_keeps_declared_members(example_run, example_json, baseline, tmp_path):
    """Each emitted fix, applied by an independent RFC 6902 applier and audited again, empties the finding's
    excess audience, opens no dataset to anyone new, and cuts off no declared member."""
    rules, _, before = baseline
    fixes = [(f, example_run.outcomes[f.fingerprint]) for f in example_run.audit.findings]
    proven = [(f, o) for f, o in fixes if isinstance(o, Fix)]
    assert len(proven) >= 8
    for finding, fix in proven:
        view = api.evaluate(patched_snapshot(example_json, fix, tmp_path))
        result = view.audit(rules, today=TODAY)
        still = {
            e.principal.id
            for f in result.findings
            if f.dataset.id == finding.dataset.id and f.level is finding.level
            for e in f.excess
        }
        assert not still & {e.principal.id for e in finding.excess}, (finding.rule_id, finding.dataset.id)
        after = reach(view, rules)
        for key, members in before.items():
            for pid, declared in members.items():
                if declared:
                    assert pid in after.get(key, {}), f"{pid} lost {key} after the fix of {finding.fingerprint}"
        for key, members in after.items():
            was = set(before.get(key, {}))
            new = {pid for pid in set(members) - was if not held_by(view, pid) & was}
            assert not new, f"the fix of {finding.fingerprint} widens {key}: {new}"


def test_acl_grant_whose_removal_cuts_off_a_declared_account_is_replaced_not_removed(example_run):
    """corp-analytics-exports is declared for account 222233334444 (analysts); its OrganizationAccountAccessRole
    lists the bucket only through the AuthenticatedUsers ACL grant, so removing the grant alone is refused and
    the grant is replaced by a policy grant to the declared principals (tests/fix/test_fix_acl_vpce.py; and
    tests/fix/test_fix_cases.py removes the grant where no declared member depends on it)."""
    _, outcome = _outcome(example_run, EXPORTS, "SB002", AccessLevel.LIST)
    assert isinstance(outcome, Fix)
    assert {c.kind for c in outcome.changes} == {ChangeKind.ACL_TO_POLICY}


def test_domain_binding_is_removed_and_the_ml_team_keeps_reading(example_run):
    """The domain:corp.example binding on gs://corp-keystrokes goes; group:ml-team keeps its own binding."""
    _, fix = _outcome(example_run, KEYSTROKES, "SB003")
    assert isinstance(fix, Fix)
    assert [c.kind for c in fix.changes] == [ChangeKind.NARROW_BINDING]
    assert fix.after.declared == ("group:ml-team@corp.example",)
    assert fix.before.people_excess == 1500 and fix.after.people_excess == 0


def test_org_wide_bucket_statement_is_narrowed_to_the_declared_principals(example_run):
    """The raw bucket's Principal "*" (organisation-wide) is narrowed to the declared principals, the most
    preferred change.  Its readers (the owner account, the other accounts' root users, engineering and
    telemetry-reader) together cover the organisation, so the finding also holds engineering's and
    telemetry-reader's own identity grants (issue 19 item 1): those are closed by changes to the account's IAM
    authorization details (one document, so one merged change)."""
    _, fix = _outcome(example_run, RAW, "SB003")
    assert isinstance(fix, Fix)
    assert [(c.kind, c.read) for c in fix.changes] == [
        (ChangeKind.NARROW_PRINCIPALS, "policy"), (ChangeKind.NARROW_RESOURCES, "authorization_details"),
    ]  # fmt: skip
    statement_patch = fix.changes[0].policy_patch
    assert statement_patch is not None
    assert [op["op"] for op in statement_patch] == ["test", "replace"]
    assert statement_patch[1]["path"] == "/Statement/0/Principal"


def test_reexposure_through_a_superset_dashboard_has_no_document_fix(example_run):
    """ml_raw is also re-exposed through the BI server's dashboard (issue 21): its readers' evidence is a
    Superset role, which no document seenby changes opens, so no proven fix, and it says where to close it."""
    _, outcome = _outcome(example_run, ML_RAW, "SB008")
    assert isinstance(outcome, NoFix)
    assert outcome.reason is NoFixReason.NO_CANDIDATE
    assert "Superset role" in outcome.detail and "dashboard" in outcome.detail


def test_cross_account_table_policy_is_removed(example_run):
    """The DynamoDB table's only statement (the partner account) goes: the AWS CLI deletes the policy."""
    from seenby.reports.fix_commands import commands_for

    _, fix = _outcome(example_run, SESSIONS, "SB004")
    assert isinstance(fix, Fix)
    assert commands_for(fix) == [f"aws dynamodb delete-resource-policy --resource-arn {SESSIONS}"]


def test_coverage_gap_has_no_fix_and_says_why(example_run):
    """A denied read cannot be fixed by changing documents seenby has: no fix, reason coverage-gap."""
    _, outcome = _outcome(example_run, LEGACY, "SB011", None)
    assert isinstance(outcome, NoFix) and outcome.reason is NoFixReason.COVERAGE_GAP


def test_dashboard_owners_declared_as_admins_block_the_fix(example_run):
    """Removing the dashboard permission that re-exposes the raw bucket would cut off its declared owners."""
    _, outcome = _outcome(example_run, RAW, "SB008")
    assert isinstance(outcome, NoFix)
    assert outcome.reason is NoFixReason.DECLARED_MEMBER_LOSES_ACCESS
    assert "bi-authors" in outcome.detail


def test_undeclared_dataset_is_settled_in_rules(example_run):
    """An undeclared dataset has no excess to remove: the reason points at rules.yaml."""
    _, outcome = _outcome(example_run, LEGACY, "SB009", None)
    assert isinstance(outcome, NoFix) and outcome.reason is NoFixReason.DECLARATION


# Every finding of the example organisation, and its proven fix or why there is none (issue 19, "Done when"):
# a finding a document change can fix has a fix; the others say why not.  A regression in either direction fails.
EXAMPLE_OUTCOMES = {
    ("SB001", "superset://superset.corp.example:8088/dashboard/2", "read"): NoFixReason.NO_CANDIDATE,
    ("SB001", "superset://superset.corp.example:8088/chart/2", "read"): NoFixReason.NO_CANDIDATE,
    ("SB001", "superset://superset.corp.example:8088/dataset/3", "read"): NoFixReason.NO_CANDIDATE,
    ("SB002", EXPORTS, "list"): ChangeKind.ACL_TO_POLICY,
    ("SB003", "arn:aws:s3:::corp-employee-telemetry-events", "read"): ChangeKind.NARROW_PRINCIPALS,
    ("SB003", RAW, "read"): ChangeKind.NARROW_PRINCIPALS,
    ("SB003", "arn:aws:s3:::corp-employee-telemetry-screens", "read"): ChangeKind.NARROW_RESOURCES,
    ("SB003", KEYSTROKES, "read"): ChangeKind.NARROW_BINDING,
    ("SB003", "arn:aws:s3:::corp-employee-telemetry-curated", "list"): ChangeKind.NARROW_PRINCIPALS,
    ("SB004", SESSIONS, "read"): ChangeKind.REMOVE_STATEMENT,
    ("SB004", "arn:aws:s3:::corp-analytics-telemetry-replica", "read"): ChangeKind.NARROW_PRINCIPALS,
    ("SB005", "arn:aws:s3:::corp-analytics-telemetry-replica", "read"): ChangeKind.NARROW_PRINCIPALS,
    ("SB008", "arn:aws:glue:eu-west-1:111122223333:table/telemetry/keystrokes_raw", "read"):
        NoFixReason.DECLARED_MEMBER_LOSES_ACCESS,
    ("SB008", RAW, "read"): NoFixReason.DECLARED_MEMBER_LOSES_ACCESS,
    ("SB008", ML_RAW, "read"): NoFixReason.NO_CANDIDATE,
    ("SB010", "bigquery://corp-telemetry.shared_reporting", "read"): NoFixReason.NO_CANDIDATE,
    ("SB010", "bigquery://corp-telemetry.shared_reporting.daily_activity", "read"): NoFixReason.NO_CANDIDATE,
    ("SB011", LEGACY, None): NoFixReason.COVERAGE_GAP,
    ("SB009", LEGACY, None): NoFixReason.DECLARATION,
    ("SB004", EXPORTS, "read"): NoFixReason.WAIVED,
}  # fmt: skip


def test_every_finding_of_the_example_has_a_fix_or_says_why_not(example_run):
    """Each finding of the example organisation has the proven fix (by its first change's kind) or the reason
    listed above, and nothing else: every finding a document change can fix is fixed; the rest (Superset roles,
    declared dashboard owners, a denied read, an undeclared dataset, a waiver) say why not."""
    got = {}
    for f in example_run.audit.findings:
        outcome = example_run.outcomes[f.fingerprint]
        got[(f.rule_id, f.dataset.id, f.level.value if f.level else None)] = (
            outcome.changes[0].kind if isinstance(outcome, Fix) else outcome.reason
        )
        assert isinstance(outcome, Fix) or outcome.detail, f"{f.fingerprint} says no fix without saying why"
    assert got == EXAMPLE_OUTCOMES
