"""Whether an audience holds a whole AWS organisation although no organisation node reaches the dataset.

A trust policy of ``"*"`` (or an organisation) narrowed by ``aws:PrincipalOrgID`` resolves to the principals that
can actually assume the role (:mod:`seenby.policies.aws.trust`), so the organisation's node is no longer in the
graph when every account's IAM is known.  The audit then rates the audience by who is in it (issue 22 item 5):
it is organisation-wide, as the organisation class is, when it **covers** the organisation:

* the organisation's account list is in the snapshot (``account_orgs``), with at least one account;
* every account of it is covered: its account node (every principal of the account) is in the audience; or the
  snapshot holds the account's IAM and the audience holds every person of it (its IAM users, reached directly or
  through their groups and roles) and every role people enter it by from outside IAM (a role an identity provider
  or an Identity Center permission set leads to,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html).  Other roles act for the
  principals that assume them, who are counted where they are; service roles act for AWS services.  An account whose
  IAM is unknown is covered only by its node (its principals are unknown: fail closed);
* someone is in it: an account node, a person or such a role of the organisation.

The people of an organisation are those the directory names (``class_members``): the same figure the organisation's
class carries, so a covered audience reports the organisation's people.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from seenby.graph.audience import reached
from seenby.graph.build import GraphEdgeKind, ReachGraph
from seenby.model import AccessLevel, Principal, PrincipalKind, Provider

__all__ = ["OrganisationMembers", "account_node", "covered_organisations"]


def account_node(account: str) -> str:
    """The id of the class node for every principal of ``account``."""
    return f"arn:aws:iam::{account}:root"


@dataclass(frozen=True, kw_only=True, slots=True)
class _Account:
    node: str
    iam_known: bool
    people: frozenset[str]
    entry_roles: frozenset[str]


@dataclass(frozen=True, kw_only=True, slots=True)
class OrganisationMembers:
    """For each organisation of a graph, its accounts with their people and the roles people enter them by."""

    accounts: Mapping[str, tuple[_Account, ...]]

    @staticmethod
    def of(rg: ReachGraph) -> OrganisationMembers:
        entry: dict[str, set[str]] = {}
        preds = rg.predecessors
        for pid, p in rg.principals.items():
            if p.kind is not PrincipalKind.ROLE or p.provider is not Provider.AWS or not p.account:
                continue
            for source, data in preds.get(pid, {}).items():
                kind = data["info"].kind
                source_p = rg.principals.get(source) if isinstance(source, str) else None
                if kind is GraphEdgeKind.PERMISSION_SET or (
                    source_p is not None and source_p.kind is PrincipalKind.FEDERATED
                ):
                    entry.setdefault(p.account, set()).add(pid)
                    break
        by_org: dict[str, list[_Account]] = {}
        for account, org in sorted(rg.account_orgs.items()):
            node = account_node(account)
            by_org.setdefault(org, []).append(
                _Account(
                    node=node,
                    iam_known=node in rg.class_members,
                    people=rg.class_members.get(node, frozenset()),
                    entry_roles=frozenset(entry.get(account, ())),
                )
            )
        return OrganisationMembers(accounts={org: tuple(accts) for org, accts in by_org.items()})

    def covered(self, audience: Iterable[Principal]) -> frozenset[str]:
        """The organisations ``audience`` (every principal reaching a dataset at one level) covers, as this module
        says."""
        ids: set[str] = set()
        people: set[str] = set()
        for p in audience:
            ids.add(p.id)
            if p.kind.is_person:
                people.add(p.id)
        out = set()
        for org, accounts in self.accounts.items():
            someone = False
            for a in accounts:
                if a.node in ids:
                    someone = True
                    continue
                if not a.iam_known or not a.people <= people or not a.entry_roles <= ids:
                    break
                someone = someone or bool(a.people) or bool(a.entry_roles)
            else:
                if someone:
                    out.add(org)
        return frozenset(out)

    def covering(self, rg: ReachGraph, dataset_id: str, level: AccessLevel) -> tuple[frozenset[str], frozenset[str]]:
        """The organisations the whole audience of ``dataset_id`` at ``level`` covers: (by unconditional paths, by
        any path)."""
        if not self.accounts:
            return frozenset(), frozenset()
        everyone, sure = reached(rg, dataset_id, level)
        return self.covered(p for p in everyone if p.id in sure), self.covered(everyone)


def covered_organisations(rg: ReachGraph, dataset_id: str, level: AccessLevel) -> tuple[frozenset[str], frozenset[str]]:
    """The organisations the whole audience of ``dataset_id`` at ``level`` covers: (by unconditional paths, by any
    path)."""
    return OrganisationMembers.of(rg).covering(rg, dataset_id, level)
