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

from collections.abc import Iterable, Mapping

from seenby.model import (
    AWS_ANY_SERVICE,
    AWS_AUTHENTICATED,
    AWS_PUBLIC,
    Principal,
    PrincipalKind,
    Provider,
    aws_account_principal,
    aws_org_principal,
    aws_ou_principal,
)
from seenby.policies.aws.candidates import Candidate, CandidateKind
from seenby.policies.aws.context import ABSENT, KeyValue, Known, Opaque, RequestContext, Unknown
from seenby.policies.aws.document import PolicyDocument, PrincipalRef, PrincipalType
from seenby.policies.aws.iam import AccountIam, Entity, EntityKind
from seenby.policies.aws.matching import has_wildcard
from seenby.policies.aws.org import Directory

__all__ = ["Population", "unique"]

_FALSE = Known(("false",))
_ARN_KEYS = {"aws:principalarn"}
_ACCOUNT_KEYS = {"aws:principalaccount", "kms:calleraccount"}
_ORG_KEYS = {"aws:principalorgid"}
_PATH_KEYS = {"aws:principalorgpaths"}
_USERID_KEYS = {"aws:userid"}


class Population:
    """Candidate factory over one snapshot's organisations and IAM."""

    def __init__(
        self,
        directory: Directory,
        iams: Mapping[str, AccountIam],
        canonical_accounts: Mapping[str, str],
        partition: str = "aws",
    ) -> None:
        self.directory = directory
        self.iams = iams
        self.canonical_accounts = dict(canonical_accounts)
        self.account_canonical: dict[str, set[str]] = {}
        for cid, acct in self.canonical_accounts.items():
            self.account_canonical.setdefault(acct, set()).add(cid)
        self.partition = partition
        self._cache: dict[str, Candidate] = {}
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
        return RequestContext(values=values, principal_tags=tags)

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
            username=Unknown("varies across the account's principals"), tags=None,
        )  # fmt: skip
        c = Candidate(
            kind=CandidateKind.ACCOUNT, principal=aws_account_principal(account, self.partition), context=ctx,
            account=account, canonical_ids=frozenset(self.account_canonical.get(account, ())),
            identity_known=account in self.iams,
        )  # fmt: skip
        return self._remember(c)

    def _class_context(self, org: KeyValue, paths: KeyValue) -> RequestContext:
        values: dict[str, KeyValue] = {
            "aws:PrincipalArn": Opaque(f"arn:{self.partition}:*", accounts_owned=True),
            "aws:PrincipalAccount": Opaque("*"),
            "kms:CallerAccount": Opaque("*"),
            "aws:PrincipalType": Unknown("the principal type varies"),
            "aws:userid": Opaque("*", prefixes_owned=True),
            "aws:username": Unknown("varies across principals"),
            "aws:PrincipalIsAWSService": _FALSE,
            "aws:PrincipalServiceName": ABSENT,
            "aws:PrincipalOrgID": org,
            "aws:PrincipalOrgPaths": paths,
        }
        return RequestContext(values=values, principal_tags=None)

    def organization(self, org_id: str) -> Candidate:
        """A principal of another, unnamed account of ``org_id``."""
        key = f"aws-org:{org_id}"
        if key not in self._cache:
            ctx = self._class_context(Known((org_id,)), Opaque(f"{org_id}/*", prefixes_owned=True))
            self._remember(Candidate(kind=CandidateKind.ORGANIZATION, principal=aws_org_principal(org_id), context=ctx))
        return self._cache[key]

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
            ctx = RequestContext(values=values, anonymous=True)
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
            ctx = RequestContext(values=values, principal_tags={})
            principal = Principal(id=key, kind=PrincipalKind.SERVICE_PRINCIPAL, provider=Provider.AWS)
            self._remember(Candidate(kind=CandidateKind.SERVICE, principal=principal, context=ctx, service=key))
        return self._cache[key]

    def any_service(self) -> Candidate:
        """An AWS service principal no policy names, acting for an unknown account.

        ``"Principal": "*"`` covers service principals too; a statement narrowed to them with
        ``aws:PrincipalIsAWSService`` reaches this class (named services are candidates of
        their own).  On whose behalf the service acts (``aws:SourceAccount``,
        ``aws:SourceArn``) is a property of the request: unknown offline, so conditional.
        """
        key = AWS_ANY_SERVICE.id
        if key not in self._cache:
            values: dict[str, KeyValue] = {
                k: ABSENT
                for k in ("aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths",
                          "aws:userid", "aws:username", "kms:CallerAccount")
            }  # fmt: skip
            values["aws:PrincipalIsAWSService"] = Known(("true",))
            values["aws:PrincipalServiceName"] = Opaque("*.amazonaws.com")
            values["aws:PrincipalType"] = Known(("AWSService",))
            ctx = RequestContext(values=values, principal_tags={})
            self._remember(
                Candidate(kind=CandidateKind.SERVICE, principal=AWS_ANY_SERVICE, context=ctx, service="*")
            )
        return self._cache[key]

    def federated(self, provider: str) -> Candidate:
        key = f"federated:{provider}"
        if key not in self._cache:
            values: dict[str, KeyValue] = {
                k: ABSENT for k in ("aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID")
            }
            ctx = RequestContext(values=values)
            principal = Principal(id=provider, kind=PrincipalKind.FEDERATED, provider=Provider.AWS)
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
