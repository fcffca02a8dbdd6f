"""Declarations along flows (docs/flows.md): a copy inherits its source's declaration; a copy declared
for a broader audience than its source is a finding of its own (SB015 flow-leaves-audience).

The flow's reach itself needs nothing here: the graph's ``flows-to`` edges bring a copy's
readers into its source's audience, and the audit judges them there like any other path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from seenby.catalog import RuleId, rule
from seenby.config import OWNER, DatasetDeclaration, DeclaredAudience, Rules, owner_patterns, principal_matches
from seenby.findings import Finding, Severity
from seenby.model import AccessLevel, Dataset, Flow

__all__ = ["declaration_of", "declarations", "flow_findings"]


def _resolved(audience: DeclaredAudience, source: Dataset) -> DeclaredAudience:
    """``audience`` with ``aws-owner`` standing for the *source's* account: a copy in another account does
    not thereby widen to that account."""

    def level(patterns: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(q for p in patterns for q in (owner_patterns(source) if p == OWNER else (p,)))

    return DeclaredAudience(
        read=level(audience.read),
        write=level(audience.write),
        admin=level(audience.admin),
        list=None if audience.list is None else level(audience.list),
    )


def declarations(
    rules: Rules, datasets: Mapping[str, Dataset], flows: Iterable[Flow]
) -> dict[str, DatasetDeclaration | None]:
    """Every dataset's declaration: its own, else the one it inherits from the source it is copied from.

    A copy of a copy inherits along the chain.  A copy of several declared sources inherits from the
    first by source id (a documented simplification: see docs/flows.md).
    """
    own = rules.declarations_for(datasets.values())
    sources: dict[str, list[str]] = {}
    for f in flows:
        if f.source in datasets and f.destination in datasets:
            sources.setdefault(f.destination, []).append(f.source)
    out = dict(own)
    for _ in range(len(sources) + 1):  # bounded: each round settles at least one link of every chain
        changed = False
        for dest, srcs in sources.items():
            if own[dest] is not None or out[dest] is not None:
                continue
            for src in sorted(srcs):
                decl = out[src]
                if decl is not None:
                    out[dest] = replace(
                        decl,
                        audience=_resolved(decl.audience, datasets[src]),
                        where=f"{decl.where} (inherited from {src}, which flows into it)",
                    )
                    changed = True
                    break
        if not changed:
            break
    return out


def _lower(severity: Severity) -> Severity:
    """One step lower: metadata (names, sizes, requesters) is not the data itself."""
    order = list(Severity)
    return order[max(severity.rank - 1, 0)]


def _containers(pattern: str) -> tuple[str, ...]:
    """The classes a declared principal id lies in, as rules.yaml spells them: an IAM principal's account,
    a Google member's domain (the ids :func:`seenby.graph.audience.enclosing_classes` gives, from the id alone)."""
    if pattern.startswith("arn:aws:iam::") and pattern.count(":") >= 5:
        account = pattern.split(":")[4]
        return (f"arn:aws:iam::{account}:root",) if account else ()
    kind, _, member = pattern.partition(":")
    if kind in ("user", "group", "serviceAccount") and "@" in member:
        return (f"domain:{member.rsplit('@', 1)[1]}",)
    return ()


def declaration_of(
    rules: Rules, datasets: Mapping[str, Dataset], flows: Iterable[Flow], dataset: Dataset
) -> DatasetDeclaration | None:
    """``dataset``'s declaration as the audit uses it (:func:`declarations`), for one dataset: who-can-read and
    exposure judge a copy against what it inherits."""
    own = rules.declaration_for(dataset)
    if own is not None:
        return own
    chain = [f for f in flows if f.source in datasets and f.destination in datasets]
    if not any(f.destination == dataset.id for f in chain):
        return None
    return declarations(rules, datasets, chain).get(dataset.id)


def _broader(dest: tuple[str, ...], source: tuple[str, ...]) -> tuple[str, ...]:
    """The destination's declared patterns the source's declaration does not include (itself or a class
    that contains it)."""
    return tuple(p for p in dest if not any(principal_matches(source, q) for q in (p, *_containers(p))))


def flow_findings(
    rules: Rules,
    datasets: Mapping[str, Dataset],
    flows: Iterable[Flow],
    decls: Mapping[str, DatasetDeclaration | None],
    fingerprint: Callable[..., str],
) -> list[Finding]:
    """SB015 for each flow into a destination declared (in its own right) for more than its source, at the level
    of what flows (its data: ``read``; metadata: ``list``)."""
    if not rules.setting(RuleId.FLOW_LEAVES_AUDIENCE).enabled:
        return []
    meta = rule(RuleId.FLOW_LEAVES_AUDIENCE)
    setting = rules.setting(RuleId.FLOW_LEAVES_AUDIENCE)
    out: list[Finding] = []
    for f in flows:
        source, dest = datasets.get(f.source), datasets.get(f.destination)
        if source is None or dest is None:
            continue
        src_decl, own_dest = decls.get(f.source), rules.declaration_for(dest)
        if src_decl is None or own_dest is None:
            continue  # undeclared source: SB009 says so; undeclared copy: it inherits, the graph judges its readers
        level = f.carries.level
        allowed = src_decl.audience.for_level(level, source)
        extra = _broader(own_dest.audience.for_level(level, dest), allowed)
        if not extra:
            continue
        out.append(
            Finding(
                rule_id=meta.id,
                title=meta.title,
                severity=setting.severity or (meta.severity if level is AccessLevel.READ else _lower(meta.severity)),
                dataset=source,
                level=level,
                message=(
                    f"{f.summary} flows from {source.name} into {dest.name}, declared ({own_dest.where}) for "
                    f"{', '.join(extra)} beyond {source.name}'s declared {level.value} audience "
                    f"({', '.join(allowed) or 'nobody'})"
                ),
                fingerprint=fingerprint(meta.id.value, f.source, f.destination, f.kind.value),
                classification=src_decl.classification,
                declaration=src_decl.where,
                declared=allowed,
                remediation=meta.remediation,
            )
        )
    return out
