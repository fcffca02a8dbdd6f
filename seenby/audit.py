"""The audit: effective audience minus declared audience, as findings.

For every dataset and audited level, the graph gives the effective audience; the
declaration in rules.yaml (or the resource's ``seenby:audience`` tag) gives who may.
Whoever reaches the dataset without being covered by the declaration is excess.
A principal is covered when it, a group it belongs to (transitively), or a class
that contains it (its account, its organisation, its domain) is declared.
Reaching a declared *role* does not cover whoever can assume it: that is exactly
how an organisation-wide trust policy exposes data.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime

from seenby.catalog import RuleId, rule
from seenby.config import DeclaredAudience, Rules, UndeclaredAction, principal_matches
from seenby.findings import AudienceClass, AuditResult, ExcessEntry, Finding, PeopleCount, Severity, Via, Waiver
from seenby.flow_audit import declarations, flow_findings
from seenby.gcpolicy import bulk_work
from seenby.graph.audience import AudienceSearch, Reach, audience_class, enclosing_classes
from seenby.graph.build import GraphEdgeKind, ReachGraph, build_graph
from seenby.graph.organisation import OrganisationMembers
from seenby.model import (
    AccessLevel,
    CoverageGap,
    Dataset,
    DatasetKind,
    Evaluation,
    Principal,
    PrincipalKind,
    Provider,
)
from seenby.policies import evaluate
from seenby.snapshot import Snapshot

__all__ = [
    "Coverage",
    "audience_people",
    "audit",
    "audit_evaluation",
    "count_people",
    "excess_entries",
    "people_through",
]

AUDIT_LEVELS = (AccessLevel.READ, AccessLevel.WRITE, AccessLevel.ADMIN, AccessLevel.LIST)

_CLASS_RULES = {
    AudienceClass.PUBLIC: RuleId.PUBLIC,
    AudienceClass.ANY_AUTHENTICATED: RuleId.ANY_AUTHENTICATED,
    AudienceClass.ORGANIZATION: RuleId.ORGANIZATION,
    AudienceClass.NETWORK: RuleId.NETWORK,
    AudienceClass.OTHER_ACCOUNT: RuleId.OTHER_ACCOUNT,
    AudienceClass.SPECIFIC: RuleId.SPECIFIC,
}
_LEVEL_RULES = {AccessLevel.WRITE: RuleId.WRITE, AccessLevel.ADMIN: RuleId.ADMIN}
_SEVERITIES = list(Severity)


def fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


class Coverage:
    """Decides whether a principal is covered by a declared audience.

    A principal is covered when it, or a group it is a (transitive) member of, matches the
    declaration.  The groups above each principal and each (declaration, principal) match
    are computed once and cached, so the cost follows the audiences audited, not every
    principal of the snapshot for every declaration.
    """

    def __init__(self, rg: ReachGraph) -> None:
        self.rg = rg
        self._organisations: OrganisationMembers | None = None
        self._above: dict[str, tuple[str, ...]] = {}
        # graph principal id → its memberships, then the classes that contain it: what a declaration may name
        self._names: dict[str, tuple[str, ...]] = {}
        self._up: dict[str, tuple[str, ...]] = {}
        # per declared pattern tuple: id → matches a pattern; graph principal id → covered
        self._match: dict[tuple[str, ...], dict[str, bool]] = {}
        self._verdict: dict[tuple[str, ...], dict[str, bool]] = {}

    def _memberships(self, pid: str) -> tuple[str, ...]:
        """``pid`` and every principal it reaches through member-of edges only."""
        cached = self._above.get(pid)
        if cached is not None:
            return cached
        up = self._member_of(pid)
        if not any(self._member_of(group) for group in up):
            # the common case, a member of groups that belong to none: no search (the order never matters)
            result = self._above[pid] = tuple(n for n in {pid, *up} if n in self.rg.principals)
            return result
        seen = {pid}
        queue = deque([pid])
        while queue:
            for succ in self._member_of(queue.popleft()):
                if succ not in seen:
                    seen.add(succ)
                    queue.append(succ)
        result = tuple(n for n in seen if n in self.rg.principals)
        self._above[pid] = result
        return result

    def _names_of(self, p: Principal) -> tuple[str, ...]:
        """What covers graph principal ``p`` when a declaration names it: its memberships, then its classes."""
        names = self._names.get(p.id)
        if names is None:
            names = self._names[p.id] = (*self._memberships(p.id), *enclosing_classes(p, self.rg.account_orgs))
        return names

    def organisations_covered(self, dataset_id: str, level: AccessLevel) -> tuple[frozenset[str], frozenset[str]]:
        """The AWS organisations the whole audience of ``dataset_id`` at ``level`` covers
        (:mod:`seenby.graph.organisation`): (by unconditional paths, by any path)."""
        if self._organisations is None:
            self._organisations = OrganisationMembers.of(self.rg)
        return self._organisations.covering(self.rg, dataset_id, level)

    def _member_of(self, node: str) -> tuple[str, ...]:
        """The principals ``node`` has a member-of edge to, read from its successors once.

        A group's successors also hold every dataset it reaches: filtering them once per node,
        not again for each member whose memberships pass through it, keeps this linear.
        """
        up = self._up.get(node)
        if up is None:
            member_of = GraphEdgeKind.MEMBER_OF
            up = self._up[node] = tuple(
                succ
                for succ, data in self.rg.successors[node].items()
                if not isinstance(succ, tuple) and data["info"].kind is member_of
            )
        return up

    def covered(self, reach: Reach, declared: tuple[str, ...]) -> bool:
        return self.covers(reach.principal, declared)

    def covers(self, p: Principal, declared: tuple[str, ...]) -> bool:
        """``p`` (a principal of the graph) is covered by the ``declared`` patterns."""
        return self.covered_by(declared)(p)

    def covered_by(self, declared: tuple[str, ...]) -> Callable[[Principal], bool]:
        """The test "covered by ``declared``", its caches looked up once (an audit asks it per audience member)."""
        verdicts = self._verdict.setdefault(declared, {})
        matched = self._match.setdefault(declared, {})
        principals = self.rg.principals
        account_orgs = self.rg.account_orgs

        def matches(pid: str) -> bool:
            hit = matched.get(pid)
            if hit is None:
                hit = matched[pid] = principal_matches(declared, pid)
            return hit

        def covered(p: Principal) -> bool:
            # the graph holds one principal per id, so the id alone keys the verdict of a graph principal
            hit = verdicts.get(p.id)
            if hit is None:
                if principals.get(p.id) is p:
                    hit = verdicts[p.id] = any(matches(n) for n in self._names_of(p))
                else:
                    hit = (p.id in principals and any(matches(n) for n in self._memberships(p.id))) or any(
                        matches(c) for c in enclosing_classes(p, account_orgs)
                    )
            return hit

        return covered


def people_through(reaches: Iterable[Reach]) -> dict[str, set[str]]:
    """For each node on a path, the people (user principals) whose path passes through it (a person's
    own node included)."""
    through: dict[str, set[str]] = defaultdict(set)
    for r in reaches:
        if r.principal.kind.is_person:
            for step in r.path[:-1]:
                through[step.node].add(r.principal.id)
    return through


def _people_behind(
    rg: ReachGraph, principals: Iterable[Principal], through: Mapping[str, set[str]]
) -> tuple[set[str], int, bool]:
    """The people behind ``principals``: (those known by id, those of classes known only by a count, known)."""
    people: set[str] = set()
    counted_only = 0
    known = False
    for p in principals:
        if p.kind.is_class:
            if p.id in rg.class_members:
                people |= rg.class_members[p.id]
                known = True
            elif p.id in rg.class_people:
                counted_only += rg.class_people[p.id]
                known = True
        elif through.get(p.id):
            people |= through[p.id]
            known = True
    return people, counted_only, known


def count_people(rg: ReachGraph, principals: Iterable[Principal], through: Mapping[str, set[str]]) -> int | None:
    """Distinct people behind ``principals`` (audience members reached through ``through``, from
    :func:`people_through`): the same person reached two ways counts once.

    The one people count of seenby: findings, who-can-read, exposure and diff all use it.
    A class whose members the directory names joins the union; a class known only by its
    count adds that count (it may overlap, so the figure is an upper bound then).
    """
    people, counted_only, known = _people_behind(rg, principals, through)
    return len(people) + counted_only if known else None


def audience_people(
    rg: ReachGraph,
    reaches: Iterable[Reach],
    members: Iterable[tuple[Principal, bool | None]],
) -> PeopleCount:
    """The people of one audience: everyone, beyond the declaration, and declared apart from excess.

    ``reaches`` is the whole audience at one level (every principal reaching, persons in groups
    included); ``members`` are the principals shown for it, each with ``declared`` (True,
    False, or None without rules).
    """
    through = people_through(reaches)
    shown = list(members)
    everyone, counted, known = _people_behind(rg, (p for p, _ in shown), through)
    if not known:
        return PeopleCount(total=None)
    total = len(everyone) + counted
    if all(d is None for _, d in shown):
        return PeopleCount(total=total, upper_bound=counted > 0)
    out, out_counted, out_known = _people_behind(rg, (p for p, d in shown if d is False), through)
    inside, in_counted, in_known = _people_behind(rg, (p for p, d in shown if d is True), through)
    any_out = any(d is False for _, d in shown)
    any_in = any(d is True for _, d in shown)
    return PeopleCount(
        total=total,
        excess=len(out) + out_counted if out_known else (None if any_out else 0),
        declared=len(inside - out) + in_counted if in_known else (None if any_in else 0),
        upper_bound=counted > 0,
    )


def excess_entries(rg: ReachGraph, dataset: Dataset, excess: list[Reach]) -> list[ExcessEntry]:
    """Collapse members reached through an excess group into that group, counting people."""
    excess_ids = {r.principal.id for r in excess}
    # Evidence that opens a broad class (the org-wide statement): principals let in by that very statement, on the
    # same way on to the dataset, are part of the class, not entries of their own.  Only a principal inside the
    # class is: an outsider let in through a role the class reaches (another account assuming one of its roles)
    # stays an entry of its own.
    class_openers: dict[tuple[object, tuple[str, ...]], list[Reach]] = defaultdict(list)
    for r in excess:
        if r.principal.kind.is_class:
            class_openers[(r.path[0].evidence, tuple(s.node for s in r.path[1:]))].append(r)
    shown: list[Reach] = []
    for r in excess:
        hop = r.next_hop
        if hop in excess_ids and rg.info(r.principal.id, hop).kind is GraphEdgeKind.MEMBER_OF:
            continue
        if _opened_by_a_class(r, class_openers, rg):
            continue
        shown.append(r)
    through_excess = people_through(excess)
    entries = []
    for r in shown:
        pid = r.principal.id
        people: int | None = len(through_excess[pid]) or None
        if r.principal.kind.is_class:
            known = rg.class_people.get(pid)
            people = known if known is not None else None
        entries.append(
            ExcessEntry(
                principal=r.principal,
                audience_class=audience_class(r.principal, dataset),
                path=r.path,
                people=people,
                conditional=r.conditional,
            )
        )
    return entries


def _opened_by_a_class(r: Reach, openers: Mapping[tuple[object, tuple[str, ...]], list[Reach]], rg: ReachGraph) -> bool:
    """``r`` passes, on the rest of its way, the very edge (same evidence) that opens an excess class's way on
    to the dataset, and its principal is one of that class's: a principal let in by that edge itself (it met the
    statement as the class's members do), or any principal inside the class (a narrower class, or one reaching the
    edge through others).  A sure reach is never folded into a conditional class."""
    if not openers:
        return False
    nodes = tuple(s.node for s in r.path)
    for i, step in enumerate(r.path[:-1]):
        for cls in openers.get((step.evidence, nodes[i + 1 :]), ()):
            if cls.principal is r.principal or (cls.conditional and not r.conditional):
                continue
            first = i == 0 and not r.principal.kind.is_class and not _outside(r.principal, cls.principal, rg)
            if first or _within(r.principal, cls.principal, rg):
                return True
    return False


def _outside(p: Principal, cls: Principal, rg: ReachGraph) -> bool:
    """``p`` is known not to be one of the principals of account or organisation class ``cls``: a principal of
    another account let in by the same statement (a ``"*"`` narrowed to an organisation lets in the resource's
    own account and, from the other accounts, those their own IAM allows) is an entry of its own."""
    if p.provider is not Provider.AWS or not p.account or cls.provider is not Provider.AWS:
        return False
    if cls.kind is PrincipalKind.ACCOUNT:
        return cls.account is not None and p.account != cls.account
    if cls.kind is PrincipalKind.ORGANIZATION:
        org = rg.account_orgs.get(p.account)
        return org is not None and f"aws-org:{org}" != cls.id
    return False


def _within(p: Principal, cls: Principal, rg: ReachGraph) -> bool:
    """``p`` is one of the principals class ``cls`` stands for."""
    if cls.kind is PrincipalKind.PUBLIC:
        return True
    if cls.kind is PrincipalKind.ANY_AUTHENTICATED:
        return p.kind is not PrincipalKind.PUBLIC and p.provider is cls.provider
    return cls.id in enclosing_classes(p, rg.account_orgs)


_NARROWER = (AudienceClass.SPECIFIC, AudienceClass.OTHER_ACCOUNT)


def _rated_by_organisation(
    rg: ReachGraph, coverage: Coverage, dataset: Dataset, level: AccessLevel, entries: list[ExcessEntry]
) -> tuple[list[ExcessEntry], frozenset[str]]:
    """``entries``, those of an AWS organisation the whole audience covers (:mod:`seenby.graph.organisation`)
    rated organisation-wide, and the organisations so rated.  A conditional entry is rated by what any path
    covers, an unconditional one by unconditional paths alone."""
    orgs_of = {e.principal.id: rg.account_orgs.get(e.principal.account or "") for e in entries}
    present = {e.principal.id for e in entries}
    candidates = {
        org for e in entries if (org := orgs_of[e.principal.id]) and e.audience_class in _NARROWER
        and f"aws-org:{org}" not in present
    }  # fmt: skip
    if not candidates:
        return entries, frozenset()
    sure, maybe = coverage.organisations_covered(dataset.id, level)
    out, rated = [], set()
    for e in entries:
        org = orgs_of[e.principal.id]
        if org in candidates and e.audience_class in _NARROWER and org in (maybe if e.conditional else sure):
            e = replace(e, audience_class=AudienceClass.ORGANIZATION)
            rated.add(org)
        out.append(e)
    return out, frozenset(rated)


def _rule_for(entry: ExcessEntry, level: AccessLevel) -> RuleId:
    if entry.conditional:
        return RuleId.CONDITIONAL
    return _audience_rule(entry, level)


def _audience_rule(entry: ExcessEntry, level: AccessLevel) -> RuleId:
    """The rule of ``entry``'s audience, whether or not a condition stands in its way."""
    if level in _LEVEL_RULES:
        return _LEVEL_RULES[level]
    if any(step.via is Via.RE_EXPOSES for step in entry.path):
        return RuleId.REEXPOSURE
    return _CLASS_RULES[entry.audience_class]


