"""The scan only reads: every request sent is a declared read operation; the printed role holds reads only."""

from __future__ import annotations

import json
import re

from requests.adapters import HTTPAdapter

from seenby.scanners.gcp import OPERATIONS, print_permissions, required_permissions, scan_gcp
from seenby.scanners.gcp.operation import HttpMethod
from tests.gcp_scan.helpers import scan_config, seed_bucket

STORAGE = "https://storage.googleapis.com"


class LoggingAdapter(HTTPAdapter):
    """Passes requests to the emulator and remembers them."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str]] = []

    def send(self, request, **kwargs):
        self.sent.append((str(request.method), str(request.url)))
        return super().send(request, **kwargs)


def _declared(method: str, url: str) -> bool:
    return any(op.method.value == method and op.pattern().match(url) for op in OPERATIONS)


def test_organisation_scan_sends_only_declared_read_operations(http, gcs, transport):
    """Every request of an organisation scan (REST and emulator alike) matches a declared read operation."""
    seed_bucket(
        gcs, "corp-keystrokes", bindings=[{"role": "roles/storage.objectViewer", "members": ["domain:x.example"]}]
    )
    emulator = LoggingAdapter()
    http.mount(gcs, emulator)

    scan_gcp(scan_config(http, gcs, projects=(), organizations=("123456789012",)))

    sent = transport.sent + [(m, url.replace(gcs, STORAGE)) for m, url in emulator.sent]
    assert [s for s in sent if not _declared(*s)] == []
    assert all(m in ("GET", "POST") for m, _ in sent)
    posts = {url.split("?")[0].rsplit(":", 1)[-1] for m, url in sent if m == "POST"}
    assert posts == {"getIamPolicy", "getAncestry"}
    hosts = {url.split("/")[2] for _, url in sent}
    assert hosts == {
        "cloudresourcemanager.googleapis.com",
        "orgpolicy.googleapis.com",
        "iam.googleapis.com",
        "bigquery.googleapis.com",
        "bigquerydatatransfer.googleapis.com",
        "storagetransfer.googleapis.com",
        "cloudidentity.googleapis.com",
        "storage.googleapis.com",
    }
    assert transport.unmatched == []


def test_every_declared_operation_is_a_read():
    """No scanner module declares a method that is not get/list/lookup/getIamPolicy/getAncestry/listPolicies."""
    assert [op.api for op in OPERATIONS if not op.is_read] == []
    assert all(op.method is HttpMethod.GET or op.verb in ("getIamPolicy", "getAncestry") for op in OPERATIONS)


def test_printed_permissions_are_a_custom_role_of_read_permissions():
    """print_permissions() is a custom role definition whose permissions are all get/list/getIamPolicy."""
    role = json.loads(print_permissions())

    assert role["includedPermissions"] == required_permissions()
    assert role["stage"] == "GA" and role["title"]
    for permission in role["includedPermissions"]:
        assert re.fullmatch(r"[a-z]+\.[a-zA-Z]+\.(get|list|getIamPolicy)", permission), permission
