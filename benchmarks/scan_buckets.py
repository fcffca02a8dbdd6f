"""Benchmark: the AWS scanner over N buckets on moto's server, through a counting proxy, against a plain boto3 floor.

One run starts moto's server and the project's proxy in front of it (``fault_proxy.py``),
seeds N buckets (a quarter in eu-west-1, a third with a bucket policy, a third with tags,
one in 200 with an access point; four in five with Object Ownership ``BucketOwnerEnforced``,
AWS's default for new buckets, the fifth with ACLs in force and two objects, one in 40 of
them public-read), then, each through the proxy and counted by it:

1. **floor**: a bare boto3 loop making only the calls that decide access: ListBuckets
   (with ``MaxBuckets``, so it returns ``BucketRegion``), the bucket reads in each bucket's
   region (policy, ownership, then the ACL only when ownership is not ``BucketOwnerEnforced``,
   Block Public Access, encryption, tags, and the three flow reads since issue 20: replication,
   inventory, logging), ListAccessPoints once per region and each access point's policy and
   status, and for a bucket whose ACLs are in force ListObjectsV2 and GetObjectAcl on each
   object; no classification, no snapshot;
2. **scan**: ``scan_aws`` with default options (the proxy adds ``BucketRegion`` to
   ListBuckets as S3 does; moto 5.2 never returns it);
3. **scan, moto as is**: the same scan with ListBuckets as moto answers it (no
   ``BucketRegion``: the GetBucketLocation fallback), for its calls per bucket;
4. **scan under faults** (``--fault-rate``, ``--deny-rate``): the proxy answers that share
   of requests with a transient fault (throttling, 500, connection reset, in equal thirds)
   and denies that share of (bucket, read) pairs every time.  The benchmark then checks that
   every denied read is a ``denied`` read of its bucket and a coverage gap of the
   evaluation, and exits 1 otherwise.

It prints calls per bucket by operation for each run, the wall times and the ratios
(scan / floor, faulted / fault-free), and writes JSON.

    python benchmarks/scan_buckets.py --buckets 1000 --workers 16 --fault-rate 0.2 --deny-rate 0.02 \\
        --output scan_buckets.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from seenby.model import ReadOutcome
from seenby.policies import evaluate
from seenby.policies.gaps import collect_gaps
from seenby.scanners.aws import AwsScanConfig, scan_aws
from seenby.snapshot import Snapshot

REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's account for plain (not assumed-role) credentials
KEY, SECRET = "AKIABENCHMARK0000000", "bench"
FLOOR_CALLS = (
    "get_bucket_policy",
    "get_bucket_ownership_controls",
    "get_bucket_acl",  # not sent when the ownership controls say BucketOwnerEnforced: ACLs are disabled
    "get_public_access_block",
    "get_bucket_encryption",
    "get_bucket_tagging",
    # where the data flows (issue 20): who reaches a replica, an inventory report or an access log
    "get_bucket_replication",
    "list_bucket_inventory_configurations",
    "get_bucket_logging",
)
READ_OF_OPERATION = {
    "s3:GetBucketPolicy": "policy",
    "s3:GetBucketAcl": "acl",
    "s3:GetPublicAccessBlock": "public_access_block",
    "s3:GetBucketOwnershipControls": "ownership_controls",
    "s3:GetBucketEncryption": "encryption",
    "s3:GetBucketTagging": "tags",
    "s3:GetBucketLocation": "location",
    "s3:GetBucketPolicyStatus": "policy_status",
}
HERE = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(argv: list[str], ready: str) -> subprocess.Popen[bytes]:
    """Start a server (stderr to $SCAN_BUCKETS_LOG when set, to debug the proxy) and wait until ``ready`` answers."""
    with open(os.environ.get("SCAN_BUCKETS_LOG", os.devnull), "ab") as log:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(ready, timeout=1) as response:
                if response.status == 200:
                    return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{argv[1]} did not start")


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    return _start(cmd, f"{endpoint}/moto-api/"), endpoint


def start_proxy(upstream: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, str(HERE / "fault_proxy.py"), "--upstream", upstream, "--port", str(port)]
    return _start(cmd, f"{endpoint}/_proxy/stats"), endpoint


def proxy_config(proxy: str, **settings: Any) -> None:
    request = urllib.request.Request(
        f"{proxy}/_proxy/config", data=json.dumps(settings).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def proxy_stats(proxy: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{proxy}/_proxy/stats", timeout=10) as response:
        return dict(json.loads(response.read()))


def _session() -> boto3.Session:
    return boto3.Session(aws_access_key_id=KEY, aws_secret_access_key=SECRET, region_name=REGION)


def _strip_account(request: Any, **_: Any) -> None:
    request.url = request.url.replace(f"{ACCOUNT}.", "", 1)


def _s3control(session: boto3.Session, endpoint: str, region: str, workers: int) -> Any:
    control = session.client(
        "s3control", endpoint_url=endpoint, region_name=region, config=Config(max_pool_connections=workers)
    )
    control.meta.events.register("before-send.s3-control.*", _strip_account)
    return control


def _policy(resource: str) -> str:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": resource}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def seed(endpoint: str, n: int, workers: int) -> dict[str, str]:
    """N buckets straight into moto (not through the proxy); returns bucket -> region."""
    session = _session()
    clients = {
        r: session.client("s3", endpoint_url=endpoint, region_name=r, config=Config(max_pool_connections=workers))
        for r in (REGION, OTHER_REGION)
    }
    regions = {f"bench-{i:05d}": (OTHER_REGION if i % 4 == 3 else REGION) for i in range(n)}

    def one(i: int) -> None:
        name = f"bench-{i:05d}"
        s3 = clients[regions[name]]
        extra = {} if regions[name] == REGION else {"CreateBucketConfiguration": {"LocationConstraint": OTHER_REGION}}
        s3.create_bucket(Bucket=name, **extra)
        if i % 3 == 1:
            s3.put_bucket_policy(Bucket=name, Policy=_policy(f"arn:aws:s3:::{name}/*"))
        if i % 3 == 2:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "team", "Value": "bench"}]})
        if i % 5:
            s3.put_bucket_ownership_controls(
                Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
            )
        else:  # ACLs in force: two objects, one in 40 of these buckets with a public-read one
            s3.put_object(Bucket=name, Key="data/part-0.csv", Body=b"x")
            s3.put_object(Bucket=name, Key="data/part-1.csv", Body=b"x")
            if i % 40 == 0:
                s3.put_object_acl(Bucket=name, Key="data/part-1.csv", ACL="public-read")
        if i % 200 == 0:
            control = _s3control(session, endpoint, regions[name], 1)
            point = f"ap-{i:05d}"
            control.create_access_point(AccountId=ACCOUNT, Name=point, Bucket=name)
            arn = f"arn:aws:s3:{regions[name]}:{ACCOUNT}:accesspoint/{point}/object/*"
            control.put_access_point_policy(AccountId=ACCOUNT, Name=point, Policy=_policy(arn))

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(n)))
    return regions


def floor(endpoint: str, workers: int) -> float:
    """The calls that decide access, bare: a thread pool, botocore's standard retries, errors swallowed."""
    session = _session()
    config = Config(max_pool_connections=workers, retries={"mode": "standard", "max_attempts": 8},
                    s3={"addressing_style": "path"})  # fmt: skip
    s3 = {r: session.client("s3", endpoint_url=endpoint, region_name=r, config=config) for r in (REGION, OTHER_REGION)}

    def bucket(entry: dict[str, Any]) -> None:
        client = s3.get(entry.get("BucketRegion") or REGION, s3[REGION])
        answers: dict[str, Any] = {}
        enforced = False
        for method in FLOOR_CALLS:
            if method == "get_bucket_acl" and enforced:
                continue  # ACLs disabled: the ACL is the owner's full control, no call
            with contextlib.suppress(ClientError, BotoCoreError):
                answers[method] = getattr(client, method)(Bucket=entry["Name"])
            rules = answers.get("get_bucket_ownership_controls", {}).get("OwnershipControls", {}).get("Rules") or []
            enforced = any(r.get("ObjectOwnership") == "BucketOwnerEnforced" for r in rules)
        if enforced:
            return  # every ACL disabled: no object call
        with contextlib.suppress(ClientError, BotoCoreError):
            keys = [o["Key"] for o in client.list_objects_v2(Bucket=entry["Name"]).get("Contents") or []]
            for key in keys[:1000]:
                with contextlib.suppress(ClientError, BotoCoreError):
                    client.get_object_acl(Bucket=entry["Name"], Key=key)

    def access_points(region: str) -> None:
        control = _s3control(session, endpoint, region, workers)
        params: dict[str, Any] = {"AccountId": ACCOUNT, "MaxResults": 1000}
        for _ in range(10_000):
            page = control.list_access_points(**params)
            for point in page.get("AccessPointList") or []:
                for method in (control.get_access_point_policy, control.get_access_point_policy_status):
                    with contextlib.suppress(ClientError, BotoCoreError):
                        method(AccountId=ACCOUNT, Name=point["Name"])
            if not page.get("NextToken"):
                return
            params["NextToken"] = page["NextToken"]

    start = time.perf_counter()
    listed = s3[REGION].list_buckets(MaxBuckets=10000)["Buckets"]
    regions = sorted({b.get("BucketRegion") or REGION for b in listed})
    with ThreadPoolExecutor(workers) as pool:
        done = [pool.submit(access_points, r) for r in regions]
        list(pool.map(bucket, listed))
        for future in done:
            future.result()
    return time.perf_counter() - start


