"""Proof by re-evaluation: a changed copy of the snapshot, evaluated with seenby's own evaluator.

:class:`Judge` evaluates the original snapshot once (the baseline) and each changed copy
once (cached by the documents changed).  A state holds, for every dataset and level, who
reaches it (each member of every group listed: ``who_can_read(expand_members=True)``),
whether the declaration covers them, and the audit's findings.  A change is acceptable when,
against the baseline, no dataset gains a member (or loses a member's condition), no
declared member loses its access, and no new read becomes a coverage gap.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seenby import api
from seenby.errors import UsageError
from seenby.explain import Answer
from seenby.findings import Via
from seenby.model import AUDITED_LEVELS, AccessLevel, thaw_json

from .changes import apply_changes
from .model import AudienceState, Change

if TYPE_CHECKING:
    from seenby.config import Rules
    from seenby.findings import AudienceReport, AuditResult, Finding
    from seenby.model import Evaluation
    from seenby.snapshot import Snapshot

__all__ = ["Judge", "Problem", "State"]

LEVELS: tuple[AccessLevel, ...] = (*AUDITED_LEVELS, AccessLevel.LIST)


@dataclass(frozen=True, kw_only=True, slots=True)
class Member:
    declared: bool | None
    conditional: bool
    group: str | None = None  # the group this member reaches the dataset through (member-of), if any


@dataclass(frozen=True, kw_only=True, slots=True)
class Signature:
    """What the reachability graph is built from, split into what decides every dataset's audience
    (``shared``: edges, re-exposures, flows, classes, principals, datasets) and each dataset's own grants.
    Two evaluations with the same ``shared`` part give the same audience to every dataset whose grants are
    the same, unless it is linked to a changed one by a re-exposure or a flow (``linked``)."""

    shared: frozenset[Any]
    grants: dict[str, frozenset[Any]]
    linked: frozenset[str]

    @classmethod
    def of(cls, ev: Evaluation) -> Signature:
        per: dict[str, set[Any]] = defaultdict(set)
        for g in ev.grants:
            per[g.dataset].add((g.principal.id, g.level.value, tuple(c.text for c in g.conditions)))
        shared = frozenset(
            {
                ("edges", frozenset((e.source.id, e.target.id, e.kind.value, tuple(c.text for c in e.conditions))
                                    for e in ev.edges)),
                ("reexposures", frozenset((r.via, r.dataset, tuple(c.text for c in r.conditions))
                                          for r in ev.reexposures)),
                ("flows", frozenset((f.source, f.destination, f.kind.value, f.carries.value, f.scope)
                                    for f in ev.flows)),
                ("classes", frozenset(ev.class_members.items()), frozenset(ev.class_people.items())),
                ("orgs", frozenset(ev.account_orgs.items())),
                ("principals", frozenset((p.id, p.kind.value, p.account) for p in ev.principals.values())),
                ("datasets", frozenset((d.id, tuple(sorted(d.tags.items()))) for d in ev.datasets.values())),
            }
        )  # fmt: skip
        linked = frozenset(
            {r.via for r in ev.reexposures} | {r.dataset for r in ev.reexposures}
            | {f.source for f in ev.flows} | {f.destination for f in ev.flows}
        )  # fmt: skip
        return cls(shared=shared, grants={d: frozenset(per.get(d, ())) for d in ev.datasets}, linked=linked)

    def unchanged(self, other: Signature) -> frozenset[str]:
        """The datasets whose audience is the same as in ``other`` (none when what they share changed)."""
        if self.shared != other.shared:
            return frozenset()
        changed = {d for d, g in self.grants.items() if other.grants.get(d) != g}
        if changed & self.linked:
            changed |= self.linked
        return frozenset(self.grants) - changed


@dataclass(frozen=True, kw_only=True)
class State:
    """One evaluated snapshot: its audit and, per (dataset, level), its members."""

    audit: AuditResult
    reports: dict[str, AudienceReport]
    members: dict[tuple[str, AccessLevel], dict[str, Member]]
    gaps: frozenset[tuple[str, str]]
    # (dataset, level, declared principal) -> can it reach, from ``why`` (only where the audience changed)
    access: dict[tuple[str, AccessLevel, str], Answer] = field(default_factory=dict)
    signature: Signature | None = None

    def excess(self, dataset: str, level: AccessLevel | None) -> set[str]:
        """Who reaches ``dataset`` at ``level`` beyond its declaration: the audit's excess entries
        and every member the declaration does not cover."""
        out = {
            e.principal.id
            for f in self.audit.findings
            if f.dataset.id == dataset and f.level is level
            for e in f.excess
        }
        if level is not None:
            out |= {pid for pid, m in self.members.get((dataset, level), {}).items() if m.declared is False}
        return out

    def audience(self, dataset: str, level: AccessLevel | None) -> AudienceState:
        """The audience as reports show it: people reaching through a group in it are counted under the group."""
        every = self.members.get((dataset, level), {}) if level is not None else {}
        members = {pid: m for pid, m in every.items() if m.group is None or m.group not in every}
        report = self.reports.get(dataset)
        people = report.people.get(level) if report is not None and level is not None else None
        return AudienceState(
            excess=tuple(sorted(pid for pid in self.excess(dataset, level) if pid in members or pid not in every)),
            declared=tuple(sorted(pid for pid, m in members.items() if m.declared)),
            people_excess=people.excess if people else None,
            people_declared=people.declared if people else None,
            people_total=people.total if people else None,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Problem:
    """What makes a changed snapshot unacceptable: ``who`` at ``dataset``/``level`` (``what``: widens, loses, gap)."""

    what: str
    dataset: str
    level: AccessLevel | None
    who: str

    @property
    def text(self) -> str:
        at = f" at {self.level.value}" if self.level else ""
        if self.what == "loses":
            return f"declared member {self.who} would lose access to {self.dataset}{at}"
        if self.what == "gap":
            return f"the read {self.who} would no longer be known"
        return f"{self.who} would newly reach {self.dataset}{at}"


class Judge:
    """Evaluates the original snapshot and changed copies with :mod:`seenby.api`, and compares them."""

    def __init__(self, snapshot: Snapshot, rules: Rules, *, today: object = None) -> None:
        self.snapshot = snapshot
        self.rules = rules
        self._today = today
        self._cache: dict[str, State] = {}
        self.evaluations = 0
        self.declared_ids: dict[tuple[str, AccessLevel], tuple[str, ...]] = {}
        self.baseline = self.state(())
        # the declared principals named one by one where a finding is: a person declared by name may reach
        # only through the very class (a domain, an organisation) a fix would remove
        for f in self.baseline.audit.findings:
            if f.level is not None:
                named = tuple(d for d in f.declared if not any(ch in d for ch in "*?["))
                self.declared_ids[(f.dataset.id, f.level)] = named
        self._cache.clear()
        del self.baseline
        self.baseline = self.state(())

    def state(self, changes: Sequence[Change]) -> State:
        """The state of the snapshot with ``changes`` applied (evaluated once per set of changed documents)."""
        final = {f"{c.resource}\x1f{c.read}": thaw_json(c.document_after) for c in changes}  # the last change wins
        key = json.dumps(final, sort_keys=True, default=str)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        changed = apply_changes(self.snapshot, changes) if changes else self.snapshot
        state = self.state_of(changed)
        self._cache[key] = state
        return state

    def state_of(self, changed: Snapshot) -> State:
        """The state of any snapshot (a copy the fixes changed), compared later against the baseline."""
        view = api.evaluate(changed)
        self.evaluations += 1
        result = view.audit(self.rules, today=self._today)  # type: ignore[arg-type]
        reports = {}
        members: dict[tuple[str, AccessLevel], dict[str, Member]] = {}
        signature = Signature.of(view.evaluation)
        base = getattr(self, "baseline", None)
        same = signature.unchanged(base.signature) if base is not None and base.signature is not None else frozenset()
        for dataset in sorted(view.datasets):
            if dataset in same and base is not None:  # only what the change can reach is asked again
                reports[dataset] = base.reports[dataset]
                for level in LEVELS:
                    if (dataset, level) in base.members:
                        members[(dataset, level)] = base.members[(dataset, level)]
                continue
            report = view.who_can_read(dataset, levels=LEVELS, rules=self.rules, expand_members=True)
            reports[dataset] = report
            for m in report.members:
                first = m.path[0] if m.path else None
                group = m.path[1].node if first is not None and first.via is Via.MEMBER_OF and len(m.path) > 1 else None
                members.setdefault((dataset, m.level), {})[m.principal.id] = Member(
                    declared=m.declared, conditional=m.conditional, group=group
                )
        gaps = frozenset((g.resource, g.read) for g in view.evaluation.gaps)
        access: dict[tuple[str, AccessLevel, str], Answer] = {}
        for (dataset, level), named in self.declared_ids.items():
            if base is not None and members.get((dataset, level)) == base.members.get((dataset, level)):
                continue  # nobody's access to it changed
            for pid in named:
                if base is not None:
                    was = base.access.get((dataset, level, pid))
                    if was is None or not was.allows:
                        continue  # it did not reach before: it cannot lose access
                answer = self._access(view, members.get((dataset, level), {}), pid, dataset, level)
                if answer is not None:
                    access[(dataset, level, pid)] = answer
        return State(
            audit=result, reports=reports, members=members, gaps=gaps, access=access, signature=signature
        )

    @staticmethod
    def _access(
        view: api.Evaluated, members: dict[str, Member], pid: str, dataset: str, level: AccessLevel
    ) -> Answer | None:
        """Whether the declared principal ``pid`` reaches ``dataset`` at ``level``: a member does; else ``why``
        (a person reaching as a member of a class is no member of its own).  None for a class or a stranger."""
        known = view.principals.get(pid)
        if known is None or known.kind.is_class:
            return None  # a declared class is a ceiling (anyone of the account may), not one member to keep
        member = members.get(pid)
        if member is not None:
            return Answer.CONDITIONAL if member.conditional else Answer.ALLOWED
        try:
            answer = view.why(pid, dataset, level=level, max_paths=1).answer
            if not answer.allows and level is not AccessLevel.ADMIN:
                # a declared admin may also read (docs/rules.md): admin access keeps that power
                admin = view.why(pid, dataset, level=AccessLevel.ADMIN, max_paths=1).answer
                answer = admin if admin.allows else answer
        except UsageError:
            return None  # not a principal of the snapshot: it reaches nothing either way
        return answer

    def problems(self, after: State) -> list[Problem]:
        """How ``after`` is worse than the baseline: members gained, declared members lost, reads unknown."""
        before = self.baseline
        out: list[Problem] = []
        for (dataset, level), now in sorted(after.members.items()):
            was = before.members.get((dataset, level), {})
            for pid, m in sorted(now.items()):
                old = was.get(pid)
                if old is None or (old.conditional and not m.conditional):
                    out.append(Problem(what="widens", dataset=dataset, level=level, who=pid))
        for (dataset, level), was in sorted(before.members.items()):
            now = after.members.get((dataset, level), {})
            for pid, m in sorted(was.items()):
                if not m.declared:
                    continue
                new = now.get(pid)
                if new is None or (new.conditional and not m.conditional):
                    out.append(Problem(what="loses", dataset=dataset, level=level, who=pid))
        for (dataset, level, pid), answer in sorted(after.access.items()):
            was = before.access.get((dataset, level, pid))
            if was is None or not was.allows:
                continue
            if not answer.allows or (was is Answer.ALLOWED and answer is not Answer.ALLOWED):
                out.append(Problem(what="loses", dataset=dataset, level=level, who=pid))
        for resource, read in sorted(after.gaps - before.gaps):
            out.append(Problem(what="gap", dataset=resource, level=None, who=f"{read} of {resource}"))
        return out

    def cleared(self, finding: Finding, after: State, principals: Sequence[str] | None = None) -> bool:
        """None of ``principals`` (default: the finding's excess) is still beyond the declaration."""
        wanted = set(principals) if principals is not None else {e.principal.id for e in finding.excess}
        return not (wanted & after.excess(finding.dataset.id, finding.level))
