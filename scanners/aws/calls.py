"""The one helper that makes an AWS call and records it as a read.

Outcome classification is table-driven (see :mod:`seenby.scanners.reads`): each
:class:`~seenby.scanners.aws.operation.Operation` carries its own "absent" codes;
:data:`DENIED_CODES` is shared; every other code, and every exception that is not a
service error (timeouts, connection failures, anything unexpected), is an ``error``
recorded with its code or exception class name.  Transient failures (throttling, 5xx,
timeouts, resets) are retried per call before a call counts as failed
(:mod:`seenby.scanners.aws.pacing`).

Documents are made JSON-ready here, once: response metadata and pagination tokens are
dropped and datetimes become ISO 8601 UTC strings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from botocore.exceptions import ClientError

from seenby.scanners.aws.operation import Operation
from seenby.scanners.reads import Failure, perform_read
from seenby.snapshot import Read

__all__ = ["DENIED_CODES", "describe_failure", "jsonable", "merge_pages", "read"]

DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AccessDeniedError",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "AuthorizationErrorException",
        "AllAccessDisabled",
        "Forbidden",
        "403",
    }
)
"""Error codes by which AWS refuses to show us something."""

_DROPPED_KEYS = frozenset({"ResponseMetadata", "IsTruncated", "Marker", "NextToken", "ContinuationToken"})


def describe_failure(exc: Exception) -> Failure:
    """The error code of a failed call: the service's code, else the HTTP status, else the exception's class."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code")
        if not code:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = str(status) if status else type(exc).__name__
        return Failure(code=str(code), message=error.get("Message") or None)
    return Failure(code=type(exc).__name__, message=str(exc) or None)


def jsonable(value: Any) -> Any:
    """A boto3 response as plain JSON: datetimes as ISO 8601 UTC strings, bytes as text."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def merge_pages(pages: Iterable[Mapping[str, Any]], result_keys: list[str]) -> dict[str, Any]:
    """One response out of all pages: the lists under ``result_keys`` concatenated, other keys from the first page.

    A failure on any page raises, so a partial listing is never recorded as complete.
    """
    merged: dict[str, Any] = {}
    for page in pages:
        for key, value in page.items():
            if key in result_keys:
                merged.setdefault(key, []).extend(value or [])
            else:
                merged.setdefault(key, value)
    for key in result_keys:
        merged.setdefault(key, [])
    return merged


def read(
    client: Any,
    op: Operation,
    /,
    *,
    shape: Callable[[Any], Any] | None = None,
    **params: Any,
) -> Read:
    """Call ``op`` with ``params`` on ``client`` (every page, when the operation pages) and record it.

    ``shape`` post-processes a successful document (for example to name unnamed policies).
    """
    if client.meta.service_model.service_name != op.service:
        raise ValueError(f"{op.api} called on a {client.meta.service_model.service_name} client")

    def call() -> Any:
        if client.can_paginate(op.method):
            pages = client.get_paginator(op.method).paginate(**params)
            return merge_pages(pages, [key.expression for key in pages.result_keys])
        return getattr(client, op.method)(**params)

    def document(response: Any) -> Any:
        doc = {k: v for k, v in jsonable(response).items() if k not in _DROPPED_KEYS}
        return shape(doc) if shape is not None else doc

    return perform_read(
        call, api=op.api, absent=op.absent, denied=DENIED_CODES, describe=describe_failure, document=document
    )
