"""Per-operation pacing: a throttle slows the throttled operation only, and successes win the pace back.

These drive :class:`~seenby.scanners.aws.pacing.Pacer` with the arguments botocore's
``needs-retry`` event passes (an HTTP response and its parsed body); no timing is asserted.
"""

from __future__ import annotations

from types import SimpleNamespace

from seenby.scanners.aws.pacing import Attempt, Pacer, classify_attempt
from seenby.scanners.reads import RetryPolicy

REGION = "us-east-1"
ACL = "s3.GetBucketAcl"
POLICY = "s3.GetBucketPolicy"


def _answer(status: int, code: str | None = None):
    return SimpleNamespace(status_code=status), ({"Error": {"Code": code}} if code else {})


def _attempt(pacer: Pacer, operation: str, status: int, code: str | None = None) -> float | None:
    """One attempt of ``operation`` through the pacer's hooks: before-send, then needs-retry."""
    pacer.before_send_hook(REGION)(event_name=f"before-send.{operation}")
    return pacer.after_attempt(response=_answer(status, code), attempts=1)


def _pacer() -> Pacer:
    return Pacer(policy=RetryPolicy(attempts=3, initial_backoff=0.01, max_backoff=0.02), ceiling=16, wait_limit=1)


def test_throttle_halves_only_the_throttled_operation():
    """SlowDown on GetBucketAcl halves its cap (16 -> 8); GetBucketPolicy keeps its 16."""
    pacer = _pacer()
    _attempt(pacer, POLICY, 200)

    _attempt(pacer, ACL, 503, "SlowDown")

    assert pacer.cap(REGION, ACL).slots == 8
    assert pacer.cap(REGION, POLICY).slots == 16


def test_throttles_within_one_window_halve_once():
    """Several throttles before ``cap`` requests completed count as one: 16 -> 8, not 16 -> 2."""
    pacer = _pacer()

    for _ in range(3):
        _attempt(pacer, ACL, 400, "Throttling")

    assert pacer.cap(REGION, ACL).slots == 8


def test_successes_win_the_cap_back():
    """After a throttle, enough successes bring the operation back to the scan's concurrency."""
    pacer = _pacer()
    _attempt(pacer, ACL, 503, "SlowDown")

    for _ in range(200):
        _attempt(pacer, ACL, 200)

    assert pacer.cap(REGION, ACL).slots == 16


def test_transient_failures_are_retried_and_answers_are_not():
    """A 500 or a throttle asks for another attempt (a delay); AccessDenied and a 200 do not."""
    pacer = _pacer()

    assert _attempt(pacer, ACL, 500, "InternalError") is not None
    assert _attempt(pacer, ACL, 503, "SlowDown") is not None
    assert _attempt(pacer, ACL, 403, "AccessDenied") is None
    assert _attempt(pacer, ACL, 200) is None


def test_every_slot_is_given_back():
    """Each attempt's slot is released after its answer: nothing stays in flight."""
    pacer = _pacer()

    for status, code in ((200, None), (503, "SlowDown"), (403, "AccessDenied"), (500, None)):
        _attempt(pacer, ACL, status, code)

    assert pacer.cap(REGION, ACL).in_flight == 0


def test_attempt_classification_by_code_and_status():
    """Throttling codes and 429 throttle; 5xx and InternalError are transient; 4xx answers are final."""
    assert classify_attempt(_answer(503, "SlowDown"), None) is Attempt.THROTTLED
    assert classify_attempt(_answer(429), None) is Attempt.THROTTLED
    assert classify_attempt(_answer(502), None) is Attempt.TRANSIENT
    assert classify_attempt(_answer(404, "NoSuchBucketPolicy"), None) is Attempt.FINAL
    assert classify_attempt(_answer(200), None) is Attempt.OK
