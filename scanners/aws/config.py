"""What to scan and how: :class:`AwsScanConfig`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seenby.errors import UsageError

if TYPE_CHECKING:
    import boto3

__all__ = ["DEFAULT_MEMBER_ROLE", "AwsScanConfig"]

DEFAULT_MEMBER_ROLE = "OrganizationAccountAccessRole"
_ACCOUNT = re.compile(r"^[0-9]{12}$")
_ROLE_NAME = re.compile(r"^[\w+=,.@/-]{1,512}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+-[0-9]+$")


@dataclass(frozen=True, kw_only=True)
class AwsScanConfig:
    """An AWS scan.

    ``session`` is injected (a ``boto3.Session``; its credential chain, profile and
    region are used as they are).  ``regions[0]`` is the home region for global calls
    (IAM, STS, Organizations, ListBuckets); every bucket ListBuckets returns is scanned
    whatever its region, since a bucket outside ``regions`` is just as readable.
    ``endpoint_url`` points every client at one endpoint (a local emulator); when it is
    None boto3's own configuration applies (``AWS_ENDPOINT_URL`` and friends).

    With ``org_mode`` the organisation is read from the caller's account (the
    management or a delegated administrator account) and every member account is
    scanned through ``arn:aws:iam::<account>:role/<member_role_name>``.  ``accounts``
    narrows the accounts scanned; without ``org_mode`` it names accounts to reach
    through the same role.  ``max_workers`` bounds concurrent calls for the whole scan.

    ``max_attempts`` is the retry budget: the attempts a call gets in all (the first
    included) when it fails transiently (throttling, 5xx, a timeout, a reset connection).
    Each retry waits a full-jitter exponential backoff, a random time up to
    ``retry_backoff`` × 2^(n-1) seconds (at most ``max_backoff``) after the n-th attempt.
    A call that is still failing after ``max_attempts`` attempts is recorded as an
    ``error`` read (a coverage gap).  Throttling also slows the throttled operation
    alone (:mod:`seenby.scanners.aws.pacing`).

    ``object_acl_limit`` bounds the object ACLs read per bucket (GetObjectAcl on the most
    recently modified objects); ``object_listing_limit`` bounds the keys listed per bucket to
    choose them from (ListObjectsV2, 1,000 keys a call).  Only buckets whose ACLs are in force
    (Object Ownership not ``BucketOwnerEnforced``) are listed.  Past either bound the evaluator
    reports a coverage gap ("object ACLs read for N of M objects").
    """

    session: boto3.Session
    regions: tuple[str, ...] = ()
    endpoint_url: str | None = None
    org_mode: bool = False
    member_role_name: str = DEFAULT_MEMBER_ROLE
    max_workers: int = 16
    accounts: tuple[str, ...] | None = None
    max_attempts: int = 8
    retry_backoff: float = 0.1
    max_backoff: float = 20.0
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    object_acl_limit: int = 1000
    object_listing_limit: int = 100_000

    def __post_init__(self) -> None:
        if self.max_workers < 1:
            raise UsageError(f"max_workers must be at least 1, not {self.max_workers}")
        if self.max_attempts < 1:
            raise UsageError(f"max_attempts must be at least 1, not {self.max_attempts}")
        if not 0 < self.retry_backoff <= self.max_backoff:
            raise UsageError(
                f"retry_backoff must be above 0 and at most max_backoff, not {self.retry_backoff} / {self.max_backoff}"
            )
        if self.object_acl_limit < 0:
            raise UsageError(f"object_acl_limit must be at least 0, not {self.object_acl_limit}")
        if self.object_listing_limit < max(1, self.object_acl_limit):
            raise UsageError(
                "object_listing_limit must be at least 1 and at least object_acl_limit, "
                f"not {self.object_listing_limit}"
            )
        for region in self.regions:
            if not _REGION.match(region):
                raise UsageError(f"{region!r} is not an AWS region name")
        for account in self.accounts or ():
            if not _ACCOUNT.match(account):
                raise UsageError(f"{account!r} is not a 12-digit AWS account id")
        if not _ROLE_NAME.match(self.member_role_name):
            raise UsageError(f"{self.member_role_name!r} is not an IAM role name")

    @property
    def home_region(self) -> str:
        return (self.regions[0] if self.regions else None) or self.session.region_name or "us-east-1"
