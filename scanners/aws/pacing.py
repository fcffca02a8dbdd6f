"""Retries per call and rate limiting per operation, for every AWS call of a scan (issue 17).

botocore's adaptive retry mode keeps one rate for a whole client and lowers it after every
throttle: under a steady share of throttled calls it throttles the whole scan (337 s instead
of 11 s with 20 % faults in issue 17).  seenby turns botocore's own retries off (one attempt
a call, see :func:`seenby.scanners.aws.clients.botocore_config`) and hooks two botocore
events on every client it makes (:meth:`Pacer.attach`):

* ``needs-retry`` (after every attempt): a *transient* failure (throttling, a 5xx, a timeout,
  a reset or refused connection) is tried again after a full-jitter exponential backoff,
  until the call has had ``attempts`` attempts (:class:`~seenby.scanners.reads.RetryPolicy`,
  ``AwsScanConfig.max_attempts``: the retry budget).  Anything else (AccessDenied, NoSuch…)
  is answered at once.  The last answer is what the read records (docs/snapshot.md).
* ``before-send`` (before every attempt): each operation of each region (``s3.GetBucketAcl``
  in eu-west-1) has its own cap on requests in flight, :class:`OperationCap`.  It starts at
  the scan's concurrency, so it costs nothing until that operation is throttled; a throttle
  halves it (at most once per window of ``cap`` completed requests, as TCP halves its window
  once per round trip) and each success adds ``1/cap`` back.  A throttled GetBucketAcl slows
  GetBucketAcl; the other operations keep their pace.

Every wait is bounded: a request waits for a slot at most ``wait_limit`` seconds.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ConnectionError as BotocoreConnectionError
from botocore.exceptions import HTTPClientError

from seenby.scanners.reads import RetryPolicy

__all__ = ["THROTTLING_CODES", "TRANSIENT_CODES", "Attempt", "OperationCap", "Pacer", "classify_attempt"]

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
"""Error codes by which AWS says "slower" (botocore's standard retry mode uses the same list)."""

TRANSIENT_CODES = frozenset(
    {"RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure", "ServiceUnavailable"}
)
"""Error codes worth another attempt as they are (besides any 500, 502, 503 or 504)."""

_TRANSIENT_STATUS = frozenset({500, 502, 503, 504})


class Attempt(enum.Enum):
    """What one attempt of a call came to, as far as retrying and pacing are concerned."""

    OK = "ok"  # answered (2xx/3xx)
    THROTTLED = "throttled"  # retried, and its operation slowed
    TRANSIENT = "transient"  # retried
    FINAL = "final"  # an answer that another attempt would not change (AccessDenied, NoSuchBucketPolicy, …)


def classify_attempt(response: Any, caught_exception: BaseException | None) -> Attempt:
    """Classify an attempt from what botocore passes to ``needs-retry``: ``(http, parsed)`` or an exception."""
    if caught_exception is not None:
        if isinstance(caught_exception, BotocoreConnectionError | HTTPClientError):
            return Attempt.TRANSIENT  # timeouts, resets, refused connections
        return Attempt.FINAL
    if response is None:
        return Attempt.FINAL
    http, parsed = response
    status = getattr(http, "status_code", 0)
    code = str(((parsed or {}).get("Error") or {}).get("Code") or "")
    if code in THROTTLING_CODES or status == 429:
        return Attempt.THROTTLED
    if code in TRANSIENT_CODES or status in _TRANSIENT_STATUS:
        return Attempt.TRANSIENT
    return Attempt.OK if status < 400 else Attempt.FINAL


class OperationCap:
    """The cap on one operation's requests in flight: halved on throttling, regained on successes."""

    def __init__(self, ceiling: int) -> None:
        self.ceiling = ceiling
        self.cap = float(ceiling)
        self.in_flight = 0
        self._since_cut = ceiling  # completions since the cap was last halved; the first throttle halves it
        self._changed = threading.Condition()

    @property
    def slots(self) -> int:
        return max(1, int(self.cap))

    def acquire(self, wait_limit: float) -> None:
        """Wait (at most ``wait_limit`` seconds) until fewer than ``slots`` requests are in flight, then take one."""
        with self._changed:
            self._changed.wait_for(lambda: self.in_flight < self.slots, timeout=wait_limit)
            self.in_flight += 1

    def release(self, attempt: Attempt) -> None:
        with self._changed:
            self.in_flight = max(0, self.in_flight - 1)
            self._since_cut += 1
            if attempt is Attempt.THROTTLED and self._since_cut >= self.cap:
                self.cap = max(1.0, self.cap / 2)
                self._since_cut = 0
            elif attempt is Attempt.OK:
                self.cap = min(float(self.ceiling), self.cap + 1 / self.cap)
            self._changed.notify_all()


class Pacer:
    """Retry decisions and one :class:`OperationCap` per (region, operation), for the clients of one account."""

    def __init__(self, *, policy: RetryPolicy, ceiling: int, wait_limit: float) -> None:
        self.policy = policy
        self._ceiling = ceiling
        self._wait_limit = wait_limit
        self._caps: dict[tuple[str, str], OperationCap] = {}
        self._lock = threading.Lock()
        self._held = threading.local()  # the cap whose slot this thread's request holds

    def cap(self, region: str, operation: str) -> OperationCap:
        """The cap of ``operation`` (``s3.GetBucketAcl``) in ``region``, made on first use."""
        with self._lock:
            found = self._caps.get((region, operation))
            if found is None:
                found = self._caps[(region, operation)] = OperationCap(self._ceiling)
            return found

    def attach(self, client: Any, region: str) -> None:
        """Hook this pacer into ``client`` (a client made with botocore's retries off)."""
        client.meta.events.register("before-send", self.before_send_hook(region))
        client.meta.events.register("needs-retry", self.after_attempt)

    def before_send_hook(self, region: str) -> Callable[..., None]:
        def before_send(event_name: str, **_: Any) -> None:
            self._release(Attempt.FINAL)  # a slot still held here was never answered (a hook raised): free it
            cap = self.cap(region, event_name.split(".", 1)[1])
            cap.acquire(self._wait_limit)
            self._held.cap = cap

        return before_send

    def _release(self, attempt: Attempt) -> None:
        cap = getattr(self._held, "cap", None)
        self._held.cap = None
        if cap is not None:
            cap.release(attempt)

    def after_attempt(
        self, response: Any = None, attempts: int = 1, caught_exception: BaseException | None = None, **_: Any
    ) -> float | None:
        """botocore's ``needs-retry``: seconds to wait before the next attempt, or None to answer now."""
        attempt = classify_attempt(response, caught_exception)
        self._release(attempt)
        if attempt in (Attempt.THROTTLED, Attempt.TRANSIENT) and attempts < self.policy.attempts:
            return self.policy.delay(attempts)
        return None
