"""What the Superset scanner declares about each REST call it makes.

Every call goes through :func:`seenby.scanners.superset.client.SupersetClient.read`, which takes
an :class:`Operation`; ``OPERATIONS`` (in :mod:`seenby.scanners.superset.scan`) lists them all,
and ``seenby scan superset --print-policy`` and the read-only test are generated from it.
Each operation names the Superset permission (``can read on Dashboard``) it needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["HttpMethod", "Operation"]

_PATH = re.compile(r"^/api/v1/[a-z_/{}-]+$|^/login/$")


class HttpMethod(StrEnum):
    GET = "GET"
    POST = "POST"  # login only: it changes nothing on the server


@dataclass(frozen=True, kw_only=True, slots=True)
class Operation:
    """One REST call: ``api`` as recorded in reads (``superset:GET /api/v1/dashboard/{id}``)."""

    method: HttpMethod
    path: str  # a template; ``{id}`` is filled by the caller
    permission: str  # the Superset permission it needs, as the roles page spells it
    paged: bool = False  # a list endpoint: rison ``q=(page:N,page_size:M)``, ``count`` and ``result``
    absent_when_not_found: bool = False  # 404 means "there is none" (an embedded configuration)
    login: bool = False  # the one POST: authentication, never a change

    def __post_init__(self) -> None:
        if not _PATH.match(self.path):
            raise ValueError(f"{self.path!r} is not a Superset /api/v1 path")
        if self.method is not HttpMethod.GET and not self.login:
            raise ValueError(f"{self.path}: only GET calls are read-only")

    @property
    def api(self) -> str:
        return f"superset:{self.method.value} {self.path}"

    @property
    def is_read(self) -> bool:
        return self.method is HttpMethod.GET
