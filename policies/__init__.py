"""Access semantics: snapshot documents in, grants and edges out. Imported as ``seenby.policies``.

Each provider contributes one evaluator (``evaluate_snapshot``) that turns its
resource types into :class:`seenby.model.Evaluation` records.  Every read that was
denied or failed becomes a :class:`seenby.model.CoverageGap` here, generically,
so no provider can forget one.
"""

from __future__ import annotations

from collections.abc import Callable

from seenby.errors import PolicyDocumentError
from seenby.gcpolicy import bulk_work
from seenby.model import Evaluation
from seenby.policies.flows import add_flows
from seenby.policies.gaps import collect_gaps
from seenby.registry import TypeName
from seenby.snapshot import Snapshot

__all__ = ["PROVIDER_EVALUATORS", "evaluate"]


def _aws(snapshot: Snapshot) -> Evaluation:
    from seenby.policies.aws.provider import evaluate_snapshot

    return evaluate_snapshot(snapshot)


def _gcp(snapshot: Snapshot) -> Evaluation:
    from seenby.policies.gcp.provider import evaluate_snapshot

    return evaluate_snapshot(snapshot)


def _superset(snapshot: Snapshot) -> Evaluation:
    from seenby.policies.superset.evaluate import evaluate_snapshot

    return evaluate_snapshot(snapshot)


PROVIDER_EVALUATORS: tuple[Callable[[Snapshot], Evaluation], ...] = (_aws, _gcp, _superset)


@bulk_work
def evaluate(snapshot: Snapshot) -> Evaluation:
    """Evaluate every provider's documents in ``snapshot`` into one :class:`Evaluation`."""
    result = Evaluation()
    for provider in PROVIDER_EVALUATORS:
        try:
            result.extend(provider(snapshot))
        except PolicyDocumentError as exc:
            # Name the snapshot file as well as the resource and statement inside it.
            if snapshot.source is None or exc.file == snapshot.source:
                raise
            inner = ": ".join(x for x in (exc.file, exc.where) if x)
            raise PolicyDocumentError(exc.message, file=snapshot.source, where=f"resource {inner}") from None
    for org in snapshot.of_type(TypeName.AWS_ORGANIZATION):
        for account in (org.document("accounts") or {}).get("Accounts", []):
            result.account_orgs.setdefault(str(account.get("Id")), org.id)
    add_flows(snapshot, result)  # after every provider: a flow may cross accounts, projects and providers
    result.gaps = collect_gaps(snapshot, result)
    return result
