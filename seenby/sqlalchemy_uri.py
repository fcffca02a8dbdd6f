"""SQLAlchemy database URIs (``dialect+driver://user:password@host:port/database?query``), split once.

``urllib.parse.urlsplit`` only accepts scheme characters of RFC 3986, so a driver with an
underscore (``redshift+redshift_connector``, ``mysql+mysql_connector``) leaves the whole URI in
``path``, password included.  :func:`split_uri` takes the scheme apart itself; the Superset
scanner's redaction and the lineage of Superset connections both use it.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

__all__ = ["SqlAlchemyUri", "split_uri"]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+._-]*)://")


@dataclass(frozen=True, kw_only=True, slots=True)
class SqlAlchemyUri:
    scheme: str  # as written: "redshift+redshift_connector"
    parts: urllib.parse.SplitResult  # netloc, path, query of what follows "://" (its scheme empty)

    @property
    def dialect(self) -> str:
        return self.scheme.split("+", 1)[0].lower()


def split_uri(uri: str) -> SqlAlchemyUri:
    match = _SCHEME.match(uri)
    if match is None:
        return SqlAlchemyUri(scheme="", parts=urllib.parse.urlsplit(uri))
    return SqlAlchemyUri(scheme=match.group(1), parts=urllib.parse.urlsplit("//" + uri[match.end() :]))
