"""Faults become recorded gaps and the rest of the scan completes.

Faults moto cannot produce are injected at the HTTP layer: a botocore ``before-send``
hook on the injected session answers one operation for one bucket.
"""

from __future__ import annotations

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError, ReadTimeoutError

from seenby.errors import ScanError
from seenby.model import ReadOutcome
from seenby.scanners.aws import scan_aws
from seenby.scanners.aws.calls import DENIED_CODES
from seenby.scanners.reads import classify
from tests.scanners.helpers import Body, http_fault, query_error, s3_error, scan_config

VICTIM = "victim-bucket"
BYSTANDER = "bystander-bucket"


@pytest.fixture
def two_buckets(client):
    for name in (VICTIM, BYSTANDER):
        client("s3").create_bucket(Bucket=name)


def _bucket(snapshot, name):
    return next(r for r in snapshot.of_type("aws.s3.bucket") if r.name == name)


def _complete(bucket):
    """Every read of the bucket was answered (ok or absent): no gap."""
    return all(not r.outcome.is_gap for r in bucket.reads.values())


def test_access_denied_on_one_bucket_policy_is_a_denied_read(session, endpoint, two_buckets):
    """AccessDenied on one bucket's GetBucketPolicy: that read is denied, never "no policy"; the rest is read."""
    http_fault(session, "before-send.s3.GetBucketPolicy", status=403, body=s3_error("AccessDenied"), when=VICTIM)

    snapshot = scan_aws(scan_config(session, endpoint))

    victim = _bucket(snapshot, VICTIM)
    assert victim.read("policy").outcome is ReadOutcome.DENIED
    assert victim.read("policy").error_code == "AccessDenied"
    assert victim.document("policy") is None
    assert victim.read("acl").ok and victim.read("tags").outcome is ReadOutcome.ABSENT
    assert _complete(_bucket(snapshot, BYSTANDER))


def test_throttling_past_retries_is_an_error_after_every_attempt(session, endpoint, two_buckets):
    """SlowDown on every attempt: botocore retries, then the read is error SlowDown."""
    answered = http_fault(session, "before-send.s3.GetBucketAcl", status=503, body=s3_error("SlowDown"), when=VICTIM)

    snapshot = scan_aws(scan_config(session, endpoint, max_attempts=2))

    victim = _bucket(snapshot, VICTIM)
    assert victim.read("acl").outcome is ReadOutcome.ERROR
    assert victim.read("acl").error_code == "SlowDown"
    assert len(answered) > 1  # retried before giving up
    assert victim.read("policy").outcome is ReadOutcome.ABSENT
    assert _complete(_bucket(snapshot, BYSTANDER))


def test_throttled_then_answered_call_is_ok(session, endpoint, two_buckets):
    """Throttling that stops within the retry budget leaves no trace: the read is ok."""
    answered: list[str] = []

    def throttle_once(request, **_):
        if VICTIM in request.url and not answered:
            answered.append(request.url)
            return AWSResponse(request.url, 503, {}, Body(s3_error("SlowDown").encode()))
        return None

    session.events.register("before-send.s3.GetBucketAcl", throttle_once)

    victim = _bucket(scan_aws(scan_config(session, endpoint, max_attempts=3)), VICTIM)

    assert answered and victim.read("acl").ok


def test_timeout_is_an_error_named_by_its_exception(session, endpoint, two_buckets):
    """A read timeout on every attempt is error ReadTimeoutError; the other reads of the bucket are made."""
    http_fault(
        session,
        "before-send.s3.GetBucketTagging",
        raise_=lambda request: ReadTimeoutError(endpoint_url=request.url),
        when=VICTIM,
    )

    snapshot = scan_aws(scan_config(session, endpoint))

    victim = _bucket(snapshot, VICTIM)
    assert victim.read("tags").outcome is ReadOutcome.ERROR
    assert victim.read("tags").error_code == "ReadTimeoutError"
    assert victim.read("encryption").outcome is ReadOutcome.ABSENT
    assert _complete(_bucket(snapshot, BYSTANDER))


def test_connection_failure_is_an_error(session, endpoint, two_buckets):
    """A connection that cannot be made is error EndpointConnectionError."""
    http_fault(
        session,
        "before-send.s3.GetBucketOwnershipControls",
        raise_=lambda request: EndpointConnectionError(endpoint_url=request.url),
        when=VICTIM,
    )

    victim = _bucket(scan_aws(scan_config(session, endpoint)), VICTIM)

    assert victim.read("ownership_controls").outcome is ReadOutcome.ERROR
    assert victim.read("ownership_controls").error_code == "EndpointConnectionError"


def test_unexpected_500_is_an_error_with_the_provider_code(session, endpoint, two_buckets):
    """An InternalError 500 that outlasts retries is error InternalError, not "no encryption"."""
    http_fault(session, "before-send.s3.GetBucketEncryption", status=500, body=s3_error("InternalError"), when=VICTIM)

    snapshot = scan_aws(scan_config(session, endpoint))

    assert _bucket(snapshot, VICTIM).read("encryption").outcome is ReadOutcome.ERROR
    assert _bucket(snapshot, VICTIM).read("encryption").error_code == "InternalError"
    assert _complete(_bucket(snapshot, BYSTANDER))


