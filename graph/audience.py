"""Effective audiences: who reaches a dataset at a level, each with its shortest explaining path.

One reverse breadth-first search per (dataset, level) over all edges; when a
condition opened the way to someone, a second one over unconditional edges only,
so a member reached only through a condition is marked conditional and shown with
that condition.
Cost: linear in the part of the graph upstream of the dataset.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass

from seenby.findings import AudienceClass, PathStep, Via
from seenby.graph.build import ReachGraph
from seenby.graph.paths import path_steps
from seenby.model import (
    GCP_ACCESS_LEVELS_JOINED,
    AccessLevel,
    Dataset,
    Principal,
    PrincipalKind,
    Provider,
    network_parts,
)

__all__ = ["AudienceSearch", "Reach", "audience", "audience_class", "enclosing_classes", "reached"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Reach:
    """One principal in a dataset's effective audience."""

    principal: Principal
    path: tuple[PathStep, ...]
    conditional: bool

    @property
    def via_reexposure(self) -> str | None:
        """The dataset that re-exposes this one on the path, if any."""
        for step in self.path:
            if step.via is Via.RE_EXPOSES:
                return step.node
        return None

    @property
    def next_hop(self) -> str | None:
        return self.path[1].node if len(self.path) > 2 else None


# One predecessor as a search reads it: (node, the edge from it is conditional).
_Pred = tuple[object, bool]


class _Predecessors(dict[object, tuple[_Pred, ...]]):
    """Each node's predecessors as :func:`_search` reads them, taken from the graph when first asked."""

    def __init__(self, rg: ReachGraph) -> None:
        super().__init__()
        self._graph_preds = rg.predecessors

    def __missing__(self, node: object) -> tuple[_Pred, ...]:
        found = self[node] = _preds_of(self._graph_preds[node])
        return found


def _preds_of(preds: Mapping[object, Mapping[str, object]]) -> tuple[_Pred, ...]:
    return tuple([(pred, bool(data["info"].conditions)) for pred, data in preds.items()])  # type: ignore[attr-defined]


def _search(
    preds: Mapping[object, tuple[_Pred, ...]], root: object, first: tuple[_Pred, ...], *, allow_conditional: bool
) -> tuple[dict[object, object], bool]:
    """Parent pointers toward ``root`` for every node that reaches it through ``first`` (``root``'s
    predecessors), breadth first; ``root`` itself excluded.

    Also says whether a conditional edge opened the way to some node.  When none did, the
    search over unconditional edges alone would visit the same nodes in the same order and
    set the same parents, so the caller need not run it.
    """
    parent: dict[object, object] = {root: root}
    used_conditional = False
    queue: deque[object] = deque()
    todo, node = first, root
    while True:
        for pred, conditional in todo:
            if pred in parent:
                continue
            if conditional:
                if not allow_conditional:
                    continue
                used_conditional = True
            parent[pred] = node
            queue.append(pred)
        if not queue:
            del parent[root]
            return parent, used_conditional
        node = queue.popleft()
        todo = preds[node]


def _bfs(rg: ReachGraph, target: object, *, allow_conditional: bool) -> tuple[dict[object, object], bool]:
    """:func:`_search` toward ``target`` in ``rg``."""
    preds = _Predecessors(rg)
    return _search(preds, target, preds[target], allow_conditional=allow_conditional)


def _path(rg: ReachGraph, start: object, parent: dict[object, object], target: object) -> tuple[PathStep, ...]:
    nodes = [start]
    while nodes[-1] != target:
        nodes.append(parent[nodes[-1]])
    return path_steps(rg, nodes)


def audience(
    rg: ReachGraph, dataset_id: str, level: AccessLevel, *, keep: Callable[[Principal], bool] | None = None
) -> list[Reach]:
    """Every principal that reaches ``dataset_id`` at ``level``, unconditional paths preferred.

    ``keep``: only principals it accepts are returned (their paths are the only ones built;
    the audit keeps those its declaration does not cover).
    """
    target = (dataset_id, level)
    if target not in rg.graph:
        return []
    maybe, used_conditional = _bfs(rg, target, allow_conditional=True)
    sure = _bfs(rg, target, allow_conditional=False)[0] if used_conditional else maybe
    out: list[Reach] = []
    for node in maybe:
        if isinstance(node, tuple):
            continue
        principal = rg.principals.get(node)
        if principal is None or (keep is not None and not keep(principal)):
            continue
        if node in sure:
            out.append(Reach(principal=principal, path=_path(rg, node, sure, target), conditional=False))
        else:
            out.append(Reach(principal=principal, path=_path(rg, node, maybe, target), conditional=True))
    out.sort(key=lambda r: (r.conditional, len(r.path), r.principal.id))
    return out


