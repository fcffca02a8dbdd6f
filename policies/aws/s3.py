"""S3 buckets: their layers (bucket policy, ACL, Object Ownership, Block Public Access, default
encryption) and the grants they give each candidate.

For every candidate and every audited action (``data/s3_access_levels.json``) the
layers combine as :mod:`.access` describes; a level is granted when any of its
actions is.  ACLs (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html):
bucket READ lists objects (LIST, not object data), WRITE writes, READ_ACP reads
the ACL (LIST), WRITE_ACP changes it (ADMIN), FULL_CONTROL is all of them.  A
grant to the bucket owner's own canonical id delegates to the owner account's
IAM and grants nothing by itself.  Object Ownership ``BucketOwnerEnforced``
disables ACLs (https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html).
Object ACLs, when the snapshot has them, are one more resource-side layer (:mod:`.object_acls`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from seenby.model import (
    AccessLevel,
    Condition,
    Dataset,
    DatasetKind,
    Evidence,
    EvidenceKind,
    Provider,
    freeze_json,
)
from seenby.policies.aws.access import NOT_ALLOWED, IdentityMode, Outcome, conjoin, disjoin, resource_and_identity
from seenby.policies.aws.bpa import BpaSetting, PublicAccessBlock, combine_bpa, is_public_policy
from seenby.policies.aws.candidates import Candidate, CandidateKind, match_principal
from seenby.policies.aws.conditions import Tri
from seenby.policies.aws.context import (
    ABSENT,
    KeyValue,
    Known,
    RequestContext,
    bucket_tag_keys,
    other_services_resource_keys,
)
from seenby.policies.aws.document import Effect, PolicyDocument, PrincipalType, parse_policy
from seenby.policies.aws.evaluate import Request, Verdict
from seenby.policies.aws.iam import IdentityIndex
from seenby.policies.aws.kms import Encryption, EncryptionKind, KeyInfo, parse_encryption
from seenby.policies.aws.matching import action_matches
from seenby.policies.aws.memo import ActionElement
from seenby.policies.aws.object_acls import ObjectAcls, load_object_acls, object_acl_outcome, object_acl_permissions
from seenby.policies.aws.perimeter import Perimeters, rcp_documents
from seenby.policies.aws.population import unique
from seenby.policies.aws.resource_policy import Decider, Guarded, ResourcePolicyEvaluator
from seenby.policies.aws.world import AwsWorld
from seenby.registry import S3BucketRead
from seenby.snapshot import Resource

__all__ = [
    "ActionSpec",
    "Bucket",
    "BucketEvaluator",
    "BucketTarget",
    "all_actions",
    "level_actions",
    "load_bucket",
    "outside_owner_account",
]

_ACCESS_POINT_KEYS = ("s3:DataAccessPointArn", "s3:DataAccessPointAccount", "s3:AccessPointNetworkOrigin")


@dataclass(frozen=True, kw_only=True, slots=True)
class ActionSpec:
    action: str
    level: AccessLevel
    object_level: bool
    kms_action: str | None
    owner_account_only: bool = False  # S3 refuses it to identities of other accounts (PutBucketPolicy)


@cache
def _data() -> dict[str, Any]:
    return json.loads(resources.files("seenby.policies.aws").joinpath("data/s3_access_levels.json").read_text())


@cache
def level_actions() -> dict[AccessLevel, tuple[ActionSpec, ...]]:
    out: dict[AccessLevel, list[ActionSpec]] = {}
    for a in _data()["actions"]:
        spec = ActionSpec(
            action=a["action"], level=AccessLevel(a["level"]), object_level=a["resource"] == "object",
            kms_action=a["kms_action"], owner_account_only=a.get("owner_account_only", False),
        )  # fmt: skip
        out.setdefault(spec.level, []).append(spec)
    return {k: tuple(v) for k, v in out.items()}


@cache
def all_specs() -> tuple[ActionSpec, ...]:
    """Every audited action, level by level in the order of :func:`level_actions`."""
    return tuple(spec for specs in level_actions().values() for spec in specs)


def all_actions() -> tuple[str, ...]:
    return tuple(a["action"] for a in _data()["actions"])


@dataclass(frozen=True, kw_only=True, slots=True)
class AclGrant:
    index: int
    grantee_type: str
    grantee: str  # canonical id, group URI or email
    permission: str
    raw: Any

    def evidence(self, bucket: str) -> Evidence:
        return Evidence(kind=EvidenceKind.ACL_GRANT, source=bucket, location=f"Grants[{self.index}]", excerpt=self.raw)


@dataclass(frozen=True, kw_only=True)
class Bucket:
    """One bucket's layers, as read from its snapshot resource (changed only with :func:`dataclasses.replace`)."""

    arn: str
    name: str
    account: str | None
    region: str | None
    tags: Mapping[str, str] = field(default_factory=dict)
    tags_known: bool = False  # the tags read succeeded (or said there are none): ``tags`` is the whole tag set
    abac: bool | None = None  # ABAC enabled (GetBucketAbac); None: not read, failed, or no status given
    policy: PolicyDocument | None = None
    acl_owner: str | None = None
    acl: tuple[AclGrant, ...] = ()
    acl_unknown: bool = False
    ownership: str | None = None  # ObjectOwnership; None = no controls (ACLs on)
    ownership_unknown: str | None = None  # reason, when the read is a gap
    bpa: PublicAccessBlock = field(default_factory=PublicAccessBlock)
    encryption: Encryption = field(default_factory=lambda: Encryption(kind=EncryptionKind.NONE))
    object_acls: ObjectAcls | None = None  # None: not read (BucketOwnerEnforced, or an older snapshot)

    @property
    def object_grants(self) -> bool:
        """Whether some object ACL grants anyone but the bucket owner something while ACLs are in force."""
        acls = self.object_acls
        return self.ownership != "BucketOwnerEnforced" and acls is not None and bool(acls.grants)

    def kms_context(self) -> dict[str, KeyValue]:
        """The KMS request keys S3 sets when it uses the bucket's key for a caller (``kms:ViaService``).

        S3 calls KMS on the caller's behalf from the bucket's Region, so ``kms:ViaService`` is
        ``s3.REGION.amazonaws.com`` (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service);
        with the Region unknown the key stays undecided.
        """
        return {"kms:ViaService": Known((f"s3.{self.region}.amazonaws.com",))} if self.region else {}

    def dataset(self) -> Dataset:
        return Dataset(
            id=self.arn, kind=DatasetKind.S3_BUCKET, provider=Provider.AWS, name=self.name, account=self.account,
            location=self.region, tags=self.tags,
        )  # fmt: skip


