"""The one helper that makes a Google API call and records it as a read.

Outcome classification is table-driven (see :mod:`seenby.scanners.reads`).  A failed
HTTP response becomes a ``google.api_core.exceptions`` error by its status (the same
types google-cloud-storage raises); its class name is the recorded ``error_code``::

    Forbidden, PermissionDenied, Unauthorized, Unauthenticated   ->  denied
    NotFound (only where the operation says 404 means "none")    ->  absent
    TooManyRequests, ServiceUnavailable, InternalServerError,
    BadGateway, GatewayTimeout, DeadlineExceeded, timeouts,
    connection failures                                          ->  retried, then error
    ConnectionRefused, NameResolutionFailed (the host refuses
    connections or has no address: an emulator without that API,
    an offline machine)                                          ->  error at once, no retry
    anything else                                                ->  error

Paged lists (``nextPageToken``) are merged into one document; a page that fails makes
the whole read fail, so a partial listing is never ``ok``.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from google.api_core import exceptions as gexc

from seenby.scanners.gcp.operation import HttpMethod, Operation
from seenby.scanners.reads import Failure, RetryPolicy, perform_read, retrying
from seenby.snapshot import Read

__all__ = ["DENIED_CODES", "Caller", "describe_failure", "is_transient", "read_call", "rest_read", "unreachable"]

DENIED_CODES = frozenset({"Forbidden", "PermissionDenied", "Unauthorized", "Unauthenticated"})
"""Error codes (api_core exception class names) by which Google refuses to show us something."""

NOT_FOUND = frozenset({"NotFound"})

_TRANSIENT = (
    gexc.TooManyRequests,
    gexc.ServiceUnavailable,
    gexc.InternalServerError,
    gexc.BadGateway,
    gexc.GatewayTimeout,
    gexc.DeadlineExceeded,
    requests.Timeout,
    requests.ConnectionError,
)


_UNREACHABLE: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "ConnectionRefused"),
    (socket.gaierror, "NameResolutionFailed"),
)


def unreachable(exc: BaseException) -> str | None:
    """``ConnectionRefused`` / ``NameResolutionFailed`` when the host refused the connection or has no address.

    requests wraps urllib3's error (``MaxRetryError.reason``), which wraps the socket error;
    the chain is walked, never the message.
    """
    if not isinstance(exc, requests.ConnectionError):
        return None
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        for kind, code in _UNREACHABLE:
            if isinstance(current, kind):
                return code
        pending.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
    return None


def is_transient(exc: Exception) -> bool:
    """Throttling, 5xx, timeouts and connection failures are worth another attempt; a refused host is not."""
    return isinstance(exc, _TRANSIENT) and unreachable(exc) is None


def describe_failure(exc: Exception) -> Failure:
    """The error code of a failed call: the api_core exception class (from the HTTP status), else the class name."""
    refused = unreachable(exc)
    if refused is not None:
        return Failure(code=refused, message=str(exc) or None)
    if isinstance(exc, gexc.GoogleAPICallError):
        reason = getattr(exc, "reason", None)
        message = exc.message or None
        if reason and message:
            message = f"{message} (reason {reason})"
        return Failure(code=type(exc).__name__, message=message)
    return Failure(code=type(exc).__name__, message=str(exc) or None)


@dataclass(frozen=True, kw_only=True)
class Caller:
    """What every call of one scan shares: the HTTP session, retries and the timeout."""

    session: requests.Session
    retry: RetryPolicy
    timeout: tuple[float, float]
    sleep: Callable[[float], None] | None = None

    def retried(self, call: Callable[[], Any]) -> Callable[[], Any]:
        kwargs: dict[str, Any] = {"policy": self.retry, "transient": is_transient}
        if self.sleep is not None:
            kwargs["sleep"] = self.sleep
        return retrying(call, **kwargs)


def read_call(caller: Caller, api: str, call: Callable[[], Any], *, absent_when_not_found: bool = False) -> Read:
    """Record ``call`` (already JSON-shaped result) as a read of ``api``, with retries."""
    return perform_read(
        caller.retried(call),
        api=api,
        absent=NOT_FOUND if absent_when_not_found else frozenset(),
        denied=DENIED_CODES,
        describe=describe_failure,
        document=lambda doc: doc,
    )


def _request(caller: Caller, op: Operation, url: str, params: dict[str, Any]) -> dict[str, Any]:
    response = caller.session.request(
        op.method.value,
        url,
        params=params or None,
        json=op.body if op.method is HttpMethod.POST else None,
        timeout=caller.timeout,
    )
    if response.status_code >= 400:
        raise gexc.from_http_response(response)
    if not response.content:
        return {}
    document = response.json()
    if not isinstance(document, dict):
        raise gexc.InternalServerError(f"{op.api}: the response is not a JSON object")
    return document


def rest_read(caller: Caller, op: Operation, /, *, params: dict[str, Any] | None = None, **url_values: str) -> Read:
    """Call ``op`` (every page, when it pages) and record it. Each page is retried on its own."""
    url = op.format(**url_values)

    def call() -> dict[str, Any]:
        query = dict(params or {})
        if op.pages is None:
            return caller.retried(lambda: _request(caller, op, url, query))()
        merged: dict[str, Any] = {}
        items: list[Any] = []
        while True:
            page = caller.retried(lambda q=dict(query): _request(caller, op, url, q))()
            items.extend(page.get(op.pages) or [])
            token = page.get("nextPageToken")
            for key, value in page.items():
                if key not in (op.pages, "nextPageToken"):
                    merged.setdefault(key, value)
            if not token:
                break
            query["pageToken"] = token
        merged[op.pages] = items
        return merged

    return perform_read(
        call,
        api=op.api,
        absent=NOT_FOUND if op.absent_when_not_found else frozenset(),
        denied=DENIED_CODES,
        describe=describe_failure,
        document=lambda doc: doc,
    )