# A node no graph holds: the one dataset node that a group of dataset nodes with the same predecessors stands for.
_SINK = object()

# What the searches from a group of dataset nodes with the same predecessors found, ``keep`` applied: each
# member's principal id, whether only a condition opens its way, and its path's nodes up to the dataset node
# (which is left off).
_Members = tuple[tuple[str, bool, tuple[object, ...]], ...]


class AudienceSearch:
    """:func:`audience` for many dataset nodes of one graph, each distinct upstream searched once.

    Two dataset nodes whose predecessors are the same (same nodes, same order, same conditional edges) have the
    same breadth-first searches past their first hop, so the same members with the same paths but for the
    last node.  For one ``key`` (what names ``keep``'s verdicts: the audit's declared audience) the members are
    found once per group, and only their paths' last step is built per dataset node.

    A dataset node upstream of itself (a cycle of re-exposures or flows) is no exception: the shared search,
    which does not know it, may reach it, but its predecessors are the group's own, all reached at the first
    hop, so it adds nobody and sets no parent of anyone; it is not a principal, so it is no member either.
    The predecessors of each node are read from the graph once, as plain tuples.
    """

    def __init__(self, rg: ReachGraph) -> None:
        self.rg = rg
        # an audit searches upstream of nearly every node: read them all at once
        self._preds: dict[object, tuple[_Pred, ...]] = {
            node: _preds_of(preds) for node, preds in rg.predecessors.items()
        }
        self._found: dict[tuple[tuple[_Pred, ...], Hashable], _Members] = {}
        # per key: node → kept (a dataset node, or a node that is no principal, is never kept)
        self._kept: dict[Hashable, dict[object, bool]] = {}

    def _members(self, first: tuple[_Pred, ...], keep: Callable[[Principal], bool], key: Hashable) -> _Members:
        # the search does not know the dataset node: parents into it are _SINK, which no graph holds
        maybe, used_conditional = _search(self._preds, _SINK, first, allow_conditional=True)
        sure = _search(self._preds, _SINK, first, allow_conditional=False)[0] if used_conditional else maybe
        principals = self.rg.principals
        kept = self._kept.setdefault(key, {})
        members = []
        for node in maybe:
            verdict = kept.get(node)
            if verdict is None:
                principal = None if isinstance(node, tuple) else principals.get(node)  # type: ignore[call-overload]
                verdict = kept[node] = principal is not None and keep(principal)
            if not verdict:
                continue
            conditional = node not in sure
            parent = maybe if conditional else sure
            nodes = [node]
            while (up := parent[nodes[-1]]) is not _SINK:
                nodes.append(up)
            members.append((node, conditional, tuple(nodes)))
        return tuple(members)

    def audience(
        self, dataset_id: str, level: AccessLevel, *, keep: Callable[[Principal], bool], key: Hashable
    ) -> list[Reach]:
        """:func:`audience` ``(rg, dataset_id, level, keep=keep)``; ``key`` names ``keep``: equal keys, equal
        verdicts."""
        target = (dataset_id, level)
        if target not in self.rg.graph:
            return []
        first = self._preds[target]
        found = self._found.get((first, key))
        if found is None:
            found = self._found[first, key] = self._members(first, keep, key)
        principals = self.rg.principals
        out = [
            Reach(principal=principals[pid], path=path_steps(self.rg, (*nodes, target)), conditional=conditional)
            for pid, conditional, nodes in found
        ]
        out.sort(key=lambda r: (r.conditional, len(r.path), r.principal.id))
        return out


def reached(rg: ReachGraph, dataset_id: str, level: AccessLevel) -> tuple[list[Principal], frozenset[str]]:
    """Every principal that reaches ``dataset_id`` at ``level`` (no paths built), and the ids of those reaching
    it by unconditional paths: what :func:`audience` finds, for callers that need only who."""
    target = (dataset_id, level)
    if target not in rg.graph:
        return [], frozenset()
    maybe, used_conditional = _bfs(rg, target, allow_conditional=True)
    sure = _bfs(rg, target, allow_conditional=False)[0] if used_conditional else maybe
    principals = [p for node in maybe if isinstance(node, str) and (p := rg.principals.get(node)) is not None]
    return principals, frozenset(n for n in sure if isinstance(n, str))


