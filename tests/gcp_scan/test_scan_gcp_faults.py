"""Faults become recorded gaps and the rest of the scan completes.

GCS faults are answered at the transport boundary for one emulator path (a ``requests``
adapter mounted on that URL prefix of the scanner's session); faults of the other APIs
are recorded responses that take precedence over the ordinary ones.
"""

from __future__ import annotations

import pytest

from seenby.model import ReadOutcome
from seenby.policies import evaluate
from seenby.scanners.gcp import scan_gcp
from seenby.scanners.gcp.calls import DENIED_CODES, describe_failure
from seenby.scanners.reads import classify
from tests.gcp_scan.helpers import BQ, FOLDER, fail, mount_fault, raise_on, scan_config, seed_bucket

ML_TEAM = "group:ml-team@corp.example"
VICTIM = "victim-bucket"
BYSTANDER = "bystander-bucket"


@pytest.fixture
def two_buckets(gcs):
    for name in (VICTIM, BYSTANDER):
        seed_bucket(gcs, name, bindings=[{"role": "roles/storage.objectViewer", "members": [ML_TEAM]}])


def _bucket(snapshot, name):
    return next(r for r in snapshot.of_type("gcp.storage.bucket") if r.name == name)


def _complete(resource):
    return all(not r.outcome.is_gap for r in resource.reads.values())


def test_forbidden_on_one_bucket_iam_policy_is_a_denied_read(http, gcs, two_buckets):
    """403 on one bucket's getIamPolicy: denied (never "no bindings"); its metadata and the other bucket are read."""
    mount_fault(http, f"{gcs}/storage/v1/b/{VICTIM}/iam", status=403)

    snapshot = scan_gcp(scan_config(http, gcs))

    victim = _bucket(snapshot, VICTIM)
    assert victim.read("iam_policy").outcome is ReadOutcome.DENIED
    assert victim.read("iam_policy").error_code == "Forbidden"
    assert victim.document("iam_policy") is None
    assert victim.read("metadata").ok
    assert _complete(_bucket(snapshot, BYSTANDER))
    gap = next(g for g in evaluate(snapshot).gaps if g.resource == f"gs://{VICTIM}")
    assert gap.read == "iam_policy" and gap.datasets == (f"gs://{VICTIM}",)


def test_throttling_past_retries_is_an_error_after_every_attempt(http, gcs, two_buckets):
    """429 on every attempt of one bucket's metadata: tried max_attempts times, then error TooManyRequests."""
    log = mount_fault(http, f"{gcs}/storage/v1/b/{VICTIM}", status=429)

    snapshot = scan_gcp(scan_config(http, gcs, max_attempts=3))

    victim = _bucket(snapshot, VICTIM)
    assert victim.read("metadata").outcome is ReadOutcome.ERROR
    assert victim.read("metadata").error_code == "TooManyRequests"
    assert len([url for _, url in log.sent if "projection=full" in url]) == 3
    assert _complete(_bucket(snapshot, BYSTANDER))


def test_throttled_once_then_answered_is_ok(http, gcs, transport):
    """503 on the first attempt of datasets.list only: the retry succeeds and the read is ok."""
    fail(transport, "GET", f"{BQ}/datasets", 503, times=1, all="true")

    snapshot = scan_gcp(scan_config(http, gcs))

    (project,) = snapshot.of_type("gcp.project")
    assert project.read("datasets").ok
    assert len(snapshot.of_type("gcp.bigquery.dataset")) == 2
    assert sum(1 for _, url in transport.sent if url.endswith("/datasets?all=true")) == 2


def test_timeout_on_one_table_is_an_error_and_the_other_table_is_read(http, gcs, transport):
    """A read timeout on every attempt of one tables.get: error ReadTimeout; the other table is complete."""
    raise_on(transport, "GET", f"{BQ}/datasets/ml_raw/tables/keystrokes", "ReadTimeout")

    snapshot = scan_gcp(scan_config(http, gcs))

    tables = {r.id: r for r in snapshot.of_type("gcp.bigquery.table")}
    broken = tables["bigquery://corp-telemetry.ml_raw.keystrokes"]
    assert broken.read("metadata").outcome is ReadOutcome.ERROR
    assert broken.read("metadata").error_code == "ReadTimeout"
    assert broken.read("iam_policy").ok
    assert _complete(tables["bigquery://corp-telemetry.shared_reporting.daily_activity"])


def test_server_error_on_folder_org_policies_is_an_error_and_prevention_becomes_unknown(http, gcs, transport):
    """500 on the folder's policies.list: an error read, and public grants below it stay, conditional."""
    fail(transport, "GET", f"https://orgpolicy.googleapis.com/v2/{FOLDER}/policies", 500)
    seed_bucket(gcs, "corp-site", uniform=False, acl=[("allUsers", "READER")])

    snapshot = scan_gcp(scan_config(http, gcs))

    folder = next(r for r in snapshot.of_type("gcp.folder"))
    assert folder.read("org_policies").outcome is ReadOutcome.ERROR
    assert folder.read("org_policies").error_code == "InternalServerError"
    assert folder.read("iam_policy").ok and folder.read("deny_policies").ok
    public = [g for g in evaluate(snapshot).grants if g.dataset == "gs://corp-site" and g.principal.id == "allUsers"]
    assert public and all(g.conditional for g in public)


def test_forbidden_dataset_is_denied_and_its_tables_are_not_guessed(http, gcs, transport):
    """403 on datasets.get of one dataset: denied; its table listing still recorded; the other dataset is complete."""
    fail(transport, "GET", f"{BQ}/datasets/ml_raw", 403, accessPolicyVersion="3")

    snapshot = scan_gcp(scan_config(http, gcs))

    datasets = {r.id: r for r in snapshot.of_type("gcp.bigquery.dataset")}
    assert datasets["bigquery://corp-telemetry.ml_raw"].read("metadata").outcome is ReadOutcome.DENIED
    assert _complete(datasets["bigquery://corp-telemetry.shared_reporting"])


def test_denied_bucket_listing_is_a_gap_of_the_project_and_bigquery_is_still_read(http, gcs, two_buckets):
    """403 on storage.buckets.list: the project's `buckets` read is denied, no bucket is invented, BigQuery goes on."""
    mount_fault(http, f"{gcs}/storage/v1/b", status=403)

    snapshot = scan_gcp(scan_config(http, gcs))

    (project,) = snapshot.of_type("gcp.project")
    assert project.read("buckets").outcome is ReadOutcome.DENIED
    assert snapshot.of_type("gcp.storage.bucket") == []
    assert project.read("datasets").ok and len(snapshot.of_type("gcp.bigquery.dataset")) == 2


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(401, ReadOutcome.DENIED), (403, ReadOutcome.DENIED), (404, ReadOutcome.ERROR), (409, ReadOutcome.ERROR)],
)
def test_http_status_classification_without_an_absent_meaning(status, outcome):
    """Classified by the api_core exception type of the status: 401/403 denied; 404 is "none" only where declared."""
    from google.api_core import exceptions

    failure = describe_failure(exceptions.from_http_status(status, "x"))

    assert classify(failure.code, absent=frozenset(), denied=DENIED_CODES) is outcome
