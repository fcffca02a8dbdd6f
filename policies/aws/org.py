"""The AWS organisation: which accounts belong to it, where in the tree, and its SCPs/RCPs.

From the ``aws.organizations.organization`` resource (docs/snapshot.md).  When a
snapshot has no organisation resource but its scope names one
(``scope.aws_organization``), the scanned accounts (``scope.aws_accounts``) are
taken as its members.

SCPs (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html):
for a principal of a *member* account, an action is possible only if no SCP
attached to the root, an OU on the path or the account denies it, and at *every*
one of those levels some attached SCP allows it.  The management account is not
affected.  When an account's place in the tree is unknown, only the root level
is checked (fail closed: never remove access on a guess).  RCPs
(resource control policies) are parsed and applied the same way to resources of
member accounts (deny anywhere, allow at every level).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from seenby.model import EvidenceKind
from seenby.policies.aws.context import KeyValue, Known, Opaque, Unknown
from seenby.policies.aws.document import PolicyDocument, Statement, parse_policy
from seenby.registry import OrganizationRead, TypeName
from seenby.snapshot import Snapshot

__all__ = ["Directory", "Organization", "load_directory"]

_SCP = "SERVICE_CONTROL_POLICY"
_RCP = "RESOURCE_CONTROL_POLICY"


@dataclass(kw_only=True)
class Organization:
    id: str
    management_account: str | None = None
    accounts: set[str] = field(default_factory=set)
    accounts_complete: bool = False  # the ListAccounts read succeeded
    parents: dict[str, str] = field(default_factory=dict)  # account or OU id -> parent id
    root_id: str | None = None
    # target id (root, OU or account) -> policies attached there
    scps: dict[str, list[PolicyDocument]] = field(default_factory=dict)
    rcps: dict[str, list[PolicyDocument]] = field(default_factory=dict)
    policies_known: bool = False

    def chain(self, account: str) -> list[str] | None:
        """Targets from the root down to ``account`` (root, OUs…, account); None when unknown."""
        if account not in self.parents:
            return None
        out = [account]
        node = account
        seen = {account}
        while node in self.parents:
            node = self.parents[node]
            if node in seen:
                return None
            seen.add(node)
            out.append(node)
        return list(reversed(out))

    def path(self, account: str) -> str | None:
        """The aws:PrincipalOrgPaths value of ``account``: ``o-x/r-ab/ou-1/`` (up to its parent)."""
        chain = self.chain(account)
        if chain is None:
            return None
        return "/".join([self.id, *chain[:-1]]) + "/"


@dataclass(kw_only=True)
class Directory:
    """Every organisation the snapshot knows, and which account belongs to which."""

    organizations: dict[str, Organization] = field(default_factory=dict)
    account_org: dict[str, str] = field(default_factory=dict)

    def org_of(self, account: str | None) -> Organization | None:
        if account is None:
            return None
        org_id = self.account_org.get(account)
        return self.organizations.get(org_id) if org_id else None

    def org_policy_statements(self) -> list[Statement]:
        """Every statement of every SCP and RCP of the snapshot's organisations."""
        return [
            st
            for org in self.organizations.values()
            for table in (org.scps, org.rcps)
            for docs in table.values()
            for doc in docs
            for st in doc.statements
        ]

    def org_id_value(self, account: str | None) -> KeyValue:
        """aws:PrincipalOrgID for a principal of ``account``."""
        if account is None:
            return Unknown("the caller's account is not known")
        org = self.org_of(account)
        if org is not None:
            return Known((org.id,))
        excluded = self._complete_orgs()
        if excluded:
            # not in any organisation whose account list we have; it may belong to one we have never seen
            return Opaque("o-*", may_be_absent=True, excludes=excluded)
        return Unknown(f"the organisation of account {account} is not known")

    def _complete_orgs(self) -> frozenset[str]:
        return frozenset(o.id for o in self.organizations.values() if o.accounts_complete)

    def org_paths_value(self, account: str | None) -> KeyValue:
        org = self.org_of(account)
        if org is None and account is not None and self._complete_orgs():
            return Opaque("o-*", may_be_absent=True, excludes=self._complete_orgs())
        if org is None or account is None:
            return Unknown("the caller's organisation path is not known")
        path = org.path(account)
        return Known((path,)) if path else Unknown(f"the OU path of account {account} is not known")


def _doc(read_document: Any, key: str) -> Any:
    return read_document.get(key) if isinstance(read_document, Mapping) else None


def load_directory(snapshot: Snapshot) -> Directory:
    directory = Directory()
    for res in snapshot.of_type(TypeName.AWS_ORGANIZATION):
        org = Organization(id=res.id)
        info = _doc(res.document(OrganizationRead.ORGANIZATION), "Organization") or {}
        org.management_account = info.get("MasterAccountId") or info.get("ManagementAccountId")
        accounts = _doc(res.document(OrganizationRead.ACCOUNTS), "Accounts")
        if isinstance(accounts, list):
            org.accounts = {str(a.get("Id")) for a in accounts if isinstance(a, Mapping) and a.get("Id")}
            org.accounts_complete = True
        if org.management_account:
            org.accounts.add(org.management_account)
        tree = res.document(OrganizationRead.TREE)
        if isinstance(tree, Mapping):
            roots = tree.get("Roots") or []
            if roots:
                org.root_id = roots[0].get("Id")
            for ou in tree.get("OrganizationalUnits") or []:
                if ou.get("Id") and ou.get("ParentId"):
                    org.parents[ou["Id"]] = ou["ParentId"]
            for account, parent in (tree.get("AccountParents") or {}).items():
                org.parents[str(account)] = parent
                org.accounts.add(str(account))
        policies = _doc(res.document(OrganizationRead.POLICIES), "Policies")
        if isinstance(policies, list):
            org.policies_known = True
            for p in policies:
                summary = p.get("PolicySummary") or {}
                kind = summary.get("Type")
                if kind not in (_SCP, _RCP):
                    continue
                evidence_kind = EvidenceKind.SCP if kind == _SCP else EvidenceKind.RCP
                source = summary.get("Arn") or summary.get("Id") or res.id
                doc = parse_policy(
                    p.get("Content"),
                    source=source,
                    kind=evidence_kind,
                    name=summary.get("Name"),
                )
                table = org.scps if kind == _SCP else org.rcps
                for target in p.get("Targets") or []:
                    table.setdefault(target.get("TargetId"), []).append(doc)
        directory.organizations[org.id] = org
        for account in org.accounts:
            directory.account_org[account] = org.id
    scope_org = snapshot.scope.get("aws_organization")
    if scope_org and scope_org not in directory.organizations:
        org = Organization(id=scope_org)
        directory.organizations[scope_org] = org
    if scope_org:
        for account in snapshot.scope.get("aws_accounts") or []:
            directory.account_org.setdefault(account, scope_org)
            directory.organizations[scope_org].accounts.add(account)
    return directory
