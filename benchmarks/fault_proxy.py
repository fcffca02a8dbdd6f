"""A counting, fault-injecting HTTP forwarder on 127.0.0.1, in front of a local AWS endpoint (moto's server).

Run by ``scan_buckets.py`` as a subprocess (so its threads do not share the scanner's
interpreter); usable alone:

    python benchmarks/fault_proxy.py --upstream http://127.0.0.1:5000 --port 5001

It forwards every request to ``--upstream`` and names it by AWS operation (from the
credential scope of the SigV4 ``Authorization`` header, ``X-Amz-Target``, the query
protocol's ``Action``, or S3's and S3 Control's REST paths), then, per its settings:

* counts requests by operation (every attempt, retries included);
* ``fault_rate``: answers that share of requests with a transient fault instead of
  forwarding them, the kind drawn in equal thirds: throttling (S3 ``503 SlowDown``, query
  ``400 Throttling``, JSON ``400 ThrottlingException``), an internal error (``500``), or a
  connection reset (the socket closed with no answer);
* ``deny_rate``: answers that share of (bucket, operation) pairs of the bucket reads with
  ``403 AccessDenied``, every time (a persistent denial), and lists the pairs it denied;
* ``bucket_regions``: adds ``<BucketRegion>`` to ListBuckets answers for the buckets it
  names, as S3 does when the request carries a parameter (moto 5.2 never does).

Control, on the same port: ``POST /_proxy/config`` (JSON settings; resets the counters),
``GET /_proxy/stats`` (JSON counters).  Only loopback: it binds 127.0.0.1 and forwards to
a 127.0.0.1 upstream.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import socket
import struct
import threading
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["BUCKET_READ_OPERATIONS", "operation_of"]

BUCKET_READ_OPERATIONS = {
    "policy": "GetBucketPolicy",
    "policyStatus": "GetBucketPolicyStatus",
    "acl": "GetBucketAcl",
    "publicAccessBlock": "GetPublicAccessBlock",
    "ownershipControls": "GetBucketOwnershipControls",
    "encryption": "GetBucketEncryption",
    "tagging": "GetBucketTagging",
    "location": "GetBucketLocation",
}
"""S3 GET subresource -> operation: the bucket reads (the ones ``deny_rate`` may deny)."""

_SCOPE = re.compile(r"Credential=[^/]+/[0-9]{8}/([^/]+)/([^/]+)/aws4_request")
_CONTROL = "/v20180820/"
_BUCKET_NAME = re.compile(r"<Bucket>(\s*)<Name>([^<]+)</Name>")
_FAULT_KINDS = ("throttle", "internal", "reset")
_HOP_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


def operation_of(method: str, path: str, headers: Any, body: bytes) -> tuple[str, str | None]:
    """``(service:Operation, bucket or None)`` for a signed AWS request."""
    scope = _SCOPE.search(headers.get("Authorization") or "")
    service = scope.group(2) if scope else "?"
    target = headers.get("X-Amz-Target")
    if target:
        return f"{service}:{target.rsplit('.', 1)[-1]}", None
    parts = urlsplit(path)
    query = parse_qs(parts.query, keep_blank_values=True)
    if "Action" not in query and body and b"Action=" in body:
        query = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    if "Action" in query:
        return f"{service}:{query['Action'][0]}", None
    segments = [s for s in parts.path.split("/") if s]
    if service == "s3" and parts.path.startswith(_CONTROL):
        rest = segments[1:]
        if rest == ["accesspoint"]:
            return "s3control:ListAccessPoints", None
        if len(rest) == 3 and rest[0] == "accesspoint":
            return f"s3control:GetAccessPoint{'Policy' if rest[2] == 'policy' else 'PolicyStatus'}", None
        if rest == ["configuration", "publicAccessBlock"]:
            return "s3control:GetPublicAccessBlock", None
        return f"s3control:{method} /{'/'.join(rest[:1])}", None
    if service == "s3":
        if not segments:
            return ("s3:ListBuckets" if method == "GET" else f"s3:{method} /"), None
        bucket = segments[0]
        if method == "GET" and len(segments) == 1:
            for key in query:
                if key in BUCKET_READ_OPERATIONS:
                    return f"s3:{BUCKET_READ_OPERATIONS[key]}", bucket
        return f"s3:{method} bucket?{'&'.join(sorted(query))}", bucket
    return f"{service}:{method} /{segments[0] if segments else ''}", None


class _Settings:
    """What the proxy does now, and what it counted; one lock guards both."""

    def __init__(self, seed: int) -> None:
        self.lock = threading.Lock()
        self.configure({"seed": seed})

    def configure(self, config: dict[str, Any]) -> None:
        with self.lock:
            self.fault_rate = float(config.get("fault_rate", 0.0))
            self.deny_rate = float(config.get("deny_rate", 0.0))
            self.bucket_regions: dict[str, str] = dict(config.get("bucket_regions") or {})
            self.random = random.Random(int(config.get("seed", 17)))
            self.requests: Counter[str] = Counter()
            self.faults: Counter[str] = Counter()
            self.denied: set[tuple[str, str]] = set()

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": dict(sorted(self.requests.items())),
                "faults": dict(sorted(self.faults.items())),
                "denied": sorted([op, bucket] for op, bucket in self.denied),
            }

    def decide(self, op: str, bucket: str | None) -> str | None:
        """Count the request; the fault to answer it with (``denied`` or a transient kind), or None."""
        with self.lock:
            self.requests[op] += 1
            readable = bucket is not None and op.split(":", 1)[1] in BUCKET_READ_OPERATIONS.values()
            if readable and zlib.crc32(f"{op} {bucket}".encode()) / 2**32 < self.deny_rate:  # the same pair every time
                self.denied.add((op, str(bucket)))
                self.faults["denied"] += 1
                return "denied"
            if self.fault_rate > 0 and self.random.random() < self.fault_rate:
                kind = self.random.choice(_FAULT_KINDS)
                self.faults[kind] += 1
                return kind
            return None


def _error_answer(kind: str, service: str, json_protocol: bool) -> tuple[int, dict[str, str], bytes]:
    code, status = {
        "denied": ("AccessDenied", 403),
        "throttle": ("SlowDown" if service == "s3" else ("ThrottlingException" if json_protocol else "Throttling"),
                     503 if service == "s3" else 400),
        "internal": ("InternalError" if service == "s3" else "InternalFailure", 500),
    }[kind]  # fmt: skip
    if json_protocol:
        body = json.dumps({"__type": code, "message": f"injected by fault_proxy: {kind}"}).encode()
        return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}, body
    if service == "s3":
        text = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>injected</Message></Error>"
    else:
        text = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected</Message>"
                "</Error><RequestId>fault-proxy</RequestId></ErrorResponse>")  # fmt: skip
    return status, {"Content-Type": "application/xml"}, text.encode()


def make_handler(upstream: str, settings: _Settings) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(upstream)
    if target.hostname != "127.0.0.1":
        raise SystemExit("fault_proxy forwards to a 127.0.0.1 upstream only")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as botocore's pool expects

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _upstream(self) -> http.client.HTTPConnection:
            conn = getattr(self, "_conn", None)
            if conn is None:
                conn = self._conn = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
            return conn

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _reset(self) -> None:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True

        def _control(self, body: bytes) -> None:
            if self.command == "POST" and self.path == "/_proxy/config":
                settings.configure(json.loads(body or b"{}"))
                self._answer(200, {"Content-Type": "application/json"}, b"{}")
            else:
                self._answer(200, {"Content-Type": "application/json"}, json.dumps(settings.stats()).encode())

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path.startswith("/_proxy/"):
                self._control(body)
                return
            op, bucket = operation_of(self.command, self.path, self.headers, body)
            fault = settings.decide(op, bucket)
            if fault == "reset":
                self._reset()
                return
            if fault is not None:
                content_type = self.headers.get("Content-Type") or ""
                json_protocol = bool(self.headers.get("X-Amz-Target")) or "json" in content_type
                self._answer(*_error_answer(fault, op.split(":", 1)[0].replace("s3control", "s3"), json_protocol))
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
            conn = self._upstream()
            try:
                conn.request(self.command, self.path, body=body or None, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                self._conn = None
                self._answer(502, {"Content-Type": "text/plain"}, b"upstream failed")
                return
            if op == "s3:ListBuckets" and response.status == 200 and urlsplit(self.path).query:
                data = self._with_regions(data)
            out = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_HEADERS}
            self._answer(response.status, out, data)

        def _with_regions(self, data: bytes) -> bytes:
            regions = settings.bucket_regions

            def add(match: re.Match[str]) -> str:
                region = regions.get(match.group(2))
                region_tag = f"<BucketRegion>{region}</BucketRegion>" if region else ""
                return f"<Bucket>{match.group(1)}{region_tag}<Name>{match.group(2)}</Name>"

            return _BUCKET_NAME.sub(add, data.decode("utf-8")).encode("utf-8") if regions else data

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def do_PUT(self) -> None:
            self._handle()

        def do_DELETE(self) -> None:
            self._handle()

        def do_HEAD(self) -> None:
            self._handle()

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="http://127.0.0.1:PORT of the endpoint to forward to")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(args.upstream, _Settings(args.seed)))
    server.daemon_threads = True
    server.request_queue_size = 128
    server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
