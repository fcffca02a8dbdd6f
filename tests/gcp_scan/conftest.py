"""A real gcp-storage-emulator for the GCS scanner tests, recorded responses for the other Google APIs.

The emulator is one subprocess for the session (the ``gcp-storage-emulator`` console
script), wiped before each test.  The scanner gets an ``AuthorizedSession`` over
anonymous credentials with a :class:`RecordedTransport` mounted on ``https://`` (Resource
Manager, Organization Policy, IAM, BigQuery, Cloud Identity); google-cloud-storage
reaches the emulator over plain HTTP through the same session.
"""

from __future__ import annotations

import shutil
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.auth.credentials import AnonymousCredentials
from google.auth.transport.requests import AuthorizedSession

from seenby.scanners.gcp.replay import RecordedTransport
from tests.servers import free_port, local_server

DATA = Path(__file__).parent / "data"


def _command(port: int) -> list[str]:
    script = shutil.which("gcp-storage-emulator", path=str(Path(sys.executable).parent))
    head = [script] if script else [sys.executable, "-m", "gcp_storage_emulator"]
    return [*head, "start", "--host", "127.0.0.1", "--port", str(port), "--in-memory"]


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[str]:
    port = free_port()
    with local_server(_command(port), port=port, ready_path="/", name="gcp-storage-emulator") as endpoint:
        yield endpoint


@pytest.fixture
def gcs(gcs_emulator: str) -> str:
    """The emulator endpoint, emptied."""
    with urllib.request.urlopen(f"{gcs_emulator}/wipe", timeout=10) as response:
        assert response.status == 200
    return gcs_emulator


@pytest.fixture
def transport() -> RecordedTransport:
    """Every recorded response under data/; tests add faults with ``transport.add``."""
    return RecordedTransport.from_files(sorted(DATA.glob("*.json")))


@pytest.fixture
def http(transport: RecordedTransport) -> AuthorizedSession:
    """The session handed to the scanner."""
    session = AuthorizedSession(AnonymousCredentials())
    session.mount("https://", transport)
    return session