def _severity(rules: Rules, rule_id: RuleId, level: AccessLevel | None, entries: Iterable[ExcessEntry]) -> Severity:
    setting = rules.setting(rule_id)
    if setting.severity is not None:
        return setting.severity
    sev = rule(rule_id).severity
    if rule_id is RuleId.CONDITIONAL and level is not None:
        # severity follows the audience, not the certainty: a condition seenby cannot decide never makes a
        # finding less severe than the audience it would open
        for e in entries:
            audience_sev = _severity(rules, _audience_rule(e, level), level, (e,))
            if audience_sev.rank > sev.rank:
                sev = audience_sev
        return sev
    broad = {AudienceClass.PUBLIC, AudienceClass.ANY_AUTHENTICATED}
    if rule_id in (RuleId.WRITE, RuleId.ADMIN) and any(e.audience_class in broad for e in entries):
        sev = Severity.CRITICAL
    if level is AccessLevel.LIST and sev is not Severity.INFO:
        # Listing exposes names and metadata, not the data itself: one step lower.
        sev = _SEVERITIES[sev.rank - 1]
    return sev


def _together(rg: ReachGraph, entries: list[ExcessEntry], whole_orgs: frozenset[str]) -> str:
    """What entries rated organisation-wide by coverage add up to, for the finding's message."""
    orgs = {
        org
        for e in entries
        if e.audience_class is AudienceClass.ORGANIZATION
        and (org := rg.account_orgs.get(e.principal.account or "")) in whole_orgs
    }
    return "".join(f", together every principal of organisation {org}" for org in sorted(orgs))


