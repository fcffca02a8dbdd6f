"""The resource hierarchy: organisation → folders → project, and what it hands down.

Allow policies are inherited: the effective policy of a resource is the union of its
own and every ancestor's (https://cloud.google.com/iam/docs/resource-hierarchy-access-control).
Organisation policies are evaluated from the project upwards: the nearest node that
sets a boolean constraint decides it (https://cloud.google.com/resource-manager/docs/organization-policy/understanding-hierarchy).

What the hierarchy does not tell us stays unknown, never "nothing":

* an ancestor's ``iam_policy`` read that failed contributes no bindings here, and its
  coverage gap is reported by :func:`seenby.policies.gaps.collect_gaps`;
* an ancestor's ``org_policies`` read that failed makes public access prevention
  UNKNOWN (public grants stay, conditional);
* an ancestor outside the snapshot, or one without an ``org_policies`` read, is taken
  to set no organisation policy: seenby never assumes a protection it has not read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from seenby.model import Condition, Evidence, EvidenceKind
from seenby.policies.gcp.bindings import BindingMember, iter_binding_members
from seenby.registry import GcpNodeRead, TypeName
from seenby.snapshot import Resource, Snapshot

__all__ = ["PAP_CONSTRAINT", "Enforcement", "Hierarchy", "Node", "PolicyDecision"]

PAP_CONSTRAINT = "storage.publicAccessPrevention"
_TYPES = {TypeName.GCP_ORGANIZATION: "organization", TypeName.GCP_FOLDER: "folder", TypeName.GCP_PROJECT: "project"}
_PROJECT_NUMBER = re.compile(r"^projects/(\d+)$")


@dataclass(frozen=True, kw_only=True, slots=True)
class Node:
    id: str  # organizations/N, folders/N, projects/ID
    parent: str | None
    resource: Resource


class Enforcement(StrEnum):
    ENFORCED = "enforced"
    NOT_ENFORCED = "not-enforced"
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True, slots=True)
class PolicyDecision:
    """The effective state of a protection, where it comes from, and why."""

    state: Enforcement
    reason: str
    evidence: Evidence | None = None
    condition: Condition | None = None


def _parent_of(resource: Resource) -> str | None:
    if resource.parent:
        return resource.parent
    meta = resource.document(GcpNodeRead.METADATA)
    if not isinstance(meta, Mapping):
        return None
    parent = meta.get("parent")
    if isinstance(parent, str) and parent:
        return parent
    if isinstance(parent, Mapping) and parent.get("type") and parent.get("id"):
        kind = {"organization": "organizations", "folder": "folders"}.get(str(parent["type"]), str(parent["type"]))
        return f"{kind}/{parent['id']}"
    return None


def _project_number(resource: Resource) -> str | None:
    meta = resource.document(GcpNodeRead.METADATA)
    if not isinstance(meta, Mapping):
        return None
    if meta.get("projectNumber"):
        return str(meta["projectNumber"])
    match = _PROJECT_NUMBER.match(str(meta.get("name") or ""))
    return match.group(1) if match else None


def project_node_id(project: str) -> str:
    return project if project.startswith("projects/") else f"projects/{project}"


class Hierarchy:
    """Index of organisation, folder and project resources of a snapshot."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.nodes: dict[str, Node] = {}
        self.project_ids: dict[str, str] = {}  # project number → project id
        for type_ in _TYPES:
            for resource in snapshot.of_type(type_):
                self.nodes[resource.id] = Node(id=resource.id, parent=_parent_of(resource), resource=resource)
                if type_ == TypeName.GCP_PROJECT:
                    number = _project_number(resource)
                    if number:
                        self.project_ids[number] = resource.id.removeprefix("projects/")
        self._inherited: dict[str, tuple[BindingMember, ...]] = {}

    def chain(self, project: str) -> list[Node]:
        """The project's node and its ancestors, nearest first, as far as the snapshot holds them."""
        out: list[Node] = []
        current: str | None = project_node_id(project)
        while current is not None and current in self.nodes and all(n.id != current for n in out):
            node = self.nodes[current]
            out.append(node)
            current = node.parent
        return out

    def inherited_bindings(self, project: str) -> tuple[BindingMember, ...]:
        """Every binding member of the project's and its ancestors' allow policies."""
        if project not in self._inherited:
            members: list[BindingMember] = []
            for node in self.chain(project):
                members.extend(iter_binding_members(node.id, node.resource.document(GcpNodeRead.IAM_POLICY)))
            self._inherited[project] = tuple(members)
        return self._inherited[project]

    def public_access_prevention(self, project: str) -> PolicyDecision:
        """The effective ``constraints/storage.publicAccessPrevention`` for buckets of ``project``.

        https://cloud.google.com/storage/docs/public-access-prevention
        """
        for node in self.chain(project):
            read = node.resource.read(GcpNodeRead.ORG_POLICIES)
            if read is None:
                continue
            if read.outcome.is_gap:
                return PolicyDecision(
                    state=Enforcement.UNKNOWN,
                    reason=f"the organisation policies of {node.id} could not be read ({read.outcome.value}); "
                    "public access prevention may be enforced there",
                )
            if not read.ok:
                continue
            decision = _pap_from_policies(node.id, read.document)
            if decision is not None:
                return decision
        return PolicyDecision(
            state=Enforcement.NOT_ENFORCED,
            reason="no organisation policy read for the hierarchy enforces storage.publicAccessPrevention",
        )


