"""Recorded Superset responses: record a live scan's GET calls, replay them offline.

A recording is JSON ``{"url": BASE, "responses": {"GET /api/v1/…?q=…": {"status": 200,
"body": {…}}}}``.  Only GET calls are recorded (never the login, which carries the
password and returns a token); the replay answers a login with a placeholder token.  The
default demo and the recorded-response tests replay ``seenby/data/superset-responses.json``,
recorded from a live Superset 6.1.0 seeded by :mod:`seenby.demo.seed_superset`.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from seenby.scanners.superset.client import HttpResponse, Transport, UrllibTransport

__all__ = ["RecordedTransport", "RecordingTransport", "load_recording"]


def _key(method: str, url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{method} {parts.path}" + (f"?{parts.query}" if parts.query else "")


class RecordingTransport:
    """Passes calls through to ``inner`` and keeps every GET's answer."""

    def __init__(self, inner: Transport | None = None) -> None:
        self.inner: Transport = inner or UrllibTransport()
        self.responses: dict[str, dict[str, Any]] = {}

    def __call__(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> HttpResponse:
        response = self.inner(method, url, headers, body)
        if method == "GET":
            try:
                doc = json.loads(response.body or b"null")
            except ValueError:
                doc = None
            self.responses[_key(method, url)] = {"status": response.status, "body": doc}
        return response

    def save(self, path: Path, url: str) -> None:
        data = {"url": url, "responses": dict(sorted(self.responses.items()))}
        path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


class RecordedTransport:
    """Answers from a recording; a call it does not hold answers 599 (an error read), and is noted in ``missed``."""

    def __init__(self, responses: Mapping[str, Mapping[str, Any]]) -> None:
        self.responses = dict(responses)
        self.calls: list[tuple[str, str]] = []
        self.missed: list[str] = []

    def __call__(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> HttpResponse:
        self.calls.append((method, url))
        key = _key(method, url)
        path = urllib.parse.urlsplit(url).path
        if method == "POST" and path == "/api/v1/security/login":
            return HttpResponse(status=200, body=b'{"access_token": "replayed"}')
        if method == "POST" and path == "/login/":
            return HttpResponse(status=200, body=b"")
        recorded = self.responses.get(key)
        if recorded is None:
            self.missed.append(key)
            return HttpResponse(status=599, body=b"")
        return HttpResponse(status=int(recorded["status"]), body=json.dumps(recorded["body"]).encode())


def load_recording(path: Path) -> tuple[str, dict[str, dict[str, Any]]]:
    data = json.loads(path.read_text())
    return str(data["url"]), dict(data["responses"])
