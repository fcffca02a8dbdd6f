"""The extension point for AWS data stores and identity sources beyond S3, IAM and KMS.

:func:`seenby.policies.aws.provider.evaluate_snapshot` builds one :class:`ServiceContext`
(the snapshot, its organisations, its IAM and the candidate population) and hands it to
every function of :data:`SERVICE_EVALUATORS`, in order.  Each adds its datasets, grants,
edges and re-exposures to ``context.evaluation``; grants go through ``context.prune`` so
class grants implied by a broader class are dropped the same way as for buckets.
One module per resource type; registering it is one line here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from seenby.model import Evaluation, Grant
from seenby.policies.aws.iam import AccountIam
from seenby.policies.aws.org import Directory
from seenby.policies.aws.population import Population
from seenby.snapshot import Snapshot

__all__ = ["SERVICE_EVALUATORS", "ServiceContext"]


@dataclass(frozen=True, kw_only=True)
class ServiceContext:
    snapshot: Snapshot
    directory: Directory
    population: Population
    iams: Mapping[str, AccountIam]
    evaluation: Evaluation
    prune: Callable[[list[Grant]], list[Grant]]

    def add_grants(self, grants: list[Grant]) -> None:
        for grant in self.prune(grants):
            self.evaluation.add_grant(grant)


def _evaluators() -> tuple[Callable[[ServiceContext], None], ...]:
    from seenby.policies.aws import dynamodb, glue, identitycenter, quicksight

    return (
        dynamodb.evaluate_tables, identitycenter.evaluate_identity_center, quicksight.evaluate_quicksight,
        glue.evaluate_glue,
    )  # fmt: skip


SERVICE_EVALUATORS: tuple[Callable[[ServiceContext], None], ...] = _evaluators()