def _policy_for(document: Any, constraint: str) -> tuple[int, Mapping[str, Any]] | None:
    policies = document.get("policies") if isinstance(document, Mapping) else None
    for index, policy in enumerate(policies or ()):
        if not isinstance(policy, Mapping):
            continue
        name = str(policy.get("name") or "")
        legacy = str(policy.get("constraint") or "")
        if name.endswith(f"/policies/{constraint}") or legacy == f"constraints/{constraint}":
            return index, policy
    return None


def _pap_from_policies(node_id: str, document: Any) -> PolicyDecision | None:
    """The decision a node's policy list makes for PAP, or None when it does not set it."""
    found = _policy_for(document, PAP_CONSTRAINT)
    if found is None:
        return None
    index, policy = found
    evidence = Evidence(
        kind=EvidenceKind.PUBLIC_ACCESS_PREVENTION, source=node_id, location=f"policies[{index}]", excerpt=policy
    )
    spec = policy.get("spec")
    if isinstance(spec, Mapping):
        if spec.get("reset"):
            return PolicyDecision(state=Enforcement.NOT_ENFORCED, reason=f"{node_id} resets it", evidence=evidence)
        rules = [r for r in spec.get("rules") or () if isinstance(r, Mapping)]
        if not rules:
            return None  # inherits from the parent
        enforce = {bool(r.get("enforce")) for r in rules}
        conditional = [r for r in rules if r.get("condition")]
        if conditional and len(enforce) > 1:
            expression = [dict(r["condition"]) for r in conditional]
            return PolicyDecision(
                state=Enforcement.UNKNOWN,
                reason=f"{node_id} enforces public access prevention only under a tag condition",
                evidence=evidence,
                condition=Condition(
                    expression=expression,
                    keys=("resource.matchTag",),
                    reason=f"organisation policy condition at {node_id} (tags are not in the snapshot)",
                ),
            )
        state = Enforcement.ENFORCED if enforce == {True} else Enforcement.NOT_ENFORCED
        return PolicyDecision(state=state, reason=f"set at {node_id}", evidence=evidence)
    boolean = policy.get("booleanPolicy")  # v1 shape
    if isinstance(boolean, Mapping):
        state = Enforcement.ENFORCED if boolean.get("enforced") else Enforcement.NOT_ENFORCED
        return PolicyDecision(state=state, reason=f"set at {node_id}", evidence=evidence)
    if policy.get("restoreDefault") is not None:
        return PolicyDecision(
            state=Enforcement.NOT_ENFORCED, reason=f"{node_id} restores the default", evidence=evidence
        )
    return None
