"""boto3 clients for one set of credentials: one per service and region, made on first use.

Every client gets the same botocore ``Config``: botocore's own retries off (one attempt),
a connection pool as large as the scan's concurrency, and timeouts; retries per call and
rate limiting per operation are the :class:`~seenby.scanners.aws.pacing.Pacer`'s, hooked
into each client (one pacer for the clients of one set of credentials, i.e. one account).
Clients come from the injected session, also for assumed-role credentials, so the
session's event hooks see every call.

Assumed-role credentials expire (an hour by default): when they are within
:data:`RENEW_BEFORE` of their ``Expiration``, the next client asked for renews them first
(the ``renew`` callable assumes the role again) and every client is made anew with them.
A renewal that fails leaves the old credentials: calls after expiry fail and are recorded
as errors (coverage gaps), never as "nothing there".
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from botocore.config import Config

from seenby import __version__
from seenby.scanners.aws.config import AwsScanConfig
from seenby.scanners.aws.pacing import Pacer
from seenby.scanners.reads import RetryPolicy

__all__ = ["RENEW_BEFORE", "Clients", "TemporaryCredentials", "botocore_config"]

RENEW_BEFORE = timedelta(minutes=10)

_AWS_HOSTS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")
_ACCOUNT_PREFIX = re.compile(r"^[0-9]{12}\.")


@dataclass(frozen=True, kw_only=True, slots=True)
class TemporaryCredentials:
    """Credentials of an assumed role. ``repr`` shows none of them."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime | None = None  # AssumeRole's Credentials.Expiration

    def __repr__(self) -> str:
        return "TemporaryCredentials(<hidden>)"


def botocore_config(config: AwsScanConfig) -> Config:
    return Config(
        retries={"mode": "standard", "total_max_attempts": 1},  # retries are the Pacer's (pacing.py)
        max_pool_connections=max(10, config.max_workers),
        connect_timeout=config.connect_timeout,
        read_timeout=config.read_timeout,
        user_agent_extra=f"seenby/{__version__}",
    )


def _is_aws_endpoint(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host.endswith(_AWS_HOSTS)


def _strip_account_prefix(request: Any, **_: Any) -> None:
    """Local emulators serve s3control on the endpoint itself, not on ``<account>.<endpoint>``."""
    parts = urlsplit(request.url)
    netloc = _ACCOUNT_PREFIX.sub("", parts.netloc, count=1)
    if netloc != parts.netloc:
        request.url = urlunsplit(parts._replace(netloc=netloc))


class Clients:
    """A small, thread-safe cache of clients. ``lock`` guards the session, which is not thread-safe."""

    def __init__(
        self,
        config: AwsScanConfig,
        *,
        lock: threading.Lock,
        credentials: TemporaryCredentials | None = None,
        renew: Callable[[], TemporaryCredentials | None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._config = config
        self._botocore_config = botocore_config(config)
        self._credentials = credentials
        self._renew = renew
        self._clock = clock
        self._lock = lock
        self._renewing = threading.Lock()
        self._cache: dict[tuple[str, str], Any] = {}
        self._pacer = Pacer(
            policy=RetryPolicy(
                attempts=config.max_attempts, initial_backoff=config.retry_backoff, max_backoff=config.max_backoff
            ),
            ceiling=max(1, config.max_workers),
            wait_limit=config.connect_timeout + config.read_timeout,
        )

    @property
    def home_region(self) -> str:
        return self._config.home_region

    def _due(self) -> bool:
        expiration = self._credentials.expiration if self._credentials is not None else None
        return self._renew is not None and expiration is not None and self._clock() >= expiration - RENEW_BEFORE

    def _renew_if_due(self) -> None:
        """Assume the role again when the credentials are about to expire (one thread renews, the others wait)."""
        if not self._due():
            return
        with self._renewing:  # not the session lock: renewing makes an STS call through another Clients
            if not self._due():
                return  # renewed by another thread meanwhile
            assert self._renew is not None
            fresh = self._renew()
            if fresh is None:
                return  # keep the old credentials: later calls fail and become coverage gaps
            with self._lock:
                self._credentials = fresh
                self._cache.clear()

    def get(self, service: str, region: str | None = None) -> Any:
        self._renew_if_due()
        key = (service, region or self.home_region)
        with self._lock:
            client = self._cache.get(key)
            if client is None:
                client = self._cache[key] = self._make(*key)
        return client

    def _make(self, service: str, region: str) -> Any:
        kwargs: dict[str, Any] = {"region_name": region, "config": self._botocore_config}
        if self._config.endpoint_url is not None:
            kwargs["endpoint_url"] = self._config.endpoint_url
            if service == "s3":
                kwargs["config"] = self._botocore_config.merge(Config(s3={"addressing_style": "path"}))
        if self._credentials is not None:
            kwargs["aws_access_key_id"] = self._credentials.access_key_id
            kwargs["aws_secret_access_key"] = self._credentials.secret_access_key
            kwargs["aws_session_token"] = self._credentials.session_token
        client = self._config.session.client(service, **kwargs)
        self._pacer.attach(client, region)
        if service == "s3control" and not _is_aws_endpoint(client.meta.endpoint_url):
            client.meta.events.register("before-send.s3-control.*", _strip_account_prefix)
        return client