def _describe(entries: list[ExcessEntry]) -> str:
    parts = []
    for e in sorted(entries, key=lambda e: (e.audience_class.rank, e.principal.id))[:4]:
        people = f" ({e.people:,} people)" if e.people else ""
        parts.append(f"{e.principal.label}{people}")
    more = f" and {len(entries) - 4} more" if len(entries) > 4 else ""
    return ", ".join(parts) + more


def _level_findings(
    rules: Rules,
    rg: ReachGraph,
    coverage: Coverage,
    search: AudienceSearch,
    dataset: Dataset,
    level: AccessLevel,
    declared: DeclaredAudience,
    classification: str | None,
    where: str | None,
    only_broad: bool = False,
    reported: frozenset[str] = frozenset(),
) -> tuple[list[Finding], frozenset[str]]:
    """Findings of one dataset at one level, and the ids of every excess principal.

    ``reported`` are principals already found excess at a stronger level (whoever reads
    the data beyond the declaration is not reported again for listing it).
    """
    allowed = declared.for_level(level, dataset)
    covered = coverage.covered_by(allowed)
    # datasets reached the same way and declared alike share one search (AudienceSearch)
    everyone = search.audience(dataset.id, level, keep=lambda p: not covered(p), key=allowed)
    excess = [r for r in everyone if r.principal.id not in reported]
    excess_ids = frozenset(r.principal.id for r in everyone)
    if not excess:
        return [], excess_ids
    by_rule: dict[RuleId, list[ExcessEntry]] = defaultdict(list)
    through = people_through(excess)
    entries, whole_orgs = _rated_by_organisation(rg, coverage, dataset, level, excess_entries(rg, dataset, excess))
    for entry in entries:
        if only_broad and entry.audience_class is AudienceClass.SPECIFIC:
            continue
        by_rule[_rule_for(entry, level)].append(entry)
    findings = []
    for rule_id, entries in sorted(by_rule.items()):
        if not rules.setting(rule_id).enabled:
            continue
        meta = rule(rule_id)
        entries.sort(key=lambda e: (e.audience_class.rank, not e.principal.kind.is_class, e.principal.id))
        people = count_people(rg, (e.principal for e in entries), through)
        declared_text = ", ".join(allowed) if allowed else "nobody"
        findings.append(
            Finding(
                rule_id=rule_id,
                title=meta.title,
                severity=_severity(rules, rule_id, level, entries),
                dataset=dataset,
                level=level,
                message=(
                    f"{dataset.name} can be {_VERB[level]} by {_describe(entries)}"
                    f"{_together(rg, entries, whole_orgs)}, "
                    f"beyond its declared {level.value} audience ({declared_text})"
                ),
                fingerprint=fingerprint(
                    rule_id.value, dataset.id, level.value, *sorted(e.principal.id for e in entries)
                ),
                excess=tuple(entries),
                people=people,
                classification=classification,
                declaration=where,
                declared=allowed,
                remediation=meta.remediation,
            )
        )
    return findings, excess_ids


