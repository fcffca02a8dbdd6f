"""What an AWS scanner module declares about each API operation it calls.

Every scanner module lists its operations in a module-level ``OPERATIONS`` tuple; the
minimal IAM policy (:mod:`seenby.scanners.aws.permissions`) and the read-only test are
generated from those declarations, and :func:`seenby.scanners.aws.calls.read` only
accepts an :class:`Operation`, so nothing is called that is not declared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["READ_VERBS", "Operation"]

READ_VERBS = ("Get", "List", "Describe")
"""Operation names a read-only scanner may call (plus sts:AssumeRole, see below)."""

_NAME = re.compile(r"^[A-Z][A-Za-z0-9]+$")
_SNAKE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True, kw_only=True, slots=True)
class Operation:
    """One API operation: ``service`` is the boto3 client name, ``name`` the API's operation name.

    ``iam_action`` is the permission it needs (not always ``service:name``:
    s3:GetBucketEncryption needs ``s3:GetEncryptionConfiguration``).  ``absent`` holds
    the error codes by which this call says "there is none".  ``label`` is the ``api``
    recorded in the snapshot when docs/snapshot.md names the call otherwise.
    """

    service: str
    name: str
    iam_action: str
    absent: frozenset[str] = field(default_factory=frozenset)
    label: str | None = None

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"operation name {self.name!r} is not an AWS API operation name")
        if ":" not in self.iam_action:
            raise ValueError(f"IAM action {self.iam_action!r} has no service prefix")

    @property
    def api(self) -> str:
        """The label recorded in a read (docs/snapshot.md): ``s3:GetBucketPolicy``; ``label`` overrides it."""
        return self.label or f"{self.service}:{self.name}"

    @property
    def method(self) -> str:
        """The boto3 client method: ``get_bucket_policy``."""
        return _SNAKE.sub("_", self.name).lower()

    @property
    def is_read(self) -> bool:
        return self.name.startswith(READ_VERBS) or self.api == "sts:AssumeRole"
