"""Recorded Google API responses served at the transport boundary (a ``requests`` adapter).

No local server exists for Resource Manager, BigQuery, Cloud Identity, IAM or the
Organization Policy API.  Tests and ``seenby demo`` mount a :class:`RecordedTransport`
on the session the scanner is given: the scanner runs its ordinary code path, and every
request it sends is logged (``sent``), so the read-only test sees exactly what was asked.

A recording is ``{"method", "url", "query"?, "status"?, "body"?, "raise"?}``: ``url``
without its query string, ``query`` the parameters that must be present (the most
specific match wins), ``raise`` the name of a ``requests`` exception to raise instead of
answering (``ReadTimeout``, ``ConnectionError``), ``times`` how often it answers before
the next matching recording takes over (unlimited when absent).  Unmatched requests are answered 404
in Google's error shape and listed in ``unmatched``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import requests
from requests.adapters import BaseAdapter

__all__ = ["RecordedTransport", "Recording", "error_body"]

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def error_body(status: int, message: str) -> dict[str, Any]:
    """An error response body in Google's JSON shape (https://cloud.google.com/apis/design/errors)."""
    return {"error": {"code": status, "message": message, "status": _STATUS_NAMES.get(status, "UNKNOWN")}}


@dataclass(frozen=True, kw_only=True)
class Recording:
    method: str
    url: str
    query: Mapping[str, str] = field(default_factory=dict)
    status: int = 200
    body: Any = None
    raise_: str | None = None
    times: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Recording:
        return cls(
            method=str(data["method"]).upper(),
            url=str(data["url"]),
            query={str(k): str(v) for k, v in (data.get("query") or {}).items()},
            status=int(data.get("status", 200)),
            body=data.get("body"),
            raise_=data.get("raise"),
            times=data.get("times"),
        )

    def matches(self, method: str, url: str, query: Mapping[str, str]) -> bool:
        return self.method == method and self.url == url and all(query.get(k) == v for k, v in self.query.items())


class RecordedTransport(BaseAdapter):
    """A ``requests`` adapter answering from recordings; mount it on ``https://``."""

    def __init__(self, recordings: Iterable[Recording] = ()) -> None:
        super().__init__()
        self._recordings: list[Recording] = []
        self._lock = threading.Lock()
        self._used: dict[int, int] = {}
        self.sent: list[tuple[str, str]] = []
        self.unmatched: list[tuple[str, str]] = []
        self.add(*recordings)

    @classmethod
    def from_files(cls, paths: Iterable[str | Path]) -> RecordedTransport:
        """Recordings from JSON files, each a list of recordings."""
        recordings = []
        for path in paths:
            recordings.extend(Recording.from_json(r) for r in json.loads(Path(path).read_text(encoding="utf-8")))
        return cls(recordings)

    def add(self, *recordings: Recording) -> None:
        """Add recordings; later ones take precedence over earlier ones of the same specificity."""
        with self._lock:
            self._recordings[:0] = reversed(recordings)
            self._recordings.sort(key=lambda r: -len(r.query))

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        parts = urlsplit(str(request.url))
        base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        method = str(request.method).upper()
        with self._lock:
            self.sent.append((method, str(request.url)))
            found = next(
                (
                    r
                    for r in self._recordings
                    if r.matches(method, base, query) and (r.times is None or self._used.get(id(r), 0) < r.times)
                ),
                None,
            )
            if found is not None:
                self._used[id(found)] = self._used.get(id(found), 0) + 1
            else:
                self.unmatched.append((method, str(request.url)))
        if found is None:
            return _response(request, 404, error_body(404, f"no recorded response for {method} {base}"))
        if found.raise_:
            raise getattr(requests.exceptions, found.raise_)(f"recorded {found.raise_}", request=request)
        return _response(request, found.status, found.body)

    def close(self) -> None:
        pass


def _response(request: requests.PreparedRequest, status: int, body: Any) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.reason = _STATUS_NAMES.get(status, "OK" if status < 400 else "ERROR")
    response.url = str(request.url)
    response.request = request
    response.headers["Content-Type"] = "application/json; charset=UTF-8"
    response._content = b"" if body is None else json.dumps(body).encode("utf-8")
    return response
