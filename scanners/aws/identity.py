"""Who is scanning (sts:GetCallerIdentity) and reaching member accounts (sts:AssumeRole)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from seenby.errors import ScanError
from seenby.scanners.aws.calls import read
from seenby.scanners.aws.clients import Clients, TemporaryCredentials
from seenby.scanners.aws.operation import Operation
from seenby.snapshot import Read

__all__ = ["ASSUME_ROLE", "GET_CALLER_IDENTITY", "OPERATIONS", "Caller", "assume_role", "whoami"]

GET_CALLER_IDENTITY = Operation(service="sts", name="GetCallerIdentity", iam_action="sts:GetCallerIdentity")
ASSUME_ROLE = Operation(service="sts", name="AssumeRole", iam_action="sts:AssumeRole")
OPERATIONS = (GET_CALLER_IDENTITY, ASSUME_ROLE)

SESSION_NAME = "seenby-scan"


@dataclass(frozen=True, kw_only=True, slots=True)
class Caller:
    account: str
    arn: str

    @property
    def partition(self) -> str:
        return self.arn.split(":", 2)[1] if self.arn.startswith("arn:") else "aws"


def whoami(clients: Clients) -> Caller:
    """The scanning identity. Without one nothing can be scanned: this raises :class:`ScanError`."""
    result = read(clients.get("sts"), GET_CALLER_IDENTITY)
    if not result.ok:
        raise ScanError(
            f"cannot identify the caller: {result.error_code}: {result.message or 'no message'}",
            api_call=result.api,
        )
    return Caller(account=str(result.document["Account"]), arn=str(result.document["Arn"]))


def _expiration(value: Any) -> datetime | None:
    """AssumeRole's ``Expiration`` (an ISO 8601 string once the response is made JSON-ready, or a datetime;
    naive means UTC), or None when missing or unreadable (the credentials are then never renewed)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def assume_role(clients: Clients, role_arn: str) -> tuple[Read, TemporaryCredentials | None]:
    """Assume ``role_arn``. The recorded read keeps ``AssumedRoleUser`` only, never the credentials."""
    held: list[TemporaryCredentials] = []

    def keep_identity(doc: dict[str, Any]) -> dict[str, Any]:
        creds = doc["Credentials"]
        held.append(
            TemporaryCredentials(
                access_key_id=creds["AccessKeyId"],
                secret_access_key=creds["SecretAccessKey"],
                session_token=creds["SessionToken"],
                expiration=_expiration(creds.get("Expiration")),
            )
        )
        return {"AssumedRoleUser": doc.get("AssumedRoleUser", {})}

    result = read(clients.get("sts"), ASSUME_ROLE, shape=keep_identity, RoleArn=role_arn, RoleSessionName=SESSION_NAME)
    return result, (held[0] if held else None)