# GetBucketLocation's legacy constraints (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html):
# null (or empty) is us-east-1, ``EU`` is eu-west-1
_LEGACY_LOCATIONS = {"": "us-east-1", "EU": "eu-west-1"}

# ACL grantee types that name one AWS account (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Grantee.html):
# by canonical id, or by the e-mail address of the account (kept as written; S3 stores the account's canonical id)
_ACCOUNT_GRANTEES = ("CanonicalUser", "AmazonCustomerByEmail")


def _region(res: Resource) -> str | None:
    if res.region:
        return res.region
    doc = res.document(S3BucketRead.LOCATION)
    if isinstance(doc, Mapping) and "LocationConstraint" in doc:
        constraint = str(doc["LocationConstraint"] or "")
        return _LEGACY_LOCATIONS.get(constraint, constraint)
    return None


def _abac(res: Resource) -> bool | None:
    """Whether ABAC is enabled on the bucket: GetBucketAbac's ``AbacStatus.Status`` ``Enabled`` or ``Disabled``
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketAbac.html).  None (unknown) when the read is
    not in the snapshot, failed, or gave no status: fail closed, the tag keys stay undecided."""
    doc = res.document(S3BucketRead.ABAC)
    status = (doc.get("AbacStatus") or {}).get("Status") if isinstance(doc, Mapping) else None
    return {"Enabled": True, "Disabled": False}.get(str(status)) if status is not None else None


