"""Questions over time, against three recorded scans of a real moto server: the bucket private (@1), open
to the organisation by a bucket policy (@2), private again once the policy is removed (@3).

Semantics: a bucket policy with ``aws:PrincipalOrgID`` grants every principal of the organisation
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid).
"""

from __future__ import annotations

from datetime import UTC, datetime

from seenby.config import load_rules
from seenby.graph.build import build_graph
from seenby.history.diff import diff_snapshots
from seenby.history.exposure import exposure_timeline
from seenby.history.provenance import Provenance
from seenby.history.select import choose_snapshot
from seenby.history.store import HistoryStore
from seenby.history_results import ChangeDirection, EventKind, FindingChangeKind
from seenby.policies import evaluate
from seenby.queries import what_can_read, who_can_read
from tests.history.conftest import ALICE, ANALYST, BOB, BUCKET_ARN


def _readers(series, at: str) -> set[str]:
    chosen = choose_snapshot(at=at, store=str(series.store), containing=BUCKET_ARN)
    report = who_can_read(build_graph(evaluate(chosen.snapshot)), BUCKET_ARN)
    return {m.principal.id for m in report.members}


def _alice_reaches(series, at: str) -> dict[str, str | None]:
    snapshot = choose_snapshot(at=at, store=str(series.store)).snapshot
    report = what_can_read(
        build_graph(evaluate(snapshot)),
        ALICE,
        scope=snapshot.scope,
    )
    return {e.dataset.id: (e.through_class.id if e.through_class else None) for e in report.entries}


def test_who_can_read_before_the_policy_has_no_organisation(series):
    """As of day 1 the organisation is not in the audience; the declared role is."""
    readers = _readers(series, "2026-03-01")
    assert f"aws-org:{series.org}" not in readers
    assert ANALYST in readers


def test_who_can_read_while_the_policy_stood_includes_the_organisation(series):
    """As of noon on day 2, the answer comes from scan @2 and includes the whole organisation."""
    assert f"aws-org:{series.org}" in _readers(series, "2026-03-02T12:00:00Z")


def test_who_can_read_after_the_policy_was_removed_has_no_organisation(series):
    """As of day 5, the latest scan (@3) answers: the organisation is gone again."""
    assert f"aws-org:{series.org}" not in _readers(series, "2026-03-05")


def test_answer_names_its_scan_and_age(series):
    """The answer states the scan it comes from and how long before the asked time it was collected."""
    chosen = choose_snapshot(at="2026-03-02T12:00:00Z", store=str(series.store), containing=BUCKET_ARN)
    p = chosen.provenance
    assert (p.scan_id, p.collected_at) == (2, datetime(2026, 3, 2, 9, tzinfo=UTC))
    assert p.before_asked is not None and p.before_asked.total_seconds() == 3 * 3600


def test_what_can_read_reaches_the_bucket_through_the_organisation_only_while_open(series):
    """A user with no permissions of its own reaches the bucket through class aws-org only on day 2."""
    org = f"aws-org:{series.org}"
    assert BUCKET_ARN not in _alice_reaches(series, "2026-03-01")
    assert _alice_reaches(series, "2026-03-02T12:00")[BUCKET_ARN] == org
    assert BUCKET_ARN not in _alice_reaches(series, "2026-03-04")


def test_what_can_read_of_a_role_is_direct(series):
    """The declared role reaches the bucket directly (its own identity policy), not through a class."""
    snapshot = choose_snapshot(at="2026-03-01", store=str(series.store)).snapshot
    report = what_can_read(build_graph(evaluate(snapshot)), ANALYST)
    entry = next(e for e in report.entries if e.dataset.id == BUCKET_ARN)
    assert entry.through_class is None
    assert [s.node for s in entry.path] == [ANALYST, BUCKET_ARN]


def test_exposure_window_opened_and_closed_between_scans(series):
    """The exposure opened between @1 and @2 and closed between @2 and @3, the organisation beyond the declaration."""
    with HistoryStore.open(series.store, create=False) as history:
        timeline = exposure_timeline(history, BUCKET_ARN, rules=load_rules(series.rules))
    (window,) = timeline.windows
    assert (window.opened_after.scan_id, window.first_seen.scan_id) == (1, 2)
    assert (window.last_seen.scan_id, window.closed_by.scan_id) == (2, 3)
    assert [m.principal.id for m in window.excess] == [f"aws-org:{series.org}"]


def test_exposure_event_names_the_bucket_policy_change(series):
    """The organisation appeared between @1 and @2 because the bucket's policy read went from absent to ok."""
    with HistoryStore.open(series.store, create=False) as history:
        timeline = exposure_timeline(history, BUCKET_ARN, rules=load_rules(series.rules))
    appeared = next(e for e in timeline.events if e.kind is EventKind.APPEARED)
    assert appeared.principal.id == f"aws-org:{series.org}"
    assert (appeared.before.scan_id, appeared.after.scan_id) == (1, 2)
    policy = next(c for c in appeared.causes if c.read == "policy")
    assert policy.resource == BUCKET_ARN and policy.on_path
    assert (policy.before["outcome"], policy.after["outcome"]) == ("absent", "ok")
    assert policy.after["document"]["Policy"]["Statement"][0]["Sid"] == "OrgRead"


