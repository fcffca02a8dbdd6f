"""A real moto server for the AWS scanner tests, and helpers to seed it and inject HTTP faults.

The server is one subprocess for the session (``python -m moto.server``), reset before
each test.  Tests reach it through boto3 with an injected session and endpoint; faults
moto cannot produce are injected at the HTTP layer with botocore ``before-send`` hooks.
"""

from __future__ import annotations

import sys
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from tests.scanners.helpers import ACCESS_KEY, REGION, SECRET_KEY
from tests.servers import free_port, local_server


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    port = free_port()
    with local_server(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        port=port,
        ready_path="/moto-api/",
        name="moto server",
    ) as endpoint:
        yield endpoint


@pytest.fixture
def endpoint(moto_server: str) -> str:
    """The moto endpoint, emptied."""
    request = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    return moto_server


@pytest.fixture
def session() -> boto3.Session:
    """The session handed to the scanner (and used to seed moto)."""
    return boto3.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION)


@pytest.fixture
def client(session: boto3.Session, endpoint: str) -> Callable[[str], Any]:
    """Seeding clients, made apart from the scanner's."""
    return lambda service: session.client(service, endpoint_url=endpoint, region_name=REGION)
