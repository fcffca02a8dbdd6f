"""The findings model: what the audit produces and every report renders.

A finding is one rule broken on one dataset at one access level, with the excess
audience (who can reach it beyond the declaration), grouped by audience class,
each member with its shortest explaining path and the evidence that opens it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from seenby.history.provenance import Provenance
from seenby.model import AccessLevel, Condition, CoverageGap, Dataset, Evidence, Principal

if TYPE_CHECKING:
    from seenby.fix.model import FixOutcome

__all__ = [
    "AudienceAt",
    "AudienceClass",
    "AudienceMember",
    "AudienceReport",
    "AuditResult",
    "ExcessEntry",
    "Finding",
    "PathStep",
    "PeopleCount",
    "PrincipalAccessReport",
    "ReachableDataset",
    "RuleId",
    "SetApart",
    "Severity",
    "StepKind",
    "Via",
    "Waiver",
]


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_SEVERITY_ORDER = [Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]


class AudienceClass(StrEnum):
    """How broad one member of an excess audience is, broadest first."""

    PUBLIC = "public"
    ANY_AUTHENTICATED = "any-authenticated"
    ORGANIZATION = "organization"  # an AWS organisation or OU, a Google Workspace domain
    NETWORK = "network"  # callers through a network (VPC endpoint, VPC, address range) not the dataset owner's
    OTHER_ACCOUNT = "other-account"  # an AWS account or GCP project other than the dataset's
    SPECIFIC = "specific"  # named users, groups, roles, service accounts

    @property
    def rank(self) -> int:
        return list(AudienceClass).index(self)


class StepKind(StrEnum):
    """What a step of an explaining path is."""

    PRINCIPAL = "principal"
    DATASET = "dataset"


class Via(StrEnum):
    """The edge a path step leaves by: a principal edge (:class:`~seenby.model.EdgeKind`), a grant at its level,
    a re-exposure, a flow, or ``within`` (from a principal to a class that contains it, in ``why``)."""

    MEMBER_OF = "member-of"
    CAN_ASSUME = "can-assume"
    CAN_IMPERSONATE = "can-impersonate"
    PERMISSION_SET = "permission-set"
    GRANT_READ = "grant:read"
    GRANT_WRITE = "grant:write"
    GRANT_ADMIN = "grant:admin"
    GRANT_LIST = "grant:list"
    RE_EXPOSES = "re-exposes"
    FLOWS_TO = "flows-to"
    WITHIN = "within"

    @staticmethod
    def grant(level: AccessLevel) -> Via:
        return Via(f"grant:{level.value}")

    @property
    def level(self) -> AccessLevel | None:
        """The access level of a grant edge; None for every other edge."""
        kind, _, level = self.value.partition(":")
        return AccessLevel(level) if kind == "grant" else None


@dataclass(frozen=True, kw_only=True, slots=True)
class PathStep:
    """One node on a path, and the edge that leads from it to the next step.

    The last step is the dataset and has no ``via``.
    """

    node: str
    kind: StepKind
    label: str
    via: Via | None = None  # the edge to the next step: member-of, can-assume, grant:read, re-exposes, …
    evidence: tuple[Evidence, ...] = ()
    conditions: tuple[Condition, ...] = ()

    def __post_init__(self) -> None:
        if self.via is not None:
            object.__setattr__(self, "via", Via(self.via))


@dataclass(frozen=True, kw_only=True, slots=True)
class ExcessEntry:
    """One principal or class beyond the declaration, with the path that lets it in."""

    principal: Principal
    audience_class: AudienceClass
    path: tuple[PathStep, ...]
    people: int | None = None  # people this entry stands for, where known
    conditional: bool = False

    @property
    def opening_evidence(self) -> tuple[Evidence, ...]:
        """The statement, ACL grant or binding on the final hop into the dataset."""
        for step in reversed(self.path):
            if step.evidence and step.via and step.via.level is not None:
                return step.evidence
        return self.path[-2].evidence if len(self.path) >= 2 else ()

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return tuple(c for step in self.path for c in step.conditions)


class SetApart(StrEnum):
    """Why a finding does not count: a live waiver of rules.yaml, or (in ``seenby gate``) the baseline."""

    WAIVED = "waived"  # a live waiver of rules.yaml
    EXISTING = "existing"  # the gate's baseline alone has it (--new-only)
    ACCEPTED = "accepted"  # the gate's --baseline-findings lists its fingerprint


@dataclass(frozen=True, kw_only=True, slots=True)
class Waiver:
    rule: str
    dataset: str  # id glob
    reason: str
    owner: str
    expires: date
    principal: str | None = None
    where: str = ""  # file:line of the waiver, for messages
    status: SetApart = SetApart.WAIVED

    def expired(self, today: date) -> bool:
        return today > self.expires

    def describe(self) -> str:
        """One line for reports: who waived it until when, or why the gate sets it apart."""
        if self.status is SetApart.WAIVED:
            return f"waived until {self.expires.isoformat()} by {self.owner}: {self.reason}"
        return f"{self.status.value}: {self.reason}"


class RuleId(StrEnum):
    """The id of each rule of the catalogue (seenby/data/rule-catalog.yaml holds their metadata)."""

    PUBLIC = "SB001"
    ANY_AUTHENTICATED = "SB002"
    ORGANIZATION = "SB003"
    OTHER_ACCOUNT = "SB004"
    SPECIFIC = "SB005"
    WRITE = "SB006"
    ADMIN = "SB007"
    REEXPOSURE = "SB008"
    UNDECLARED = "SB009"
    CONDITIONAL = "SB010"
    COVERAGE_GAP = "SB011"
    EXPIRED_WAIVER = "SB012"
    DECLARATION_MATCHES_NOTHING = "SB013"
    NETWORK = "SB014"
    FLOW_LEAVES_AUDIENCE = "SB015"


@dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    rule_id: RuleId
    title: str
    severity: Severity
    dataset: Dataset
    level: AccessLevel | None  # None for findings about a dataset as a whole (undeclared, coverage)
    message: str
    fingerprint: str
    excess: tuple[ExcessEntry, ...] = ()
    people: int | None = None
    classification: str | None = None
    declaration: str | None = None  # where the broken declaration is: rules.yaml:12 (datasets[0])
    declared: tuple[str, ...] = ()  # the declared audience at this level, as written
    gap: CoverageGap | None = None
    waiver: Waiver | None = None  # set when a live waiver hides this finding
    remediation: str = ""
    fix: FixOutcome | None = None  # set by ``seenby fix``: the proven fix, or why there is none (docs/fixes.md)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule_id", RuleId(self.rule_id))  # a rule of the catalogue, also when read back

    @property
    def waived(self) -> bool:
        return self.waiver is not None


@dataclass(frozen=True, kw_only=True)
class AuditResult:
    """All findings of one audit, plus what the reports need to state coverage and provenance."""

    findings: tuple[Finding, ...]
    datasets: tuple[Dataset, ...]
    gaps: tuple[CoverageGap, ...]
    snapshot_source: str | None
    collected_at: str
    collector: dict[str, Any] = field(default_factory=dict)
    scope: dict[str, Any] = field(default_factory=dict)
    rules_file: str | None = None

    @property
    def active(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.waived)

    @property
    def datasets_with_gaps(self) -> frozenset[str]:
        return frozenset(d for g in self.gaps for d in g.datasets)


@dataclass(frozen=True, kw_only=True, slots=True)
class AudienceMember:
    """One principal or class in a dataset's effective audience (who-can-read output)."""

    principal: Principal
    level: AccessLevel
    audience_class: AudienceClass
    path: tuple[PathStep, ...]
    people: int | None = None
    conditional: bool = False
    declared: bool | None = None  # None when no rules file says who may

    @property
    def through_copy(self) -> str | None:
        """The copy (a replica, export, clone …) this member reads the dataset through, if any (docs/flows.md)."""
        return next((step.node for step in self.path if step.via is Via.FLOWS_TO), None)


