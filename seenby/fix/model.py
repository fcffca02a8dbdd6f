"""What ``seenby fix`` finds: changes to snapshot documents, proven by re-evaluation.

A :class:`Change` is one RFC 6902 JSON Patch against one document exactly as the snapshot
stores it (a read of a resource).  A :class:`Fix` is the changes that, applied together to
a copy of the snapshot and evaluated again, leave a finding's excess audience empty while
every declared member keeps its access and no dataset's audience grows (``proven``).  A
:class:`NoFix` says why none was found.  Documented in docs/fixes.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from seenby.model import AccessLevel, ReadOutcome, freeze_json, thaw_json

__all__ = [
    "AudienceState",
    "Change",
    "ChangeKind",
    "Fix",
    "FixOutcome",
    "NoFix",
    "NoFixReason",
]


class ChangeKind(StrEnum):
    """The kinds of change, in the order the search prefers them (docs/fixes.md)."""

    NARROW_PRINCIPALS = "narrow-principals"  # keep only a statement's declared principals
    NARROW_RESOURCES = "narrow-resources"  # an identity policy statement no longer names the dataset
    ADD_CONDITION = "add-condition"  # an audience-narrowing condition (aws:PrincipalArn, aws:PrincipalOrgPaths)
    REMOVE_STATEMENT = "remove-statement"  # drop every principal: the statement itself
    REMOVE_ACL_GRANT = "remove-acl-grant"
    ACL_TO_POLICY = "acl-grant-to-policy"  # an ACL grant to a broad group replaced by a policy grant to the declared
    NARROW_BINDING = "narrow-binding"  # an IAM binding without the excess members
    REMOVE_ENTRY = "remove-entry"  # a BigQuery access entry, a dashboard permission, a binding
    BLOCK_PUBLIC_ACCESS = "block-public-access"  # S3 Block Public Access / GCS public access prevention
    NARROW_TRUST = "narrow-trust"  # a role's trust policy

    @property
    def rank(self) -> int:
        return list(ChangeKind).index(self)


@dataclass(frozen=True, kw_only=True, slots=True)
class Change:
    """One change to one stored document.

    ``patch`` applies to the document of ``resource``'s read ``read`` as stored (for an
    ``absent`` read, to nothing: it adds the whole document).  Where that document holds a
    policy as a JSON string (``{"Policy": "{…}"}``), ``policy_pointer`` is where and
    ``policy_patch`` is the same change against the parsed policy, which is easier to read.
    """

    kind: ChangeKind
    resource: str
    resource_type: str
    read: str
    api: str
    patch: tuple[Any, ...]
    summary: str
    outcome_before: ReadOutcome = ReadOutcome.OK
    policy_pointer: str | None = None
    policy_patch: tuple[Any, ...] | None = None
    document_after: Any = None  # the stored document after the change
    document_before: Any = None  # and before it (renderers name what changed from the two)

    def __post_init__(self) -> None:
        object.__setattr__(self, "patch", tuple(freeze_json(list(self.patch))))
        if self.policy_patch is not None:
            object.__setattr__(self, "policy_patch", tuple(freeze_json(list(self.policy_patch))))
        object.__setattr__(self, "document_after", freeze_json(self.document_after))
        object.__setattr__(self, "document_before", freeze_json(self.document_before))

    @property
    def key(self) -> tuple[str, str]:
        return (self.resource, self.read)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "resource": self.resource,
            "resource_type": self.resource_type,
            "read": self.read,
            "api": self.api,
            "outcome_before": self.outcome_before.value,
            "summary": self.summary,
            "patch": thaw_json(self.patch),
        }
        if self.policy_pointer is not None:
            out["policy_pointer"] = self.policy_pointer
            out["policy_patch"] = thaw_json(self.policy_patch)
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class AudienceState:
    """The audience of the finding's dataset at its level: who is beyond the declaration, who is inside it."""

    excess: tuple[str, ...]
    declared: tuple[str, ...]
    people_excess: int | None
    people_declared: int | None
    people_total: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "excess": list(self.excess),
            "declared": list(self.declared),
            "people": {"excess": self.people_excess, "declared": self.people_declared, "total": self.people_total},
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class Fix:
    """Changes proven to bring one finding back to its declaration."""

    fingerprint: str
    dataset: str
    level: AccessLevel | None
    changes: tuple[Change, ...]
    before: AudienceState
    after: AudienceState
    unknown: tuple[str, ...] = ()  # coverage gaps of the dataset: documents the proof could not see
    proven: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "proven": self.proven,
            "dataset": self.dataset,
            "level": self.level.value if self.level else None,
            "changes": [c.to_json() for c in self.changes],
            "audience_before": self.before.to_json(),
            "audience_after": self.after.to_json(),
            "unknown": list(self.unknown),
        }


class NoFixReason(StrEnum):
    COVERAGE_GAP = "coverage-gap"  # the finding is about a document seenby could not read
    DECLARATION = "declaration"  # only rules.yaml can settle it (undeclared dataset, stale declaration)
    NO_CANDIDATE = "no-candidate"  # the evidence names no document part seenby can change
    DECLARED_MEMBER_LOSES_ACCESS = "declared-member-loses-access"
    WIDENS = "widens"  # every candidate would open some dataset to someone new
    EXCESS_REMAINS = "excess-remains"  # no candidate removes the excess
    WAIVED = "waived"


@dataclass(frozen=True, kw_only=True, slots=True)
class NoFix:
    """No proven fix for a finding, and why."""

    fingerprint: str
    reason: NoFixReason
    detail: str
    tried: int = 0  # candidates applied and evaluated

    def to_json(self) -> dict[str, Any]:
        return {"proven": False, "reason": self.reason.value, "detail": self.detail, "tried": self.tried}


FixOutcome = Fix | NoFix
