"""HTTP to one Superset server: authentication, declared GET calls, pagination, outcomes.

Credentials come from the environment only (never the command line, never the snapshot,
never a log line): ``SUPERSET_ACCESS_TOKEN`` (a JWT), or ``SUPERSET_USERNAME`` and
``SUPERSET_PASSWORD`` (with ``SUPERSET_AUTH_PROVIDER``, ``db`` by default).  With
``session=True`` the client logs in through the web form and keeps the session cookie
instead of a JWT: with ``PUBLIC_ROLE_LIKE`` set, flask-appbuilder treats JWT-authenticated
API calls as anonymous on every endpoint the Public role may use, which would make the
scan see the Public role's view.

A failed call is classified by its HTTP status (401, 403: denied; 404 on a call that
declares it: absent; anything else, or no answer: error), never by its message.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from seenby.errors import UsageError
from seenby.model import ReadOutcome
from seenby.scanners.superset.operation import HttpMethod, Operation
from seenby.snapshot import Read

__all__ = ["Credentials", "HttpResponse", "SupersetClient", "Transport", "UrllibTransport", "credentials_from_env"]

PAGE_SIZE = 100
_DENIED = frozenset({401, 403})


@dataclass(frozen=True, kw_only=True, slots=True)
class HttpResponse:
    status: int
    body: bytes


# (method, url, headers, body) -> response; tests pass recorded responses, the scan urllib.
Transport = Callable[[str, str, Mapping[str, str], bytes | None], HttpResponse]


class UrllibTransport:
    """The standard library's HTTP, with a cookie jar (for a session login)."""

    def __init__(self, timeout: float = 30.0) -> None:
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self._timeout = timeout

    def __call__(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> HttpResponse:
        request = urllib.request.Request(url, data=body, headers=dict(headers), method=method)
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                return HttpResponse(status=response.status, body=response.read())
        except urllib.error.HTTPError as exc:
            return HttpResponse(status=exc.code, body=exc.read() or b"")


@dataclass(frozen=True, kw_only=True, slots=True)
class Credentials:
    """Held in memory only; ``repr`` never shows the secret."""

    username: str | None = None
    password: str | None = None
    token: str | None = None
    provider: str = "db"

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, secret=<hidden>)"


def credentials_from_env(env: Mapping[str, str] | None = None) -> Credentials:
    env = os.environ if env is None else env
    token = env.get("SUPERSET_ACCESS_TOKEN")
    if token:
        return Credentials(token=token)
    username, password = env.get("SUPERSET_USERNAME"), env.get("SUPERSET_PASSWORD")
    if username and password:
        return Credentials(username=username, password=password, provider=env.get("SUPERSET_AUTH_PROVIDER", "db"))
    raise UsageError("no Superset credentials: set SUPERSET_ACCESS_TOKEN, or SUPERSET_USERNAME and SUPERSET_PASSWORD")


LOGIN = Operation(method=HttpMethod.POST, path="/api/v1/security/login", permission="(authentication)", login=True)
LOGIN_PAGE = Operation(method=HttpMethod.GET, path="/login/", permission="(anyone)", login=True)
SESSION_LOGIN = Operation(method=HttpMethod.POST, path="/login/", permission="(authentication)", login=True)
# the login page's CSRF token: a hidden input, or the (HTML-escaped) bootstrap JSON of the single-page app
_CSRF = re.compile(
    rb'name="csrf_token"[^>]*value="([^"]+)"|"csrf_token":\s*"([^"]+)"|&#34;csrf_token&#34;:\s*&#34;([^&]+)&#34;'
)


