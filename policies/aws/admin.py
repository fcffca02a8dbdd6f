"""Admin access through IAM: who can rewrite a principal that reaches a dataset.

Whoever may change an IAM role's policies or trust policy
(``iam:PutRolePolicy``, ``iam:AttachRolePolicy``, ``iam:UpdateAssumeRolePolicy``…),
a user's or a group's policies, a group's members, or a new version of a
customer managed policy attached to one of them, can widen who reaches the data
that principal reaches — at will.  So each such holder gets an ADMIN grant on
that dataset, with two pieces of evidence: the statement that grants the IAM
action, and the grant through which the modified principal reaches the data
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_manage-attach-detach.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/roles-managingrole-editing-api.html).
The actions are listed in ``data/iam_admin_actions.json``.

IAM has no resource policies: only principals of the modified entity's own
account can hold these permissions (others reach them by assuming one of that
account's roles — an edge the graph already has).  SCPs apply.

Linear in the grants and IAM statements: the principals that reach a dataset are
indexed once, and :class:`~.iam.IdentityIndex` finds who holds an IAM action on
each of them without trying every entity.  Only principals with a grant of their
own are targets (a role reaching data through another role's chain is not); AWS
managed policies cannot be changed and are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

from seenby.model import AUDITED_LEVELS, AccessLevel, Evaluation, Evidence, Grant
from seenby.policies.aws.access import Outcome, any_of, conjoin
from seenby.policies.aws.evaluate import Request
from seenby.policies.aws.iam import AccountIam, Entity, EntityKind, IdentityIndex
from seenby.policies.aws.matching import has_wildcard
from seenby.policies.aws.memo import AwsMemo
from seenby.policies.aws.org import Directory
from seenby.policies.aws.population import Population
from seenby.policies.aws.resource_policy import org_caps

__all__ = ["iam_admin_grants", "modifying_actions"]


@cache
def _data() -> dict[str, Any]:
    text = resources.files("seenby.policies.aws").joinpath("data/iam_admin_actions.json").read_text()
    return json.loads(text)


def modifying_actions(entity: Entity) -> list[tuple[str, str]]:
    """(action, resource ARN) pairs that change what ``entity`` may do or who may become it."""
    data = _data()
    out = [(a, entity.arn) for a in data["entity"][entity.kind.value]]
    for doc in entity.policies:
        if doc.source.startswith("arn:aws:iam::") and ":policy/" in doc.source and "::aws:policy/" not in doc.source:
            out += [(a, doc.source) for a in data["policy"]]
    return out


def _iam_literal(pattern: str) -> str | None:
    if not pattern.startswith("arn:aws:iam::") or "${" in pattern or has_wildcard(pattern):
        return None
    return pattern


def _all_actions() -> tuple[str, ...]:
    data = _data()
    return tuple(dict.fromkeys([*(a for acts in data["entity"].values() for a in acts), *data["policy"]]))


def _reach_evidence(grant: Grant, target: Entity) -> Evidence:
    first = grant.evidence[0]
    return Evidence(
        kind=first.kind, source=first.source, location=first.location, excerpt=first.excerpt, sid=first.sid,
        note=f"{target.kind.value} {target.arn} reaches this dataset ({grant.level.value}) through this; "
        "whoever can change it can widen that",
    )  # fmt: skip


def iam_admin_grants(
    evaluation: Evaluation, iams: Mapping[str, AccountIam], population: Population, directory: Directory, memo: AwsMemo
) -> list[Grant]:
    """ADMIN grants to every principal that can rewrite an IAM principal that reaches a dataset.

    ``memo``: the snapshot's :class:`~.memo.AwsMemo` (identity and SCP outcomes shared with every evaluation)."""
    entities: dict[str, Entity] = {e.arn: e for iam in iams.values() for e in iam.entities()}
    reaching: dict[str, dict[str, Grant]] = {}  # entity arn -> dataset -> its best grant
    for grant in evaluation.grants:
        if grant.principal.id not in entities or grant.level not in AUDITED_LEVELS:
            continue
        kept = reaching.setdefault(grant.principal.id, {})
        best = kept.get(grant.dataset)
        if best is None or (best.conditional and not grant.conditional):
            kept[grant.dataset] = grant
    if not reaching:
        return []
    index = IdentityIndex(actions=_all_actions())
    for e in entities.values():
        index.add(e, name_of=_iam_literal)
    out: list[Grant] = []
    for target_arn in sorted(reaching):
        target = entities[target_arn]
        pairs = modifying_actions(target)
        resources_ = list(dict.fromkeys(r for _, r in pairs))
        holders = {h.arn: h for r in resources_ for h in index.holders(r, [r]) if h.account == target.account}
        for holder in holders.values():
            best = _holder_outcome(holder, pairs, population, directory, memo)
            if best is None:
                continue
            for grant in reaching[target_arn].values():
                out.append(
                    Grant(
                        principal=holder.principal, dataset=grant.dataset, level=AccessLevel.ADMIN,
                        evidence=(*best.evidence, _reach_evidence(grant, target)),
                        conditions=(*best.conditions, *grant.conditions),
                    )
                )  # fmt: skip
    return out


def _holder_outcome(
    holder: Entity, pairs: Iterable[tuple[str, str]], population: Population, directory: Directory, memo: AwsMemo
) -> Outcome | None:
    """What ``holder``'s identity policies (a user's own: its groups are holders of their own) and its SCPs allow
    of ``pairs``; IAM has no resource policies and no RCPs."""
    c = population.entity(holder)
    outcomes = []
    for action, resource in pairs:
        request = Request(action=action, resource=resource, context=c.context)
        o = memo.identities.outcome(holder, request, holder.kind is EntityKind.USER)
        if o.allows:
            o = conjoin(o, org_caps(memo, directory, c, request, holder.account, rcps_apply=False))
        outcomes.append(o)
    best = any_of(*outcomes)
    return best if best.allows and best.evidence else None
