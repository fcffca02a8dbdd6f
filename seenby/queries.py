"""Incident-response queries over one snapshot: who can read a dataset, what a principal can read."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

from seenby.audit import Coverage, audience_people, count_people, people_through
from seenby.config import Rules
from seenby.errors import UsageError
from seenby.findings import (
    AudienceMember,
    AudienceReport,
    PathStep,
    PeopleCount,
    PrincipalAccessReport,
    ReachableDataset,
)
from seenby.flow_audit import declaration_of
from seenby.graph.audience import Reach, audience, audience_class, enclosing_classes
from seenby.graph.build import GraphEdgeKind, ReachGraph
from seenby.graph.paths import path_steps
from seenby.model import (
    AUDITED_LEVELS,
    AWS_AUTHENTICATED,
    AWS_PUBLIC,
    GCP_ALL_AUTHENTICATED,
    GCP_ALL_USERS,
    AccessLevel,
    CoverageGap,
    Dataset,
    Principal,
    PrincipalKind,
    Provider,
)
from seenby.registry import TypeName
from seenby.snapshot import Snapshot

__all__ = [
    "PrincipalAccessReport",
    "ReachableDataset",
    "account_ou_paths",
    "containing_classes",
    "find_dataset",
    "find_principal",
    "find_principal_in",
    "principal_and_classes",
    "what_can_read",
    "who_can_read",
]


def find_dataset(rg: ReachGraph, ref: str) -> Dataset:
    """A dataset by exact id, or by name when the name is unique; a clear error otherwise."""
    if ref in rg.datasets:
        return rg.datasets[ref]
    by_name = [d for d in rg.datasets.values() if d.name == ref or d.id.endswith(ref)]
    if len(by_name) == 1:
        return by_name[0]
    if not by_name:
        raise UsageError(f"no dataset {ref!r} in the snapshot (give its id, e.g. arn:aws:s3:::NAME or gs://NAME)")
    ids = ", ".join(sorted(d.id for d in by_name)[:5])
    raise UsageError(f"{ref!r} names several datasets ({ids}); give the full id")


def who_can_read(
    rg: ReachGraph,
    dataset_ref: str,
    *,
    levels: Iterable[AccessLevel] = (AccessLevel.READ,),
    rules: Rules | None = None,
    gaps: Iterable[CoverageGap] = (),
    collected_at: str = "",
    snapshot_source: str | None = None,
    expand_members: bool = False,
    collector: Mapping[str, Any] | None = None,
    scope: Mapping[str, Any] | None = None,
) -> AudienceReport:
    """The effective audience of a dataset, each member with its path, class and people count.

    People who reach the dataset only as members of a group in the audience are counted
    under that group; ``expand_members`` lists each of them as well.
    """
    dataset = find_dataset(rg, dataset_ref)
    decl = declaration_of(rules, rg.datasets, rg.flows, dataset) if rules else None  # a copy inherits (flows.md)
    coverage = Coverage(rg)
    members: list[AudienceMember] = []
    people: dict[AccessLevel, PeopleCount] = {}
    for level in levels:
        reaches = audience(rg, dataset.id, level)
        through = people_through(reaches)
        in_audience = {r.principal.id for r in reaches}
        shown: list[AudienceMember] = []
        for reach in reaches:
            p = reach.principal
            hop = reach.next_hop
            if not expand_members and hop in in_audience and rg.info(p.id, hop).kind is GraphEdgeKind.MEMBER_OF:
                continue
            shown.append(
                AudienceMember(
                    principal=p,
                    level=level,
                    audience_class=audience_class(p, dataset),
                    path=reach.path,
                    people=count_people(rg, (p,), through),
                    conditional=reach.conditional,
                    declared=coverage.covered(reach, decl.audience.for_level(level, dataset)) if decl else None,
                )
            )
        members += shown
        people[level] = audience_people(rg, reaches, ((m.principal, m.declared) for m in shown))
    members.sort(key=lambda m: (list(AccessLevel).index(m.level), m.audience_class.rank, m.conditional, m.principal.id))
    return AudienceReport(
        dataset=dataset,
        members=tuple(members),
        collected_at=collected_at,
        snapshot_source=snapshot_source,
        gaps=tuple(g for g in gaps if dataset.id in g.datasets),
        classification=decl.classification if decl else None,
        collector=dict(collector or {}),
        scope=dict(scope or {}),
        people=people,
    )


# ── what-can-read: a forward search from a principal ─────────────────────────────


_MEMBER_PREFIXES = {
    "user:": PrincipalKind.USER,
    "group:": PrincipalKind.GROUP,
    "serviceAccount:": PrincipalKind.SERVICE_ACCOUNT,
}


def find_principal(rg: ReachGraph, ref: str) -> Principal:
    """A principal by exact id, by unique name or id suffix (``role/analyst``), or an id it can be built from.

    A Google member (``user:bob@corp.example``) or an IAM ARN the graph does not hold is
    still answerable: it reaches whatever the classes that contain it reach.
    """
    return find_principal_in(rg.principals, ref)


def find_principal_in(principals: Mapping[str, Principal], ref: str) -> Principal:
    """:func:`find_principal` among ``principals`` (the graph's, or those of them ``ref`` may name)."""
    if ref in principals:
        return principals[ref]
    matches = [p for p in principals.values() if p.name == ref or p.id.endswith("/" + ref) or p.id.endswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        ids = ", ".join(sorted(p.id for p in matches)[:5])
        raise UsageError(f"{ref!r} names several principals ({ids}); give the full id")
    for prefix, kind in _MEMBER_PREFIXES.items():
        if ref.startswith(prefix) and "@" in ref:
            return Principal(id=ref, kind=kind, provider=Provider.GCP)
    arn = re.fullmatch(r"arn:aws[\w-]*:iam::(\d{12}):(user|role|group)/.+", ref)
    if arn:
        kinds = {"user": PrincipalKind.USER, "role": PrincipalKind.ROLE, "group": PrincipalKind.GROUP}
        return Principal(id=ref, kind=kinds[arn.group(2)], provider=Provider.AWS, account=arn.group(1))
    raise UsageError(
        f"no principal {ref!r} in the snapshot (give its id: an IAM ARN, user:x@domain, serviceAccount:…, a class id)"
    )


def account_ou_paths(snapshot: Snapshot) -> dict[str, str]:
    """AWS account id -> its OU path (``o-x/r-y/ou-z/``), from the organisation tree the snapshot holds."""
    out: dict[str, str] = {}
    for org in snapshot.of_type(TypeName.AWS_ORGANIZATION):
        tree = org.document("tree") or {}
        parents = {ou.get("Id"): ou.get("ParentId") for ou in tree.get("OrganizationalUnits", [])}
        for account, parent in (tree.get("AccountParents") or {}).items():
            chain = []
            node, seen = parent, set()
            while node and node not in seen:
                seen.add(node)
                chain.append(node)
                node = parents.get(node)
            out[str(account)] = f"{org.id}/" + "".join(f"{n}/" for n in reversed(chain))
    return out


def containing_classes(
    rg: ReachGraph, principal: Principal, *, account_orgs: dict[str, str], ou_paths: dict[str, str]
) -> list[Principal]:
    """The class principals (in the graph) that contain ``principal``, narrowest first.

    Its account, OUs, organisation or domain (:func:`seenby.graph.audience.enclosing_classes`),
    then any authenticated principal and the public of its provider.
    """
    return classes_in(rg.principals, principal, account_orgs=account_orgs, ou_paths=ou_paths)


def class_candidates(principal: Principal, *, account_orgs: dict[str, str]) -> list[str]:
    """The ids of the classes that may contain ``principal`` (OUs aside: every ``aws-ou:`` principal is one)."""
    ids = list(enclosing_classes(principal, account_orgs))
    account = principal.account or ""
    if principal.kind is PrincipalKind.ACCOUNT and account in account_orgs:
        ids.append(f"aws-org:{account_orgs[account]}")
    return [*ids, AWS_AUTHENTICATED.id, AWS_PUBLIC.id, GCP_ALL_AUTHENTICATED.id, GCP_ALL_USERS.id]


def classes_in(
    principals: Mapping[str, Principal], principal: Principal, *, account_orgs: dict[str, str], ou_paths: dict[str, str]
) -> list[Principal]:
    """:func:`containing_classes` among ``principals`` (the graph's, or at least the candidates of
    :func:`class_candidates` and every ``aws-ou:`` principal)."""
    ids = list(enclosing_classes(principal, account_orgs))
    account = principal.account or ""
    path = ou_paths.get(account)
    if path and principal.provider is Provider.AWS:
        ous = [n for n in principals if n.startswith("aws-ou:") and path.startswith(n[len("aws-ou:"):])]
        ids[1:1] = sorted(ous, key=len, reverse=True)
    if principal.kind is PrincipalKind.ACCOUNT and account in account_orgs:
        ids.append(f"aws-org:{account_orgs[account]}")
    if principal.provider is Provider.AWS:
        ids += [AWS_AUTHENTICATED.id, AWS_PUBLIC.id]
    elif principal.provider is Provider.GCP:
        ids += [GCP_ALL_AUTHENTICATED.id, GCP_ALL_USERS.id]
    out = []
    for pid in dict.fromkeys(ids):
        if pid != principal.id and pid in principals and principals[pid].kind.is_class:
            out.append(principals[pid])
    return out


def _forward(rg: ReachGraph, start: str, *, allow_conditional: bool) -> dict[object, object]:
    """Parent pointers from ``start`` to every node it reaches (breadth-first: shortest paths)."""
    g = rg.graph
    parent: dict[object, object] = {start: start}
    queue: deque[object] = deque([start])
    while queue:
        node = queue.popleft()
        for succ in g.successors(node):
            if succ in parent:
                continue
            if g.edges[node, succ]["info"].conditional and not allow_conditional:
                continue
            parent[succ] = node
            queue.append(succ)
    return parent


def _forward_path(rg: ReachGraph, parent: dict[object, object], target: object) -> tuple[PathStep, ...]:
    nodes = [target]
    while parent[nodes[-1]] != nodes[-1]:
        nodes.append(parent[nodes[-1]])
    nodes.reverse()
    return path_steps(rg, nodes)


def _reached(rg: ReachGraph, start: str, levels: tuple[AccessLevel, ...]) -> dict[tuple[str, AccessLevel], Reach]:
    """``(dataset, level) -> Reach`` from ``start``; unconditional paths preferred."""
    if start not in rg.graph:
        return {}
    sure = _forward(rg, start, allow_conditional=False)
    maybe = _forward(rg, start, allow_conditional=True)
    principal = rg.principals[start]
    out: dict[tuple[str, AccessLevel], Reach] = {}
    for node in maybe:
        if not isinstance(node, tuple) or node[1] not in levels or node[0] not in rg.datasets:
            continue
        if node in sure:
            out[node] = Reach(principal=principal, path=_forward_path(rg, sure, node), conditional=False)
        else:
            out[node] = Reach(principal=principal, path=_forward_path(rg, maybe, node), conditional=True)
    return out


def scope_account_orgs(account_orgs: Mapping[str, str], scope: Mapping[str, Any]) -> dict[str, str]:
    """``account_orgs`` with the accounts of ``scope`` placed in its ``aws_organization`` (when the
    snapshot has no organisation tree to place them)."""
    out = dict(account_orgs)
    scope_organization = scope.get("aws_organization")
    if scope_organization:
        for account in scope.get("aws_accounts") or ():
            out.setdefault(str(account), str(scope_organization))
    return out


def principal_and_classes(
    principals: Mapping[str, Principal],
    principal_ref: str,
    *,
    account_orgs: Mapping[str, str],
    scope: Mapping[str, Any],
    ou_paths: dict[str, str],
) -> tuple[Principal, list[Principal]]:
    """The principal ``principal_ref`` names and the classes that contain it, as :func:`what_can_read`
    starts its searches (``principals``: the graph's, or those :meth:`GraphIndex.principals_named` and
    :func:`class_candidates` look up)."""
    principal = find_principal_in(principals, principal_ref)
    orgs = scope_account_orgs(account_orgs, scope)
    return principal, classes_in(principals, principal, account_orgs=orgs, ou_paths=ou_paths)


def what_can_read(
    rg: ReachGraph,
    principal_ref: str,
    *,
    levels: Iterable[AccessLevel] = AUDITED_LEVELS,
    rules: Rules | None = None,
    gaps: Iterable[CoverageGap] = (),
    collected_at: str = "",
    snapshot_source: str | None = None,
    ou_paths: dict[str, str] | None = None,
    collector: Mapping[str, Any] | None = None,
    scope: Mapping[str, Any] | None = None,
) -> PrincipalAccessReport:
    """Every dataset ``principal_ref`` can reach at ``levels``: a forward search from it (through its
    groups, the roles it can assume, re-exposing views) and from every class that contains it.

    A dataset reached directly is shown with that path; one reached only through a class is
    marked ``through_class``.  ``scope`` (the snapshot's: its ``aws_organization`` and
    ``aws_accounts``) places accounts in their organisation when the snapshot has no organisation
    tree; it and ``collector`` are also carried into the report, for its provenance.
    """
    chosen = tuple(levels)
    scope = dict(scope or {})
    principal, classes = principal_and_classes(
        rg.principals, principal_ref, account_orgs=rg.account_orgs, scope=scope, ou_paths=ou_paths or {}
    )
    found: dict[tuple[str, AccessLevel], tuple[Reach, Principal | None]] = {
        key: (reach, None) for key, reach in _reached(rg, principal.id, chosen).items()
    }
    for klass in classes:
        for key, reach in _reached(rg, klass.id, chosen).items():
            current = found.get(key)
            if current is None or (current[0].conditional and not reach.conditional):
                found[key] = (reach, klass)
    coverage = Coverage(rg)
    entries = []
    for (dataset_id, level), (reach, klass) in found.items():
        dataset = rg.datasets[dataset_id]
        decl = rules.declaration_for(dataset) if rules else None
        subject = Reach(principal=principal, path=reach.path, conditional=reach.conditional)
        entries.append(
            ReachableDataset(
                dataset=dataset,
                level=level,
                path=reach.path,
                conditional=reach.conditional,
                through_class=klass,
                declared=coverage.covered(subject, decl.audience.for_level(level, dataset)) if decl else None,
                classification=decl.classification if decl else None,
            )
        )
    entries.sort(key=lambda e: (e.dataset.id, list(AccessLevel).index(e.level)))
    return PrincipalAccessReport(
        principal=principal,
        classes=tuple(classes),
        entries=tuple(entries),
        collected_at=collected_at,
        snapshot_source=snapshot_source,
        gaps=tuple(g for g in gaps if g.datasets),
        collector=dict(collector or {}),
        scope=scope,
    )
