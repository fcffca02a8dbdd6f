"""``seenby demo``: the example organisation on local endpoints, scanned live and audited.

1. start moto's server on a free loopback port, in this process;
2. seed it with the AWS half of the example organisation (``seenby.demo.example_org``);
3. scan it with the real scanner (organisation mode, as from the management account);
4. start gcp-storage-emulator (one per project, in this process, free loopback ports), seed
   it with the example's buckets, and scan Google Cloud with the real scanner
   (``scan_gcp``): buckets live from the emulator; Resource Manager, organisation and
   deny policies, BigQuery and Cloud Identity answered from the example's recorded
   documents at the transport boundary (no local server exists for them,
   :mod:`seenby.demo.seed_gcs`); directory users are taken from the example as recorded;
5. scan the example's BI server (Apache Superset) with the real scanner, from the responses
   recorded from a live Superset (``seenby/data/superset-responses.json``), or, with
   ``--live-superset``, start a local Superset, seed it and scan it live (docs/superset.md);
6. audit the result against rules.yaml.

The example records one read as denied (the legacy archive's bucket policy).  moto
enforces no permissions, so the demo denies that one call to the scanner at the
botocore layer, answering AccessDenied exactly as AWS would; the scanner records the
gap through its ordinary path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from seenby.demo.example_org import MGMT, build
from seenby.demo.example_superset import superset_resources
from seenby.demo.seed_aws import DEMO_REGION, account_session, replay_recorded, seed_aws
from seenby.demo.seed_gcs import local_gcs, recorded_google_apis, seed_gcs
from seenby.demo.server import local_aws
from seenby.demo.superset_demo import demo_superset
from seenby.model import ReadOutcome
from seenby.registry import TypeName
from seenby.scanners.aws import AwsScanConfig, scan_aws
from seenby.scanners.gcp import GcpScanConfig, scan_gcp
from seenby.scanners.progress import ProgressSink
from seenby.snapshot import Snapshot, new_snapshot

__all__ = ["DemoRun", "run_demo"]

# Read names of aws.s3.bucket -> the S3 operation that makes them (for replaying denials).
_BUCKET_READ_OPERATIONS = {
    "policy": "GetBucketPolicy",
    "acl": "GetBucketAcl",
    "public_access_block": "GetPublicAccessBlock",
    "ownership_controls": "GetBucketOwnershipControls",
    "encryption": "GetBucketEncryption",
    "tags": "GetBucketTagging",
    "policy_status": "GetBucketPolicyStatus",
}


@dataclass(frozen=True, kw_only=True)
class DemoRun:
    snapshot: Snapshot
    endpoint: str
    replayed_types: tuple[str, ...]


_DENIED = "seenby-demo-denied"


def _mark(buckets: frozenset[str]) -> Callable[..., None]:
    """Remember, in the call's context, whether this call is one the demo denies."""

    def mark(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_DENIED] = params.get("Bucket") in buckets

    return mark


def _deny(operation: str) -> Callable[..., tuple[AWSResponse, dict[str, Any]] | None]:
    def deny(context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if not context.get(_DENIED):
            return None
        response = AWSResponse(url="", status_code=403, headers={}, raw=None)
        parsed = {
            "Error": {"Code": "AccessDenied", "Message": f"Access Denied ({operation} is denied in the demo)"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }
        return response, parsed

    return deny


def _replay_denials(session: boto3.Session, example: Snapshot) -> None:
    """Deny the scanner exactly the bucket reads the example records as denied."""
    denied: dict[str, set[str]] = {}
    for bucket in example.of_type(TypeName.AWS_S3_BUCKET):
        for name, read in bucket.reads.items():
            if read.outcome is ReadOutcome.DENIED and name in _BUCKET_READ_OPERATIONS:
                denied.setdefault(_BUCKET_READ_OPERATIONS[name], set()).add(bucket.name or "")
    for operation, buckets in denied.items():
        session.events.register(f"before-parameter-build.s3.{operation}", _mark(frozenset(buckets)))
        session.events.register(f"before-call.s3.{operation}", _deny(operation))


def _scan_gcp_live(example: Snapshot, *, progress: ProgressSink | None, say: Callable[[str], None]) -> Snapshot:
    """Seed local GCS emulators and scan Google Cloud through the real scanner (other APIs replayed)."""
    from google.auth.credentials import AnonymousCredentials
    from google.auth.transport.requests import AuthorizedSession

    with local_gcs(example) as endpoints:
        say(f"local GCS emulators on {', '.join(sorted(endpoints.values()))}; seeding the example's buckets")
        seed_gcs(endpoints, example)
        session = AuthorizedSession(AnonymousCredentials())
        session.mount("https://", recorded_google_apis(example))
        say("scanning Google Cloud live (buckets from the emulators; other Google APIs from recorded documents)")
        return scan_gcp(
            GcpScanConfig(
                projects=tuple(sorted(endpoints)),
                credentials=AnonymousCredentials(),
                http=session,
                storage_endpoints=endpoints,
                max_workers=8,
            ),
            progress=progress,
        )


def run_demo(
    *, progress: ProgressSink | None = None, on_phase: Callable[[str], None] | None = None, live_superset: bool = False
) -> DemoRun:
    """Seed, scan and merge; returns the snapshot the audit runs on."""
    say = on_phase or (lambda _message: None)
    example = build()
    with local_aws() as endpoint:
        say(f"local AWS endpoint on {endpoint}; seeding the example organisation")
        seed_aws(endpoint, example)
        session = account_session(endpoint, MGMT)
        _replay_denials(session, example)
        replay_recorded(session, example)  # what moto lacks (QuickSight), from the example's recorded reads
        say("scanning it live (organisation mode, from the management account)")
        scanned = scan_aws(
            AwsScanConfig(session=session, regions=(DEMO_REGION,), endpoint_url=endpoint, org_mode=True, max_workers=8),
            progress=progress,
        )
    gcp_scanned = _scan_gcp_live(example, progress=progress, say=say)
    live_types = {r.type for r in gcp_scanned.resources}
    replayed = tuple(sorted({r.type for r in example.resources if r.type.startswith("gcp.")} - live_types))
    gcp = [*gcp_scanned.resources, *(r for r in example.resources if r.type in replayed)]
    scope = dict(scanned.scope)
    scope["gcp_projects"] = gcp_scanned.scope.get("gcp_projects")
    scope["gcp_organization"] = gcp_scanned.scope.get("gcp_organization")
    if live_superset:
        superset = demo_superset(say=say)  # docs/superset.md
    else:
        say("scanning the BI server (Apache Superset) from responses recorded from a live one")
        superset = superset_resources()
    scope["superset_urls"] = [r.id for r in superset if r.type == TypeName.SUPERSET_INSTANCE]
    snapshot = new_snapshot(
        [*scanned.resources, *gcp, *superset],
        scope=scope,
        mode="demo",
        identity=scanned.collector.get("identity"),
    )
    return DemoRun(snapshot=snapshot, endpoint=endpoint, replayed_types=replayed)
