"""Helpers for the Google Cloud scanner tests: scan settings, seeding the emulator, faults."""

from __future__ import annotations

from typing import Any

from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from seenby.scanners.gcp import GcpScanConfig
from seenby.scanners.gcp.replay import RecordedTransport, Recording, error_body

PROJECT = "corp-telemetry"
ORG = "organizations/123456789012"
FOLDER = "folders/222222222222"
BQ = f"https://bigquery.googleapis.com/bigquery/v2/projects/{PROJECT}"


def scan_config(http: Any, gcs: str, **overrides: Any) -> GcpScanConfig:
    settings: dict[str, Any] = {
        "projects": (PROJECT,),
        "credentials": AnonymousCredentials(),
        "http": http,
        "storage_endpoint": gcs,
        "max_workers": 4,
        "max_attempts": 3,
        "sleep": lambda _seconds: None,
    }
    settings.update(overrides)
    return GcpScanConfig(**settings)


def gcs_client(gcs: str) -> storage.Client:
    """A seeding client, apart from the scanner's."""
    return storage.Client(project=PROJECT, credentials=AnonymousCredentials(), client_options={"api_endpoint": gcs})


def seed_bucket(
    gcs: str,
    name: str,
    *,
    bindings: list[dict[str, Any]] = (),  # type: ignore[assignment]
    uniform: bool = True,
    pap: str = "inherited",
    labels: dict[str, str] | None = None,
    acl: list[tuple[str, str]] = (),  # type: ignore[assignment]
    default_acl: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> None:
    """Create a bucket, then patch what the emulator ignores in the create body (IAM, ACLs, uniform, PAP)."""
    bucket = gcs_client(gcs).create_bucket(name)
    bucket.labels = labels or {}
    bucket.iam_configuration.uniform_bucket_level_access_enabled = uniform
    bucket.iam_configuration.public_access_prevention = pap
    bucket.patch()
    for entries, target in ((acl, bucket.acl), (default_acl, bucket.default_object_acl)):
        if entries:
            target.reload()
            for entity, role in entries:
                target.entity_from_dict({"entity": entity, "role": role})
            target.save()
    if bindings:
        policy = bucket.get_iam_policy(requested_policy_version=3)
        policy.version = 3
        for binding in bindings:
            policy.bindings.append({"role": binding["role"], "members": set(binding["members"])})
        bucket.set_iam_policy(policy)


def fail(
    transport: RecordedTransport, method: str, url: str, status: int, *, times: int | None = None, **query: str
) -> None:
    """Answer ``method url`` with an HTTP error in Google's shape (``times`` times, or from now on)."""
    body = error_body(status, f"injected {status}")
    transport.add(Recording(method=method, url=url, query=query, status=status, body=body, times=times))


def raise_on(transport: RecordedTransport, method: str, url: str, exception: str, **query: str) -> None:
    transport.add(Recording(method=method, url=url, query=query, raise_=exception))


def mount_fault(http: Any, prefix: str, status: int = 0, exception: str | None = None) -> RecordedTransport:
    """Answer every request whose URL starts with ``prefix`` (an emulator path) with a fault; returns its log."""
    url = prefix.split("?", 1)[0]
    fault = RecordedTransport(
        [
            Recording(method=m, url=url, status=status, body=error_body(status, "injected"), raise_=exception)
            for m in ("GET", "POST", "PUT", "PATCH")
        ]
    )
    http.mount(prefix, fault)
    return fault


def seed_object(gcs: str, bucket: str, name: str, *, acl: list[tuple[str, str]] = ()) -> None:  # type: ignore[assignment]
    """Upload an object, then set its ACL entries (the emulator stores object ACLs; it enforces nothing)."""
    blob = gcs_client(gcs).bucket(bucket).blob(name)
    blob.upload_from_string(b"x")
    if acl:
        blob.acl.reload()
        for entity, role in acl:
            blob.acl.entity_from_dict({"entity": entity, "role": role})
        blob.acl.save()