_VERB = {
    AccessLevel.READ: "read",
    AccessLevel.WRITE: "written",
    AccessLevel.ADMIN: "re-permissioned (policy, ACL or bindings changed)",
    AccessLevel.LIST: "listed",
}


def _gap_findings(rules: Rules, evaluation: Evaluation) -> list[Finding]:
    """One coverage-gap finding per failed read, listing every dataset it affects (issue 15.6).

    The finding is filed under the dataset the read belongs to, or else the first affected
    dataset (by id); its message names them all (the first few and a count).  The fingerprint
    depends on the read only (resource and read name), so it stays stable as datasets come and
    go; for a dataset's own read it is the one a per-dataset finding had.  ``AuditResult.gaps``
    (``coverage_gaps`` in JSON) keeps every gap with its complete dataset list.
    """
    out: list[Finding] = []
    if not rules.setting(RuleId.COVERAGE_GAP).enabled:
        return out
    meta = rule(RuleId.COVERAGE_GAP)
    for gap in sorted(evaluation.gaps, key=lambda g: (g.resource, g.read)):
        affected = [evaluation.datasets[d] for d in sorted(set(gap.datasets)) if d in evaluation.datasets]
        if not affected:
            continue
        own = evaluation.datasets.get(gap.resource)
        dataset = own if own is not None else affected[0]
        out.append(
            Finding(
                rule_id=RuleId.COVERAGE_GAP,
                title=meta.title,
                severity=_severity(rules, RuleId.COVERAGE_GAP, None, ()),
                dataset=dataset,
                level=None,
                message=_gap_message(gap, dataset, affected),
                fingerprint=fingerprint(RuleId.COVERAGE_GAP.value, gap.resource, gap.resource, gap.read),
                gap=gap,
                remediation=meta.remediation,
            )
        )
    return out


