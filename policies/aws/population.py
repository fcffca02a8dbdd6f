"""Who the candidates are: every principal the snapshot knows or a policy names, and the class archetypes.

Builds :class:`~.candidates.Candidate` records with the request context that
describes each (principal keys per
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principal-properties),
and finds the candidates a policy names: in its Principal elements, and as
literals of the principal condition keys (``aws:PrincipalArn``,
``aws:PrincipalAccount``, ``aws:PrincipalOrgID``, ``aws:PrincipalOrgPaths``,
``aws:userid``, ``kms:CallerAccount``).  Because every such literal gets a
candidate of its own, a class archetype compares as "some other value" against
them (see :mod:`.context`).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from seenby.model import (
    AWS_ANY_SERVICE,
    AWS_AUTHENTICATED,
    AWS_PUBLIC,
    ConditionFamily,
    Principal,
    PrincipalKind,
    Provider,
    aws_account_principal,
    aws_network_principal,
    aws_org_principal,
    aws_ou_principal,
    aws_root_user_principal,
    aws_service_for_principal,
)
from seenby.policies.aws.candidates import Candidate, CandidateKind, admits_unnamed
from seenby.policies.aws.context import (
    ABSENT,
    CALLER_CHOICE,
    KeyValue,
    Known,
    Opaque,
    RequestContext,
    Unknown,
    key_family,
)
from seenby.policies.aws.document import Effect, PolicyDocument, PrincipalRef, PrincipalType
from seenby.policies.aws.iam import AccountIam, Entity, EntityKind
from seenby.policies.aws.matching import has_wildcard
from seenby.policies.aws.networks import NetworkDirectory
from seenby.policies.aws.org import Directory

__all__ = ["Population", "unique"]

_FALSE = Known(("false",))
_ARN_KEYS = {"aws:principalarn"}
_ACCOUNT_KEYS = {"aws:principalaccount", "kms:calleraccount"}
_ORG_KEYS = {"aws:principalorgid"}
_PATH_KEYS = {"aws:principalorgpaths"}
_USERID_KEYS = {"aws:userid"}
# service-context keys, most specific first: the first a statement names gives its variant's subject
_SOURCE_KEYS = ("aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:sourceorgpaths", "aws:sourceorgid")
# specific IAM principals the snapshot does not hold: they call through a network as the snapshot's own do
_NAMED_CALLERS = frozenset(
    {CandidateKind.USER, CandidateKind.ROLE, CandidateKind.ROLE_SESSION, CandidateKind.FEDERATED_USER}
)
# what a class member sets about itself: decided in the caller's favour
_CHOSEN_IDENTITY: dict[str, KeyValue] = {"aws:PrincipalType": CALLER_CHOICE, "aws:username": CALLER_CHOICE}


class Population:
    """Candidate factory over one snapshot's organisations and IAM."""

    def __init__(
        self,
        directory: Directory,
        iams: Mapping[str, AccountIam],
        canonical_accounts: Mapping[str, str],
        partition: str = "aws",
        now: datetime | None = None,
        networks: NetworkDirectory | None = None,
    ) -> None:
        """``now``: the snapshot's collection time, which decides time condition keys; ``networks``: the VPCs and
        endpoints the snapshot shows, with their owner accounts."""
        self.now = now
        self.networks = networks or NetworkDirectory()
        self.directory = directory
        self.iams = iams
        self.canonical_accounts = dict(canonical_accounts)
        self.account_canonical: dict[str, set[str]] = {}
        for cid, acct in self.canonical_accounts.items():
            self.account_canonical.setdefault(acct, set()).add(cid)
        self.partition = partition
        self._cache: dict[str, Candidate] = {}
        self._networks_of: dict[int, tuple[PolicyDocument, tuple[tuple[str, str], ...]]] = {}
        # a kept tuple of documents (a caller's SCPs) or an entity → the networks they name (:meth:`with_networks`)
        self._literals_of: dict[int, tuple[object, list[tuple[str, str]]]] = {}
        self._outside_roles: dict[str, tuple[Entity, ...]] = {}
        self.entity_of: dict[str, Entity] = {}

    # -- contexts -------------------------------------------------------------------------

    def _org_keys(self, account: str | None) -> dict[str, KeyValue]:
        return {
            "aws:PrincipalOrgID": self.directory.org_id_value(account),
            "aws:PrincipalOrgPaths": self.directory.org_paths_value(account),
        }

    def _principal_context(
        self,
        *,
        arn: str | None,
        account: str,
        principal_type: str | None,
        userid: KeyValue,
        username: KeyValue,
        tags: Mapping[str, str] | None,
    ) -> RequestContext:
        values: dict[str, KeyValue] = {
            "aws:PrincipalArn": Known((arn,)) if arn else Opaque(f"arn:{self.partition}:iam::{account}:*"),
            "aws:PrincipalAccount": Known((account,)),
            "kms:CallerAccount": Known((account,)),
            "aws:PrincipalType": Known((principal_type,)) if principal_type else Unknown("the principal type varies"),
            "aws:userid": userid,
            "aws:username": username,
            "aws:PrincipalIsAWSService": _FALSE,
            "aws:PrincipalServiceName": ABSENT,
            **self._org_keys(account),
        }
        return RequestContext(values=values, principal_tags=tags, now=self.now)

    # -- candidates -------------------------------------------------------------------------

    def _remember(self, c: Candidate, entity: Entity | None = None) -> Candidate:
        self._cache[c.key] = c
        if entity is not None:
            self.entity_of[c.key] = entity
        return c

    def entity(self, e: Entity) -> Candidate:
        if e.arn in self._cache:
            return self._cache[e.arn]
        if e.kind is EntityKind.USER:
            ctx = self._principal_context(
                arn=e.arn, account=e.account, principal_type="User",
                userid=Known((e.unique_id,)) if e.unique_id else Unknown("user id not in the snapshot"),
                username=Known((e.name,)), tags=e.tags,
            )  # fmt: skip
        elif e.kind is EntityKind.ROLE:
            ctx = self._principal_context(
                arn=e.arn, account=e.account, principal_type="AssumedRole",
                userid=Opaque(f"{e.unique_id}:*") if e.unique_id else Unknown("role id not in the snapshot"),
                username=ABSENT, tags=e.tags,
            )  # fmt: skip
        else:  # a group stands for its members: users of the account
            ctx = self._principal_context(
                arn=None, account=e.account, principal_type="User",
                userid=Unknown("a group's members differ"), username=Unknown("a group's members differ"), tags=None,
            )  # fmt: skip
        kind = {EntityKind.USER: CandidateKind.USER, EntityKind.ROLE: CandidateKind.ROLE}.get(
            e.kind, CandidateKind.GROUP
        )
        c = Candidate(
            kind=kind, principal=e.principal, context=ctx, account=e.account,
            arn=e.arn if kind is not CandidateKind.GROUP else None, unique_id=e.unique_id,
            has_boundary=e.boundary_arn is not None, identity_known=True,
        )  # fmt: skip
        return self._remember(c, e)

    def roles_assumable_from_outside(self, account: str) -> tuple[Entity, ...]:
        """The roles of ``account`` whose trust policy lets in someone beyond the account: anyone (``"*"``, an
        Allow ``NotPrincipal``), another account or a principal of one, an unresolved unique id, an identity
        provider.  Their sessions are principals of ``account``
        (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html), so whatever the account's
        principals read, those outsiders read through them.  Roles only AWS services may assume are left out."""
        hit = self._outside_roles.get(account)
        if hit is None:
            iam = self.iams.get(account)
            roles = iam.roles.values() if iam is not None else ()
            hit = self._outside_roles[account] = tuple(r for r in roles if _trust_reaches_outside(r.trust, account))
        return hit

    def roles_reached_through_owner(
        self, account: str | None, policy: PolicyDocument | None, acl_open: bool = False
    ) -> tuple[Entity, ...]:
        """The roles of ``account`` that others can assume (:meth:`roles_assumable_from_outside`) when a resource
        of it admits the account's principals without an identity Allow of their own: its resource policy names
        them itself (``"*"``, narrowed to the account by RestrictPublicBuckets, by a key only it may use, by
        ``aws:PrincipalAccount`` … or not; :func:`~.candidates.admits_unnamed`), or ``acl_open`` (a public or
        authenticated-users ACL grant).  Each is then a candidate of its own, so whoever assumes it reaches the
        resource through can-assume edges; otherwise none is."""
        if account is None or not (acl_open or admits_unnamed(policy, self.account(account))):
            return ()
        return self.roles_assumable_from_outside(account)

    def root_user(self, account: str) -> Candidate:
        """The root user of ``account`` itself: what ``aws:PrincipalArn`` = ``arn:aws:iam::ACCOUNT:root`` and a
        ``NotPrincipal`` naming the root match (elsewhere the root ARN names every principal of the account)."""
        key = f"root-user:{account}"
        if key not in self._cache:
            arn = f"arn:{self.partition}:iam::{account}:root"
            ctx = self._principal_context(
                arn=arn, account=account, principal_type="Account", userid=Known((account,)), username=ABSENT,
                tags={},
            )  # fmt: skip
            self._cache[key] = Candidate(
                kind=CandidateKind.ROOT_USER, principal=aws_root_user_principal(account), context=ctx,
                account=account, arn=arn,
            )  # fmt: skip
        return self._cache[key]

    def _iam_entity(self, arn: str, account: str | None) -> Entity | None:
        iam = self.iams.get(account or "")
        return iam.by_arn(arn) if iam else None

    def arn(self, arn: str, account: str) -> Candidate:
        """A user, role, assumed-role session or federated-user ARN."""
        entity = self._iam_entity(arn, account)
        if entity is not None:
            return self.entity(entity)
        if arn in self._cache:
            return self._cache[arn]
        resource = arn.split(":", 5)[5]
        kind_word, _, rest = resource.partition("/")
        name = rest.rsplit("/", 1)[-1]
        role_arn = None
        if kind_word == "assumed-role":
            role_name = rest.split("/", 1)[0]
            role_arn = f"arn:{self.partition}:iam::{account}:role/{role_name}"
            kind, pkind, ptype = CandidateKind.ROLE_SESSION, PrincipalKind.ROLE_SESSION, "AssumedRole"
        elif kind_word == "federated-user":
            kind, pkind, ptype = CandidateKind.FEDERATED_USER, PrincipalKind.USER, "FederatedUser"
        elif kind_word == "role":
            kind, pkind, ptype = CandidateKind.ROLE, PrincipalKind.ROLE, "AssumedRole"
        else:
            kind, pkind, ptype = CandidateKind.USER, PrincipalKind.USER, "User"
        ctx = self._principal_context(
            arn=role_arn or arn, account=account, principal_type=ptype,
            userid=Unknown(f"the unique id of {arn} is not in the snapshot"),
            username=Known((name,)) if kind is CandidateKind.USER else ABSENT, tags=None,
        )  # fmt: skip
        principal = Principal(id=arn, kind=pkind, provider=Provider.AWS, account=account, name=name)
        c = Candidate(
            kind=kind, principal=principal, context=ctx, account=account, arn=arn, role_arn=role_arn,
            identity_known=False,
        )  # fmt: skip
        if role_arn:
            role_entity = self._iam_entity(role_arn, account)
            if role_entity is not None:
                self.entity_of[arn] = role_entity
                c = Candidate(
                    kind=kind, principal=principal, context=ctx, account=account, arn=arn, role_arn=role_arn,
                    unique_id=None, has_boundary=role_entity.boundary_arn is not None, identity_known=True,
                )  # fmt: skip
        return self._remember(c)

    def account(self, account: str) -> Candidate:
        """An unnamed principal of ``account`` (grants go to the account node: delegation)."""
        key = f"arn:{self.partition}:iam::{account}:root"
        if key in self._cache:
            return self._cache[key]
        ctx = self._principal_context(
            arn=None, account=account, principal_type=None, userid=Opaque("*", prefixes_owned=True),
            username=CALLER_CHOICE, tags=None,
        ).merged(_CHOSEN_IDENTITY)  # fmt: skip
        ctx = replace(ctx, tags_chosen=True)
        c = Candidate(
            kind=CandidateKind.ACCOUNT, principal=aws_account_principal(account, self.partition), context=ctx,
            account=account, canonical_ids=frozenset(self.account_canonical.get(account, ())),
            identity_known=account in self.iams,
        )  # fmt: skip
        return self._remember(c)

    def _class_context(self, org: KeyValue, paths: KeyValue) -> RequestContext:
        """A broad class of principals: members set their own type, name and tags."""
        values: dict[str, KeyValue] = {
            "aws:PrincipalArn": Opaque(f"arn:{self.partition}:*", accounts_owned=True),
            "aws:PrincipalAccount": Opaque("*"),
            "kms:CallerAccount": Opaque("*"),
            "aws:userid": Opaque("*", prefixes_owned=True),
            "aws:PrincipalIsAWSService": _FALSE,
            "aws:PrincipalServiceName": ABSENT,
            "aws:PrincipalOrgID": org,
            "aws:PrincipalOrgPaths": paths,
            **_CHOSEN_IDENTITY,
        }
        return RequestContext(values=values, principal_tags=None, tags_chosen=True, now=self.now)

    def organization(self, org_id: str) -> Candidate:
        """A principal of another, unnamed account of ``org_id``."""
        key = f"aws-org:{org_id}"
        if key not in self._cache:
            ctx = self._class_context(Known((org_id,)), Opaque(f"{org_id}/*", prefixes_owned=True))
            self._remember(Candidate(kind=CandidateKind.ORGANIZATION, principal=aws_org_principal(org_id), context=ctx))
        return self._cache[key]

    def organization_reach(
        self, org_id: str, resource_account: str | None, policy: PolicyDocument | None
    ) -> list[Candidate]:
        """Who of organisation ``org_id``, outside ``resource_account``, resource policy ``policy`` may let in
        without naming them: what the organisation's class stands for, as precisely as the snapshot allows.

        Across accounts both the resource policy and the caller's own identity policies must allow
        (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
        The IAM users and roles of an account whose IAM is in the snapshot are candidates of their own (the holders
        of identity statements), evaluated on both sides; the class would let in those whose identity policies do
        not allow.  So, when the organisation's account list is known (with at least one account):

        * an account whose IAM is in the snapshot adds its root user (no identity policy limits it, only SCPs,
          https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html);
        * an account whose IAM is not adds its account node (every principal of it: fail closed);

        both only when ``policy`` has an Allow that may name them unnamed (``"*"``, ``NotPrincipal``): otherwise
        only the principals it names, candidates of their own, can pass it.  An organisation whose account list is
        unknown stays its class (fail closed), and so does one none of whose other accounts has its IAM in the
        snapshot (the class then stands for exactly those accounts' principals, and is shown as one)."""
        org = self.directory.organizations.get(org_id)
        others = org.accounts - {resource_account} if org is not None else set()
        if org is None or not org.accounts_complete or not others or not any(a in self.iams for a in others):
            return [self.organization(org_id)]
        if not _admits_anyone(policy):
            return []  # only the principals it names (candidates of their own) can pass it
        out: list[Candidate] = []
        for account in sorted(others):
            member = self.root_user(account) if account in self.iams else self.account(account)
            if admits_unnamed(policy, member):
                out.append(member)
        return out

    def organization_resolved(self, org_id: str, resource_account: str | None) -> bool:
        """Every account of organisation ``org_id`` but ``resource_account`` (its account list known) has its IAM in
        the snapshot: the class's unnamed principals are nobody, its members being candidates of their own
        (:meth:`organization_reach`)."""
        org = self.directory.organizations.get(org_id)
        if org is None or not org.accounts_complete:
            return False
        others = org.accounts - {resource_account}
        return bool(others) and all(a in self.iams for a in others)

    def resolve_organizations(
        self, candidates: Iterable[Candidate], resource_account: str | None, policy: PolicyDocument | None
    ) -> list[Candidate]:
        """``candidates``, each organisation's class in them replaced by :meth:`organization_reach`."""
        out: list[Candidate] = []
        for c in candidates:
            if c.kind is CandidateKind.ORGANIZATION:
                out.extend(self.organization_reach(c.principal.id.split(":", 1)[1], resource_account, policy))
            else:
                out.append(c)
        return out

    def org_unit(self, path: str) -> Candidate:
        """A principal of an unnamed account under OU path ``o-x/r-y/ou-z/``."""
        path = path if path.endswith("/") else path + "/"
        key = f"aws-ou:{path}"
        if key not in self._cache:
            org_id = path.split("/", 1)[0]
            ctx = self._class_context(Known((org_id,)), Opaque(f"{path}*", prefixes_owned=True))
            self._remember(Candidate(kind=CandidateKind.ORG_UNIT, principal=aws_ou_principal(path), context=ctx))
        return self._cache[key]

    def authenticated(self) -> Candidate:
        """A principal of an unknown account outside every organisation the snapshot knows."""
        key = AWS_AUTHENTICATED.id
        if key not in self._cache:
            ctx = self._class_context(
                Opaque("o-*", may_be_absent=True), Opaque("o-*", may_be_absent=True, prefixes_owned=True)
            )
            self._remember(Candidate(kind=CandidateKind.AUTHENTICATED, principal=AWS_AUTHENTICATED, context=ctx))
        return self._cache[key]

    def public(self) -> Candidate:
        """An anonymous caller: no principal keys at all."""
        key = AWS_PUBLIC.id
        if key not in self._cache:
            values: dict[str, KeyValue] = {
                k: ABSENT
                for k in (
                    "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths",
                    "aws:PrincipalIsAWSService", "aws:PrincipalServiceName", "aws:username", "kms:CallerAccount",
                )
            }  # fmt: skip
            values["aws:PrincipalType"] = Known(("Anonymous",))
            values["aws:userid"] = Known(("anonymous",))
            ctx = RequestContext(values=values, anonymous=True, now=self.now)
            self._remember(Candidate(kind=CandidateKind.PUBLIC, principal=AWS_PUBLIC, context=ctx))
        return self._cache[key]

    def service(self, name: str) -> Candidate:
        key = name.lower()
        if key not in self._cache:
            values: dict[str, KeyValue] = {
                k: ABSENT
                for k in ("aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths")
            }
            values["aws:PrincipalIsAWSService"] = Known(("true",))
            values["aws:PrincipalServiceName"] = Known((key,))
            values.update(self._unnamed_sources())
            ctx = RequestContext(values=values, principal_tags={}, now=self.now, on_behalf=True)
            principal = Principal(id=key, kind=PrincipalKind.SERVICE_PRINCIPAL, provider=Provider.AWS)
            self._remember(Candidate(kind=CandidateKind.SERVICE, principal=principal, context=ctx, service=key))
        return self._cache[key]

    def any_service(self) -> Candidate:
        """An AWS service principal no policy names, acting for an unknown account.

        ``"Principal": "*"`` covers service principals too; a statement narrowed to them with
        ``aws:PrincipalIsAWSService`` reaches this class (named services are candidates of
        their own).  It acts for someone no policy names (``aws:SourceAccount``,
        ``aws:SourceArn`` … name candidates of their own: :meth:`service_for`).
        """
        key = AWS_ANY_SERVICE.id
        if key not in self._cache:
            values = _service_keys(Opaque("*.amazonaws.com"))
            values.update(self._unnamed_sources())
            ctx = RequestContext(values=values, principal_tags={}, now=self.now, on_behalf=True)
            self._remember(Candidate(kind=CandidateKind.SERVICE, principal=AWS_ANY_SERVICE, context=ctx, service="*"))
        return self._cache[key]

    def federated(self, provider: str) -> Candidate:
        key = f"federated:{provider}"
        if key not in self._cache:
            values: dict[str, KeyValue] = {
                k: ABSENT for k in ("aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID")
            }
            # the claims of a public web identity provider's users: whichever a trust asks for (its audience
            # keys say which users; trust.py tells a trust that fixes none of them apart)
            values.update({k: CALLER_CHOICE for k in web_identity_keys(provider)})
            ctx = RequestContext(values=values, now=self.now)
            account = provider.split(":")[4] if provider.startswith("arn:") and provider.count(":") >= 5 else None
            principal = Principal(id=provider, kind=PrincipalKind.FEDERATED, provider=Provider.AWS,
                                  account=account or None)  # fmt: skip
            c = Candidate(kind=CandidateKind.FEDERATED, principal=principal, context=ctx, arn=provider)
            self._cache[key] = c
        return self._cache[key]

    def canonical(self, canonical_id: str) -> Candidate:
        """An S3 canonical user (or an ACL e-mail grantee): its account when the snapshot knows which, else a
        principal of its own."""
        account = self.canonical_accounts.get(canonical_id)
        if account is not None:
            return self.account(account)
        key = f"canonical:{canonical_id}"
        if key not in self._cache:
            ctx = self._class_context(Unknown("the canonical user's account is not known"), Unknown("unknown"))
            principal = Principal(
                id=canonical_id, kind=PrincipalKind.CANONICAL_USER, provider=Provider.AWS,
                name=_canonical_name(canonical_id),
            )  # fmt: skip
            c = Candidate(
                kind=CandidateKind.CANONICAL, principal=principal, context=ctx,
                canonical_ids=frozenset({canonical_id}),
            )  # fmt: skip
            self._cache[key] = c
        return self._cache[key]

    def userid(self, value: str) -> Candidate:
        """The principal an ``aws:userid`` value names (``AIDA…`` a user, ``AROA…:*`` sessions of a role).

        Resolved against the snapshot's unique ids; otherwise a principal of its
        own, ``aws-userid:VALUE``, in an unknown account.
        """
        uid = value.split(":", 1)[0]
        for iam in self.iams.values():
            e = iam.by_unique_id(uid)
            if e is not None:
                return self.entity(e)
        key = f"aws-userid:{value}"
        if key not in self._cache:
            role = uid.startswith("AROA")
            ctx = self._class_context(Unknown("unknown account"), Unknown("unknown account"))
            ctx = ctx.merged({"aws:userid": Opaque(value) if has_wildcard(value) else Known((value,))})
            principal = Principal(
                id=key, kind=PrincipalKind.ROLE if role else PrincipalKind.USER, provider=Provider.AWS,
                name=f"principal with aws:userid {value}",
            )  # fmt: skip
            c = Candidate(kind=CandidateKind.ROLE if role else CandidateKind.USER, principal=principal, context=ctx)
            self._cache[key] = c
        return self._cache[key]

    # -- networks and services acting for someone --------------------------------------------

    def _unnamed_sources(self) -> dict[str, KeyValue]:
        """Service-context keys of a service acting for someone no policy names (named ones are variants)."""
        return {
            "aws:SourceArn": Opaque(f"arn:{self.partition}:*", accounts_owned=True),
            "aws:SourceAccount": Opaque("*"),
            "aws:SourceOwner": Opaque("*"),
            "aws:SourceOrgID": Opaque("o-*", may_be_absent=True),
            "aws:SourceOrgPaths": Opaque("o-*", may_be_absent=True, prefixes_owned=True),
        }

    def with_networks(
        self,
        candidates: Iterable[Candidate],
        resource_docs: Iterable[PolicyDocument | None],
        owner: str | None,
        caller_docs: Callable[[Candidate], Iterable[PolicyDocument | None]] | None = None,
    ) -> list[Candidate]:
        """``candidates``, plus each of them calling through every network ``resource_docs`` name (the resource
        policy, the RCPs of its account), ``caller_docs(c)`` name (the SCPs that apply to ``c``) and, for an IAM
        user, group or role, its own policies name (:mod:`.perimeter`).

        Anyone (or any authenticated caller) calling through a network is recorded against the network
        (``aws-network:…``): callers through it, a class of its own.  A narrower class (an organisation, an
        OU, an account) through it is ``CLASS@aws-network:…``, contained in both; a specific principal stays
        itself, the grant noting the network.  A variant's grant is dropped where its candidate has the same
        grant from the internet, and a narrower class's where the network's audience already has it
        (:func:`~.candidates.without_redundant_variants`).  ``owner`` (the resource's account) is kept for
        callers that need it.
        """
        out = list(candidates)
        # the networks of the resource's documents, of each caller's SCPs (one tuple per account, kept) and of each
        # entity's own documents, each found once and joined in that order: what one scan of them all would find
        base = self._network_literals(resource_docs)
        for c in list(out):
            entity = self.entity_of.get(c.key)
            if entity is None and not (c.kind.is_class or c.kind in _NAMED_CALLERS):
                continue
            parts = [base]
            if caller_docs is not None:
                parts.append(self._kept_literals(caller_docs(c)))
            if entity is not None:
                parts.append(self._kept_literals(entity, Entity.identity_documents))
            literals = _joined(parts)
            if literals:
                out.extend(self.through_literals(c, literals))
        return out

    def _kept_literals(self, owner: Any, documents_of: Callable[[Any], Iterable[PolicyDocument | None]] | None = None
                       ) -> list[tuple[str, str]]:  # fmt: skip
        """:meth:`_network_literals` of ``owner`` (a kept tuple of documents, or an entity with ``documents_of``),
        found once per owner."""
        hit = self._literals_of.get(id(owner))
        if hit is None or hit[0] is not owner:
            docs = documents_of(owner) if documents_of is not None else owner
            hit = self._literals_of[id(owner)] = (owner, self._network_literals(docs))
        return hit[1]

    def through_networks(self, c: Candidate, documents: Iterable[PolicyDocument | None]) -> list[Candidate]:
        """``c`` calling through each network ``documents`` name: anyone (or any authenticated caller) through it
        is the network's audience; a narrower class, its principals through the network (both contain them)."""
        return self.through_literals(c, self._network_literals(documents))

    def through_literals(self, c: Candidate, literals: Iterable[tuple[str, str]]) -> list[Candidate]:
        """:meth:`through_networks` of the networks ``literals`` (condition key, value) name."""
        out: list[Candidate] = []
        for key, value in literals:
            through = self.through_network(c, key, value)
            if through is not None:
                out.append(through)
        return out

    def through_network(self, c: Candidate, key: str, value: str) -> Candidate | None:
        """``c`` calling through the network condition key ``key`` = ``value`` names; None if it names none."""
        net = _network_keys(key, value, self.networks, self.partition)
        if net is None:
            return None
        if c.kind.is_class:
            broad = c.kind in (CandidateKind.PUBLIC, CandidateKind.AUTHENTICATED)
            within = None if broad else c.principal
            principal = aws_network_principal(net.id, account=net.account, name=net.name, within=within)
            note = f"{c.principal.label} calling {net.name.removeprefix('callers ')}"
        else:
            principal, note = c.principal, f"only when calling {net.name.removeprefix('callers ')}"
        return self.via_network(c, tuple(net.values.items()), f"network:{net.id}", note, principal, through=net.id)

    def _network_literals(self, documents: Iterable[PolicyDocument | None]) -> list[tuple[str, str]]:
        """The fixed networks ``documents`` name, once each, in order; each document is scanned once per snapshot
        (an entity's policies are met again on every bucket)."""
        out: dict[tuple[str, str], None] = {}
        known = self._networks_of
        for doc in documents:
            if doc is None:
                continue
            hit = known.get(id(doc))
            if hit is None or hit[0] is not doc:
                hit = known[id(doc)] = (doc, _document_networks(doc))
            if hit[1]:  # most documents name no network
                out.update(dict.fromkeys(hit[1]))
        return list(out)

    def via_network(
        self,
        c: Candidate,
        network_keys: tuple[tuple[str, KeyValue], ...],
        variant: str,
        note: str | None,
        principal: Principal | None = None,
        through: str | None = None,
    ) -> Candidate:
        """``c`` calling with ``network_keys``: a variant recorded against ``principal`` (``c``'s own by default),
        its grants noting ``note``."""
        cache_key = f"{c.key}#{variant}"
        hit = self._cache.get(cache_key)
        if hit is None:
            hit = replace(
                c, principal=principal or c.principal, context=c.context.merged(dict(network_keys)),
                variant=f"{c.key}#{variant}", note=note, network_keys=network_keys, base=c.key, through=through,
            )  # fmt: skip
            self._cache[cache_key] = hit
            if c.key in self.entity_of:
                self.entity_of[hit.key] = self.entity_of[c.key]
        return hit

    def service_for(self, service: str, sources: Mapping[str, str]) -> Candidate:
        """``service`` (a service principal, or ``*`` for any) acting for what ``sources`` names
        (``aws:SourceArn``, ``aws:SourceAccount``, …, lower-cased keys, one value each)."""
        subject_key = next(k for k in _SOURCE_KEYS if k in sources)
        subject = sources[subject_key]
        account = sources.get("aws:sourceaccount") or sources.get("aws:sourceowner")
        if account is None and subject_key == "aws:sourcearn" and subject.count(":") >= 5:
            field = subject.split(":")[4]
            account = field if field.isdigit() and len(field) == 12 else None
        key = f"service-for:{service}:{sorted(sources.items())}"
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        values = _service_keys(Opaque("*.amazonaws.com") if service == "*" else Known((service,)))
        values.update(self._unnamed_sources())
        if account is not None:
            values["aws:SourceAccount"] = values["aws:SourceOwner"] = Known((account,))
            values["aws:SourceOrgID"] = self.directory.org_id_value(account)
            values["aws:SourceOrgPaths"] = self.directory.org_paths_value(account)
            if isinstance(values["aws:SourceOrgID"], Unknown):
                values["aws:SourceOrgID"] = Opaque("o-*", may_be_absent=True)
                values["aws:SourceOrgPaths"] = Opaque("o-*", may_be_absent=True, prefixes_owned=True)
        for k, v in sources.items():
            values[k] = Known((v,))
        if subject_key in ("aws:sourceorgid", "aws:sourceorgpaths"):
            values["aws:SourceOrgID"] = Known((subject.split("/", 1)[0],))
        ctx = RequestContext(values=values, principal_tags={}, now=self.now, on_behalf=True)
        principal = aws_service_for_principal(subject, account=account if subject_key != "aws:sourceorgid" else None)
        c = Candidate(
            kind=CandidateKind.SERVICE, principal=principal, context=ctx, service=service, account=None,
            variant=f"{service}|{sorted(sources.items())}",
        )  # fmt: skip
        self._cache[key] = c
        return c

    def variants(self, document: PolicyDocument | None) -> list[Candidate]:
        """Candidates for the services acting for what a document's conditions name (each statement's
        service-context values, for every service the document names)."""
        if document is None:
            return []
        out: list[Candidate] = []
        services: list[str] = []
        for st in document.statements:
            for ref in st.principals or ():
                if ref.type is PrincipalType.SERVICE:
                    services.append(ref.value.lower())
                elif ref.type is PrincipalType.ANY:
                    services.append("*")
            if st.not_principal and st.effect is Effect.ALLOW:
                services.append("*")
        services = list(dict.fromkeys(services))
        for st in document.statements:
            sources: dict[str, list[str]] = {}
            for keys in st.condition.values():
                for key, values in keys.items():
                    k = key.lower()
                    if k in _SOURCE_KEYS:
                        sources.setdefault(k, []).extend(v for v in values if "${" not in v)
            out.extend(_service_variants(self, services, sources))
        return out

    # -- what a document names ---------------------------------------------------------------

    def ref(self, ref: PrincipalRef) -> Candidate | None:
        t = ref.type
        if t is PrincipalType.ACCOUNT:
            return self.account(ref.value)
        if t is PrincipalType.ARN and ref.account:
            return self.arn(ref.value, ref.account)
        if t is PrincipalType.SERVICE:
            return self.service(ref.value)
        if t is PrincipalType.FEDERATED:
            return self.federated(ref.value)
        if t is PrincipalType.CANONICAL:
            return self.canonical(ref.value)
        if t is PrincipalType.UNIQUE_ID:
            for iam in self.iams.values():
                e = iam.by_unique_id(ref.value)
                if e is not None:
                    return self.entity(e)
        return None

    def named_in(self, document: PolicyDocument | None) -> list[Candidate]:
        """Candidates a document names in Principal/NotPrincipal and in principal condition keys."""
        if document is None:
            return []
        out: list[Candidate] = []
        for st in document.statements:
            for ref in st.principals or ():
                c = self.ref(ref)
                if c is not None:
                    out.append(c)
                if st.not_principal and ref.type is PrincipalType.ACCOUNT:
                    out.append(self.root_user(ref.value))  # excluded itself, unlike the account's other principals
            for keys in st.condition.values():
                out.extend(self._from_condition(keys))
        return out

    def _from_condition(self, keys: Mapping[str, Iterable[str]]) -> list[Candidate]:
        out: list[Candidate] = []
        for key, values in keys.items():
            k = key.lower()
            for v in values:
                if "${" in v:
                    continue
                if k in _ARN_KEYS and v.count(":") >= 5:
                    account = v.split(":")[4]
                    if not (account.isdigit() and len(account) == 12):
                        continue
                    if v.endswith(":root") and not has_wildcard(v):
                        out.append(self.root_user(account))
                    if has_wildcard(v) or v.endswith(":root"):
                        out.append(self.account(account))
                    elif v.split(":")[2] in ("iam", "sts"):
                        out.append(self.arn(v, account))
                elif k in _ACCOUNT_KEYS and v.isdigit() and len(v) == 12:
                    out.append(self.account(v))
                elif k in _ORG_KEYS and v.startswith("o-") and not has_wildcard(v):
                    out.append(self.organization(v))
                elif k in _PATH_KEYS and v.startswith("o-"):
                    path = v.rstrip("*")
                    if not has_wildcard(path) and path.count("/") >= 2:
                        out.append(self.org_unit(path))
                elif k in _USERID_KEYS:
                    out.append(self.userid(v))
        return out


