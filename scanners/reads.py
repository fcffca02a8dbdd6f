"""One way to turn a provider call into a :class:`~seenby.snapshot.Read`, for every provider.

A call either returns a document (``ok``) or fails; a failure is classified from the
provider's error *code*, never from its message::

    code in the call's absent codes  ->  absent   (the provider said there is none)
    code in the provider's denied set ->  denied   (a coverage gap)
    anything else                     ->  error    (a coverage gap: throttled past
                                                    retries, timeouts, 5xx, bugs)

Provider modules bind the denied set, the way to read a code off an exception, and the
way to turn a response into a JSON document; the decision itself lives only here.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seenby.model import ReadOutcome
from seenby.snapshot import Read

__all__ = ["Failure", "ReadFailed", "RetryPolicy", "classify", "compose", "perform_read", "require", "retrying"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Failure:
    """What went wrong, as the provider put it: an error code and its message."""

    code: str
    message: str | None = None


def classify(code: str, *, absent: frozenset[str], denied: frozenset[str]) -> ReadOutcome:
    """The outcome of a failed call with error ``code``. Unknown codes are errors: fail closed."""
    if code in absent:
        return ReadOutcome.ABSENT
    if code in denied:
        return ReadOutcome.DENIED
    return ReadOutcome.ERROR


def perform_read(
    call: Callable[[], Any],
    *,
    api: str,
    absent: frozenset[str],
    denied: frozenset[str],
    describe: Callable[[Exception], Failure],
    document: Callable[[Any], Any],
) -> Read:
    """Make ``call`` and record what came of it. Never raises for a failed call."""
    try:
        response = call()
    except Exception as exc:  # every failure is data: classified, recorded, never raised
        failure = describe(exc)
        return Read(
            outcome=classify(failure.code, absent=absent, denied=denied),
            api=api,
            error_code=failure.code,
            message=failure.message,
        )
    return Read(outcome=ReadOutcome.OK, api=api, document=document(response))


class ReadFailed(Exception):
    """Raised by :func:`require` inside a :func:`compose` build: a part of a composite read failed."""

    def __init__(self, read: Read) -> None:
        self.read = read
        super().__init__(f"{read.api}: {read.outcome.value} ({read.error_code})")


def require(read: Read) -> Any:
    """The document of a successful part of a composite read; any other outcome ends the build."""
    if read.outcome is not ReadOutcome.OK:
        raise ReadFailed(read)
    return read.document


def compose(api: str, build: Callable[[], Any]) -> Read:
    """A read made of several calls (an organisation's tree). Fail closed: one failed part is the outcome."""
    try:
        doc = build()
    except ReadFailed as failed:
        return failed.read
    return Read(outcome=ReadOutcome.OK, api=api, document=doc)


@dataclass(frozen=True, kw_only=True, slots=True)
class RetryPolicy:
    """How often a transient failure is tried again: ``attempts`` in all, exponential backoff with full jitter.

    Used for the Google REST calls (:func:`retrying`) and for every AWS call (botocore's
    own retries are off; :mod:`seenby.scanners.aws.pacing` applies this policy per call).
    """

    attempts: int = 5
    initial_backoff: float = 0.5
    max_backoff: float = 16.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, not {self.attempts}")

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return random.uniform(0, min(self.max_backoff, self.initial_backoff * 2 ** (attempt - 1)))


def retrying(
    call: Callable[[], Any],
    *,
    policy: RetryPolicy,
    transient: Callable[[Exception], bool],
    sleep: Callable[[float], None] = time.sleep,
) -> Callable[[], Any]:
    """``call`` wrapped so that failures ``transient`` accepts are retried; the last failure is raised."""

    def attempt() -> Any:
        for number in range(1, policy.attempts + 1):
            try:
                return call()
            except Exception as exc:
                if number == policy.attempts or not transient(exc):
                    raise
                sleep(policy.delay(number))
        raise AssertionError("unreachable")  # pragma: no cover

    return attempt