def load_bucket(res: Resource, account_bpa: PublicAccessBlock) -> Bucket:
    tags: dict[str, str] = {}
    tag_doc = res.document(S3BucketRead.TAGS)
    tags_read = res.read(S3BucketRead.TAGS)
    if isinstance(tag_doc, Mapping):
        tags = {str(t["Key"]): str(t.get("Value", "")) for t in tag_doc.get("TagSet") or [] if "Key" in t}
    policy = None
    policy_doc = res.document(S3BucketRead.POLICY)
    if policy_doc is not None:
        raw = policy_doc.get("Policy") if isinstance(policy_doc, Mapping) and "Policy" in policy_doc else policy_doc
        policy = parse_policy(raw, source=res.id, kind=EvidenceKind.RESOURCE_POLICY, require_principal=True)
    acl_read = res.read(S3BucketRead.ACL)
    acl_owner: str | None = None
    grants: list[AclGrant] = []
    acl = res.document(S3BucketRead.ACL)
    if isinstance(acl, Mapping):
        acl_owner = (acl.get("Owner") or {}).get("ID")
        for i, g in enumerate(acl.get("Grants") or []):
            grantee = g.get("Grantee") or {}
            gtype = grantee.get("Type", "")
            value = grantee.get("ID") or grantee.get("URI") or grantee.get("EmailAddress") or ""
            grants.append(
                AclGrant(
                    index=i, grantee_type=gtype, grantee=value, permission=g.get("Permission", ""), raw=freeze_json(g)
                )
            )
    ownership: str | None = None
    ownership_unknown: str | None = None
    own = res.read(S3BucketRead.OWNERSHIP_CONTROLS)
    if own is not None and own.outcome.is_gap:
        ownership_unknown = f"{own.api} was {own.outcome.value} ({own.error_code})"
    elif own is not None and own.ok:
        rules = ((own.document or {}).get("OwnershipControls") or {}).get("Rules") or []
        ownership = rules[0].get("ObjectOwnership") if rules else None
    return Bucket(
        arn=res.id, name=res.name or res.id.split(":::", 1)[-1], account=res.account, region=_region(res), tags=tags,
        tags_known=tags_read is not None and not tags_read.outcome.is_gap, abac=_abac(res),
        policy=policy, acl_owner=acl_owner, acl=tuple(grants), acl_unknown=acl_read is None or acl_read.outcome.is_gap,
        ownership=ownership, ownership_unknown=ownership_unknown,
        bpa=combine_bpa(
            account_bpa,
            PublicAccessBlock.from_read(res.read(S3BucketRead.PUBLIC_ACCESS_BLOCK), source=res.id, level="bucket"),
        ),
        encryption=parse_encryption(res), object_acls=load_object_acls(res, acl_owner),
    )  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class _ForeignReach:
    """Which other accounts' IAM users, groups and roles the bucket's resource layers could let in.

    Cross-account access needs the resource side to allow (:mod:`.access`): a bucket or key
    policy Allow whose Principal could name the caller (``*``, its account, an ARN in its
    account, a unique id, any ``NotPrincipal``), or an ACL grant to a group.  A principal of
    another account that none of these can name gets nothing from its own identity policies,
    so it is not evaluated as a candidate (the same grants, without trying every
    administrator of every account on every bucket).
    """

    anyone: bool
    accounts: frozenset[str]

    @staticmethod
    def of(bucket: Bucket, key: KeyInfo | None, acl_groups: Mapping[str, str]) -> _ForeignReach:
        accounts: set[str] = set()
        anyone = False
        docs = [bucket.policy]
        if key is not None:
            if key.aws_managed or key.policy is None:
                anyone = True  # not worth narrowing: evaluate every candidate as before
            docs.append(key.policy)
        for doc in docs:
            for st in doc.statements if doc is not None else ():
                if st.effect is not Effect.ALLOW:
                    continue
                if st.principals is None or st.not_principal:
                    anyone = True
                    continue
                for ref in st.principals:
                    if ref.type in (PrincipalType.ANY, PrincipalType.UNIQUE_ID):
                        anyone = True
                    elif ref.type in (PrincipalType.ACCOUNT, PrincipalType.ARN):
                        if ref.account is None:
                            anyone = True
                        else:
                            accounts.add(ref.account)
        if bucket.ownership != "BucketOwnerEnforced" and any(
            g.grantee_type in ("Group", "AmazonCustomerByEmail") or g.grantee in acl_groups for g in bucket.acl
        ):
            anyone = True
        if (
            bucket.object_grants
            and bucket.object_acls is not None
            and any(g.grantee_type in ("Group", "AmazonCustomerByEmail") for g in bucket.object_acls.grants)
        ):
            anyone = True
        return _ForeignReach(anyone=anyone, accounts=frozenset(accounts))

    def may_reach(self, account: str | None, bucket_account: str | None) -> bool:
        return self.anyone or account is None or account == bucket_account or account in self.accounts


_NO_IDENTITY = (CandidateKind.PUBLIC, CandidateKind.SERVICE, CandidateKind.FEDERATED, CandidateKind.ACCOUNT)

_OUTSIDE_KINDS = (
    CandidateKind.PUBLIC, CandidateKind.AUTHENTICATED, CandidateKind.ORGANIZATION, CandidateKind.ORG_UNIT,
    CandidateKind.SERVICE, CandidateKind.FEDERATED,
)  # fmt: skip


