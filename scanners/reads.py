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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seenby.model import ReadOutcome
from seenby.snapshot import Read

__all__ = ["Failure", "ReadFailed", "classify", "compose", "perform_read", "require"]


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
