"""What every GCP evaluator shares: the role catalogue, the hierarchy, the output, and what is worked out once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from seenby.model import AccessLevel, Condition, Evaluation, Evidence, Grant, Principal
from seenby.policies.gcp.bindings import RoleLevels, role_levels
from seenby.policies.gcp.cel import CelMemo
from seenby.policies.gcp.hierarchy import Hierarchy
from seenby.policies.gcp.members import deleted_condition
from seenby.policies.gcp.roles import Attachment, RoleCatalog, Target

__all__ = ["Context"]

_ORDER = (AccessLevel.READ, AccessLevel.WRITE, AccessLevel.ADMIN, AccessLevel.LIST)


@dataclass(frozen=True, kw_only=True)
class Context:
    catalog: RoleCatalog
    hierarchy: Hierarchy
    out: Evaluation
    at: datetime | None = None  # the snapshot's collection time: IAM Conditions on request.time are decided there
    # What each role opens, by (role, target, attachment, ACLs active): the same for every binding of the role.
    cel: CelMemo = field(default_factory=CelMemo, repr=False, compare=False)  # conditions decided once
    _levels: dict[tuple[str, Target, Attachment, bool], RoleLevels] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def role_levels(self, role: str, target: Target, attachment: Attachment, *, acls_active: bool = True) -> RoleLevels:
        """:func:`.bindings.role_levels` in the scan's catalogue, worked out once per role and kind of dataset."""
        key = (role, target, attachment, acls_active)
        found = self._levels.get(key)
        if found is None:
            found = self._levels[key] = role_levels(self.catalog, role, target, attachment, acls_active=acls_active)
        return found

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
