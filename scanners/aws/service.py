"""The extension point for per-account service scanners: every service beyond IAM, KMS and Organizations.

A :class:`ServiceScanner` is one module's registration (see :mod:`.services`; S3,
DynamoDB, Identity Center, QuickSight, Glue, Lake Formation and EC2 networks are one each):
the scan calls :attr:`ServiceScanner.scan` once for every account it reaches, with an
:class:`AccountContext`.  The scanner reads through :func:`seenby.scanners.aws.calls.read`
(so only declared operations are sent) and hands back what it saw:

* ``put(name, read)``: an account-level read, recorded on the ``aws.account`` resource.
  Every name in :attr:`ServiceScanner.account_reads` must be put exactly once: it is the
  listing whose failure is the gap for every resource of that service in the account
  (and is what the scan records when the account cannot be reached at all);
* ``add(resource)``: a resource of the service, with its own reads (its region joins the
  shard's scanned regions);
* ``spawn(fn, *args)``: more work on the scan's bounded pool (one task per resource);
* ``finish(fn)``: for resources assembled from several tasks (a bucket and its share of
  the region's access points): ``fn()`` is called once every task has ended and the
  resources it returns are added as ``add`` would;
* ``use_key(written, region)``: a KMS key a resource names (as written; ``region`` None
  for the home region): the scan reads it once, with its own account's credentials;
* ``track(unit, total)`` and ``advance(unit)``: progress of a per-resource unit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from seenby.model import ReadOutcome
from seenby.scanners.aws.clients import Clients
from seenby.scanners.aws.config import AwsScanConfig
from seenby.scanners.aws.operation import Operation
from seenby.snapshot import Read, Resource

__all__ = ["AccountContext", "ServiceScanner", "first_failure", "ok_read"]


@dataclass(frozen=True, kw_only=True)
class AccountContext:
    """One reachable account, as a service scanner sees it."""

    account: str
    partition: str
    regions: tuple[str, ...]
    clients: Clients
    config: AwsScanConfig
    put: Callable[[str, Read], None]
    add: Callable[[Resource], None]
    spawn: Callable[..., None]
    finish: Callable[[Callable[[], Iterable[Resource]]], None]
    after_policies: Callable[[Callable[[tuple[Any, ...]], None]], None]
    """``after_policies(fn)``: ``fn(documents)`` runs once every task of the first pass has ended, with the
    account's IAM authorization details and the organisation's policies (those read); it may spawn tasks.  For a
    read worth its call only when some policy could make it change a verdict (GetBucketAbac)."""
    use_key: Callable[[str, str | None], None]
    track: Callable[[str, int], None]
    advance: Callable[[str], None]

    def arn(self, service: str, region: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{region}:{self.account}:{resource}"


@dataclass(frozen=True, kw_only=True)
class ServiceScanner:
    """One service's registration: its account-level reads, its operations, and its scan."""

    name: str
    account_reads: Mapping[str, str]  # read name -> api label
    operations: tuple[Operation, ...]
    scan: Callable[[AccountContext], Any]


def ok_read(api: str, document: Any) -> Read:
    return Read(outcome=ReadOutcome.OK, api=api, document=document)


def first_failure(parts: Mapping[str, Read]) -> Read | None:
    """The first failed read of a composite made per region (or per part), named in its message; None if all ok."""
    for where, part in parts.items():
        if not part.ok and part.outcome is not ReadOutcome.ABSENT:
            return Read(
                outcome=part.outcome,
                api=part.api,
                error_code=part.error_code,
                message=f"{where}: {part.message or part.error_code}",
            )
    return None
