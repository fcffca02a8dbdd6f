"""The extension point for AWS data stores and identity sources: S3, DynamoDB, Identity Center, QuickSight, Glue.

:func:`seenby.policies.aws.provider.evaluate_snapshot` builds one :class:`ServiceContext`
(the snapshot's :class:`~.world.AwsWorld`: organisations, IAM, candidate population, keys,
memo) and hands it to every function of :data:`SERVICE_EVALUATORS`, in order.  Each adds its
datasets, grants, edges and re-exposures to ``context.evaluation``; grants go through
``context.prune`` so class grants implied by a broader class are dropped the same way for
every type.  One module per resource type; registering it is one line here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from seenby.model import Evaluation, Grant
from seenby.policies.aws.iam import AccountIam
from seenby.policies.aws.memo import AwsMemo
from seenby.policies.aws.org import Directory
from seenby.policies.aws.population import Population
from seenby.policies.aws.world import AwsWorld
from seenby.snapshot import Snapshot

__all__ = ["SERVICE_EVALUATORS", "ServiceContext"]


@dataclass(frozen=True, kw_only=True)
class ServiceContext:
    world: AwsWorld
    evaluation: Evaluation
    prune: Callable[[list[Grant]], list[Grant]]

    @property
    def snapshot(self) -> Snapshot:
        return self.world.snapshot

    @property
    def directory(self) -> Directory:
        return self.world.directory

    @property
    def population(self) -> Population:
        return self.world.population

    @property
    def iams(self) -> Mapping[str, AccountIam]:
        return self.world.iams

    @property
    def memo(self) -> AwsMemo:
        return self.world.memo

    def add_grants(self, grants: list[Grant]) -> None:
        for grant in self.prune(grants):
            self.evaluation.add_grant(grant)


def _evaluators() -> tuple[Callable[[ServiceContext], None], ...]:
    from seenby.policies.aws import buckets, dynamodb, glue, identitycenter, quicksight

    return (
        buckets.evaluate_buckets, dynamodb.evaluate_tables, identitycenter.evaluate_identity_center,
        quicksight.evaluate_quicksight, glue.evaluate_glue,
    )  # fmt: skip


SERVICE_EVALUATORS: tuple[Callable[[ServiceContext], None], ...] = _evaluators()
