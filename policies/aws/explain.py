"""Layer-by-layer explanation of one S3 decision, from the evaluator's own parts.

Nothing here decides access on its own: the answer of each action is
:meth:`.s3.BucketEvaluator.action_outcome`, the very function that produces the
grants.  This module asks the same evaluator for each layer's say
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)
and turns it into :class:`seenby.explain.Layer` records:

* identity policies (the caller's own and, for a user, its groups'), the
  permissions boundary, the bucket policy (:func:`.evaluate.evaluate_policies`);
* the ACL (:meth:`~.s3.BucketEvaluator.acl_outcome`, with the object ACLs of
  :mod:`.object_acls`), and what Object Ownership and ``IgnorePublicAcls`` take away
  from it — found by asking the same function about the bucket with that setting off;
* ``RestrictPublicBuckets`` (:meth:`~.s3.BucketEvaluator.restrict_public_buckets`);
* SCPs and RCPs (:func:`.access.org_policy_outcome`), naming the statement that
  allowed at each level of the organisation tree;
* the KMS key policy (:meth:`~.s3.BucketEvaluator.key_outcome`), saying whether
  the key enables IAM policies at all.

Access points (:mod:`.access_points`) add an ``access-point`` layer to requests
made through one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from seenby.errors import UsageError
from seenby.explain import ActionExplanation, Answer, Layer, LayerKind, LayerStatus
from seenby.model import NETWORK_WITHIN, AccessLevel, Condition, Evidence, EvidenceKind
from seenby.policies.aws.access import ALLOWED, Outcome, disjoin, from_decision, org_policy_outcome
from seenby.policies.aws.access_points import AccessPoint, load_access_points, through_access_point
from seenby.policies.aws.bpa import BpaSetting, BpaState, PublicAccessBlock
from seenby.policies.aws.candidates import Candidate, CandidateKind
from seenby.policies.aws.conditions import Tri
from seenby.policies.aws.evaluate import Decision, Request, Verdict, evaluate_policies
from seenby.policies.aws.iam import Entity, EntityKind, IdentityIndex, is_service_linked_role
from seenby.policies.aws.kms import EncryptionKind, KeyInfo
from seenby.policies.aws.object_acls import object_acl_outcome
from seenby.policies.aws.s3 import (
    ActionSpec,
    Bucket,
    BucketEvaluator,
    level_actions,
    load_bucket,
    outside_owner_account,
)
from seenby.policies.aws.world import AwsWorld
from seenby.registry import NOT_IN_SNAPSHOT, S3BucketRead, missing_reads
from seenby.snapshot import Resource

__all__ = ["AwsWorld", "explain_bucket", "resolve_candidates", "unknown_reference"]

_NO_IDENTITY = (CandidateKind.PUBLIC, CandidateKind.SERVICE, CandidateKind.FEDERATED)


def resolve_candidates(world: AwsWorld, ref: str) -> list[Candidate]:
    """The caller(s) ``ref`` stands for: itself, and for an IAM user each of its groups. Empty if not AWS.

    A network audience (``aws-network:…``, ``CLASS@aws-network:…``) is the class calling through the network, anyone
    for a bare network, as the evaluation's network candidates are (:meth:`~.population.Population.with_networks`).
    """
    pop = world.population
    if "aws-network:" in ref:
        within, _, network = ref.rpartition("aws-network:")
        literal = _network_literal(network)
        classes = resolve_candidates(world, within.removesuffix(NETWORK_WITHIN) or "aws:public") if literal else []
        through = (pop.through_network(c, *literal) for c in classes) if literal else ()
        return [c for c in through if c is not None]
    if ref == "aws:public" or ref == "*":
        return [pop.public()]
    if ref == "aws:authenticated":
        return [pop.authenticated()]
    if ref == "aws:any-service":
        return [pop.any_service()]
    if ref.startswith("aws-org:"):
        return [pop.organization(ref.split(":", 1)[1])]
    if ref.startswith("aws-ou:"):
        return [pop.org_unit(ref.split(":", 1)[1])]
    if ref.isdigit() and len(ref) == 12:
        return [pop.account(ref)]
    if ref.endswith(".amazonaws.com") and ":" not in ref:
        return [pop.service(ref)]
    parts = ref.split(":")
    if ref.startswith("arn:") and len(parts) >= 6 and parts[2] in ("iam", "sts") and parts[4].isdigit():
        account, rest = parts[4], ":".join(parts[5:])
        if parts[2] == "iam" and rest == "root":
            return [pop.account(account)]
        entity = world.entity(ref)
        if entity is not None:
            out = [pop.entity(entity)]
            out += [pop.entity(g) for g in entity.groups]
            return out
        if rest.startswith("group/"):
            raise UsageError(f"no IAM group {ref!r} in the snapshot")
        return [pop.arn(ref, account)]
    return []


def _network_literal(network: str) -> tuple[str, str] | None:
    """The condition key and value that name the network of id ``network`` (as :mod:`.population` spells it)."""
    for prefix, key in (("vpce-account:", "aws:VpceAccount"), ("vpc-ip:", "aws:VpcSourceIp")):
        if network.startswith(prefix):
            return key, network.removeprefix(prefix)
    if network.startswith("vpce-org:"):
        scope = network.removeprefix("vpce-org:")
        return ("aws:VpceOrgPaths" if "/" in scope else "aws:VpceOrgID"), scope
    if network.startswith("vpce-"):
        return "aws:SourceVpce", network
    if network.startswith("vpc-"):
        return "aws:SourceVpc", network
    return ("aws:SourceIp", network) if "/" in network else None


def unknown_reference(world: AwsWorld, ref: str) -> str | None:
    """A note when ``ref`` names an organisation, account or IAM principal the snapshot does not know.

    The layers still answer for such a caller (as the policies would treat it), but a typo in
    an id would otherwise read as a plain "no".
    """
    if ref.startswith("aws-org:"):
        org_id = ref.split(":", 1)[1]
        if org_id not in world.directory.organizations:
            known = ", ".join(sorted(world.directory.organizations)) or "none"
            return f"{ref} is not an organisation of the snapshot (known: {known}): the answer is for an outsider"
        return None
    parts = ref.split(":")
    if ref.startswith("arn:") and len(parts) >= 6 and parts[2] in ("iam", "sts") and parts[4].isdigit():
        account, rest = parts[4], ":".join(parts[5:])
        known_account = account in world.iams or account in world.directory.account_org
        if rest == "root":
            return None if known_account else f"account {account} is not in the snapshot: the answer is for an outsider"
        if known_account and world.entity(ref) is None and account in world.iams:
            return f"{ref} is not an IAM principal of account {account} in the snapshot: check the ARN"
    return None


# -- helpers -----------------------------------------------------------------------------------


def _status(verdict: Verdict) -> LayerStatus:
    return {
        Verdict.ALLOW: LayerStatus.ALLOWS,
        Verdict.CONDITIONAL: LayerStatus.CONDITIONAL,
        Verdict.DENY: LayerStatus.DENIES,
        Verdict.IMPLICIT_DENY: LayerStatus.NO_ALLOW,
    }[verdict]


def _answer(verdict: Verdict) -> Answer:
    return {
        Verdict.ALLOW: Answer.ALLOWED,
        Verdict.CONDITIONAL: Answer.CONDITIONAL,
        Verdict.DENY: Answer.DENIED,
        Verdict.IMPLICIT_DENY: Answer.NOT_ALLOWED,
    }[verdict]


def _denying(d: Decision) -> tuple[Evidence, ...]:
    return tuple(dict.fromkeys(h.evidence for h in (*d.denies, *d.doubts, *d.partial_denies)))


def _decision_layer(kind: LayerKind, d: Decision, summary: str) -> Layer:
    o = from_decision(d)
    return Layer(
        kind=kind, status=_status(o.verdict), summary=summary,
        allowing=tuple(dict.fromkeys(h.evidence for h in d.allows)), denying=_denying(d), conditions=o.conditions,
    )  # fmt: skip


def _outcome_layer(kind: LayerKind, o: Outcome, summary: str, **kw: tuple[Evidence, ...]) -> Layer:
    allowing = kw.get("allowing", o.evidence if o.allows else ())
    denying = kw.get("denying", o.evidence if o.verdict is Verdict.DENY else ())
    return Layer(
        kind=kind, status=_status(o.verdict), summary=summary, allowing=allowing, denying=denying,
        conditions=o.conditions,
    )  # fmt: skip


def _read_gap(res: Resource, name: str) -> str | None:
    """Why read ``name`` of ``res`` is unknown (denied, failed, or required but not in the snapshot), or None."""
    read = res.read(name)
    if read is not None and read.outcome.is_gap:
        return f"{read.api} was {read.outcome.value} ({read.error_code})"
    missing = [c for c in missing_reads(res.type, res.reads) if c.name == name]
    if missing:
        return f"the snapshot holds no {name} read ({missing[0].api}, {NOT_IN_SNAPSHOT})"
    return None


# -- layers ------------------------------------------------------------------------------------


def _identity_layer(
    c: Candidate, entity: Entity | None, request: Request, bucket: Bucket, resolved: bool = False
) -> Layer:
    """``resolved``: ``c`` is an organisation every other account of which has its IAM in the snapshot."""
    if entity is None and resolved:
        return Layer(
            kind=LayerKind.IDENTITY, status=LayerStatus.NO_ALLOW,
            summary=f"every other account of {c.principal.label} has its IAM in the snapshot: its principals are "
            "answered one by one (`why PRINCIPAL`; who-can-read lists those whose own IAM allows too), so no "
            "unnamed member is assumed allowed",
        )  # fmt: skip
    if entity is None:
        if c.kind in _NO_IDENTITY:
            return Layer(
                kind=LayerKind.IDENTITY, status=LayerStatus.NOT_APPLICABLE,
                summary="anonymous callers and AWS services have no identity policies: the resource side decides",
            )  # fmt: skip
        if c.kind is CandidateKind.ACCOUNT and c.account == bucket.account:
            return Layer(
                kind=LayerKind.IDENTITY, status=LayerStatus.NOT_APPLICABLE,
                summary="stands for principals of the bucket's account that no document names; "
                "the named ones are evaluated as themselves",
            )  # fmt: skip
        return Layer(
            kind=LayerKind.IDENTITY, status=LayerStatus.ASSUMED,
            summary=f"the identity policies of {c.principal.label} are not in the snapshot: seenby assumes its "
            "account's administrators can allow this (fail closed)",
        )  # fmt: skip
    d = evaluate_policies(entity.all_policies(), request)
    if d.verdict is Verdict.DENY:
        return _decision_layer(LayerKind.IDENTITY, d, f"an identity policy of {entity.name} explicitly denies")
    own = {id(doc) for doc in entity.policies}
    kept = [h for h in d.allows if id(h.document) in own] if entity.kind is EntityKind.USER else list(d.allows)
    through_groups = [h for h in d.allows if id(h.document) not in own] if entity.kind is EntityKind.USER else []
    notes = []
    if through_groups:
        names = ", ".join(sorted({g.name for g in entity.groups for h in through_groups if h.document in g.policies}))
        notes.append(f"its groups' policies ({names}) allow too; that access is explained as the group")
    if kept:
        verdict = Verdict.ALLOW if kept[0].value is Tri.TRUE else Verdict.CONDITIONAL
        decision = Decision(verdict=verdict, allows=tuple(kept), doubts=d.doubts, partial_denies=d.partial_denies)
        return _decision_layer(
            LayerKind.IDENTITY, decision, "; ".join([f"an identity policy of {entity.name} allows", *notes])
        )
    missing = entity.missing_policies if entity.kind is EntityKind.USER else entity.all_missing()
    if missing:
        return Layer(
            kind=LayerKind.IDENTITY, status=LayerStatus.UNKNOWN, denying=_denying(d),
            summary=f"attached managed policies not in the snapshot: {', '.join(missing)}",
        )  # fmt: skip
    decision = Decision(verdict=Verdict.IMPLICIT_DENY, doubts=d.doubts, partial_denies=d.partial_denies)
    return _decision_layer(
        LayerKind.IDENTITY, decision, "; ".join([f"no identity policy of {entity.name} allows", *notes])
    )


def _boundary_layer(entity: Entity | None, request: Request) -> Layer:
    if entity is None or entity.boundary_arn is None:
        return Layer(kind=LayerKind.PERMISSION_BOUNDARY, status=LayerStatus.NOT_APPLICABLE, summary="no boundary")
    caps = (
        "caps identity-based permissions and bucket-policy grants to this role"
        if entity.kind is EntityKind.ROLE
        else "caps identity-based permissions; a bucket policy naming this user itself is not capped"
    )
    if entity.boundary is None:
        return Layer(
            kind=LayerKind.PERMISSION_BOUNDARY, status=LayerStatus.UNKNOWN,
            summary=f"boundary {entity.boundary_arn} is not in the snapshot; it {caps}",
        )  # fmt: skip
    d = evaluate_policies([entity.boundary], request)
    return _decision_layer(LayerKind.PERMISSION_BOUNDARY, d, f"boundary {entity.boundary_arn} {caps}")


def _resource_layer(bucket: Bucket, res: Resource, c: Candidate, request: Request) -> Layer:
    if bucket.policy is None:
        gap = _read_gap(res, S3BucketRead.POLICY)
        if gap:
            return Layer(
                kind=LayerKind.RESOURCE_POLICY, status=LayerStatus.UNKNOWN,
                summary=f"the bucket policy could not be read: {gap}; what it allows or denies is unknown",
            )  # fmt: skip
        return Layer(kind=LayerKind.RESOURCE_POLICY, status=LayerStatus.NOT_APPLICABLE, summary="no bucket policy")
    d = evaluate_policies([bucket.policy], request, c)
    if d.verdict is Verdict.DENY:
        summary = "the bucket policy explicitly denies"
    elif d.allows and all(h.via_account for h in d.allows):
        summary = "the bucket policy names the caller's account: it delegates to that account's identity policies"
    elif d.allows and c.kind is CandidateKind.GROUP:
        summary = "the bucket policy allows the group's members (a group is never a caller itself)"
    elif d.allows:
        summary = "the bucket policy allows"
    else:
        summary = "no statement of the bucket policy allows this caller"
    return _decision_layer(LayerKind.RESOURCE_POLICY, d, summary)


def _without_ownership(bucket: Bucket) -> Bucket:
    return replace(bucket, ownership=None, ownership_unknown=None)


def _without_ignore_public_acls(bucket: Bucket) -> Bucket:
    settings = dict(bucket.bpa.settings)
    settings[BpaSetting.IGNORE_PUBLIC_ACLS] = BpaState(value=Tri.FALSE)
    return replace(bucket, bpa=PublicAccessBlock(settings=settings))


def _acls(ev: BucketEvaluator, bucket: Bucket, c: Candidate, action: str) -> Outcome:
    """The bucket ACL and the object ACLs (:mod:`.object_acls`) together: the ACL layer."""
    return disjoin(ev.acl_outcome(bucket, c, action), object_acl_outcome(ev, bucket, c, action))


def _acl_layers(ev: BucketEvaluator, bucket: Bucket, c: Candidate, action: str) -> tuple[Layer, Layer, Outcome]:
    """The ACL layer and the Object Ownership layer, plus what the ACL would allow without IgnorePublicAcls."""
    ownership_evidence = Evidence(
        kind=EvidenceKind.OWNERSHIP_CONTROLS, source=bucket.arn, location="OwnershipControls.Rules[0]",
        excerpt={"ObjectOwnership": bucket.ownership},
    )  # fmt: skip
    if bucket.ownership_unknown:
        ownership = Layer(
            kind=LayerKind.OBJECT_OWNERSHIP, status=LayerStatus.UNKNOWN,
            summary=f"Object Ownership is unknown ({bucket.ownership_unknown}): ACL grants are kept, conditional",
        )  # fmt: skip
    elif bucket.ownership == "BucketOwnerEnforced":
        would = _acls(ev, _without_ownership(bucket), c, action)
        ownership = Layer(
            kind=LayerKind.OBJECT_OWNERSHIP,
            status=LayerStatus.DENIES if would.allows else LayerStatus.NOT_APPLICABLE,
            summary="BucketOwnerEnforced disables every ACL"
            + (" — including the grant that would allow this" if would.allows else ""),
            denying=(ownership_evidence, *would.evidence) if would.allows else (),
        )  # fmt: skip
    else:
        written = bucket.ownership or "no ownership controls"
        ownership = Layer(
            kind=LayerKind.OBJECT_OWNERSHIP, status=LayerStatus.NOT_APPLICABLE,
            summary=f"{written}: ACLs are in effect",
        )  # fmt: skip
    if bucket.ownership == "BucketOwnerEnforced":
        acl = Layer(kind=LayerKind.ACL, status=LayerStatus.NOT_APPLICABLE, summary="ACLs are disabled")
        return acl, ownership, Outcome(verdict=Verdict.IMPLICIT_DENY)
    if bucket.acl_unknown:
        acl = Layer(kind=LayerKind.ACL, status=LayerStatus.UNKNOWN, summary="the bucket ACL could not be read")
        return acl, ownership, Outcome(verdict=Verdict.IMPLICIT_DENY)
    actual = _acls(ev, bucket, c, action)
    summary = "an ACL grant allows" if actual.allows else f"no ACL grant gives {action} to this caller"
    acl = _outcome_layer(LayerKind.ACL, actual, summary)
    would = _acls(ev, _without_ignore_public_acls(bucket), c, action)
    return acl, ownership, (would if would.allows and not actual.allows else Outcome(verdict=Verdict.IMPLICIT_DENY))


def _bpa_layer(ev: BucketEvaluator, bucket: Bucket, c: Candidate, ignored_acl: Outcome) -> Layer:
    parts: list[str] = []
    denying: list[Evidence] = []
    conditions: list[Condition] = []
    status = LayerStatus.NOT_APPLICABLE
    if ignored_acl.allows:
        ipa = bucket.bpa.get(BpaSetting.IGNORE_PUBLIC_ACLS)
        parts.append("IgnorePublicAcls neutralises the public ACL grant that would allow this")
        denying.extend((*ipa.evidence, *ignored_acl.evidence))
        status = LayerStatus.DENIES
    rpb = ev.restrict_public_buckets(bucket, c, ALLOWED)
    if not rpb.allows:
        state = bucket.bpa.get(BpaSetting.RESTRICT_PUBLIC_BUCKETS)
        parts.append("RestrictPublicBuckets: the bucket policy is public, so only the owner account and AWS "
                     "services keep access")  # fmt: skip
        denying.extend(state.evidence)
        status = LayerStatus.DENIES
    elif rpb.conditions:
        parts.append("RestrictPublicBuckets is unknown and the bucket policy is public")
        conditions.extend(rpb.conditions)
        status = LayerStatus.CONDITIONAL if status is not LayerStatus.DENIES else status
    ipa_state = bucket.bpa.get(BpaSetting.IGNORE_PUBLIC_ACLS)
    if ipa_state.value is Tri.UNKNOWN and status is LayerStatus.NOT_APPLICABLE:
        parts.append(f"IgnorePublicAcls is unknown ({ipa_state.reason})")
    if not parts:
        on = [s.value for s in BpaSetting if bucket.bpa.get(s).value is Tri.TRUE]
        parts.append(("on: " + ", ".join(on) if on else "all settings off") + "; nothing here for this caller")
    return Layer(
        kind=LayerKind.BLOCK_PUBLIC_ACCESS, status=status, summary="; ".join(parts),
        denying=tuple(dict.fromkeys(denying)), conditions=tuple(conditions),
    )  # fmt: skip


def _org_layer(world: AwsWorld, c: Candidate, request: Request, resource_account: str | None, *, rcp: bool) -> Layer:
    kind = LayerKind.RCP if rcp else LayerKind.SCP
    what = "RCPs" if rcp else "SCPs"
    if rcp:
        account, org_id = resource_account, None
    else:
        account = c.account
        org_id = c.org_id
    if not rcp and c.kind in _NO_IDENTITY:
        return Layer(kind=kind, status=LayerStatus.NOT_APPLICABLE, summary=f"{what} do not apply to this caller")
    if rcp and is_service_linked_role(c.role_arn or c.arn):
        return Layer(
            kind=kind, status=LayerStatus.NOT_APPLICABLE, summary="RCPs never restrict a service-linked role's calls"
        )
    directory = world.directory
    org = directory.org_of(account) if account else directory.organizations.get(org_id or "")
    if org is None:
        status = LayerStatus.NOT_APPLICABLE if rcp else LayerStatus.ASSUMED
        whose = "the bucket's account" if rcp else "the caller's account"
        return Layer(kind=kind, status=status, summary=f"{whose} is in no organisation the snapshot knows")
    if account is not None and account == org.management_account:
        return Layer(
            kind=kind, status=LayerStatus.NOT_APPLICABLE, summary=f"{what} never restrict the management account"
        )
    if not org.policies_known:
        return Layer(
            kind=kind, status=LayerStatus.UNKNOWN,
            summary=f"the policies of {org.id} are not in the snapshot: seenby assumes they allow",
        )  # fmt: skip
    outcome = org_policy_outcome(directory, account, request, c if rcp else None, org_id=org_id, resource_policies=rcp)
    table = org.rcps if rcp else org.scps
    chain = org.chain(account) if account else None
    levels = chain if chain is not None else [org.root_id] if org.root_id else []
    allowing: list[Evidence] = []
    for target in levels:
        d = evaluate_policies(table.get(target, []), request, c if rcp else None)
        if d.allows:
            allowing.append(d.allows[0].evidence)
    if not table:
        return Layer(kind=kind, status=LayerStatus.NOT_APPLICABLE, summary=f"no {what} in {org.id}")
    where = " → ".join(levels) if levels else org.id
    summary = {
        Verdict.ALLOW: f"no RCP denies ({where}); RCPFullAWSAccess, attached everywhere, lets the rest through"
        if rcp
        else f"{what} allow at every level ({where})",
        Verdict.CONDITIONAL: f"{what} allow only under a condition ({where})",
        Verdict.DENY: f"an {what[:-1]} denies",
        Verdict.IMPLICIT_DENY: f"some level of {where} has no {what[:-1]} that allows",
    }[outcome.verdict]
    return _outcome_layer(kind, outcome, summary, allowing=tuple(allowing) if outcome.allows else ())


def _kms_layer(world: AwsWorld, ev: BucketEvaluator, bucket: Bucket, c: Candidate, spec: ActionSpec) -> Layer:
    kind = LayerKind.KMS_KEY_POLICY
    enc = bucket.encryption.kind
    if spec.kms_action is None:
        return Layer(kind=kind, status=LayerStatus.NOT_APPLICABLE, summary=f"{spec.action} needs no key")
    if enc is EncryptionKind.UNKNOWN:
        return Layer(
            kind=kind, status=LayerStatus.UNKNOWN,
            summary="the bucket's encryption could not be read: an SSE-KMS key would add its key policy",
        )  # fmt: skip
    if enc is not EncryptionKind.SSE_KMS:
        what = "SSE-S3" if enc is EncryptionKind.SSE_S3 else "no default encryption"
        return Layer(kind=kind, status=LayerStatus.NOT_APPLICABLE, summary=f"{what}: no key policy layer")
    key = ev.key_of(bucket)
    assert key is not None  # SSE-KMS always resolves to a key or a stand-in
    outcome = ev.key_outcome(key, c, spec.kms_action, bucket.kms_context())
    if key.aws_managed:
        return _outcome_layer(kind, outcome, f"AWS managed key {key.arn}: its account's principals, through S3")
    if key.policy is None:
        return _outcome_layer(kind, outcome, f"the key policy of {key.arn} could not be read")
    request = Request(action=spec.kms_action, resource=key.arn, context=c.context)
    d = evaluate_policies([key.policy], request, c)
    summary = _key_summary(world, key, d, spec.kms_action)
    return _outcome_layer(
        kind, outcome, summary, allowing=tuple(dict.fromkeys(h.evidence for h in d.allows)) if outcome.allows else (),
        denying=_denying(d),
    )  # fmt: skip


def _key_summary(world: AwsWorld, key: KeyInfo, d: Decision, action: str) -> str:
    assert key.policy is not None
    root = world.population.account(key.account) if key.account else None
    enables = False
    if root is not None:
        probe = Request(action=action, resource=key.arn, context=root.context)
        enables = any(h.via_account for h in evaluate_policies([key.policy], probe, root).allows)
    iam = (
        "the key policy enables IAM policies (it allows the account root): the caller's identity policies must "
        f"allow {action} too"
        if enables
        else f"the key policy does not enable IAM policies for {action} (no statement allows the account root): "
        "only callers it names itself can use the key"
    )
    if d.verdict is Verdict.DENY:
        return f"the key policy explicitly denies {action}; {iam}"
    direct = [h for h in d.allows if not h.via_account]
    if direct:
        return f"the key policy allows the caller {action} itself"
    return iam


def _access_point_layer(ap: AccessPoint, spec: ActionSpec, c: Candidate) -> Layer:
    if ap.policy is None:
        return Layer(
            kind=LayerKind.ACCESS_POINT, status=LayerStatus.NO_ALLOW,
            summary=f"access point {ap.name} has no policy: only its account's identity policies can open it",
        )  # fmt: skip
    d = evaluate_policies([ap.policy], ap.request(spec, c), c)
    network = f" (network origin {ap.network_origin}{': ' + ap.vpc_id if ap.vpc_id else ''})"
    if d.verdict is Verdict.DENY:
        summary = f"the policy of access point {ap.name} explicitly denies"
    elif d.allows:
        summary = f"the policy of access point {ap.name} allows{network}"
    else:
        summary = f"no statement of the policy of access point {ap.name} allows this caller"
    return _decision_layer(LayerKind.ACCESS_POINT, d, summary)


def _mark_decisive(layers: list[Layer], outcome: Outcome) -> tuple[list[Layer], str]:
    if outcome.allows:
        return layers, ""
    denies = [i for i, layer in enumerate(layers) if layer.status is LayerStatus.DENIES]
    if denies:
        chosen = denies
        first = layers[denies[0]]
        reason = f"denied by the {first.kind.value} layer: {first.summary}"
    else:
        required = (LayerKind.KMS_KEY_POLICY, LayerKind.SCP, LayerKind.RCP, LayerKind.PERMISSION_BOUNDARY,
                    LayerKind.ACCESS_POINT)  # fmt: skip
        sides = (LayerKind.IDENTITY, LayerKind.RESOURCE_POLICY, LayerKind.ACL)
        opening = (LayerStatus.ALLOWS, LayerStatus.CONDITIONAL)
        side_allows = any(layer.kind in sides and layer.status in opening for layer in layers)
        blocking = [
            i for i, layer in enumerate(layers) if layer.kind in required and layer.status is LayerStatus.NO_ALLOW
        ]
        if side_allows and blocking:
            chosen = blocking
            first = layers[chosen[0]]
            reason = f"the {first.kind.value} layer does not allow it: {first.summary}"
        else:
            # the sides that allow nothing decided it; an identity side assumed to allow (another
            # account's IAM) or not applicable (anonymous callers, services) did not
            silent = (LayerStatus.NO_ALLOW, LayerStatus.UNKNOWN)
            chosen = [i for i, layer in enumerate(layers) if layer.kind in sides and layer.status in silent] or [
                i for i, layer in enumerate(layers) if layer.kind in sides
            ]
            reason = "the identity side and the bucket's side (policy, ACL) do not both allow it as required"
    out = list(layers)
    for i in chosen:
        layer = out[i]
        out[i] = Layer(
            kind=layer.kind, status=layer.status, summary=layer.summary, allowing=layer.allowing,
            denying=layer.denying, conditions=layer.conditions, decisive=True,
        )  # fmt: skip
    return out, reason


def _explain_action(
    world: AwsWorld, ev: BucketEvaluator, bucket: Bucket, res: Resource, c: Candidate, spec: ActionSpec,
    via: AccessPoint | None,
) -> ActionExplanation:
    key = ev.key_of(bucket)
    entity = world.population.entity_of.get(c.key)
    resource = f"{bucket.arn}/*" if spec.object_level else bucket.arn
    rkeys = ev.resource_keys(bucket)
    if via is not None:
        rkeys = {**rkeys, **via.context_keys()}
    request = Request(action=spec.action, resource=resource, context=c.context.merged(rkeys))
    acl, ownership, ignored = _acl_layers(ev, bucket, c, spec.action)
    resolved = c.kind is CandidateKind.ORGANIZATION and world.population.organization_resolved(
        c.principal.id.split(":", 1)[1], bucket.account
    )
    layers = [_identity_layer(c, entity, request if via is None else via.request(spec, c), bucket, resolved),
              _boundary_layer(entity, request)]  # fmt: skip
    if via is not None:
        layers.append(_access_point_layer(via, spec, c))
    layers += [
        _resource_layer(bucket, res, c, request), acl, ownership, _bpa_layer(ev, bucket, c, ignored),
        _org_layer(world, c, request, bucket.account, rcp=False),
        _org_layer(world, c, request, bucket.account, rcp=True), _kms_layer(world, ev, bucket, c, spec),
    ]  # fmt: skip
    if via is None:
        outcome = ev.action_outcome(bucket, key, c, spec)
        shown = resource
    else:
        outcome = through_access_point(ev, bucket, key, c, spec, via)
        shown = via.resource(spec)
    marked, reason = _mark_decisive(layers, outcome)
    if outside_owner_account(bucket, c, spec):
        reason = (f"S3 refuses {spec.action} to identities outside the bucket owner's account (405 Method Not "
                  "Allowed), whatever the policies say")  # fmt: skip
    return ActionExplanation(
        action=spec.action, resource=shown, caller=c.principal, answer=_answer(outcome.verdict),
        layers=tuple(marked), evidence=outcome.evidence, conditions=outcome.conditions, reason=reason,
        via=via.arn if via is not None else None,
    )  # fmt: skip


def level_specs(level: AccessLevel) -> tuple[ActionSpec, ...]:
    return level_actions().get(level, ())


def explain_bucket(
    world: AwsWorld, candidates: Sequence[Candidate], bucket_arn: str, level: AccessLevel
) -> tuple[ActionExplanation, ...]:
    """Every action of ``level`` on the bucket, for each caller, directly and through each access point."""
    res = world.bucket_resource(bucket_arn)
    bucket = load_bucket(res, world.account_level_bpa(res.account))
    # the audit's own layers: an evaluator over the same world (no identity index: the callers are given)
    ev = BucketEvaluator(world=world, index=IdentityIndex(actions=()))
    points = load_access_points(res, bucket)
    out: list[ActionExplanation] = []
    for c in candidates:
        for spec in level_specs(level):
            out.append(_explain_action(world, ev, bucket, res, c, spec, None))
            for ap in points:
                if ap.policy is not None:
                    out.append(_explain_action(world, ev, bucket, res, c, spec, ap))
    return tuple(out)
