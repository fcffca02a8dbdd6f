"""Benchmark: the AWS scanner over N buckets on a local moto server, against a plain boto3 floor.

Seeds N buckets (a third with a bucket policy, a third with tags), scans them with
``scan_aws`` and counts every operation sent (a ``before-call`` hook on the session).
The floor is the same calls (ListBuckets, then the eight bucket reads) made by a bare
boto3 loop at the same concurrency, with no classification, no documents and no
snapshot.  Prints a table and writes JSON.

    python benchmarks/scan_buckets.py --buckets 1000 --workers 16 --output benchmarks/scan_buckets.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from seenby.scanners.aws import AwsScanConfig, scan_aws

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account for plain (not assumed-role) credentials
FLOOR_CALLS = (
    "get_bucket_location",
    "get_bucket_policy",
    "get_bucket_policy_status",
    "get_bucket_acl",
    "get_public_access_block",
    "get_bucket_ownership_controls",
    "get_bucket_encryption",
    "get_bucket_tagging",
)


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1) as response:
                if response.status == 200:
                    return proc, endpoint
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("moto server did not start")


def seed(session: boto3.Session, endpoint: str, n: int, workers: int) -> None:
    s3 = session.client("s3", endpoint_url=endpoint, config=Config(max_pool_connections=workers))

    def one(i: int) -> None:
        name = f"bench-{i:05d}"
        s3.create_bucket(Bucket=name)
        if i % 3 == 1:
            s3.put_bucket_policy(
                Bucket=name,
                Policy=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "s3:GetObject",
                                "Resource": f"arn:aws:s3:::{name}/*",
                            }
                        ],
                    }
                ),
            )
        if i % 3 == 2:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "team", "Value": "bench"}]})

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(n)))


def floor(session: boto3.Session, endpoint: str, workers: int) -> float:
    """The same calls, bare: one client, a thread pool, errors swallowed."""
    s3 = session.client(
        "s3",
        endpoint_url=endpoint,
        config=Config(max_pool_connections=workers, retries={"mode": "adaptive", "max_attempts": 8}),
    )

    control = session.client("s3control", endpoint_url=endpoint, config=Config(max_pool_connections=workers))
    control.meta.events.register(
        "before-send.s3-control.*",
        lambda request, **_: setattr(request, "url", request.url.replace(f"{ACCOUNT}.", "", 1)),
    )

    def one(name: str) -> None:
        for method in FLOOR_CALLS:
            with contextlib.suppress(ClientError):
                getattr(s3, method)(Bucket=name)
        with contextlib.suppress(ClientError):  # the access points of the bucket (none here)
            control.list_access_points(AccountId=ACCOUNT, Bucket=name)

    start = time.perf_counter()
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, names))
    return time.perf_counter() - start


def measure_scan(session: boto3.Session, endpoint: str, workers: int) -> tuple[float, Counter[str], int]:
    sent: Counter[str] = Counter()
    session.events.register(
        "before-call.*.*", lambda model, **_: sent.update([f"{model.service_model.service_name}:{model.name}"])
    )
    start = time.perf_counter()
    snapshot = scan_aws(AwsScanConfig(session=session, endpoint_url=endpoint, regions=(REGION,), max_workers=workers))
    return time.perf_counter() - start, sent, len(snapshot.of_type("aws.s3.bucket"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buckets", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--endpoint", help="an already running moto server (default: start one)")
    parser.add_argument("--output", default="scan_buckets.json", help="where to write the JSON result")
    args = parser.parse_args(argv)

    proc, endpoint = (None, args.endpoint) if args.endpoint else start_moto()
    try:
        session = boto3.Session(
            aws_access_key_id="AKIABENCHMARK0000000", aws_secret_access_key="bench", region_name=REGION
        )
        t0 = time.perf_counter()
        seed(session, endpoint, args.buckets, args.workers)
        seeded = time.perf_counter() - t0
        floor_s = floor(
            boto3.Session(aws_access_key_id="AKIABENCHMARK0000000", aws_secret_access_key="bench", region_name=REGION),
            endpoint,
            args.workers,
        )
        scan_s, sent, scanned = measure_scan(session, endpoint, args.workers)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)

    per_bucket_services = ("s3:", "s3control:ListAccessPoints", "s3control:GetAccessPoint")
    s3_bucket_calls = sum(v for k, v in sent.items() if k.startswith(per_bucket_services) and k != "s3:ListBuckets")
    result: dict[str, Any] = {
        "buckets": args.buckets,
        "buckets_scanned": scanned,
        "workers": args.workers,
        "seed_seconds": round(seeded, 3),
        "scan_seconds": round(scan_s, 3),
        "floor_seconds": round(floor_s, 3),
        "scan_over_floor": round(scan_s / floor_s, 3) if floor_s else None,
        "calls_total": sum(sent.values()),
        "calls_per_bucket": round(s3_bucket_calls / max(scanned, 1), 3),
        "floor_calls_per_bucket": len(FLOOR_CALLS) + 1,
        "calls": dict(sorted(sent.items())),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    rows = [
        ("buckets scanned", f"{scanned}"),
        ("workers", f"{args.workers}"),
        ("calls per bucket (scan)", f"{result['calls_per_bucket']}"),
        ("calls per bucket (floor)", f"{len(FLOOR_CALLS) + 1}"),
        ("calls in total (scan)", f"{result['calls_total']}"),
        ("wall time, scan", f"{scan_s:.2f} s"),
        ("wall time, plain boto3 floor", f"{floor_s:.2f} s"),
        ("scan / floor", f"{result['scan_over_floor']}"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    with open(args.output, "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=1)
        fh.write("\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