def test_500_without_an_error_code_is_named_by_its_status(session, endpoint, two_buckets):
    """A bare 502 with no parseable body is error with the HTTP status as its code."""
    http_fault(session, "before-send.s3.GetBucketPolicy", status=502, body="", when=VICTIM)

    victim = _bucket(scan_aws(scan_config(session, endpoint)), VICTIM)

    assert victim.read("policy").outcome is ReadOutcome.ERROR
    assert victim.read("policy").error_code == "502"


def test_failure_to_list_buckets_is_a_gap_on_the_account(session, endpoint, two_buckets):
    """ListBuckets denied: the account records a denied ``buckets`` read; IAM and BPA are still read."""
    http_fault(session, "before-send.s3.ListBuckets", status=403, body=s3_error("AccessDenied"))

    snapshot = scan_aws(scan_config(session, endpoint))

    (account,) = snapshot.of_type("aws.account")
    assert account.read("buckets").outcome is ReadOutcome.DENIED
    assert account.read("buckets").api == "s3:ListBuckets"
    assert account.read("authorization_details").ok
    assert snapshot.of_type("aws.s3.bucket") == []


def test_throttled_gaad_is_an_error_on_the_account(session, endpoint, two_buckets):
    """IAM Throttling past retries: authorization_details is error Throttling; buckets are all read."""
    http_fault(
        session,
        "before-send.iam.GetAccountAuthorizationDetails",
        status=400,
        body=query_error("Throttling", "Rate exceeded"),
    )

    snapshot = scan_aws(scan_config(session, endpoint))

    (account,) = snapshot.of_type("aws.account")
    assert account.read("authorization_details").outcome is ReadOutcome.ERROR
    assert account.read("authorization_details").error_code == "Throttling"
    assert len(snapshot.of_type("aws.s3.bucket")) == 2


def test_no_reachable_endpoint_stops_the_scan_with_scan_error(session):
    """Without a caller identity nothing can be scanned: ScanError (exit 4) naming sts:GetCallerIdentity."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"

    with pytest.raises(ScanError) as caught:
        scan_aws(scan_config(session, closed, max_attempts=1, connect_timeout=1))

    assert caught.value.api_call == "sts:GetCallerIdentity"
    assert caught.value.exit_code == 4


@pytest.mark.parametrize(
    ("code", "absent", "expected"),
    [
        ("NoSuchBucketPolicy", {"NoSuchBucketPolicy"}, ReadOutcome.ABSENT),
        ("NoSuchBucketPolicy", set(), ReadOutcome.ERROR),
        ("AccessDenied", {"NoSuchBucketPolicy"}, ReadOutcome.DENIED),
        ("AccessDeniedException", set(), ReadOutcome.DENIED),
        ("UnauthorizedOperation", set(), ReadOutcome.DENIED),
        ("AuthorizationError", set(), ReadOutcome.DENIED),
        ("Throttling", set(), ReadOutcome.ERROR),
        ("ThrottlingException", set(), ReadOutcome.ERROR),
        ("SlowDown", set(), ReadOutcome.ERROR),
        ("TooManyRequestsException", set(), ReadOutcome.ERROR),
        ("InternalError", set(), ReadOutcome.ERROR),
        ("SomethingNew", set(), ReadOutcome.ERROR),
    ],
)
def test_classification_is_by_code_table(code, absent, expected):
    """The outcome of a failed call depends on its code and the call's absent table only; unknown is error."""
    assert classify(code, absent=frozenset(absent), denied=DENIED_CODES) is expected


def test_persistent_throttling_gets_exactly_the_retry_budget(session, endpoint, two_buckets):
    """max_attempts is the retry budget: a call throttled every time is sent exactly that many times."""
    answered = http_fault(session, "before-send.s3.GetBucketAcl", status=503, body=s3_error("SlowDown"), when=VICTIM)

    scan_aws(scan_config(session, endpoint, max_attempts=3, retry_backoff=0.01))

    assert len(answered) == 3


def test_access_denied_is_not_retried(session, endpoint, two_buckets):
    """AccessDenied is an answer, not a transient failure: the call is sent once."""
    answered = http_fault(session, "before-send.s3.GetBucketPolicy", status=403, body=s3_error("AccessDenied"),
                          when=VICTIM)  # fmt: skip

    scan_aws(scan_config(session, endpoint, max_attempts=5))

    assert len(answered) == 1


def test_reset_connection_then_answered_is_ok(session, endpoint, two_buckets):
    """A connection reset once, then answered: retried, and the read is ok."""
    reset: list[str] = []

    def reset_once(request, **_):
        if VICTIM in request.url and not reset:
            reset.append(request.url)
            raise ConnectionClosedError(endpoint_url=request.url)
        return None

    session.events.register("before-send.s3.GetBucketTagging", reset_once)

    victim = _bucket(scan_aws(scan_config(session, endpoint, max_attempts=3)), VICTIM)

    assert reset and victim.read("tags").outcome is ReadOutcome.ABSENT
