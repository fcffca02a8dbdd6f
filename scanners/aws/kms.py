"""KMS keys named by buckets' default encryption: DescribeKey and the key policy."""

from __future__ import annotations

from dataclasses import dataclass

from seenby.model import ReadOutcome
from seenby.registry import TypeName
from seenby.scanners.aws.calls import read
from seenby.scanners.aws.clients import Clients
from seenby.scanners.aws.operation import Operation
from seenby.snapshot import Read, Resource

__all__ = ["DESCRIBE_KEY", "GET_KEY_POLICY", "OPERATIONS", "KeyReference", "read_key", "reference"]

RESOURCE_TYPE = TypeName.AWS_KMS_KEY

DESCRIBE_KEY = Operation(
    service="kms", name="DescribeKey", iam_action="kms:DescribeKey", absent=frozenset({"NotFoundException"})
)
GET_KEY_POLICY = Operation(
    service="kms", name="GetKeyPolicy", iam_action="kms:GetKeyPolicy", absent=frozenset({"NotFoundException"})
)
OPERATIONS = (DESCRIBE_KEY, GET_KEY_POLICY)

CROSS_ACCOUNT = "CrossAccountKeyPolicy"
"""Error code recorded when a key policy belongs to an account this scan has no credentials for."""
UNRESOLVED = "KeyNotResolved"
"""Error code recorded for a key policy not asked for because DescribeKey did not resolve the key."""


@dataclass(frozen=True, kw_only=True, slots=True)
class KeyReference:
    """A key as a bucket names it, with the account and region it lives in."""

    written: str
    account: str
    region: str
    partition: str

    @property
    def is_alias(self) -> bool:
        return self.written.startswith("alias/") or ":alias/" in self.written

    @property
    def arn(self) -> str:
        """The ARN the reference stands for (an alias ARN for aliases)."""
        if self.written.startswith("arn:"):
            return self.written
        resource = self.written if self.is_alias else f"key/{self.written}"
        return f"arn:{self.partition}:kms:{self.region}:{self.account}:{resource}"


def reference(written: str, *, account: str, region: str, partition: str) -> KeyReference:
    """Parse a key id, key ARN, alias name or alias ARN.

    Bare ids and alias names live in the bucket's account and region.
    """
    if written.startswith("arn:"):
        parts = written.split(":", 5)
        if len(parts) == 6:
            return KeyReference(written=written, partition=parts[1], region=parts[3], account=parts[4])
    return KeyReference(written=written, account=account, region=region, partition=partition)


def _not_asked(outcome: ReadOutcome, code: str, message: str) -> Read:
    return Read(outcome=outcome, api=GET_KEY_POLICY.api, error_code=code, message=message)


def read_key(clients: Clients, ref: KeyReference, *, own_account: bool) -> Resource:
    """DescribeKey, then GetKeyPolicy (``PolicyName='default'``, the only name KMS has).

    GetKeyPolicy cannot be called across accounts: for another account's key without
    that account's credentials the policy read is recorded as an error, never skipped.
    """
    client = clients.get("kms", ref.region)
    metadata = read(client, DESCRIBE_KEY, KeyId=ref.written)
    key_arn = ref.arn
    key_id: str | None = None if ref.is_alias else ref.written
    if metadata.ok:
        key_arn = metadata.document["KeyMetadata"]["Arn"]
        key_id = metadata.document["KeyMetadata"]["KeyId"]
    if not own_account:
        policy = _not_asked(
            ReadOutcome.ERROR, CROSS_ACCOUNT, f"the key belongs to account {ref.account}, which this scan cannot read"
        )
    elif key_id is None:  # an alias DescribeKey did not resolve
        if metadata.outcome is ReadOutcome.ABSENT:
            policy = _not_asked(ReadOutcome.ABSENT, metadata.error_code or UNRESOLVED, f"{ref.written} does not exist")
        else:
            policy = _not_asked(
                metadata.outcome, UNRESOLVED, f"DescribeKey did not resolve {ref.written}: {metadata.error_code}"
            )
    else:
        policy = read(client, GET_KEY_POLICY, KeyId=key_arn if metadata.ok else key_id, PolicyName="default")
    return Resource(
        type=RESOURCE_TYPE,
        id=key_arn,
        name=key_arn.rsplit("/", 1)[-1],
        account=ref.account,
        region=ref.region,
        reads={"metadata": metadata, "policy": policy},
    )