_GAP_NAMES_SHOWN = 5


def _gap_message(gap: CoverageGap, dataset: Dataset, affected: list[Dataset]) -> str:
    code = f" ({gap.error_code})" if gap.error_code else ""
    what = "its" if gap.resource == dataset.id else f"{gap.resource}'s"
    head = f"{gap.api} for {what} {gap.read.replace('_', ' ')} was {gap.outcome.value}{code}: "
    if len(affected) == 1:
        return head + f"the audience of {affected[0].name} may be broader than shown"
    names = ", ".join(d.name for d in affected[:_GAP_NAMES_SHOWN])
    more = f" and {len(affected) - _GAP_NAMES_SHOWN} more" if len(affected) > _GAP_NAMES_SHOWN else ""
    return head + f"the audiences of {len(affected)} datasets may be broader than shown: {names}{more}"


def _apply_waivers(findings: list[Finding], waivers: tuple[Waiver, ...], rules: Rules, today: date) -> list[Finding]:
    out: list[Finding] = []
    for f in findings:
        for w in waivers:
            if w.rule != f.rule_id or not fnmatch.fnmatchcase(f.dataset.id, w.dataset):
                continue
            if w.expired(today):
                if rules.setting(RuleId.EXPIRED_WAIVER).enabled:
                    out.append(
                        Finding(
                            rule_id=RuleId.EXPIRED_WAIVER,
                            title=rule(RuleId.EXPIRED_WAIVER).title,
                            severity=_severity(rules, RuleId.EXPIRED_WAIVER, None, ()),
                            dataset=f.dataset,
                            level=f.level,
                            message=f"the waiver at {w.where} (owner {w.owner}) for {f.rule_id} expired on {w.expires}",
                            fingerprint=fingerprint(RuleId.EXPIRED_WAIVER.value, f.fingerprint, w.where),
                            remediation=rule(RuleId.EXPIRED_WAIVER).remediation,
                            declaration=w.where,
                        )
                    )
                continue
            if w.principal is None:
                f = replace(f, waiver=w)
                break
            remaining = tuple(e for e in f.excess if not fnmatch.fnmatchcase(e.principal.id, w.principal))
            if not remaining:
                f = replace(f, waiver=w)
                break
            f = replace(f, excess=remaining)
        out.append(f)
    return out