def measure_scan(endpoint: str, workers: int) -> tuple[float, Counter[str], Snapshot]:
    session = _session()
    sent: Counter[str] = Counter()
    session.events.register(
        "before-call.*.*", lambda model, **_: sent.update([f"{model.service_model.service_name}:{model.name}"])
    )
    start = time.perf_counter()
    snapshot = scan_aws(AwsScanConfig(session=session, endpoint_url=endpoint, regions=(REGION,), max_workers=workers))
    return time.perf_counter() - start, sent, snapshot


def _per_bucket(counts: dict[str, int], buckets: int) -> dict[str, float]:
    return {op: round(n / buckets, 3) for op, n in sorted(counts.items())}


def check_gaps(snapshot: Snapshot, denied: list[list[str]]) -> dict[str, Any]:
    """Every read the proxy denied is a denied read of its bucket and a coverage gap; count the other gaps."""
    buckets = {b.name: b for b in snapshot.of_type("aws.s3.bucket")}
    gaps = {(g.resource, g.read) for g in collect_gaps(snapshot, evaluate(snapshot))}
    silent, not_a_gap = [], []
    for op, name in denied:
        read_name = READ_OF_OPERATION[op]
        bucket = buckets.get(name)
        read = bucket.read(read_name) if bucket is not None else None
        if read is None or read.outcome is not ReadOutcome.DENIED:
            silent.append(f"{name} {read_name}: {read.outcome.value if read else 'missing'}")
        if bucket is None or (bucket.id, read_name) not in gaps:
            not_a_gap.append(f"{name} {read_name}")
    outcomes: Counter[str] = Counter(r.outcome.value for b in buckets.values() for r in b.reads.values())
    errors = sorted(
        f"{b.name} {n}: {r.error_code}" for b in buckets.values() for n, r in b.reads.items()
        if r.outcome is ReadOutcome.ERROR
    )  # fmt: skip
    return {"denied_by_proxy": len(denied), "denied_reads_not_recorded_denied": silent,
            "denied_reads_not_a_gap": not_a_gap, "bucket_read_outcomes": dict(sorted(outcomes.items())),
            "error_reads": errors, "coverage_gaps": len(gaps)}  # fmt: skip