def outside_owner_account(bucket: Bucket, c: Candidate, spec: ActionSpec) -> bool:
    """True when S3 refuses ``spec`` to ``c`` whatever the policies say: an owner-account-only action
    (PutBucketPolicy, DeleteBucketPolicy: 405 to identities of other accounts, anonymous callers and services,
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html) and a caller known not to belong to
    the bucket's account.  A caller or bucket whose account is unknown keeps its grant."""
    return spec.owner_account_only and _outsider(bucket, c)


def _outsider(bucket: Bucket, c: Candidate) -> bool:
    """``c`` is known not to belong to ``bucket``'s account."""
    if bucket.account is None:
        return False
    if c.account is not None:
        return c.account != bucket.account
    return c.kind in _OUTSIDE_KINDS


def _element_applies(element: ActionElement, action: str) -> bool:
    """Whether a statement with this Action (or NotAction) element applies to ``action`` (as evaluate.py decides)."""
    patterns, not_action = element
    hit = any(action_matches(p, action) for p in patterns)
    return not hit if not_action else hit


def _may_allow(policy: PolicyDocument | None, c: Candidate, action: str) -> bool:
    """Whether some Allow of resource policy ``policy`` for ``action`` may name ``c`` (its Principal is not FALSE)."""
    return policy is not None and any(
        st.effect is Effect.ALLOW and match_principal(st, c).value is not Tri.FALSE
        for st in policy.statements_for(action)
    )


def _names_itself(policy: PolicyDocument, c: Candidate, action: str) -> bool:
    """Whether some Allow of resource policy ``policy`` for ``action`` may name ``c`` itself, not only its account."""
    for st in policy.statements_for(action):
        if st.effect is Effect.ALLOW:
            m = match_principal(st, c)
            if m.value is not Tri.FALSE and not m.via_account:
                return True
    return False


@dataclass(frozen=True, slots=True)
class BucketTarget:
    """A bucket as :class:`BucketEvaluator`'s hooks read it: its layers and its resolved KMS key."""

    bucket: Bucket
    key: KeyInfo | None

    @property
    def arn(self) -> str:
        return self.bucket.arn

    @property
    def account(self) -> str | None:
        return self.bucket.account

    @property
    def policy(self) -> PolicyDocument | None:
        return self.bucket.policy


