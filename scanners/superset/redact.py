"""Secrets never reach a snapshot: one place removes them from Superset's documents.

A database connection's SQLAlchemy URI keeps its dialect, host, port, database (BigQuery:
the project; Athena: the schema) and query parameters, and loses its password (Superset
masks it as ``XXXXXXXXXX``; seenby drops it whatever it says) and every query parameter
or document key that names a secret (password, secret, token, key, credential,
encrypted_extra, server certificate).
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from seenby.sqlalchemy_uri import split_uri

__all__ = ["redact", "redact_uri"]

_SECRET_KEY = re.compile(r"pass|secret|token|credential|private|encrypted|cert|(^|_)key$|^key|api_key", re.I)


def redact_uri(uri: str) -> str:
    """``dialect+driver://user:pw@host:port/db?x=1&password=…`` without the password or secret parameters."""
    parsed = split_uri(uri)
    parts = parsed.parts
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}@{host}" if user else host
    query = [
        (k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if not _SECRET_KEY.search(k)
    ]
    encoded = urllib.parse.urlencode(query)
    rest = f"//{netloc}{parts.path}" + (f"?{encoded}" if encoded else "")  # urlunsplit drops an empty netloc
    return f"{parsed.scheme}:{rest}" if parsed.scheme else rest


def redact(value: Any) -> Any:
    """A copy of a JSON value without secret-named keys, and with every ``sqlalchemy_uri`` redacted."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k == "sqlalchemy_uri" and isinstance(v, str):
                out[k] = redact_uri(v)
            elif not _SECRET_KEY.search(str(k)):
                out[k] = redact(v)
        return out
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value
