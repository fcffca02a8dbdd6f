"""Canonical user ids map to accounts through ListBuckets' ``Owner.ID`` of each scanned account.

Sources: ListBuckets (``Owner``: the owner of the buckets listed) =
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html; a bucket whose Object Ownership is
``BucketOwnerEnforced`` has its ACL derived, not read (docs/snapshot.md), and "requests to read ACLs
always return a response that shows full control for the bucket owner" =
https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-error-responses.html
"""

from __future__ import annotations

from typing import Any

ACCT, OUTSIDE = "111122223333", "999988887777"
PARTNER_ID = "d" * 64
DERIVED = "not read: ACLs disabled (BucketOwnerEnforced)"


def _scanned_account(aws: Any, acct: str, owner_id: str, *buckets: str, bpa: Any = "absent") -> dict[str, Any]:
    """An account resource with its ListBuckets read, as the scanner records it."""
    res = aws.account(acct, bpa=bpa)
    listing = {"Owner": {"ID": owner_id}, "Buckets": [{"Name": b, "BucketRegion": "eu-west-1"} for b in buckets]}
    res["reads"]["buckets"] = aws.read("s3:ListBuckets", listing)
    return res


def _enforced_bucket(aws: Any, name: str, account: str, owner_id: str) -> dict[str, Any]:
    """A BucketOwnerEnforced bucket whose ACL the scanner derived instead of reading it."""
    res = aws.bucket(name, account=account, ownership="BucketOwnerEnforced")
    grant = {"Grantee": {"ID": owner_id, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}
    res["reads"]["acl"] = {"outcome": "ok", "api": "s3:GetBucketAcl", "message": DERIVED,
                           "document": {"Owner": {"ID": owner_id}, "Grants": [grant]}}  # fmt: skip
    return res


def test_grant_to_account_whose_buckets_are_all_enforced_resolves_to_it(aws: Any) -> None:
    """A CanonicalUser grant on an ACL-enabled bucket naming an all-enforced account is that account."""
    partner = _scanned_account(aws, OUTSIDE, PARTNER_ID, "partner-bucket")
    shared = aws.bucket(acl=[aws.acl_grant(PARTNER_ID, "READ")], ownership="BucketOwnerPreferred")
    ev = aws.evaluate(*aws.base(shared, partner, _enforced_bucket(aws, "partner-bucket", OUTSIDE, PARTNER_ID)))
    assert aws.audience(ev, "b", "list") == {f"arn:aws:iam::{OUTSIDE}:root": "sure"}


def test_grant_to_scanned_account_without_buckets_resolves_from_its_listing(aws: Any) -> None:
    """ListBuckets' Owner alone maps the id: the account has no bucket, so no ACL names its owner."""
    partner = _scanned_account(aws, OUTSIDE, PARTNER_ID)
    ev = aws.evaluate(*aws.base(aws.bucket(acl=[aws.acl_grant(PARTNER_ID, "READ")]), partner))
    assert aws.audience(ev, "b", "list") == {f"arn:aws:iam::{OUTSIDE}:root": "sure"}


def test_grant_to_unlisted_canonical_id_stays_that_user(aws: Any) -> None:
    """Without a listing or an ACL naming it as owner, the canonical id is not invented into an account."""
    partner = _scanned_account(aws, OUTSIDE, "e" * 64)
    ev = aws.evaluate(*aws.base(aws.bucket(acl=[aws.acl_grant(PARTNER_ID, "READ")]), partner))
    assert aws.audience(ev, "b", "list") == {PARTNER_ID: "sure"}


def test_derived_acl_is_no_gap_and_grants_nothing(aws: Any) -> None:
    """An enforced bucket's derived ACL: no coverage gap on the bucket, and no grant beyond the owner's policies."""
    ev = aws.evaluate(aws.organization(), _scanned_account(aws, ACCT, aws.OWNER_ID, "b", bpa=aws.bpa()),
                      _enforced_bucket(aws, "b", ACCT, aws.OWNER_ID))  # fmt: skip
    assert not [g for g in ev.gaps if g.resource == "arn:aws:s3:::b"]
    for level in ("list", "read", "write", "admin"):
        assert aws.audience(ev, "b", level) == {}, level
