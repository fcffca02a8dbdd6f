"""What every GCP evaluator shares: the role catalogue, the hierarchy, and the output."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from seenby.model import AccessLevel, Condition, Evaluation, Evidence, Grant, Principal
from seenby.policies.gcp.hierarchy import Hierarchy
from seenby.policies.gcp.members import deleted_condition
from seenby.policies.gcp.roles import RoleCatalog

__all__ = ["Context"]

_ORDER = (AccessLevel.READ, AccessLevel.WRITE, AccessLevel.ADMIN, AccessLevel.LIST)


@dataclass(frozen=True, kw_only=True)
class Context:
    catalog: RoleCatalog
    hierarchy: Hierarchy
    out: Evaluation
    at: datetime | None = None  # the snapshot's collection time: IAM Conditions on request.time are decided there

    def grant(
        self,
        *,
        principal: Principal,
        dataset: str,
        levels: Iterable[AccessLevel],
        evidence: Evidence,
        conditions: Iterable[Condition] = (),
    ) -> None:
        """One grant per level, in a stable order; a ``deleted:`` principal's grants are conditional."""
        wanted = frozenset(levels)
        conds = tuple(conditions)
        deleted = deleted_condition(principal)
        if deleted is not None:
            conds = (*conds, deleted)
        for level in _ORDER:
            if level in wanted:
                self.out.add_grant(
                    Grant(principal=principal, dataset=dataset, level=level, evidence=(evidence,), conditions=conds)
                )
