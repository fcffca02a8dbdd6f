"""Allow-policy bindings, one member at a time, and the levels a role opens.

https://cloud.google.com/iam/docs/allow-policies — a binding is ``{"role", "members",
"condition"?}``; evidence names the resource the policy is attached to and
``bindings[i]``, with the member and role in the excerpt.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from seenby.model import AccessLevel, Condition, Evidence, EvidenceKind, FrozenJson, freeze_json
from seenby.policies.gcp.conditions import iam_condition
from seenby.policies.gcp.roles import HIERARCHY_ADMIN_PERMISSIONS, Attachment, RoleCatalog, Scope, Target, level_checks

__all__ = ["BindingMember", "RoleLevels", "iter_binding_members", "role_levels"]


@dataclass(frozen=True, kw_only=True, slots=True)
class BindingMember:
    """One member of one binding of the allow policy attached to ``source``."""

    source: str  # gs://b, projects/p, folders/1, organizations/1, bigquery://p.d.t
    index: int
    role: str
    member: str
    condition: Condition | None
    # The excerpt its evidence quotes, frozen once: an inherited binding is quoted for every dataset below it.
    excerpt: FrozenJson = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        excerpt: dict[str, Any] = {"role": self.role, "member": self.member}
        if self.condition is not None:
            excerpt["condition"] = self.condition.expression
        object.__setattr__(self, "excerpt", freeze_json(excerpt))

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return (self.condition,) if self.condition is not None else ()

    def evidence(self, note: str | None = None) -> Evidence:
        return Evidence(
            kind=EvidenceKind.IAM_BINDING,
            source=self.source,
            location=f"bindings[{self.index}]",
            excerpt=self.excerpt,
            note=note,
        )


def iter_binding_members(source: str, policy: Any) -> Iterator[BindingMember]:
    """Every (binding, member) pair of an allow policy document; tolerant of missing keys."""
    if not isinstance(policy, Mapping):
        return
    for index, binding in enumerate(policy.get("bindings") or ()):
        if not isinstance(binding, Mapping) or not binding.get("role"):
            continue
        condition = iam_condition(binding.get("condition"), where=f"{source} bindings[{index}]")
        for member in binding.get("members") or ():
            yield BindingMember(
                source=source, index=index, role=str(binding["role"]), member=str(member), condition=condition
            )


@dataclass(frozen=True, kw_only=True, slots=True)
class RoleLevels:
    """What a role opens on one dataset; ``conditions`` is set when the role itself is unknown.

    ``hierarchy_admin``: ADMIN may come from ``resourcemanager.*.setIamPolicy`` on an
    ancestor (or from an unknown role bound there), checked on that ancestor, not here.
    """

    levels: frozenset[AccessLevel]
    conditions: tuple[Condition, ...] = ()
    hierarchy_admin: bool = False
    # Per level, where its permissions are checked (None: the role is unknown).
    checks: Mapping[AccessLevel, frozenset[Scope]] | None = None


_UNKNOWN_ROLE_LEVELS = frozenset({AccessLevel.READ, AccessLevel.WRITE, AccessLevel.ADMIN})


def role_levels(
    catalog: RoleCatalog, role: str, target: Target, attachment: Attachment, *, acls_active: bool = True
) -> RoleLevels:
    """Levels of ``role``; an unknown role that may touch data opens everything, conditionally."""
    permissions = catalog.permissions(role)
    via_ancestor = attachment is Attachment.HIERARCHY
    if permissions is not None:
        checks = level_checks(permissions, target, attachment, acls_active=acls_active)
        return RoleLevels(
            levels=frozenset(checks),
            hierarchy_admin=via_ancestor and bool(permissions & HIERARCHY_ADMIN_PERMISSIONS),
            checks=checks,
        )
    if not catalog.may_touch_data(role):
        return RoleLevels(levels=frozenset())
    reason = (
        f"role {role} is not in seenby's role catalogue and the scan has no definition for it: "
        "it may open read, write or admin access"
    )
    return RoleLevels(
        levels=_UNKNOWN_ROLE_LEVELS,
        conditions=(Condition(expression=f"role {role}", keys=(role,), reason=reason),),
        hierarchy_admin=via_ancestor,
    )