# what a dataset pattern names, by its prefix (for the finding about a pattern that matches nothing)
_PATTERN_KINDS = (
    ("arn:aws:s3:::", Provider.AWS, DatasetKind.S3_BUCKET),
    ("arn:aws:dynamodb:", Provider.AWS, DatasetKind.DYNAMODB_TABLE),
    ("arn:aws:glue:", Provider.AWS, DatasetKind.GLUE_TABLE),
    ("arn:aws:quicksight:", Provider.AWS, DatasetKind.DASHBOARD),
    ("gs://", Provider.GCP, DatasetKind.GCS_BUCKET),
    ("bigquery://", Provider.GCP, DatasetKind.BIGQUERY_DATASET),
)


def _unmatched_findings(rules: Rules, datasets: Iterable[Dataset]) -> list[Finding]:
    """An ``info`` finding for each dataset pattern of rules.yaml that matches no dataset of the snapshot."""
    if not rules.setting(RuleId.DECLARATION_MATCHES_NOTHING).enabled:
        return []
    meta = rule(RuleId.DECLARATION_MATCHES_NOTHING)
    known = list(datasets)
    out = []
    for decl in rules.datasets:
        for pattern in decl.match.ids:
            one = replace(decl.match, ids=(pattern,))
            if any(one.matches(d) for d in known):
                continue
            provider, kind = next(
                ((p, k) for prefix, p, k in _PATTERN_KINDS if pattern.startswith(prefix)),
                (decl.match.provider or Provider.AWS, decl.match.kind or DatasetKind.S3_BUCKET),
            )
            malformed = pattern.startswith("arn:") and len(pattern.split(":", 5)) < 6
            why = (
                " (not a well-formed ARN: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)"
                if malformed
                else ": the snapshot lacks it, or the pattern is mistyped"
            )
            out.append(
                Finding(
                    rule_id=meta.id,
                    title=meta.title,
                    severity=_severity(rules, RuleId.DECLARATION_MATCHES_NOTHING, None, ()),
                    dataset=Dataset(id=pattern, kind=kind, provider=provider, name=pattern),
                    level=None,
                    message=f"{decl.where} ({decl.label}) declares {pattern!r}, which matches no dataset{why}",
                    fingerprint=fingerprint(meta.id.value, decl.where, pattern),
                    classification=decl.classification,
                    declaration=decl.where,
                    remediation=meta.remediation,
                )
            )
    return out