def audience_class(principal: Principal, dataset: Dataset) -> AudienceClass:
    """How broad ``principal`` is, seen from ``dataset``."""
    kind = principal.kind
    if kind is PrincipalKind.PUBLIC:
        return AudienceClass.PUBLIC
    if kind is PrincipalKind.ANY_AUTHENTICATED:
        return AudienceClass.ANY_AUTHENTICATED
    if kind in (PrincipalKind.ORGANIZATION, PrincipalKind.ORG_UNIT, PrincipalKind.DOMAIN):
        return AudienceClass.ORGANIZATION
    if kind is PrincipalKind.NETWORK:
        # a network of the dataset's own account is its owner's; any other may carry anyone's requests
        owned = principal.account is not None and principal.account == dataset.account
        return AudienceClass.SPECIFIC if owned else AudienceClass.NETWORK
    if kind is PrincipalKind.SERVICE_FOR and principal.account is None:
        # services acting for an organisation, an OU, or a resource of no known account
        org = principal.id.startswith("aws-service-for:o-")
        return AudienceClass.ORGANIZATION if org else AudienceClass.OTHER_ACCOUNT
    if (
        principal.provider is Provider.AWS
        and dataset.provider is Provider.AWS
        and principal.account
        and dataset.account
        and principal.account != dataset.account
        and kind is not PrincipalKind.SERVICE_PRINCIPAL
    ):
        return AudienceClass.OTHER_ACCOUNT
    return AudienceClass.SPECIFIC


def _class_enclosures(class_id: str, account_orgs: dict[str, str]) -> Iterator[str]:
    """The classes that contain the AWS class ``class_id`` (an account's organisation, an OU's organisation)."""
    if class_id.startswith("aws-ou:"):
        yield f"aws-org:{class_id.removeprefix('aws-ou:').split('/', 1)[0]}"
    elif class_id.startswith("arn:") and class_id.endswith(":root"):
        org = account_orgs.get(class_id.split(":")[4])
        if org:
            yield f"aws-org:{org}"


def enclosing_classes(principal: Principal, account_orgs: dict[str, str]) -> Iterator[str]:
    """Ids of the class principals that contain ``principal`` (for matching declarations)."""
    if principal.provider is Provider.AWS:
        if principal.kind is PrincipalKind.NETWORK:
            # a network is not its owner's principals: declared by its own id, or as its owner's networks;
            # a class's principals through a network are in the class and in the network
            if principal.account:
                yield f"aws-network-of:{principal.account}"
            parts = network_parts(principal.id)
            if parts is not None:
                yield from parts
                yield from _class_enclosures(parts[0], account_orgs)
            return
        if principal.kind is PrincipalKind.SERVICE_FOR:
            # services acting for a resource of an account act for that account
            if principal.account and principal.id != f"aws-service-for:{principal.account}":
                yield f"aws-service-for:{principal.account}"
            return
        if principal.account and principal.kind is not PrincipalKind.ACCOUNT:
            yield f"arn:aws:iam::{principal.account}:root"
        org = account_orgs.get(principal.account or "")
        if org:
            yield f"aws-org:{org}"
    elif principal.provider is Provider.GCP and principal.kind is PrincipalKind.NETWORK:
        # callers from access levels A+B are callers from A and from B; a class's callers from there are in the
        # class (and its domain) and in the network audience
        parts = network_parts(principal.id)
        network = parts[1] if parts is not None else principal.id
        levels = network.removeprefix("gcp-access-level:").split(GCP_ACCESS_LEVELS_JOINED)
        if len(levels) > 1:
            yield from (f"gcp-access-level:{level}" for level in levels)
        if parts is not None:
            yield from parts
            within = parts[0]
            if ":" in within and "@" in within:
                yield f"domain:{within.rsplit('@', 1)[1]}"
    elif principal.provider is Provider.GCP and ":" in principal.id and "@" in principal.id:
        yield f"domain:{principal.id.rsplit('@', 1)[1]}"
