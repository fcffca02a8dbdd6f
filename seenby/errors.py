"""seenby's one exception hierarchy.

::

    SeenbyError                      base; ``exit_code`` is what the CLI exits with
    ├── InputError (exit 2)          a file a user gave us is unusable
    │   ├── SnapshotError            malformed snapshot, unknown schema version
    │   ├── RulesError               rules.yaml does not follow its schema
    │   ├── PolicyDocumentError      a policy document that cannot be parsed
    │   ├── PlanError                a Terraform plan that cannot be read
    │   └── StoreError               a history store that is corrupt, foreign or from a newer seenby
    ├── UsageError (exit 2)          the command line itself is wrong
    └── ScanError (exit 4)           a scan could not start at all (no credentials, no endpoint)

Every error carries its context: the file and the place in it (a JSON path or a
line number), and for scans the account, resource and API call.  ``str(err)`` is
the one readable line the CLI prints; no traceback reaches the user.

A read that fails *during* a scan is not an exception: it is recorded in the
snapshot as a read outcome (see :mod:`seenby.snapshot`) and becomes a coverage gap.
"""

from __future__ import annotations

__all__ = [
    "InputError",
    "PlanError",
    "PolicyDocumentError",
    "RulesError",
    "ScanError",
    "SeenbyError",
    "SnapshotError",
    "StoreError",
    "UsageError",
]


class SeenbyError(Exception):
    """Base of every error seenby raises on purpose."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, where: str | None = None) -> None:
        self.message = message
        self.file = file
        self.where = where
        super().__init__(self.__str__())

    def __str__(self) -> str:
        place = ""
        if self.file and self.where:
            place = f"{self.file}: {self.where}: "
        elif self.file:
            place = f"{self.file}: "
        elif self.where:
            place = f"{self.where}: "
        return f"{place}{self.message}"


class InputError(SeenbyError):
    """A file given to seenby cannot be used as it is."""


class SnapshotError(InputError):
    """A snapshot is malformed or of a schema version this seenby does not read."""


class RulesError(InputError):
    """rules.yaml does not follow its schema; ``where`` names the line."""


class PolicyDocumentError(InputError):
    """A policy document (IAM JSON, ACL, binding) has a shape no provider accepts."""


class PlanError(InputError):
    """A Terraform plan file cannot be read."""


class StoreError(InputError):
    """The history store (SQLite) is corrupt, not seenby's, or of a newer schema."""


class UsageError(SeenbyError):
    """The command line is wrong (unknown dataset, conflicting options)."""


class ScanError(SeenbyError):
    """A scan could not start: no credentials, no endpoint, no permission to list anything."""

    exit_code = 4

    def __init__(
        self,
        message: str,
        *,
        account: str | None = None,
        api_call: str | None = None,
        resource: str | None = None,
    ) -> None:
        self.account = account
        self.api_call = api_call
        self.resource = resource
        where = ", ".join(x for x in (account, resource, api_call) if x) or None
        super().__init__(message, where=where)