class BucketEvaluator(ResourcePolicyEvaluator[Bucket, BucketTarget]):
    """S3 on the one core (:mod:`.resource_policy`): its hooks add ACLs and object ACLs, Block Public Access
    (S3's own "public", :mod:`.bpa`), the bucket's KMS key and S3's resource keys; access points
    (:mod:`.access_points`) compose the same layers."""

    kind = "s3"

    def __init__(self, *, world: AwsWorld, index: IdentityIndex) -> None:
        super().__init__(
            population=world.population, directory=world.directory, index=index, levels=level_actions(),
            rcps_apply=True, memo=world.memo, anonymous=True,
        )  # fmt: skip
        self.keys = world.keys
        self._key_keys: dict[str, dict[str, KeyValue]] = {}  # key ARN -> its request keys (:meth:`key_keys`)
        data = _data()
        self.acl_actions: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in data["acl_permissions"].items()}
        self.acl_groups: dict[str, str] = data["acl_groups"]
        self.log_delivery = data["log_delivery_service"]

    # -- hooks ---------------------------------------------------------------------------------

    def prepare(self, res: Bucket) -> BucketTarget:
        return BucketTarget(res, self.key_of(res))

    def candidates(self, res: BucketTarget) -> list[Candidate]:
        bucket, key = res.bucket, res.key
        pop = self.population
        out = self.class_candidates(res)
        if key is not None:
            out.extend(pop.resolve_organizations(pop.named_in(key.policy), bucket.account, bucket.policy))
        for g in bucket.acl:
            if g.grantee_type in _ACCOUNT_GRANTEES and g.grantee and g.grantee != bucket.acl_owner:
                out.append(pop.canonical(g.grantee))
            elif self.acl_groups.get(g.grantee) == "log-delivery":
                out.append(pop.service(self.log_delivery))
        for og in bucket.object_acls.grants if bucket.object_grants and bucket.object_acls else ():
            if og.grantee_type in _ACCOUNT_GRANTEES and og.grantee and og.grantee != bucket.acl_owner:
                out.append(pop.canonical(og.grantee))
        targets = (bucket.arn, f"{bucket.arn}/*")
        foreign = _ForeignReach.of(bucket, key, self.acl_groups)
        holders = list(self.index.holders(bucket.name, targets))
        if key is not None and not key.aws_managed and key.arn:
            # whoever may decrypt with the bucket's key and reaches the bucket through its policy alone (a public or
            # account-wide Allow needs no S3 permission of their own in the owner account)
            holders += [e for e in self.index.holders(key.arn, (key.arn,)) if e.account == bucket.account]
        out.extend(self.holder_candidates(e for e in holders if foreign.may_reach(e.account, bucket.account)))
        # a grant the owner account's principals get without an Allow of their own reaches those roles of it that
        # others can assume, and so whoever assumes them (issue 22 item 4)
        acl_open = bucket.ownership != "BucketOwnerEnforced" and any(
            self.acl_groups.get(g.grantee) in ("public", "authenticated") for g in bucket.acl
        )
        out.extend(pop.entity(r) for r in pop.roles_reached_through_owner(bucket.account, bucket.policy, acl_open))
        # the networks its policies, the RCPs of its account and each caller's SCPs name (:mod:`.perimeter`)
        rcps = rcp_documents(self.memo, self.directory, bucket.account)
        docs = (bucket.policy, key.policy if key is not None else None, *rcps)
        return pop.with_networks(unique(out), docs, bucket.account, Perimeters(self.memo, self.directory).of_caller)

    def resource_keys(self, res: Guarded) -> dict[str, KeyValue]:
        """The request context keys a request to the bucket carries about the resource."""
        # a direct request does not come through an access point (see access_points.py, which sets them)
        keys: dict[str, KeyValue] = {**other_services_resource_keys("s3"), **{k: ABSENT for k in _ACCESS_POINT_KEYS}}
        if res.account:
            keys["aws:ResourceAccount"] = Known((res.account,))
            keys["s3:ResourceAccount"] = Known((res.account,))
            org = self.directory.org_of(res.account)
            if org is not None:
                keys["aws:ResourceOrgID"] = Known((org.id,))
                keys["aws:ResourceOrgPaths"] = self.directory.org_paths_value(res.account)
        bucket = res.bucket if isinstance(res, BucketTarget) else res
        if isinstance(bucket, Bucket):
            keys.update(bucket_tag_keys(bucket.tags if bucket.tags_known else None, abac=bucket.abac))
        return keys

    def context_scope(self, res: Guarded) -> object:
        """A request's resource keys depend on the bucket's account and, for tag conditions, its tags and ABAC
        status (:func:`~.context.bucket_tag_keys` names no bucket)."""
        bucket = res.bucket if isinstance(res, BucketTarget) else res
        if not isinstance(bucket, Bucket) or not bucket.tags_known:
            return (res.account, None)
        return (res.account, tuple(sorted(bucket.tags.items())), bucket.abac)

    def may_be_granted(self, res: BucketTarget, c: Candidate) -> bool:
        """False only when no layer can allow ``c`` anything on the bucket (so its actions need no evaluation).

        A caller gets access from the resource side (an Allow of the bucket or key policy whose
        Principal may name it, an ACL grant) or, in the bucket's own account, from its identity
        policies.  Callers without identity policies of their own in that account (anonymous,
        services, the account's unnamed principals) and every caller of another account need
        the resource side; the class archetypes on a private bucket are the common case.
        """
        bucket, key = res.bucket, res.key
        same_account = c.account is not None and c.account == bucket.account
        if same_account and (self.population.entity_of.get(c.key) is not None or c.kind not in _NO_IDENTITY):
            return True
        acls_on = bool(bucket.acl) and bucket.ownership != "BucketOwnerEnforced"
        if acls_on and any(g.grantee_type != "CanonicalUser" or g.grantee != bucket.acl_owner for g in bucket.acl):
            return True
        if bucket.object_grants:
            return True
        docs = [bucket.policy]
        if key is not None:
            if key.policy is None and not key.aws_managed:
                return True  # an unknown key policy opens a conditional admin grant to anyone
            docs.append(key.policy)
        return any(
            st.effect is Effect.ALLOW and match_principal(st, c).value is not Tri.FALSE
            for doc in docs
            if doc is not None
            for st in doc.statements
        )

    def decider(self, res: BucketTarget, c: Candidate) -> Decider:
        """Each level's outcomes, one evaluation per group of actions alike (:meth:`action_groups`); at ``admin``,
        also whoever may rewrite the key policy of the bucket's customer-managed key."""
        bucket, key = res.bucket, res.key
        groups = iter(self.action_groups(bucket, c))
        decided: dict[int, Outcome] = {}
        context = self.context(c, bucket)

        def decide(level: AccessLevel, specs: Sequence[ActionSpec]) -> list[Outcome]:
            outcomes: list[Outcome] = []
            for spec in specs:
                group = next(groups)
                outcome = decided.get(group)
                if outcome is None:
                    outcome = decided[group] = self.action_outcome(
                        bucket, key, c, spec, granting=True, context=context
                    )
                elif any(o is outcome for o in outcomes):
                    continue  # the same outcome again adds nothing to the level's any_of (nor to its evidence)
                outcomes.append(outcome)
            if level is AccessLevel.ADMIN and key is not None and not key.aws_managed:
                admin = self.key_outcome(key, c, "kms:PutKeyPolicy", {}, granting=True)
                if admin.allows and admin.evidence:
                    outcomes.append(admin)
            return outcomes

        return decide

    def requests(self, res: BucketTarget, actions: Iterable[ActionSpec]) -> Callable[[Candidate], list[Request]]:
        """The requests of ``actions`` on the bucket as a given caller makes them."""
        arn = res.arn
        specs = tuple(actions)

        def of(c: Candidate) -> list[Request]:
            context = self.context(c, res)
            return [Request(action=s.action, resource=f"{arn}/*" if s.object_level else arn, context=context)
                    for s in specs]  # fmt: skip

        return of

    # -- S3's layers (public: policies/aws/explain.py and access_points.py compose them too) ------

    def acl_outcome(self, bucket: Bucket, c: Candidate, action: str) -> Outcome:
        """The bucket ACL layer: grants giving ``c`` ``action`` (Object Ownership and IgnorePublicAcls applied)."""
        if not bucket.acl or bucket.ownership == "BucketOwnerEnforced":
            return NOT_ALLOWED
        results: list[Outcome] = []
        for g in bucket.acl:
            if action not in self.acl_actions.get(g.permission, ()):
                continue
            outcome = self.acl_grant_outcome(bucket, c, g.grantee_type, g.grantee, g.evidence(bucket.arn))
            if outcome is not None:
                results.append(outcome)
        return disjoin(*results) if results else NOT_ALLOWED

    def acl_grant_outcome(
        self, bucket: Bucket, c: Candidate, grantee_type: str, grantee: str, evidence: Evidence
    ) -> Outcome | None:
        """One ACL grant (bucket or object) for ``c``: None when it does not name ``c`` or IgnorePublicAcls drops it.

        Shared by the bucket ACL and :mod:`.object_acls`: the same grantees, IgnorePublicAcls and
        Object Ownership rules apply to both.
        """
        group = self.acl_groups.get(grantee) if grantee_type == "Group" else None
        if group == "public":
            matches = True
        elif group == "authenticated":
            matches = c.kind is not CandidateKind.PUBLIC
        elif group == "log-delivery":
            matches = c.service == self.log_delivery
        elif grantee_type in _ACCOUNT_GRANTEES:
            matches = grantee != bucket.acl_owner and grantee in c.canonical_ids
        else:
            matches = False
        if not matches:
            return None
        outcome = Outcome(verdict=Verdict.ALLOW, evidence=(evidence,))
        if group in ("public", "authenticated"):
            ignore = bucket.bpa.get(BpaSetting.IGNORE_PUBLIC_ACLS)
            if ignore.value is Tri.TRUE:
                return None
            if ignore.value is Tri.UNKNOWN:
                outcome = outcome.with_conditions(
                    [ignore.condition(BpaSetting.IGNORE_PUBLIC_ACLS, "public ACL grant applies")]
                )
        if bucket.ownership_unknown:
            outcome = outcome.with_conditions(
                [
                    Condition(
                        expression={"ObjectOwnership": "unknown"}, keys=("ObjectOwnership",),
                        reason="ACL grant applies unless Object Ownership is BucketOwnerEnforced: "
                        + bucket.ownership_unknown,
                    )
                ]
            )  # fmt: skip
        return outcome

    def key_keys(self, key: KeyInfo) -> dict[str, KeyValue]:
        """The resource keys of a request to KMS for ``key``: whose key it is, the key's own (``kms:KeySpec`` …),
        and no other service's resource keys (:func:`other_services_resource_keys`).  Made once per key."""
        hit = self._key_keys.get(key.arn)
        if hit is None:
            hit = {**other_services_resource_keys("kms"), **self.account_keys(key.account), **key.request_keys()}
            self._key_keys[key.arn] = hit
        return hit

    def key_outcome(
        self, key: KeyInfo, c: Candidate, action: str, ctx_keys: Mapping[str, KeyValue], *, granting: bool = False
    ) -> Outcome:
        """The KMS layer: whether ``c`` may do ``action`` with the bucket's key (key policy and identity).

        ``granting``: as in :meth:`action_outcome`, only an outcome that allows is kept, so a caller whose own
        identity policies do not allow ``action`` and whom no Allow of the key policy names itself (only its account,
        which delegates to those identity policies) gets :data:`NOT_ALLOWED` without the key policy's evaluation.
        """
        if key.aws_managed:
            ok = c.account is not None and c.account == key.account and c.kind is not CandidateKind.PUBLIC
            return Outcome(verdict=Verdict.ALLOW, evidence=(key.managed_evidence(),)) if ok else NOT_ALLOWED
        if key.policy is None:
            return Outcome(
                verdict=Verdict.CONDITIONAL,
                evidence=(Evidence(kind=EvidenceKind.ENCRYPTION, source=key.arn, location="KMSMasterKeyID"),),
                conditions=(key.unknown_condition(),),
            )
        # the key's request keys with the bucket's: the same for every bucket the key encrypts from one Region, so made
        # once per key and keys (kept, so that the tuple's id names them) and the outcome once per caller and action
        keys_key = (key.arn, *ctx_keys.items())
        extra = self.memo.key_extras.get(keys_key)
        if extra is None:
            extra = self.memo.key_extras[keys_key] = tuple(sorted({**self.key_keys(key), **ctx_keys}.items()))
        cache_key = (c.key, id(c.context), key.arn, id(key.policy), action, id(extra), granting)
        hit = self.memo.key_outcomes.get(cache_key)
        if hit is not None and hit[0] is c.context and hit[1] is key.policy:
            return hit[2]
        request = Request(action=action, resource=key.arn, context=self._kms_context(c, extra))
        identity, mode = self.identity(c, request, key.account)
        if (
            granting
            and mode is IdentityMode.EVALUATED
            and not identity.allows
            and not _names_itself(key.policy, c, action)
        ):
            # the key policy is required (resource_and_identity's resource_required): across accounts both sides
            # must allow, and in the key's account an Allow naming the account needs the identity side too
            self.memo.key_outcomes[cache_key] = (c.context, key.policy, NOT_ALLOWED)
            return NOT_ALLOWED
        outcome = resource_and_identity(
            candidate=c, resource_account=key.account, resource_docs=[key.policy], request=request,
            identity=identity, mode=mode, entity=self.population.entity_of.get(c.key), resource_required=True,
            boundaries=self.memo.boundaries,
        )  # fmt: skip
        self.memo.key_outcomes[cache_key] = (c.context, key.policy, outcome)
        return outcome

    def _kms_context(self, c: Candidate, extra: tuple[tuple[str, KeyValue], ...]) -> RequestContext:
        """``c``'s context with the KMS request keys ``extra`` (none: its own), made once per caller and keys."""
        if not extra:
            return c.context
        cache_key = ("kms", c.key, id(c.context), extra)
        hit = self.memo.contexts.get(cache_key)
        if hit is not None and hit[0] is c.context:
            return hit[1]
        merged = c.context.merged(dict(extra))
        self.memo.contexts[cache_key] = (c.context, merged)
        return merged

    def action_outcome(
        self,
        bucket: Bucket,
        key: KeyInfo | None,
        c: Candidate,
        spec: ActionSpec,
        *,
        granting: bool = False,
        context: RequestContext | None = None,
    ) -> Outcome:
        """Every layer for ``c`` doing one audited action directly on ``bucket``: what :meth:`grants` decides with.

        ``granting``: the caller keeps only an outcome that allows (the grants loop), so when neither the
        identity side nor any resource-side grant (a bucket policy Allow whose Principal may name ``c``, an ACL or
        object ACL grant) can allow, the outcome is :data:`NOT_ALLOWED` without finding the Deny that would
        explain it (:func:`~.access.resource_and_identity` allows only through one of these).  ``why`` asks
        without ``granting`` and gets the explanation.  ``context``: :meth:`context` of ``c`` on ``bucket``, when
        the caller has it already (the same for every action).
        """
        if outside_owner_account(bucket, c, spec):
            return NOT_ALLOWED
        resource = f"{bucket.arn}/*" if spec.object_level else bucket.arn
        request = Request(
            action=spec.action, resource=resource, context=self.context(c, bucket) if context is None else context
        )
        identity, mode = self.identity(c, request, bucket.account)
        acl = self.acl_outcome(bucket, c, spec.action)
        object_acl = object_acl_outcome(self, bucket, c, spec.action)
        if (
            granting
            and not (mode is not IdentityMode.NONE and identity.allows)
            and not acl.allows
            and not object_acl.allows
            and not _may_allow(bucket.policy, c, spec.action)
        ):
            return NOT_ALLOWED
        docs: Sequence[PolicyDocument] = [bucket.policy] if bucket.policy else []
        outcome = resource_and_identity(
            candidate=c, resource_account=bucket.account, resource_docs=docs, request=request, identity=identity,
            mode=mode, entity=self.population.entity_of.get(c.key), extra_resource_allows=[acl, object_acl],
            boundaries=self.memo.boundaries,
        )  # fmt: skip
        if not outcome.allows:
            return outcome
        outcome = conjoin(outcome, self.org_caps(c, request, bucket.account))
        if not outcome.allows:
            return outcome
        outcome = self.restrict_public_buckets(bucket, c, outcome)
        if outcome.allows and spec.kms_action and key is not None:
            if c.kind is CandidateKind.PUBLIC:
                # SSE-KMS objects are read and written with signed requests only: anonymous callers never get them,
                # whatever the key policy says (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html)
                return NOT_ALLOWED
            outcome = conjoin(
                outcome, self.key_outcome(key, c, spec.kms_action, bucket.kms_context(), granting=granting)
            )
        return outcome

    def action_groups(self, bucket: Bucket, c: Candidate) -> tuple[int, ...]:
        """For each audited action (:func:`all_specs`), the group it decides with: one outcome per group.

        An action enters the decision only through which statements' Action elements apply to it
        (bucket policy, the caller's identity policies and boundary, SCPs and RCPs), which ACL
        permissions include it, its resource (bucket or object) and its KMS action.  Actions
        alike in all of these, in any level, get the same outcome, so one of them is evaluated for all;
        for a caller outside the bucket's account, whether S3 refuses the action to outsiders too.
        """
        memo = self.memo
        bucket_elements = memo.elements_of(bucket.policy) if bucket.policy is not None else frozenset()
        entity = self.population.entity_of.get(c.key)
        entity_elements = memo.entity_elements(entity) if entity is not None else frozenset()
        specs = all_specs()
        acl: tuple[tuple[bool, ...], ...] = ()
        if bucket.acl and bucket.ownership != "BucketOwnerEnforced":
            acl = tuple(tuple(s.action in self.acl_actions.get(g.permission, ()) for g in bucket.acl) for s in specs)
        if bucket.object_grants and bucket.object_acls is not None:
            by_object, object_grants = object_acl_permissions(), bucket.object_acls.grants
            acl = tuple(
                (*(acl[i] if acl else ()), *(s.action in by_object.get(g.permission, ()) for g in object_grants))
                for i, s in enumerate(specs)
            )
        # owner-account-only actions decide apart only for callers outside the bucket's account
        outsider = _outsider(bucket, c)
        # the partition depends on the union of the elements; keyed by its parts, each a frozenset kept once
        cache_key = (bucket_elements, entity_elements, acl, outsider)
        groups = memo.partitions.get(cache_key)
        if groups is None:
            ordered = sorted(memo.org_shape.elements | bucket_elements | entity_elements)
            seen: dict[tuple[object, ...], int] = {}
            groups = tuple(
                seen.setdefault(
                    (s.object_level, s.kms_action, s.owner_account_only and outsider, acl[i] if acl else (),
                     tuple(_element_applies(e, s.action) for e in ordered)),
                    len(seen),
                )
                for i, s in enumerate(specs)
            )  # fmt: skip
            memo.partitions[cache_key] = groups
        return groups

    def restrict_public_buckets(self, bucket: Bucket, c: Candidate, outcome: Outcome) -> Outcome:
        """``outcome`` once RestrictPublicBuckets has had its say (a public policy serves its own account only)."""
        if c.kind is CandidateKind.SERVICE or (c.account is not None and c.account == bucket.account):
            return outcome
        if not is_public_policy(bucket.policy):
            return outcome
        rpb = bucket.bpa.get(BpaSetting.RESTRICT_PUBLIC_BUCKETS)
        if rpb.value is Tri.TRUE:
            return NOT_ALLOWED
        if rpb.value is Tri.UNKNOWN:
            return outcome.with_conditions(
                [rpb.condition(BpaSetting.RESTRICT_PUBLIC_BUCKETS, "access from outside the owner account applies")]
            )
        return outcome

    def key_of(self, bucket: Bucket) -> KeyInfo | None:
        if bucket.encryption.kind is not EncryptionKind.SSE_KMS:
            return None
        return self.keys.resolve(bucket.encryption.key_ref, bucket_account=bucket.account, region=bucket.region)
