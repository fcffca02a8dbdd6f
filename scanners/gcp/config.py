"""What to scan and how: :class:`GcpScanConfig`."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from seenby.errors import UsageError

if TYPE_CHECKING:
    import requests
    from google.auth.credentials import Credentials

__all__ = ["GcpScanConfig"]

_PROJECT = re.compile(r"^([a-z][-a-z0-9.:]{4,61}[a-z0-9]|[0-9]+)$")
_NUMBER = re.compile(r"^[0-9]+$")


def _strip(value: str, prefix: str) -> str:
    return value.removeprefix(prefix)


@dataclass(frozen=True, kw_only=True)
class GcpScanConfig:
    """A Google Cloud scan.

    What: ``projects`` (ids), every project under ``folders`` and ``organizations``
    (numeric ids, with or without the ``folders/`` / ``organizations/`` prefix), each
    with its ancestors up to the organisation.

    How: ``credentials`` are injected; None means Application Default Credentials,
    looked up when the scan starts (never at import).  ``http`` is the transport for
    every call (REST and google-cloud-storage alike); None means an
    ``AuthorizedSession`` over the credentials.  ``storage_endpoint`` points
    google-cloud-storage at another endpoint (an emulator; ``STORAGE_EMULATOR_HOST``
    does the same when this is None); ``storage_endpoints`` does it per project, for
    emulators that keep a single bucket namespace per server.  ``max_workers`` bounds
    concurrent calls for the whole scan; transient failures are tried ``max_attempts``
    times in all.  ``read_groups`` reads the Cloud Identity memberships of every group
    the scanned policies name.  ``object_acl_limit`` bounds the objects whose ACLs are read
    per bucket without uniform bucket-level access (the most recently updated first; the
    rest is a coverage gap).
    """

    projects: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    credentials: Credentials | None = None
    http: requests.Session | None = None
    storage_endpoint: str | None = None
    storage_endpoints: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    max_workers: int = 8
    max_attempts: int = 5
    initial_backoff: float = 0.5
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    read_groups: bool = True
    object_acl_limit: int = 1000  # objects whose ACL is read per bucket without uniform access (newest first)
    sleep: Callable[[float], None] | None = None  # injected by tests to keep retries instant
    quota_project: str | None = None

    def __post_init__(self) -> None:
        if not (self.projects or self.folders or self.organizations):
            raise UsageError("name at least one --project, --folder or --organization to scan")
        if self.max_workers < 1:
            raise UsageError(f"max_workers must be at least 1, not {self.max_workers}")
        if self.object_acl_limit < 1:
            raise UsageError(f"object_acl_limit must be at least 1, not {self.object_acl_limit}")
        if self.max_attempts < 1:
            raise UsageError(f"max_attempts must be at least 1, not {self.max_attempts}")
        for project in self.projects:
            if not _PROJECT.match(_strip(project, "projects/")):
                raise UsageError(f"{project!r} is not a Google Cloud project id")
        folders = tuple(_strip(f, "folders/") for f in self.folders)
        organizations = tuple(_strip(o, "organizations/") for o in self.organizations)
        for kind, values in (("folder", folders), ("organization", organizations)):
            for value in values:
                if not _NUMBER.match(value):
                    raise UsageError(f"{value!r} is not a numeric {kind} id")
        object.__setattr__(self, "projects", tuple(_strip(p, "projects/") for p in self.projects))
        object.__setattr__(self, "folders", folders)
        object.__setattr__(self, "organizations", organizations)
        object.__setattr__(self, "storage_endpoints", MappingProxyType(dict(self.storage_endpoints)))

    def emulated_storage(self) -> bool:
        """Cloud Storage goes to an emulator: a configured endpoint, or ``STORAGE_EMULATOR_HOST`` (read now)."""
        return bool(self.storage_endpoint or self.storage_endpoints or os.environ.get("STORAGE_EMULATOR_HOST"))

    def storage_endpoint_for(self, project: str) -> str | None:
        return self.storage_endpoints.get(project, self.storage_endpoint)
