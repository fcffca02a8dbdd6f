"""AudienceSearch (one search per distinct upstream, shared by the audit) answers exactly as :func:`audience`.

Small random graphs with few principals and many datasets, so that dataset nodes often share their
predecessors, with conditional grants and edges, nested groups, and re-exposures that can put a dataset
node upstream of itself.  Each dataset node at each level is asked once through one shared search and once
on its own; the members, their paths (evidence included) and their conditional marks must be equal.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seenby.graph.audience import AudienceSearch, audience
from seenby.graph.build import build_graph
from seenby.model import AccessLevel, Condition, Edge, EdgeKind, Evaluation, Principal
from tests.core.builders import bucket, evidence, grant, group, reexpose, role, user

USERS = [user(f"u{i}") for i in range(4)]
GROUPS = [group(f"g{i}") for i in range(3)]
ROLES = [role(f"r{i}") for i in range(3)]
PRINCIPALS = USERS + GROUPS + ROLES
BUCKETS = [bucket(f"arn:aws:s3:::b{i}") for i in range(6)]
LEVELS = (AccessLevel.READ, AccessLevel.WRITE, AccessLevel.LIST)
COND = Condition(expression={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, keys=("aws:SourceIp",))

_principal = st.sampled_from(PRINCIPALS)
_edges = st.lists(
    st.tuples(_principal, _principal, st.sampled_from([EdgeKind.MEMBER_OF, EdgeKind.CAN_ASSUME]), st.booleans()),
    max_size=12,
)
_grants = st.lists(
    st.tuples(_principal, st.sampled_from(BUCKETS), st.sampled_from(LEVELS), st.booleans()), max_size=30
)
_reexposures = st.lists(st.tuples(st.sampled_from(BUCKETS), st.sampled_from(BUCKETS)), max_size=4)


def _evaluation(
    edges: list[tuple[Principal, Principal, EdgeKind, bool]],
    grants: list[tuple[Principal, object, AccessLevel, bool]],
    reexposures: list[tuple[object, object]],
) -> Evaluation:
    ev = Evaluation()
    for b in BUCKETS:
        ev.datasets[b.id] = b
    for p in PRINCIPALS:
        ev.add_principal(p)
    for source, target, kind, conditional in edges:
        if source != target:
            ev.add_edge(
                Edge(source=source, target=target, kind=kind, evidence=(evidence(target.id, "membership"),),
                     conditions=(COND,) if conditional else ())
            )  # fmt: skip
    for who, b, level, conditional in grants:
        grant(ev, who, level, b.id, conditions=(COND,) if conditional else ())  # type: ignore[attr-defined]
    for via, b in reexposures:
        if via != b:
            reexpose(ev, via.id, b.id)  # type: ignore[attr-defined]
    return ev


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edges=_edges, grants=_grants, reexposures=_reexposures, dropped=st.sets(_principal, max_size=4))
def test_shared_searches_equal_one_search_per_dataset(edges, grants, reexposures, dropped) -> None:
    """Every dataset node's audience through one AudienceSearch equals its own search, paths and marks included."""
    rg = build_graph(_evaluation(edges, grants, reexposures))
    search = AudienceSearch(rg)
    dropped_ids = frozenset(p.id for p in dropped)
    keeps = {"everyone": lambda p: True, "some": lambda p: p.id not in dropped_ids}

    for key, keep in keeps.items():
        for b in BUCKETS:
            for level in LEVELS:
                assert search.audience(b.id, level, keep=keep, key=key) == audience(rg, b.id, level, keep=keep)


def test_a_dataset_upstream_of_itself_shares_the_search() -> None:
    """Two dataset nodes with the same predecessor, one of them upstream of it (a re-exposure cycle): the shared
    search passes that one, and both still get the audience of their own searches."""
    ev = Evaluation()
    a, b, c = BUCKETS[0], BUCKETS[1], BUCKETS[2]
    for d in (a, b, c):
        ev.datasets[d.id] = d
    reader = USERS[0]
    grant(ev, reader, AccessLevel.READ, c.id)
    reexpose(ev, c.id, a.id)  # whoever reads c reads a
    reexpose(ev, c.id, b.id)  # ... and b: (a, read) and (b, read) have the one predecessor (c, read)
    reexpose(ev, a.id, c.id)  # whoever reads a reads c: (a, read) is upstream of itself
    rg = build_graph(ev)
    search = AudienceSearch(rg)

    got_a = search.audience(a.id, AccessLevel.READ, keep=lambda p: True, key="all")
    got_b = search.audience(b.id, AccessLevel.READ, keep=lambda p: True, key="all")

    assert got_a == audience(rg, a.id, AccessLevel.READ)
    assert got_b == audience(rg, b.id, AccessLevel.READ)
    assert [[s.node for s in r.path] for r in got_a] == [[reader.id, c.id, a.id]]
    assert [[s.node for s in r.path] for r in got_b] == [[reader.id, c.id, b.id]]
