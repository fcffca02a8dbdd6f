"""Candidate callers, and whether a policy's Principal element names them.

Access is decided per caller, so each dataset is evaluated for a finite set of
**candidates**: every principal a relevant document names, plus archetypes that
stand for whole classes (anonymous, an authenticated principal of an unknown
account, another account of an organisation, an unnamed principal of a known
account).  Each candidate carries the :class:`~seenby.policies.aws.context.RequestContext`
that describes it, and the :class:`~seenby.model.Principal` a grant to it is
recorded against.

Principal matching follows
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html:

* ``"*"`` and ``{"AWS": "*"}`` name everyone, anonymous callers included;
* an account (``"111122223333"`` or its ``:root`` ARN) names every principal of
  that account, by *delegation*: :class:`Match.via_account` tells the caller so it
  can require the account's own identity policies to allow too;
* a role ARN names every session of that role; an assumed-role session ARN names
  only that session (a candidate of its own);
* ``NotPrincipal`` with Deny denies everyone the list does not exclude.  A caller
  is excluded when it is listed itself together with its account; listing only an
  account's root excludes the root user, not the account's other principals (each
  is checked as itself); when only the caller itself is listed AWS may still deny
  it through the account check, so the result is UNKNOWN; a caller with a
  permissions boundary is never excluded (documented AWS behaviour).  The root
  user is a candidate of its own (listed by its account's root ARN).
  ``NotPrincipal`` with Allow (no longer accepted for new policies, still found in
  old ones) allows everyone not listed, anonymous included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from seenby.model import Edge, Evidence, Grant, Principal
from seenby.policies.aws.conditions import Tri
from seenby.policies.aws.context import KeyValue, RequestContext
from seenby.policies.aws.document import Effect, PolicyDocument, PrincipalRef, PrincipalType, Statement

__all__ = [
    "Candidate",
    "CandidateKind",
    "Match",
    "admits_unnamed",
    "match_principal",
    "noted",
    "without_redundant_variants",
]


class CandidateKind(StrEnum):
    PUBLIC = "public"  # an anonymous caller
    AUTHENTICATED = "authenticated"  # a principal of an account outside every organisation seenby knows
    ORGANIZATION = "organization"  # a principal of another, unnamed account of an organisation
    ORG_UNIT = "org-unit"  # a principal of an unnamed account under an OU path
    ACCOUNT = "account"  # an unnamed principal of a known account
    USER = "user"
    GROUP = "group"  # only identity policies apply; a group is never a Principal
    ROLE = "role"  # every session of a role
    ROLE_SESSION = "role-session"
    FEDERATED_USER = "federated-user"  # an STS federated-user session
    SERVICE = "service"
    FEDERATED = "federated"  # an identity provider (trust policies)
    CANONICAL = "canonical"  # an S3 canonical user id that maps to no known account
    ROOT_USER = "root-user"  # an account's root user itself (named by NotPrincipal or aws:PrincipalArn)

    @property
    def is_class(self) -> bool:
        return self in (
            CandidateKind.PUBLIC,
            CandidateKind.AUTHENTICATED,
            CandidateKind.ORGANIZATION,
            CandidateKind.ORG_UNIT,
            CandidateKind.ACCOUNT,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Candidate:
    """One caller (or class of callers) a dataset is evaluated for.

    ``account`` is the caller's account when it is known.  ``identity_known``
    says its identity policies are in the snapshot (so they are evaluated);
    otherwise its own account's administrators decide and seenby assumes they
    can grant (fail closed).
    """

    kind: CandidateKind
    principal: Principal
    context: RequestContext
    account: str | None = None
    arn: str | None = None
    role_arn: str | None = None  # for a session: its role
    unique_id: str | None = None
    service: str | None = None
    canonical_ids: frozenset[str] = field(default_factory=frozenset)
    has_boundary: bool = False
    identity_known: bool = False
    variant: str = ""  # tells apart candidates recorded against one principal (a service acting for X)
    note: str | None = None  # what a grant to this candidate notes (the network a variant calls through)
    network_keys: tuple[tuple[str, KeyValue], ...] = ()  # the network keys a variant calls through with
    base: str | None = None  # the key of the candidate this one is a variant of (calling through a network)
    through: str | None = None  # the network a variant calls through (its aws-network id)

    @property
    def key(self) -> str:
        return self.variant or self.principal.id

    @property
    def org_id(self) -> str | None:
        """The organisation an organisation class stands for, through a network too (its base's id says)."""
        if self.kind is not CandidateKind.ORGANIZATION:
            return None
        return (self.base or self.principal.id).split(":", 1)[1]


@dataclass(frozen=True, slots=True)
class Match:
    value: Tri
    via_account: bool = False  # matched only because its account is named: a delegation


_NO = Match(Tri.FALSE)
# callers an account principal never names: anonymous, services, and anyone calling through a network
_NO_ACCOUNT_DELEGATION = frozenset({CandidateKind.PUBLIC, CandidateKind.SERVICE})


def _ref_matches(ref: PrincipalRef, c: Candidate) -> Match:
    t = ref.type
    if t is PrincipalType.ANY:
        return Match(Tri.TRUE)
    if t is PrincipalType.ACCOUNT:
        if c.kind is CandidateKind.ROOT_USER:
            return Match(Tri.TRUE) if c.account == ref.value else _NO  # the account principal is the root user
        if c.account == ref.value and c.kind not in _NO_ACCOUNT_DELEGATION:
            return Match(Tri.TRUE, via_account=c.kind is not CandidateKind.CANONICAL)
        return _NO
    if t is PrincipalType.ARN:
        if ref.value in (c.arn, c.role_arn):
            return Match(Tri.TRUE)
        return _NO
    if t is PrincipalType.UNIQUE_ID:
        return Match(Tri.TRUE) if c.unique_id == ref.value else _NO
    if t is PrincipalType.SERVICE:
        return Match(Tri.TRUE) if c.service == ref.value else _NO
    if t is PrincipalType.FEDERATED:
        return Match(Tri.TRUE) if c.kind is CandidateKind.FEDERATED and c.arn == ref.value else _NO
    if t is PrincipalType.CANONICAL:
        # a canonical user id identifies an account: naming it delegates, as naming the account does
        if ref.value not in c.canonical_ids:
            return _NO
        return Match(Tri.TRUE, via_account=c.kind is CandidateKind.ACCOUNT)
    return _NO


def _listed(refs: tuple[PrincipalRef, ...], c: Candidate) -> tuple[bool, bool]:
    """(the caller itself is listed, its account is listed)."""
    itself = account = False
    for ref in refs:
        if ref.type is PrincipalType.ANY:
            return True, True
        if ref.type is PrincipalType.ACCOUNT and c.account == ref.value:
            account = True
            itself = itself or c.kind is CandidateKind.ROOT_USER
        else:
            m = _ref_matches(ref, c)
            if m.value is Tri.TRUE:
                account, itself = account or m.via_account, itself or not m.via_account
    return itself, account


def match_principal(statement: Statement, c: Candidate) -> Match:
    """Does ``statement``'s Principal / NotPrincipal apply to candidate ``c``?"""
    refs = statement.principals
    if refs is None:
        return Match(Tri.TRUE)  # identity-based: the policy's holder is the caller
    if not statement.not_principal:
        best = _NO
        for ref in refs:
            m = _ref_matches(ref, c)
            if m.value is Tri.TRUE and not m.via_account:
                return m
            if m.value is Tri.TRUE:
                best = m
        return best
    itself, account = _listed(refs, c)
    if statement.effect is Effect.ALLOW:
        return _NO if (itself or account) else Match(Tri.TRUE)
    if c.kind is CandidateKind.GROUP:
        # a group is never the caller: which of its members the list exempts is decided member by member
        # (policies/aws/group_members.py), so the group's own grant is not denied here
        return _NO
    if c.has_boundary:
        return Match(Tri.TRUE)
    if itself and (account or c.kind in (CandidateKind.SERVICE, CandidateKind.CANONICAL, CandidateKind.PUBLIC)):
        return _NO
    if itself:
        return Match(Tri.UNKNOWN)  # listed without its account: AWS may check the account first and deny
    # not listed itself: listing its account's root exempts the root user only, not the account's other principals
    return Match(Tri.TRUE)


def admits_unnamed(document: PolicyDocument | None, c: Candidate) -> bool:
    """Some Allow of resource policy ``document`` may name ``c`` (an account's unnamed principal) itself, not by
    delegation to its account's IAM: ``"*"`` (narrowed by conditions or not), an Allow ``NotPrincipal``.  Every
    principal of that account then passes the resource side without an identity Allow of its own."""
    return document is not None and any(
        st.effect is Effect.ALLOW and (m := match_principal(st, c)).value is not Tri.FALSE and not m.via_account
        for st in document.statements
    )


def noted(c: Candidate, evidence: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
    """``evidence`` of a grant to ``c``, its first piece noting what ``c`` stands for (the network it calls
    through), if anything."""
    if c.note is None or not evidence:
        return evidence
    return (evidence[0].with_note(c.note), *evidence[1:])


_Held = TypeVar("_Held", Grant, Edge)


def without_redundant_variants(granted: list[tuple[Candidate, _Held]]) -> list[_Held]:
    """The grants (or edges) of ``granted``, less those of a variant (a candidate calling through a network) whose
    base candidate holds the same level (or edge target) under no more conditions (the network adds nobody), or
    whose network's audience (anyone through it) or, for one principal, its account's principals through the network
    do (the variant is one of them, so listing it adds nobody either; without this, a Deny that merely names a
    principal would list it beside the network: tests/aws/test_aws_properties.py)."""

    def slot(item: _Held) -> object:
        return item.level if isinstance(item, Grant) else item.target.id

    def conditions(item: _Held) -> frozenset[str]:
        return frozenset(x.text + x.reason for x in item.conditions)

    def source(item: _Held) -> Principal:
        return item.principal if isinstance(item, Grant) else item.source

    held: dict[tuple[str, object], frozenset[str]] = {}
    network_audience: dict[tuple[str, object], frozenset[str]] = {}
    account_through: dict[tuple[str, str, object], frozenset[str]] = {}  # an account's principals through a network
    for c, g in granted:
        if c.base is None:
            held.setdefault((c.key, slot(g)), conditions(g))
        elif c.through is not None and source(g).id == f"aws-network:{c.through}":
            network_audience.setdefault((c.through, slot(g)), conditions(g))
        elif c.through is not None and c.kind is CandidateKind.ACCOUNT and c.account:
            account_through.setdefault((c.account, c.through, slot(g)), conditions(g))
    out: list[_Held] = []
    for c, g in granted:
        if c.base is not None:
            base = held.get((c.base, slot(g)))
            if base is not None and base <= conditions(g):
                continue
            if c.through is not None and source(g).id != f"aws-network:{c.through}":
                wider = network_audience.get((c.through, slot(g)))
                if wider is not None and wider <= conditions(g):
                    continue  # a narrower class, or one principal, through the network: its audience holds it already
            if not c.kind.is_class and c.through is not None and c.account:
                wider = account_through.get((c.account, c.through, slot(g)))
                if wider is not None and wider <= conditions(g):
                    continue  # one principal through the network: its account's principals through it hold it
        out.append(g)
    return out