def _run(label: str, fn: Callable[[], Any]) -> Any:
    print(f"... {label}", file=sys.stderr, flush=True)
    return fn()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buckets", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--fault-rate", type=float, default=0.2, help="share of requests given a transient fault")
    parser.add_argument("--deny-rate", type=float, default=0.02, help="share of (bucket, read) pairs always denied")
    parser.add_argument("--output", default="scan_buckets.json", help="where to write the JSON result")
    args = parser.parse_args(argv)
    if not (0 <= args.fault_rate < 1 and 0 <= args.deny_rate < 1 and args.buckets > 0):
        parser.error("--fault-rate and --deny-rate are shares in [0, 1); --buckets at least 1")

    moto, upstream = start_moto()
    proxy, endpoint = start_proxy(upstream)
    try:
        t0 = time.perf_counter()
        regions = seed(upstream, args.buckets, args.workers)
        seeded = time.perf_counter() - t0
        runs: dict[str, dict[str, Any]] = {}

        proxy_config(endpoint, bucket_regions=regions)
        floor_s = _run("floor", lambda: floor(endpoint, args.workers))
        runs["floor"] = {"seconds": floor_s, "requests": proxy_stats(endpoint)["requests"]}

        proxy_config(endpoint, bucket_regions=regions)
        scan_s, sent, snapshot = _run("scan", lambda: measure_scan(endpoint, args.workers))
        runs["scan"] = {"seconds": scan_s, "requests": proxy_stats(endpoint)["requests"], "calls": dict(sent),
                        "gaps": check_gaps(snapshot, [])}  # fmt: skip

        proxy_config(endpoint)  # ListBuckets as moto answers it: no BucketRegion
        fb_s, sent, snapshot = _run("scan, moto as is", lambda: measure_scan(endpoint, args.workers))
        runs["scan_moto_as_is"] = {"seconds": fb_s, "requests": proxy_stats(endpoint)["requests"],
                                   "calls": dict(sent)}  # fmt: skip

        faulted = args.fault_rate > 0 or args.deny_rate > 0
        if faulted:
            proxy_config(endpoint, bucket_regions=regions, fault_rate=args.fault_rate, deny_rate=args.deny_rate)
            f_s, sent, snapshot = _run("scan under faults", lambda: measure_scan(endpoint, args.workers))
            stats = proxy_stats(endpoint)
            runs["scan_faults"] = {"seconds": f_s, "requests": stats["requests"], "calls": dict(sent),
                                   "faults": stats["faults"],
                                   "gaps": check_gaps(snapshot, stats["denied"])}  # fmt: skip
    finally:
        for proc in (proxy, moto):
            proc.terminate()
            proc.wait(10)

    n = args.buckets
    for run in runs.values():
        run["seconds"] = round(run["seconds"], 3)
        run["requests_total"] = sum(run["requests"].values())
        run["requests_per_bucket"] = round(run["requests_total"] / n, 3)
        run["requests_per_bucket_by_operation"] = _per_bucket(run["requests"], n)
    result: dict[str, Any] = {
        "buckets": n,
        "regions": dict(Counter(regions.values())),
        "workers": args.workers,
        "fault_rate": args.fault_rate,
        "deny_rate": args.deny_rate,
        "seed_seconds": round(seeded, 3),
        "scan_over_floor": round(runs["scan"]["seconds"] / runs["floor"]["seconds"], 3),
        "calls_per_bucket_scan": runs["scan"]["requests_per_bucket"],
        "calls_per_bucket_floor": runs["floor"]["requests_per_bucket"],
        "calls_scan_over_floor": round(runs["scan"]["requests_total"] / runs["floor"]["requests_total"], 3),
        "calls_per_bucket_moto_as_is": runs["scan_moto_as_is"]["requests_per_bucket"],
        "runs": runs,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    failures: list[str] = []
    if faulted:
        gaps = runs["scan_faults"]["gaps"]
        result["faulted_over_fault_free"] = round(runs["scan_faults"]["seconds"] / runs["scan"]["seconds"], 3)
        failures = gaps["denied_reads_not_recorded_denied"] + gaps["denied_reads_not_a_gap"]
        result["every_denied_read_is_a_gap"] = not failures

    ops = sorted({op for run in runs.values() for op in run["requests"]})
    names = list(runs)
    print(f"{'requests per bucket':<40}" + "".join(f"{name:>17}" for name in names))
    for op in ops:
        print(f"{op:<40}" + "".join(f"{runs[r]['requests'].get(op, 0) / n:>17.3f}" for r in names))
    print(f"{'total':<40}" + "".join(f"{runs[r]['requests_per_bucket']:>17.3f}" for r in names))
    print(f"{'wall time (s)':<40}" + "".join(f"{runs[r]['seconds']:>17.2f}" for r in names))
    print(f"scan / floor: calls {result['calls_scan_over_floor']}, time {result['scan_over_floor']}")
    if faulted:
        gaps = runs["scan_faults"]["gaps"]
        print(f"under faults: {runs['scan_faults']['faults']}; time / fault-free {result['faulted_over_fault_free']}")
        print(f"denied by the proxy {gaps['denied_by_proxy']}, recorded denied and a gap: "
              f"{gaps['denied_by_proxy'] - len(failures)}; error reads {len(gaps['error_reads'])}")  # fmt: skip
    with open(args.output, "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=1)
        fh.write("\n")
    print(f"wrote {args.output}")
    for failure in failures:
        print(f"NOT A GAP: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