def test_exposure_spans_show_when_the_organisation_came_and_went(series):
    """The organisation's span: first and last seen in @2, appeared after @1, gone by @3."""
    with HistoryStore.open(series.store, create=False) as history:
        timeline = exposure_timeline(history, BUCKET_ARN, rules=load_rules(series.rules))
    span = next(s for s in timeline.spans if s.principal.id == f"aws-org:{series.org}")
    assert (span.appeared_after.scan_id, span.first_seen.scan_id, span.last_seen.scan_id, span.gone_by.scan_id) == (
        1, 2, 2, 3)


def test_store_shares_unchanged_documents_across_the_series(series):
    """Three scans of 2 resources share documents: far fewer stored than three scans' reads."""
    with HistoryStore.open(series.store, create=False) as history:
        counts = history.counts()
        reads_per_scan = sum(len(r.reads) for r in history.snapshot(1).resources)
    assert counts.scans == 3
    assert counts.documents < 3 * reads_per_scan
    # Only the bucket's policy (and policy status) changed: scan 2 and 3 add those, nothing else.
    assert counts.documents <= reads_per_scan + 4


def test_diff_of_two_recorded_scans_gains_the_organisation_and_a_new_finding(series):
    """Diffing @1 and @2: the organisation is gained on the bucket and an organisation-wide finding is new."""
    with HistoryStore.open(series.store, create=False) as history:
        old, new = history.snapshot(1), history.snapshot(2)
    now = datetime(2026, 3, 4, tzinfo=UTC)
    result = diff_snapshots(
        old, new, rules=load_rules(series.rules),
        old_provenance=Provenance(collected_at=datetime(2026, 3, 1, 9, tzinfo=UTC), now=now, scan_id=1),
        new_provenance=Provenance(collected_at=datetime(2026, 3, 2, 9, tzinfo=UTC), now=now, scan_id=2),
    )
    gained = {(c.dataset.id, c.principal.id) for c in result.audience if c.direction is ChangeDirection.GAINED}
    assert (BUCKET_ARN, f"aws-org:{series.org}") in gained
    new_findings = [c.finding for c in result.findings if c.kind is FindingChangeKind.NEW]
    assert [(f.rule_id, f.dataset.id) for f in new_findings if f.level and f.level.value == "read"] == [
        ("SB003", BUCKET_ARN)]


def test_diff_back_to_private_fixes_the_finding(series):
    """Diffing @2 and @3: the organisation-wide finding is fixed and the organisation lost."""
    with HistoryStore.open(series.store, create=False) as history:
        old, new = history.snapshot(2), history.snapshot(3)
    now = datetime(2026, 3, 4, tzinfo=UTC)
    result = diff_snapshots(
        old, new, rules=load_rules(series.rules),
        old_provenance=Provenance(collected_at=datetime(2026, 3, 2, 9, tzinfo=UTC), now=now, scan_id=2),
        new_provenance=Provenance(collected_at=datetime(2026, 3, 3, 9, tzinfo=UTC), now=now, scan_id=3),
    )
    assert ("SB003", BUCKET_ARN) in {(c.finding.rule_id, c.finding.dataset.id) for c in result.findings
                                     if c.kind is FindingChangeKind.FIXED}
    lost = {c.principal.id for c in result.audience if c.direction is ChangeDirection.LOST}
    assert f"aws-org:{series.org}" in lost


def test_what_can_read_of_a_person_goes_through_the_role_it_can_assume(series):
    """A user trusted by a role reaches the bucket through that role: user → role → bucket."""
    snapshot = choose_snapshot(at="2026-03-01", store=str(series.store)).snapshot
    report = what_can_read(build_graph(evaluate(snapshot)), BOB)
    entry = next(e for e in report.entries if e.dataset.id == BUCKET_ARN)
    assert [s.node for s in entry.path] == [BOB, ANALYST, BUCKET_ARN]
    assert entry.through_class is None


def test_exposure_table_says_between_which_scans_the_window_opened_and_closed(series):
    """The table names the window's bounds and the changed bucket policy with its Sid."""
    from seenby.reports import RenderOptions, render_query

    with HistoryStore.open(series.store, create=False) as history:
        timeline = exposure_timeline(history, BUCKET_ARN, rules=load_rules(series.rules))
    text = render_query("exposure", timeline, "table", RenderOptions(width=400))
    assert "opened between scan @1 (2026-03-01T09:00:00Z) and scan @2 (2026-03-02T09:00:00Z)" in text
    assert "closed between scan @2 (2026-03-02T09:00:00Z) and scan @3 (2026-03-03T09:00:00Z)" in text
    assert '"Sid": "OrgRead"' in text
