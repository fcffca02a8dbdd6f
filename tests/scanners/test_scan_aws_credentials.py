"""Assumed-role credentials are renewed before they expire, against a real moto server.

AssumeRole returns credentials with an ``Expiration`` (an hour by default,
https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html); a scan of a large
account can outlast them.  The clock is injected; every call goes over HTTP to moto.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from seenby.scanners.aws.clients import RENEW_BEFORE, Clients, TemporaryCredentials
from seenby.scanners.aws.identity import assume_role
from tests.scanners.helpers import scan_config

ROLE = "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole"


def _base(session, endpoint) -> Clients:
    return Clients(scan_config(session, endpoint), lock=threading.Lock())


def test_assumed_credentials_carry_their_expiration(session, endpoint):
    """The credentials AssumeRole returns keep its Expiration, as an aware UTC datetime in the future."""
    read, credentials = assume_role(_base(session, endpoint), ROLE)
    assert read.ok and credentials is not None and credentials.expiration is not None
    assert credentials.expiration.tzinfo is not None and credentials.expiration > datetime.now(UTC)


def test_credentials_near_expiry_are_renewed_once_and_clients_made_anew(session, endpoint):
    """Within RENEW_BEFORE of expiry the next client asked for renews them (once) and works with the new ones."""
    base = _base(session, endpoint)
    _, first = assume_role(base, ROLE)
    assert first is not None and first.expiration is not None
    renewals: list[TemporaryCredentials] = []

    def renew() -> TemporaryCredentials | None:
        fresh = assume_role(base, ROLE)[1]
        assert fresh is not None
        renewals.append(fresh)
        return fresh

    now = [first.expiration - RENEW_BEFORE - timedelta(seconds=1)]
    member = Clients(scan_config(session, endpoint), lock=threading.Lock(), credentials=first, renew=renew,
                     clock=lambda: now[0])  # fmt: skip
    before = member.get("sts")
    assert member.get("sts") is before and renewals == []  # not due yet

    now[0] = first.expiration - RENEW_BEFORE + timedelta(seconds=1)
    after = member.get("sts")
    assert len(renewals) == 1 and after is not before
    assert after.get_caller_identity()["Arn"].startswith("arn:aws:sts::123456789012:assumed-role/")

    renewed = renewals[0].expiration
    assert renewed is not None
    now[0] = renewed - RENEW_BEFORE - timedelta(seconds=1)  # the renewed ones are not due yet: nothing more to do
    assert member.get("sts") is after and len(renewals) == 1


def test_a_failed_renewal_keeps_the_old_credentials(session, endpoint):
    """Renewal that fails (AssumeRole denied, say) leaves the clients as they were: calls go on, and fail once
    the old credentials expire (recorded as errors, never as "nothing there")."""
    base = _base(session, endpoint)
    _, first = assume_role(base, ROLE)
    assert first is not None and first.expiration is not None
    member = Clients(scan_config(session, endpoint), lock=threading.Lock(), credentials=first,
                     renew=lambda: None, clock=lambda: first.expiration)  # fmt: skip
    client = member.get("sts")
    assert member.get("sts") is client