@dataclass(frozen=True, kw_only=True, slots=True)
class PeopleCount:
    """The people of one audience, each person once across overlapping groups and classes.

    ``excess``: people beyond the declaration; ``declared``: people inside it and not also
    in excess; both None without rules.  ``total``: everyone.  A class known only by its
    size may overlap others: then the figures are upper bounds (``upper_bound``).  None
    where nothing is known.
    """

    total: int | None
    excess: int | None = None
    declared: int | None = None
    upper_bound: bool = False


@dataclass(frozen=True, kw_only=True)
class AudienceReport:
    """The effective audience of one dataset, as of one snapshot."""

    dataset: Dataset
    members: tuple[AudienceMember, ...]
    collected_at: str
    snapshot_source: str | None = None
    gaps: tuple[CoverageGap, ...] = ()
    classification: str | None = None
    collector: Mapping[str, Any] = field(default_factory=dict)  # the snapshot's: who collected it, how
    scope: Mapping[str, Any] = field(default_factory=dict)  # the snapshot's: which accounts/projects it covers
    people: Mapping[AccessLevel, PeopleCount] = field(default_factory=dict)  # per level asked


# ── results of the queries, beside the findings they are rendered with ─────────────────


@dataclass(frozen=True, kw_only=True)
class AudienceAt:
    """An audience report and the recorded scan (or files) it was computed from."""

    report: AudienceReport
    provenance: Provenance


@dataclass(frozen=True, kw_only=True, slots=True)
class ReachableDataset:
    """One dataset a principal reaches at one level, with the path that lets it in.

    ``through_class`` is set when the principal reaches it only as part of a class
    (its account, organisation, OU, domain, any authenticated, the public).
    """

    dataset: Dataset
    level: AccessLevel
    path: tuple[PathStep, ...]
    conditional: bool
    through_class: Principal | None = None
    declared: bool | None = None  # None when no rules file declares this dataset
    classification: str | None = None


@dataclass(frozen=True, kw_only=True)
class PrincipalAccessReport:
    """Every dataset one principal can reach, as of one snapshot (what-can-read)."""

    principal: Principal
    classes: tuple[Principal, ...]  # the classes that contain it, searched as well
    entries: tuple[ReachableDataset, ...]
    collected_at: str
    snapshot_source: str | None = None
    gaps: tuple[CoverageGap, ...] = ()
    provenance: Provenance | None = None
    collector: Mapping[str, Any] = field(default_factory=dict)  # the snapshot's
    scope: Mapping[str, Any] = field(default_factory=dict)  # the snapshot's
