"""S3 buckets (``aws.s3.bucket``), registered like every other AWS data store (:mod:`.services`).

Each bucket becomes a dataset; its grants are :class:`.s3.BucketEvaluator`'s (the core of
:mod:`.resource_policy` with S3's hooks: ACLs and object ACLs, Block Public Access, the KMS
key) plus those made through its access points (:mod:`.access_points`); a bucket whose object
ACLs were not all read adds that coverage gap (:mod:`.object_acls`).
"""

from __future__ import annotations

from seenby.policies.aws.access_points import access_point_grants
from seenby.policies.aws.iam import IdentityIndex, s3_bucket_name
from seenby.policies.aws.object_acls import object_acl_gap
from seenby.policies.aws.s3 import BucketEvaluator, all_actions, load_bucket
from seenby.policies.aws.services import ServiceContext
from seenby.registry import TypeName

__all__ = ["evaluate_buckets"]

# besides S3's own actions: the bucket key's, so that its holders are candidates (s3.BucketEvaluator.candidates)
_KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey", "kms:PutKeyPolicy")


def evaluate_buckets(ctx: ServiceContext) -> None:
    """Datasets, grants and object-ACL gaps of every bucket of the snapshot."""
    world = ctx.world
    index = IdentityIndex(actions=(*all_actions(), *_KMS_ACTIONS))
    for iam in world.iams.values():
        for entity in iam.entities():
            index.add(entity, name_of=s3_bucket_name)
    evaluator = BucketEvaluator(world=world, index=index)
    for res in world.snapshot.of_type(TypeName.AWS_S3_BUCKET):
        bucket = load_bucket(res, world.account_level_bpa(res.account))
        ctx.evaluation.datasets[bucket.arn] = bucket.dataset()
        if (gap := object_acl_gap(res, bucket.object_acls)) is not None:
            ctx.evaluation.gaps.append(gap)
        ctx.add_grants(evaluator.grants(bucket) + access_point_grants(evaluator, bucket, res))
