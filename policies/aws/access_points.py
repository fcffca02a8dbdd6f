"""S3 access points: requests that reach a bucket through an access point, and the grants they give.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html:

* a request through an access point must be permitted by **both** the access
  point and the underlying bucket.  The access point side is its policy together
  with the caller's identity policies on the access point ARN
  (``arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME``, objects under ``…/object/KEY``),
  combined as for any resource policy (:func:`.access.resource_and_identity`);
* the bucket side is the bucket policy evaluated with the access point's
  condition keys set — ``s3:DataAccessPointArn``, ``s3:DataAccessPointAccount``
  and ``s3:AccessPointNetworkOrigin`` — which is how a bucket *delegates* access
  control to access points (``"Principal": "*"`` + ``StringEquals
  s3:DataAccessPointAccount``).  For a caller of the bucket's own account the
  identity policies suffice there, as for a direct request; an explicit Deny in
  the bucket policy ends it either way;
* an access point whose network origin is ``VPC`` only accepts requests from
  that VPC: grants through it are conditional on ``aws:SourceVpc``;
* SCPs, RCPs, ``RestrictPublicBuckets`` of the bucket and the SSE-KMS key
  apply as for a direct request; the organisation policies through the core's one
  cap (:func:`.resource_policy.org_caps`): SCPs on the request to the access point,
  RCPs of the bucket's account on the bucket's side of it.  (Access points have Block Public Access
  settings of their own; they are not in the snapshot yet: documented gap.)

The access points come from the bucket's ``access_points`` read (docs/snapshot.md).
A bucket whose read is a gap gets no grant through access points; the gap itself
is reported like any other unread document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from seenby.errors import PolicyDocumentError
from seenby.model import Condition, EvidenceKind, Grant
from seenby.policies.aws.access import NOT_ALLOWED, Outcome, any_of, conjoin, resource_and_identity
from seenby.policies.aws.candidates import Candidate
from seenby.policies.aws.context import KeyValue, Known, access_point_tag_keys
from seenby.policies.aws.document import PolicyDocument, parse_policy
from seenby.policies.aws.evaluate import Request
from seenby.policies.aws.kms import KeyInfo
from seenby.policies.aws.population import unique
from seenby.policies.aws.s3 import ActionSpec, Bucket, BucketEvaluator, level_actions, outside_owner_account
from seenby.registry import S3BucketRead
from seenby.snapshot import Resource

__all__ = ["AccessPoint", "access_point_grants", "load_access_points", "through_access_point"]

ACCESS_POINT_KEYS = ("s3:DataAccessPointArn", "s3:DataAccessPointAccount", "s3:AccessPointNetworkOrigin")


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessPoint:
    name: str
    arn: str
    account: str | None
    network_origin: str  # "Internet" or "VPC"
    vpc_id: str | None = None
    policy: PolicyDocument | None = None

    def context_keys(self) -> dict[str, KeyValue]:
        keys: dict[str, KeyValue] = {
            "s3:DataAccessPointArn": Known((self.arn,)),
            "s3:AccessPointNetworkOrigin": Known((self.network_origin,)),
        }
        if self.account:
            keys["s3:DataAccessPointAccount"] = Known((self.account,))
        keys.update(access_point_tag_keys())
        return keys

    def resource(self, spec: ActionSpec) -> str:
        return f"{self.arn}/object/*" if spec.object_level else self.arn

    def request(self, spec: ActionSpec, c: Candidate) -> Request:
        resource_keys: dict[str, KeyValue] = dict(self.context_keys())
        if self.account:
            resource_keys["aws:ResourceAccount"] = Known((self.account,))
        return Request(action=spec.action, resource=self.resource(spec), context=c.context.merged(resource_keys))

    def network_condition(self) -> Condition | None:
        if self.network_origin.upper() != "VPC":
            return None
        return Condition(
            expression={"NetworkOrigin": "VPC", "VpcId": self.vpc_id},
            keys=("aws:SourceVpc",),
            reason=f"access point {self.arn} accepts requests only from VPC {self.vpc_id or '(unknown id)'}",
        )


def _account_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4] else None


def load_access_points(res: Resource, bucket: Bucket) -> list[AccessPoint]:
    """The access points of ``bucket`` from its ``access_points`` read ([] when absent or a gap)."""
    read = res.read(S3BucketRead.ACCESS_POINTS)
    if read is None or not read.ok or not isinstance(read.document, Mapping):
        return []
    out: list[AccessPoint] = []
    for i, raw in enumerate(read.document.get("AccessPointList") or []):
        if not isinstance(raw, Mapping) or not raw.get("AccessPointArn"):
            raise PolicyDocumentError(
                "an access point needs AccessPointArn", file=res.id, where=f"access_points.AccessPointList[{i}]"
            )
        arn = str(raw["AccessPointArn"])
        policy = None
        if raw.get("Policy") is not None:
            text = raw["Policy"] if isinstance(raw["Policy"], str) else json.dumps(raw["Policy"])
            policy = parse_policy(text, source=arn, kind=EvidenceKind.RESOURCE_POLICY, require_principal=True)
        out.append(
            AccessPoint(
                name=str(raw.get("Name") or arn.rsplit("/", 1)[-1]), arn=arn,
                account=str(raw.get("BucketAccountId") or _account_of(arn) or bucket.account or "") or None,
                network_origin=str(raw.get("NetworkOrigin") or "Internet"),
                vpc_id=(raw.get("VpcConfiguration") or {}).get("VpcId"), policy=policy,
            )
        )  # fmt: skip
    return out


def _ap_account(ap: AccessPoint, bucket: Bucket) -> str | None:
    return _account_of(ap.arn) or bucket.account


def through_access_point(
    ev: BucketEvaluator, bucket: Bucket, key: KeyInfo | None, c: Candidate, spec: ActionSpec, ap: AccessPoint
) -> Outcome:
    """The outcome of ``spec`` by ``c`` through access point ``ap`` (see the module docstring)."""
    if outside_owner_account(bucket, c, spec):
        return NOT_ALLOWED
    entity = ev.population.entity_of.get(c.key)
    ap_request = ap.request(spec, c)
    ap_account = _ap_account(ap, bucket)
    identity, mode = ev.identity(c, ap_request, ap_account)
    ap_side = resource_and_identity(
        candidate=c, resource_account=ap_account, resource_docs=[ap.policy] if ap.policy else [],
        request=ap_request, identity=identity, mode=mode, entity=entity, boundaries=ev.memo.boundaries,
    )  # fmt: skip
    if not ap_side.allows:
        return ap_side
    bucket_resource = f"{bucket.arn}/*" if spec.object_level else bucket.arn
    bucket_request = Request(
        action=spec.action, resource=bucket_resource,
        context=c.context.merged({**ev.resource_keys(bucket), **ap.context_keys()}),
    )  # fmt: skip
    bucket_side = resource_and_identity(
        candidate=c, resource_account=bucket.account, resource_docs=[bucket.policy] if bucket.policy else [],
        request=bucket_request, identity=identity, mode=mode, entity=entity, boundaries=ev.memo.boundaries,
    )  # fmt: skip
    outcome = conjoin(ap_side, bucket_side)
    if not outcome.allows:
        return outcome
    # the caller's SCPs see the request it made (to the access point), the bucket account's RCPs the bucket's side
    outcome = conjoin(outcome, ev.org_caps(c, ap_request, bucket.account, resource_request=bucket_request))
    if not outcome.allows:
        return outcome
    outcome = ev.restrict_public_buckets(bucket, c, outcome)
    if outcome.allows and spec.kms_action and key is not None:
        outcome = conjoin(outcome, ev.key_outcome(key, c, spec.kms_action, bucket.kms_context()))
    network = ap.network_condition()
    if outcome.allows and network is not None:
        outcome = outcome.with_conditions([network])
    return outcome


def access_point_grants(ev: BucketEvaluator, bucket: Bucket, res: Resource) -> list[Grant]:
    """Grants on ``bucket`` through its access points, evidence naming the access point's statement."""
    points = load_access_points(res, bucket)
    if not points:
        return []
    target = ev.prepare(bucket)
    key = target.key
    candidates = list(ev.candidates(target))
    for ap in points:
        candidates.extend(ev.population.named_in(ap.policy))
        candidates.extend(ev.population.variants(ap.policy))
        for entity in ev.index.holders(ap.arn, (ap.arn, f"{ap.arn}/object/*")):
            candidates.append(ev.population.entity(entity))
    grants: list[Grant] = []
    for c in unique(candidates):
        for level, specs in level_actions().items():
            outcomes = [through_access_point(ev, bucket, key, c, s, ap) for ap in points for s in specs]
            best = any_of(*outcomes)
            if not best.allows or not best.evidence:
                continue
            grants.append(
                Grant(principal=c.principal, dataset=bucket.arn, level=level, evidence=best.evidence,
                      conditions=best.conditions)
            )  # fmt: skip
    return grants
