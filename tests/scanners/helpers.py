"""Helpers for the AWS scanner tests: scan settings, policies, and HTTP fault injection."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from seenby.scanners.aws import AwsScanConfig

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
ACCESS_KEY = "AKIASEENBYTESTKEY001"
SECRET_KEY = "seenby-test-secret-0123456789abcdefghij"


def scan_config(session: boto3.Session, endpoint: str, **overrides: Any) -> AwsScanConfig:
    settings: dict[str, Any] = {
        "session": session,
        "endpoint_url": endpoint,
        "regions": (REGION,),
        "max_workers": 4,
        "max_attempts": 2,
    }
    settings.update(overrides)
    return AwsScanConfig(**settings)


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


class Body:
    """A raw HTTP body botocore can stream."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def http_fault(
    session: boto3.Session,
    event: str,
    *,
    status: int = 0,
    body: str = "",
    raise_: Callable[[Any], Exception] | None = None,
    when: str = "",
) -> list[str]:
    """Answer ``event`` (``before-send.s3.GetBucketPolicy``) for URLs containing ``when`` with an HTTP fault.

    Either a response with ``status`` and ``body`` or, with ``raise_``, the exception it builds from
    the request (a timeout).  Returns the list of URLs it answered, to count retries.
    """
    answered: list[str] = []

    def hook(request: Any, **_: Any) -> AWSResponse | None:
        if when not in request.url:
            return None
        answered.append(request.url)
        if raise_ is not None:
            raise raise_(request)
        return AWSResponse(request.url, status, {"Content-Type": "application/xml"}, Body(body.encode()))

    session.events.register(event, hook)
    return answered


def s3_error(code: str, message: str = "injected") -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'


def query_error(code: str, message: str = "injected") -> str:
    """An error body of the query protocol (STS, IAM)."""
    return (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    )