@bulk_work
def audit_evaluation(
    evaluation: Evaluation,
    rules: Rules,
    *,
    snapshot: Snapshot,
    today: date | None = None,
    graph: ReachGraph | None = None,
    whole_scan: bool = False,
) -> AuditResult:
    """Findings of ``evaluation`` against ``rules``; ``graph`` is its graph when already built.

    ``whole_scan``: the snapshot is a scan meant to hold every declared dataset (``seenby
    audit``, ``scan --audit``, the demo), so a declaration that matches none of its datasets
    is an ``info`` finding (SB013).  A Terraform plan touches a few datasets: the gate leaves
    it off.
    """
    rg = graph if graph is not None else build_graph(evaluation)
    coverage = Coverage(rg)
    search = AudienceSearch(rg)
    findings: list[Finding] = []
    decls = declarations(rules, evaluation.datasets, evaluation.flows)  # a copy inherits its source's (docs/flows.md)
    for dataset in sorted(evaluation.datasets.values(), key=lambda d: d.id):
        decl = decls[dataset.id]
        if decl is None:
            if rules.undeclared_action is UndeclaredAction.IGNORE:
                continue
            if rules.undeclared_action is UndeclaredAction.REPORT and rules.setting(RuleId.UNDECLARED).enabled:
                meta = rule(RuleId.UNDECLARED)
                findings.append(
                    Finding(
                        rule_id=RuleId.UNDECLARED,
                        title=meta.title,
                        severity=_severity(rules, RuleId.UNDECLARED, None, ()),
                        dataset=dataset,
                        level=None,
                        message=f"no entry in {rules.source} declares who may read {dataset.id}",
                        fingerprint=fingerprint(RuleId.UNDECLARED.value, dataset.id),
                        remediation=meta.remediation,
                    )
                )
            # Nobody declared an undeclared dataset public, cross-account or organisation-wide:
            # those classes are still findings; specific principals are not judged (action: report).
            only_broad = rules.undeclared_action is UndeclaredAction.REPORT
            declared, classification, where = rules.undeclared_audience, None, f"{rules.source} (undeclared.audience)"
        else:
            only_broad = False
            declared, classification, where = decl.audience, decl.classification, decl.where
        readers: frozenset[str] = frozenset()
        for level in AUDIT_LEVELS:
            found, excess_ids = _level_findings(
                rules,
                rg,
                coverage,
                search,
                dataset,
                level,
                declared,
                classification,
                where,
                only_broad,
                reported=readers if level is AccessLevel.LIST else frozenset(),
            )
            findings.extend(found)
            if level is AccessLevel.READ:
                readers = excess_ids
    findings.extend(_gap_findings(rules, evaluation))
    findings.extend(flow_findings(rules, evaluation.datasets, evaluation.flows, decls, fingerprint))
    if whole_scan:
        findings.extend(_unmatched_findings(rules, evaluation.datasets.values()))
    findings = _apply_waivers(findings, rules.waivers, rules, today or datetime.now(UTC).date())
    findings.sort(key=lambda f: (-f.severity.rank, f.rule_id, f.dataset.id, f.level.value if f.level else ""))
    return AuditResult(
        findings=tuple(findings),
        datasets=tuple(sorted(evaluation.datasets.values(), key=lambda d: d.id)),
        gaps=tuple(evaluation.gaps),
        snapshot_source=snapshot.source,
        collected_at=snapshot.collected_at,
        collector=dict(snapshot.collector),
        scope=dict(snapshot.scope),
        rules_file=rules.source,
    )


def audit(snapshot: Snapshot, rules: Rules, *, today: date | None = None, whole_scan: bool = False) -> AuditResult:
    """Evaluate ``snapshot`` and audit it against ``rules`` (``whole_scan``: see :func:`audit_evaluation`)."""
    return audit_evaluation(evaluate(snapshot), rules, snapshot=snapshot, today=today, whole_scan=whole_scan)