def _admits_anyone(policy: PolicyDocument | None) -> bool:
    """Some Allow of ``policy`` names ``"*"`` or has a ``NotPrincipal``: it may let in principals it does not
    name (the quick test before :func:`~.candidates.admits_unnamed` for each account)."""
    return policy is not None and any(
        st.effect is Effect.ALLOW
        and (st.not_principal or any(r.type is PrincipalType.ANY for r in st.principals or ()))
        for st in policy.statements
    )


def _trust_reaches_outside(trust: PolicyDocument | None, account: str) -> bool:
    """Some Allow of ``trust`` may admit a caller that is not a principal of ``account`` (services aside)."""
    for st in trust.statements if trust is not None else ():
        if st.effect is not Effect.ALLOW:
            continue
        if st.not_principal:
            return True
        for ref in st.principals or ():
            if ref.type in (PrincipalType.ANY, PrincipalType.UNIQUE_ID, PrincipalType.FEDERATED):
                return True
            if ref.type in (PrincipalType.ACCOUNT, PrincipalType.ARN) and ref.account != account:
                return True
    return False


def unique(candidates: Iterable[Candidate]) -> list[Candidate]:
    seen: dict[str, Candidate] = {}
    for c in candidates:
        seen.setdefault(c.key, c)
    return list(seen.values())