class SupersetClient:
    """Declared calls to one server; each returns a :class:`Read`, never raises for a failed call."""

    def __init__(
        self, url: str, credentials: Credentials, *, transport: Transport | None = None, session: bool = True
    ) -> None:
        self.url = url.rstrip("/")
        self._transport: Transport = transport or UrllibTransport()
        self._headers: dict[str, str] = {"Accept": "application/json"}
        self._credentials = credentials
        self._session = session
        self.login_failure: Read | None = None

    @property
    def bearer(self) -> bool:
        """True when calls carry a JWT: the scan may then see the Public role's view (module docstring)."""
        return "Authorization" in self._headers

    def login(self) -> None:
        """Authenticate; a failure is kept in ``login_failure`` and every read then records it.

        Username and password sign in through the web form and keep the session cookie (the
        default); ``session=False`` asks ``/api/v1/security/login`` for a JWT instead.  An access
        token is sent as a bearer token.
        """
        c = self._credentials
        if c.token:
            self._headers["Authorization"] = f"Bearer {c.token}"
            return
        if self._session:
            self._session_login()
            return
        body = json.dumps(
            {"username": c.username, "password": c.password, "provider": c.provider, "refresh": False}
        ).encode()
        response = self._call("POST", self.url + LOGIN.path, {"Content-Type": "application/json"}, body)
        if response is None or response.status != 200:
            self.login_failure = self._failed(LOGIN, response)
            return
        token = json.loads(response.body).get("access_token")
        if not token:
            self.login_failure = Read(outcome=ReadOutcome.DENIED, api=LOGIN.api, error_code="NoAccessToken")
            return
        self._headers["Authorization"] = f"Bearer {token}"

    def _session_login(self) -> None:
        """The web form (``/login/``), with the page's CSRF token when it has one; the transport keeps the cookie."""
        page = self._call("GET", self.url + LOGIN_PAGE.path, {}, None)
        if page is None or page.status != 200:
            self.login_failure = self._failed(LOGIN_PAGE, page)
            return
        match = _CSRF.search(page.body)
        form = {"username": self._credentials.username or "", "password": self._credentials.password or ""}
        if match is not None:
            form["csrf_token"] = next(g for g in match.groups() if g).decode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        response = self._call("POST", self.url + SESSION_LOGIN.path, headers, urllib.parse.urlencode(form).encode())
        me = self.read(ME)
        if response is None or not me.ok or ((me.document or {}).get("result") or {}).get("is_anonymous"):
            self.login_failure = Read(outcome=ReadOutcome.DENIED, api=SESSION_LOGIN.api, error_code="LoginFailed")

    def _call(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> HttpResponse | None:
        try:
            return self._transport(method, url, {**self._headers, **headers}, body)
        except OSError:
            return None

    def _failed(self, op: Operation, response: HttpResponse | None) -> Read:
        if response is None:
            return Read(
                outcome=ReadOutcome.ERROR,
                api=op.api,
                error_code="ConnectionError",
                message=f"no answer from {self.url}",
            )
        if response.status in _DENIED:
            outcome = ReadOutcome.DENIED
        elif response.status == 404 and op.absent_when_not_found:
            outcome = ReadOutcome.ABSENT
        else:
            outcome = ReadOutcome.ERROR
        return Read(outcome=outcome, api=op.api, error_code=f"HTTP{response.status}")

    def read(self, op: Operation, *, id: int | str | None = None) -> Read:
        """GET ``op`` (every page of it) and return the JSON document, or the classified failure."""
        if not op.is_read:
            raise ValueError(f"{op.api} is not a read")
        if self.login_failure is not None and op is not ME:
            f = self.login_failure
            return Read(outcome=f.outcome, api=op.api, error_code=f.error_code, message="not read: the login failed")
        path = op.path.replace("{id}", urllib.parse.quote(str(id))) if id is not None else op.path
        if not op.paged:
            response = self._call("GET", self.url + path, {}, None)
            if response is None or response.status != 200:
                return self._failed(op, response)
            return Read(outcome=ReadOutcome.OK, api=op.api, document=_json(response.body))
        results: list[Any] = []
        page = 0
        while True:
            q = urllib.parse.quote(f"(page:{page},page_size:{PAGE_SIZE})")
            response = self._call("GET", f"{self.url}{path}?q={q}", {}, None)
            if response is None or response.status != 200:
                return self._failed(op, response)
            doc = _json(response.body)
            chunk = list(doc.get("result") or [])
            results.extend(chunk)
            if not chunk or len(results) >= int(doc.get("count") or 0):
                return Read(outcome=ReadOutcome.OK, api=op.api, document={"count": len(results), "result": results})
            page += 1


def _json(body: bytes) -> Any:
    return json.loads(body or b"null")


ME = Operation(method=HttpMethod.GET, path="/api/v1/me/", permission="(any signed-in user)")
