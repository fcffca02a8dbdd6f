"""The HTML report in a real browser: headless Chromium, opened from disk, no network.

Chromium is driven over the Chrome DevTools Protocol (https://chromedevtools.github.io/devtools-protocol/)
with a small websocket client.  The report is the example organisation's audit.  Set
SEENBY_REPORT_SCREENSHOT=docs/report.png to also write the screenshot shown in the README.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from seenby.audit import audit
from seenby.config import load_rules
from seenby.findings import AuditResult, Severity
from seenby.reports import OutputFormat, RenderOptions, render_findings
from seenby.snapshot import load_snapshots

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "examples" / "telemetry-incident" / "snapshot.json"
RULES = ROOT / "rules.yaml"
VIEWPORT = {"width": 1280, "height": 900}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def chromium_binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _require_chromium() -> str:
    binary = chromium_binary()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but chromium is not installed (.ci/run installs Debian's chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium); CI runs this test")
    return binary


class Browser:
    """One headless Chromium with one page, spoken to over the DevTools Protocol."""

    def __init__(self, binary: str, profile: Path) -> None:
        import websocket  # the test extra's websocket-client

        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
             "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}",
             "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        port = self._port(profile / "DevToolsActivePort")
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def _port(self, active: Path) -> int:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.proc.returncode}")
            lines = active.read_text().split("\n") if active.exists() else []
            if lines and lines[0].strip().isdigit():
                return int(lines[0])
            time.sleep(0.05)
        raise RuntimeError("chromium did not open its DevTools port")

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_for(self, event: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        seen = next((e for e in self.events if e["method"] == event), None)
        while seen is None:
            if time.monotonic() > deadline:
                raise TimeoutError(event)
            message = json.loads(self.ws.recv())
            if "method" in message:
                self.events.append(message)
                if message["method"] == event:
                    seen = message
        return seen

    def js(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str) -> None:
        self.events.clear()
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element (scrolled into view first)."""
        box = self.js(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView("
                      "{block: 'center'}); const r = e.getBoundingClientRect(); return [r.x + r.width / 2, "
                      "r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def type_into(self, selector: str, text: str) -> None:
        self.js(f"document.querySelector({json.dumps(selector)}).focus()")
        for ch in text:
            self.send("Input.insertText", text=ch)

    def screenshot(self, path: Path, **clip: float) -> bytes:
        params: dict[str, Any] = {"format": "png"}
        if clip:
            params["clip"] = {"scale": 1, **clip}
            params["captureBeyondViewport"] = True
        data = base64.b64decode(self.send("Page.captureScreenshot", **params)["data"])
        path.write_bytes(data)
        return data

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture(scope="module")
def example_result() -> AuditResult:
    """The example audit, loaded by relative paths from the repository root (as the README runs it)."""
    with contextlib.chdir(ROOT):
        return audit(load_snapshots([str(SNAPSHOT.relative_to(ROOT))]), load_rules(RULES.name))


@pytest.fixture(scope="module")
def report_file(example_result: AuditResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_findings(example_result, OutputFormat.HTML, RenderOptions()), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    binary = _require_chromium()
    with tempfile.TemporaryDirectory(prefix="seenby-chromium-", ignore_cleanup_errors=True) as profile:
        chrome = Browser(binary, Path(profile))
        try:
            for domain in ("Page", "Runtime", "Log", "Network"):
                chrome.send(f"{domain}.enable")
            chrome.send("Emulation.setDeviceMetricsOverride", deviceScaleFactor=1, mobile=False, **VIEWPORT)
            yield chrome
        finally:
            chrome.close()


@pytest.fixture
def page(browser: Browser, report_file: Path) -> Browser:
    """The example report, freshly opened from disk."""
    browser.open(report_file.as_uri())
    return browser


def visible_rows(page: Browser) -> list[dict[str, str]]:
    return page.js("Array.from(document.querySelectorAll('#findings-table tbody tr:not(.empty)'))"
                   ".filter(r => r.offsetParent !== null)"
                   ".map(r => ({severity: r.dataset.severity, dataset: r.dataset.dataset, search: r.dataset.search}))")


def test_report_opens_from_disk_with_no_request_beyond_the_file(page, report_file):
    """Loading the report makes no request other than the file itself (no network, no external asset)."""
    urls = [e["params"]["request"]["url"] for e in page.events if e["method"] == "Network.requestWillBeSent"]
    assert urls == [report_file.as_uri()]


def test_report_script_runs_under_its_csp_without_errors(page):
    """The inlined script and style pass the page's CSP (no violation, no exception) and show the controls."""
    errors = [e["params"] for e in page.events
              if e["method"] == "Runtime.exceptionThrown"
              or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")]
    assert errors == []
    assert page.js("document.querySelector('form[data-controls-for=\"findings-table\"]').hidden") is False


def test_typing_in_the_search_box_leaves_only_matching_rows(page, example_result):
    """Typing a dataset name shows exactly the findings on that dataset, and the counter says so."""
    page.type_into("form[data-controls-for='findings-table'] input[data-search]", "keystrokes")
    rows = visible_rows(page)
    expected = [f for f in example_result.active if "keystrokes" in f.dataset.id]
    assert [r["dataset"] for r in rows] == [f.dataset.id for f in expected]
    total = len(example_result.active)
    assert page.js("document.querySelector('[data-count]').value") == f"{len(expected)} of {total} shown"


def test_severity_filter_shows_only_that_severity(page, example_result):
    """Choosing 'medium' in the severity filter leaves the medium findings only."""
    page.js("const s = document.querySelector('select[data-filter=severity]'); s.value = 'medium';"
            "s.dispatchEvent(new Event('change', {bubbles: true}))")
    rows = visible_rows(page)
    assert {r["severity"] for r in rows} == {"medium"}
    assert len(rows) == sum(1 for f in example_result.active if f.severity is Severity.MEDIUM)


def test_filter_is_kept_in_the_url_fragment(page):
    """A filtered view can be shared: reopening its URL (with the fragment) restores the filter."""
    page.type_into("form[data-controls-for='findings-table'] input[data-search]", "screens")
    url = page.js("location.href")
    assert url.endswith("#q=screens")
    page.open("about:blank")
    page.open(url)
    rows = visible_rows(page)
    assert rows and all("screens" in r["dataset"] for r in rows)
    assert page.js("document.querySelector('input[data-search]').value") == "screens"


def test_expanding_a_path_draws_its_graph(page, tmp_path):
    """Clicking a closed path opens it: its SVG graph is laid out with one box per step and labelled edges."""
    selector = ("[data-dataset='arn:aws:s3:::corp-employee-telemetry-screens'] "
                "details.entry[data-principal='arn:aws:iam::111122223333:root']")  # fmt: skip
    assert page.js(f"document.querySelector({json.dumps(selector)}).open") is False
    page.click(selector + " > summary")
    graph = page.js(f"""(() => {{
        const d = document.querySelector({json.dumps(selector)});
        const svg = d.querySelector('svg.path-graph');
        const r = svg.getBoundingClientRect();
        return {{open: d.open, height: r.height, width: r.width,
                 nodes: Array.from(svg.querySelectorAll('.node-label')).map(t => t.textContent),
                 edges: Array.from(svg.querySelectorAll('.edge-label')).map(t => t.textContent)}};
    }})()""")
    assert graph["open"] is True and graph["height"] > 40 and graph["width"] > 200
    # the data account's principals, whom the trust lets in with the organisation's other members able to (issue 22)
    assert graph["nodes"] == ["account 111122223333", "telemetry-reader", "corp-employee-telemetry-screens"]
    assert graph["edges"] == ["1 · can-assume", "2 · read"]
    shot = page.screenshot(tmp_path / "expanded.png")
    assert shot.startswith(PNG_MAGIC)


def test_screenshot_of_the_example_report(page, tmp_path):
    """The top of the example report renders to a screenshot (written to docs/ when asked for)."""
    height = page.js("Math.ceil(document.querySelector('#findings-table tbody tr:nth-child(6)')"
                     ".getBoundingClientRect().bottom + window.scrollY + 1)")
    shot = page.screenshot(tmp_path / "report.png", x=0, y=0, width=VIEWPORT["width"], height=height)
    assert shot.startswith(PNG_MAGIC) and len(shot) > 20_000
    target = os.environ.get("SEENBY_REPORT_SCREENSHOT")
    if target:
        Path(target).write_bytes(shot)