def _canonical_name(canonical_id: str) -> str:
    """How a canonical-user-like principal is shown: an ACL e-mail grantee, a CloudFront OAI, a canonical id."""
    if "@" in canonical_id:
        return f"AWS account of {canonical_id} (ACL e-mail grantee)"
    if canonical_id.startswith("arn:aws:iam::cloudfront:user/"):
        return f"{canonical_id.rsplit('/', 1)[-1]} (reached through CloudFront)"
    return f"S3 canonical user {canonical_id[:12]}…"


def _service_variants(pop: Population, services: list[str], sources: Mapping[str, list[str]]) -> list[Candidate]:
    """One candidate per service and per value of the most specific service-context key a statement names."""
    fixed = {k: [v for v in vs if _fixed_source(k, v)] for k, vs in sources.items()}
    subject_key = next((k for k in _SOURCE_KEYS if fixed.get(k)), None)
    if subject_key is None or not services:
        return []
    rest = {k: vs[0] for k, vs in fixed.items() if vs and k != subject_key}
    return [
        pop.service_for(service, {**rest, subject_key: value}) for service in services for value in fixed[subject_key]
    ]


def _fixed_source(key: str, value: str) -> bool:
    """A service-context value that names one account, organisation, OU or resource owner (no wildcard, or an
    ARN whose account field is a literal account): a candidate of its own.  Any other wildcard value is one a
    service acting for anyone who creates a matching resource meets (the base service candidates decide it)."""
    if not has_wildcard(value):
        return True
    if key == "aws:sourcearn" and value.count(":") >= 5:
        account = value.split(":")[4]
        return account.isdigit() and len(account) == 12
    return False


