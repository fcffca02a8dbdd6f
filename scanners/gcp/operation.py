"""What a Google Cloud scanner module declares about each API method it calls.

Every scanner module lists its methods in a module-level ``OPERATIONS`` tuple; the list
of required permissions (:mod:`seenby.scanners.gcp.permissions`) and the read-only test
are generated from those declarations.  REST calls only go through
:func:`seenby.scanners.gcp.calls.rest_read`, which takes an :class:`Operation`, so
nothing is called that is not declared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["READ_VERBS", "HttpMethod", "Operation"]

READ_VERBS = ("get", "list", "lookup", "search", "getIamPolicy", "getAncestry", "listPolicies")
"""Method names a read-only scanner may call (the last segment of the REST method id)."""

_API = re.compile(r"^[a-z]+(\.[a-zA-Z]+)+$")
_PERMISSION = re.compile(r"^[a-z]+(\.[a-zA-Z]+){2}$")


class HttpMethod(StrEnum):
    GET = "GET"
    POST = "POST"  # getIamPolicy and getAncestry are POSTs that change nothing


@dataclass(frozen=True, kw_only=True, slots=True)
class Operation:
    """One REST method.

    ``api`` is the method id recorded in reads (``cloudresourcemanager.projects.getIamPolicy``,
    docs/snapshot.md); ``permissions`` the IAM permissions it needs (empty for Cloud Identity,
    which Workspace admin roles govern); ``url`` the URL template, ``{name}`` placeholders
    filled by the caller; ``absent_when_not_found`` says whether 404 means "there is none"
    for this call; ``pages`` names the list field of a paged response.
    """

    api: str
    method: HttpMethod
    url: str
    permissions: tuple[str, ...] = ()
    absent_when_not_found: bool = False
    pages: str | None = None
    body: dict[str, object] | None = field(default=None, hash=False, compare=False)

    def __post_init__(self) -> None:
        if not _API.match(self.api):
            raise ValueError(f"{self.api!r} is not a REST method id")
        for permission in self.permissions:
            if not _PERMISSION.match(permission):
                raise ValueError(f"{permission!r} is not an IAM permission")
        if not self.url.startswith("https://"):
            raise ValueError(f"{self.api}: URL template {self.url!r} is not https")

    @property
    def verb(self) -> str:
        return self.api.rsplit(".", 1)[-1]

    @property
    def is_read(self) -> bool:
        return self.verb in READ_VERBS

    @property
    def host(self) -> str:
        return self.url.split("/", 3)[2]

    def pattern(self) -> re.Pattern[str]:
        """A regular expression matching URLs this operation requests (for the read-only test)."""
        parts = re.split(r"(\{[a-zA-Z_]+\})", self.url)
        regex = "".join(r"[^?]+" if p.startswith("{") else re.escape(p) for p in parts)
        return re.compile(f"^{regex}(\\?.*)?$")

    def format(self, **values: str) -> str:
        return self.url.format(**values)
