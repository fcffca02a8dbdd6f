"""Network perimeters in organisation policies: the SCPs and RCPs whose networks make candidates of their own.

An RCP that lets callers in only through a network (the data-perimeter pattern: Deny unless ``aws:SourceIp``,
``aws:SourceVpc`` or ``aws:SourceVpce`` is the company's) does not remove the readers of a resource: whoever calls
through that network still reads it.  So the networks the organisation policies name feed the one network-candidate
mechanism (:meth:`~.population.Population.with_networks`), as the networks a resource policy names do:

* RCPs apply to every caller of a member account's resources, anonymous ones included, never to the management
  account's resources (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html):
  :func:`rcp_documents`, for the resource's account;
* SCPs apply to the organisation's IAM principals only, never to anyone outside it nor to anonymous callers, nor
  to the management account's principals
  (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html):
  :meth:`Perimeters.of_caller`, for each candidate's account (or organisation).

Only the networks of these documents are read here; whether they allow is decided by
:func:`~.resource_policy.org_caps`.  A document list is found once per account and kept in the
:class:`~.memo.AwsMemo`.
"""

from __future__ import annotations

from dataclasses import dataclass

from seenby.policies.aws.candidates import Candidate, CandidateKind
from seenby.policies.aws.document import PolicyDocument
from seenby.policies.aws.memo import AwsMemo
from seenby.policies.aws.org import Directory, Organization

__all__ = ["Perimeters", "rcp_documents"]

# callers SCPs never restrict: anonymous ones, principals of any account, AWS services, identity providers
_BEYOND_SCPS = frozenset(
    {CandidateKind.PUBLIC, CandidateKind.AUTHENTICATED, CandidateKind.SERVICE, CandidateKind.FEDERATED,
     CandidateKind.ORG_UNIT, CandidateKind.CANONICAL}
)  # fmt: skip


def _attached(
    org: Organization, table: dict[str, list[PolicyDocument]], account: str | None
) -> tuple[PolicyDocument, ...]:
    """The policies of ``table`` on ``account``'s path (root, OUs, account); every one of the organisation when the
    path is not known or no account is given (a superset: only their networks are read)."""
    chain = org.chain(account) if account is not None else None
    targets = chain if chain is not None else list(table)
    return tuple(doc for target in targets for doc in table.get(target, ()))


def rcp_documents(memo: AwsMemo, directory: Directory, account: str | None) -> tuple[PolicyDocument, ...]:
    """The RCPs that apply to the resources of ``account``; none for the management account's."""
    cache_key = ("rcp", account)
    hit = memo.org_documents.get(cache_key)
    if hit is None:
        org = directory.org_of(account)
        skip = org is None or account == org.management_account
        hit = memo.org_documents[cache_key] = () if skip else _attached(org, org.rcps, account)
    return hit


@dataclass(frozen=True, slots=True)
class Perimeters:
    """The organisation policies that apply to a caller, for :meth:`~.population.Population.with_networks`."""

    memo: AwsMemo
    directory: Directory

    def of_caller(self, c: Candidate) -> tuple[PolicyDocument, ...]:
        """The SCPs that apply to ``c``: those of its account's path, or every one of the organisation it stands
        for; none for a caller beyond SCPs or of the management account."""
        if c.kind in _BEYOND_SCPS:
            return ()
        if c.kind is CandidateKind.ORGANIZATION:
            account, org = None, self.directory.organizations.get(c.org_id or "")
        else:
            account = c.account
            org = self.directory.org_of(account)
        cache_key = ("scp", org.id if org is not None else None, account)
        hit = self.memo.org_documents.get(cache_key)
        if hit is None:
            skip = org is None or (account is not None and account == org.management_account)
            hit = self.memo.org_documents[cache_key] = () if skip else _attached(org, org.scps, account)
        return hit
