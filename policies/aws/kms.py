"""KMS keys, and the key-policy layer that SSE-KMS adds to reading and writing S3 objects.

https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html,
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html:

* reading an SSE-KMS object needs ``kms:Decrypt`` on its key, writing one
  ``kms:GenerateDataKey``; SSE-S3 (AES256) adds no layer;
* the key policy is the primary control: IAM policies grant use of a key only
  where the key policy enables them — a statement allowing the key's account
  (``arn:aws:iam::ACCOUNT:root``) the action (``kms:*`` in the default policy).
  So a key policy is a *required* resource layer (:func:`.access.resource_and_identity`
  with ``resource_required``);
* AWS managed keys (``aws/s3``) allow every principal of their account through
  S3 (``kms:ViaService`` + ``kms:CallerAccount``) and nobody else: within the
  account they do not narrow; other accounts and anonymous callers cannot use them;
* a key that cannot be resolved, or whose policy could not be read, is an
  *unknown* layer: the S3 grants stay, conditional on it (fail closed).

Bucket default encryption covers objects written after it was set; older objects
may use another key or none.  seenby evaluates the default key (documented gap).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from seenby.model import Condition, Evidence, EvidenceKind
from seenby.policies.aws.context import KeyValue, Known
from seenby.policies.aws.document import PolicyDocument, parse_policy
from seenby.registry import TypeName
from seenby.snapshot import Resource, Snapshot

__all__ = ["Encryption", "EncryptionKind", "KeyInfo", "KeyRing", "parse_encryption"]


class EncryptionKind(StrEnum):
    NONE = "none"
    SSE_S3 = "sse-s3"
    SSE_KMS = "sse-kms"
    UNKNOWN = "unknown"  # the encryption read is a gap


@dataclass(frozen=True, kw_only=True, slots=True)
class Encryption:
    kind: EncryptionKind
    key_ref: str | None = None  # KMSMasterKeyID as written (None: the AWS managed aws/s3 key)
    rule: Any = None


@dataclass(kw_only=True)
class KeyInfo:
    """A KMS key from the snapshot (or a stand-in for one that could not be resolved)."""

    arn: str
    key_id: str | None
    account: str | None
    aws_managed: bool = False
    policy: PolicyDocument | None = None
    policy_unknown_reason: str | None = None  # set when the key policy layer cannot be evaluated
    metadata: Mapping[str, Any] | None = None  # DescribeKey's KeyMetadata, when the snapshot holds it

    def request_keys(self) -> dict[str, KeyValue]:
        """The key's own condition keys on a KMS request, from DescribeKey's ``KeyMetadata``: ``kms:KeySpec``,
        ``kms:KeyUsage``, ``kms:KeyOrigin`` (``Origin``), ``kms:MultiRegion``
        (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html,
        https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html).  A field the metadata lacks
        leaves its key undecided."""
        meta = self.metadata or {}
        fields = {"kms:KeySpec": "KeySpec", "kms:KeyUsage": "KeyUsage", "kms:KeyOrigin": "Origin"}
        keys: dict[str, KeyValue] = {k: Known((str(meta[f]),)) for k, f in fields.items() if meta.get(f) is not None}
        if isinstance(meta.get("MultiRegion"), bool):
            keys["kms:MultiRegion"] = Known(("true" if meta["MultiRegion"] else "false",))
        return keys

    def unknown_condition(self) -> Condition:
        return Condition(
            expression={"KMSMasterKeyID": self.arn},
            keys=("kms:Decrypt",),
            reason=f"the key policy of {self.arn} could not be read: {self.policy_unknown_reason}",
        )

    def managed_evidence(self) -> Evidence:
        return Evidence(
            kind=EvidenceKind.KEY_POLICY,
            source=self.arn,
            location="AWS managed key",
            note="an AWS managed key allows every principal of its account, through S3 only",
        )


def parse_encryption(bucket: Resource) -> Encryption:
    read = bucket.read("encryption")
    if read is None or read.outcome.is_gap:
        return Encryption(kind=EncryptionKind.UNKNOWN)
    if not read.ok:
        return Encryption(kind=EncryptionKind.NONE)
    rules = ((read.document or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        algorithm = str(default.get("SSEAlgorithm", ""))
        if algorithm.startswith("aws:kms"):
            return Encryption(kind=EncryptionKind.SSE_KMS, key_ref=default.get("KMSMasterKeyID"), rule=rule)
        if algorithm == "AES256":
            return Encryption(kind=EncryptionKind.SSE_S3, rule=rule)
    return Encryption(kind=EncryptionKind.NONE)


def _key_policy(res: Resource) -> tuple[PolicyDocument | None, str | None]:
    read = res.read("policy")
    if read is None:
        return None, "the snapshot has no key policy read"
    if read.outcome.is_gap:
        return None, f"{read.api} was {read.outcome.value} ({read.error_code})"
    if not read.ok:
        return None, "the key policy read came back absent"
    raw = read.document.get("Policy") if isinstance(read.document, Mapping) else read.document
    return parse_policy(raw, source=res.id, kind=EvidenceKind.KEY_POLICY, require_principal=True), None


class KeyRing:
    """Keys of the snapshot, found by ARN, key id or (for AWS managed keys) alias."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.by_arn: dict[str, KeyInfo] = {}
        self.by_id: dict[str, KeyInfo] = {}
        for res in snapshot.of_type(TypeName.AWS_KMS_KEY):
            meta = (res.document("metadata") or {}).get("KeyMetadata") or {}
            key_id = meta.get("KeyId") or res.id.rsplit("/", 1)[-1]
            account = meta.get("AWSAccountId") or res.account or _arn_account(res.id)
            policy, reason = _key_policy(res)
            info = KeyInfo(
                arn=res.id,
                key_id=key_id,
                account=account,
                aws_managed=meta.get("KeyManager") == "AWS",
                policy=policy,
                policy_unknown_reason=reason,
                metadata=meta or None,
            )
            self.by_arn[res.id] = info
            self.by_id[key_id] = info

    def resolve(self, ref: str | None, *, bucket_account: str | None, region: str | None) -> KeyInfo:
        """The key a bucket's ``KMSMasterKeyID`` names; a stand-in with a reason when unknown."""
        if ref is None or ref == "alias/aws/s3" or ref.endswith(":alias/aws/s3"):
            account = _arn_account(ref) if ref and ref.startswith("arn:") else bucket_account
            return KeyInfo(arn=ref or "alias/aws/s3", key_id=None, account=account, aws_managed=True)
        if ref in self.by_arn:
            return self.by_arn[ref]
        short = ref.rsplit("/", 1)[-1] if ref.startswith("arn:") and ":key/" in ref else ref
        if short in self.by_id:
            return self.by_id[short]
        account = _arn_account(ref) if ref.startswith("arn:") else bucket_account
        what = "an alias seenby cannot resolve" if "alias/" in ref else "not in the snapshot"
        return KeyInfo(arn=ref, key_id=None, account=account, policy_unknown_reason=f"key {ref} is {what}")


def _arn_account(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4] else None