def _representative_address(cidr: str) -> str | None:
    """An address inside ``cidr`` (a host address where the range has one), or None if it is not a range."""
    try:
        net = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return None
    if net.prefixlen == 0:
        return None  # every address: it narrows nothing and names no network
    return str(net.network_address + 1 if net.num_addresses > 2 else net.network_address)


@dataclass(frozen=True, slots=True)
class _Network:
    """A network a condition names: its id (``aws-network:<id>``), a name, its owner account if the value says,
    and the network keys of a request that comes through it."""

    id: str
    name: str
    account: str | None
    values: Mapping[str, KeyValue]


def _joined(parts: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """The literals of ``parts`` in order, each once (most parts are empty)."""
    full = [p for p in parts if p]
    if len(full) < 2:
        return full[0] if full else []
    return list(dict.fromkeys(lit for p in full for lit in p))


def _document_networks(doc: PolicyDocument) -> tuple[tuple[str, str], ...]:
    """(key, value) of every fixed network-family condition value ``doc`` names, once each, in order."""
    out: dict[tuple[str, str], None] = {}
    for st in doc.statements:
        for keys in st.condition.values():
            for key, values in keys.items():
                if key_family(key) is ConditionFamily.NETWORK:
                    for v in values:
                        if "${" not in v and not has_wildcard(v):
                            out[(key.lower(), v)] = None
    return tuple(out)


def _network_keys(key: str, value: str, networks: NetworkDirectory, partition: str) -> _Network | None:
    """The network ``key`` = ``value`` names (a VPC endpoint, a VPC, an address range, an endpoint owner's account
    or organisation) and the network keys of a request through it; None when it names no network.  A VPC or
    endpoint ``networks`` shows gets its owner account and VPC."""
    k = key.lower()
    some_endpoint: KeyValue = Opaque("vpce-*")
    if k in ("aws:sourceip", "aws:vpcsourceip", "aws:ec2instancesourceprivateipv4"):
        address = _representative_address(value)
        if address is None:
            return None
        cidr = str(ipaddress.ip_network(value.strip(), strict=False))
        if k == "aws:sourceip":
            return _Network(
                id=cidr, name=f"callers from {cidr}", account=None,
                values={"aws:SourceIp": Known((address,)), "aws:SourceVpce": ABSENT, "aws:SourceVpc": ABSENT},
            )  # fmt: skip
        return _Network(
            id=f"vpc-ip:{cidr}", name=f"callers in a VPC from private addresses {cidr}", account=None,
            values={
                "aws:VpcSourceIp": Known((address,)), "aws:Ec2InstanceSourcePrivateIPv4": Known((address,)),
                "aws:SourceIp": ABSENT, "aws:SourceVpce": some_endpoint, "aws:SourceVpc": Opaque("vpc-*"),
            },
        )  # fmt: skip
    if k == "aws:sourcevpce":
        endpoint = networks.endpoints.get(value)
        # the VPC and owner of an endpoint the snapshot does not show: whichever lets the callers in (fail closed)
        values = {
            "aws:SourceVpce": Known((value,)), "aws:SourceIp": ABSENT, "aws:VpcSourceIp": CALLER_CHOICE,
            "aws:SourceVpc": CALLER_CHOICE, "aws:VpceAccount": CALLER_CHOICE,
        }  # fmt: skip
        if endpoint is None:
            return _Network(id=value, name=f"callers through VPC endpoint {value}", account=None, values=values)
        values["aws:VpceAccount"] = Known((endpoint.account,))
        if endpoint.vpc:
            vpc = networks.vpcs.get(endpoint.vpc)
            values["aws:SourceVpc"] = Known((endpoint.vpc,))
            if vpc is not None:
                values["aws:SourceVpcArn"] = Known((vpc.arn(partition),))
        name = f"callers through VPC endpoint {value} of account {endpoint.account}"
        return _Network(id=value, name=name, account=endpoint.account, values=values)
    if k in ("aws:sourcevpc", "aws:ec2instancesourcevpc", "aws:sourcevpcarn"):
        vpc = value.rsplit("/", 1)[-1] if k == "aws:sourcevpcarn" else value
        account = None
        values: dict[str, KeyValue] = {
            "aws:SourceVpc": Known((vpc,)), "aws:Ec2InstanceSourceVpc": Known((vpc,)), "aws:SourceIp": ABSENT,
            "aws:SourceVpce": some_endpoint, "aws:VpcSourceIp": CALLER_CHOICE,
        }  # fmt: skip
        if k == "aws:sourcevpcarn":
            values["aws:SourceVpcArn"] = Known((value,))
            parts = value.split(":")
            account = parts[4] if len(parts) > 5 and parts[4].isdigit() else None
        known = networks.vpcs.get(vpc)
        if known is not None:
            account = known.account
            values["aws:SourceVpcArn"] = Known((known.arn(partition),))
        name = f"callers in VPC {vpc}" + (f" of account {account}" if account else "")
        return _Network(id=vpc, name=name, account=account, values=values)
    if k == "aws:vpceaccount":
        return _Network(
            id=f"vpce-account:{value}", name=f"callers through VPC endpoints of account {value}", account=value,
            values={"aws:VpceAccount": Known((value,)), "aws:SourceVpce": some_endpoint, "aws:SourceIp": ABSENT},
        )  # fmt: skip
    if k in ("aws:vpceorgid", "aws:vpceorgpaths"):
        return _Network(
            id=f"vpce-org:{value}", name=f"callers through VPC endpoints of organisation {value}", account=None,
            values={key: Known((value,)), "aws:SourceVpce": some_endpoint, "aws:SourceIp": ABSENT},
        )  # fmt: skip
    return None


def _service_keys(name: KeyValue) -> dict[str, KeyValue]:
    """The principal keys of a request an AWS service principal makes (``name``: its aws:PrincipalServiceName)."""
    values: dict[str, KeyValue] = {
        k: ABSENT
        for k in ("aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths",
                  "aws:userid", "aws:username", "kms:CallerAccount")
    }  # fmt: skip
    values["aws:PrincipalIsAWSService"] = Known(("true",))
    values["aws:PrincipalType"] = Known(("AWSService",))
    values["aws:PrincipalServiceName"] = name
    return values


@cache
def _web_identity_providers() -> dict[str, tuple[str, ...]]:
    text = resources.files("seenby.policies.aws.data").joinpath("web_identity_providers.json").read_text("utf-8")
    return {p: tuple(keys) for p, keys in json.loads(text)["providers"].items()}


def web_identity_keys(provider: str) -> tuple[str, ...]:
    """The condition keys naming the audience or subject of a public web identity provider's users (none for
    any other provider): ``policies/aws/data/web_identity_providers.json``."""
    return _web_identity_providers().get(provider.lower(), ())
