"""The one memo of an AWS evaluation: every outcome decided once and reused, kept in one place.

Evaluation is pure, so an outcome depends only on what it is keyed by; each table below says
what that is.  Entries keyed by an object's ``id`` also hold the object and are used only when
it is the very same object (an ``id`` is never reused while its entry holds it).  One
:class:`AwsMemo` lives in each :class:`~.world.AwsWorld`, so the audit, ``why`` and every
resource type share the identity outcomes of the snapshot's principals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from seenby.policies.aws.access import BoundaryMemo, IdentityMemo, Outcome
from seenby.policies.aws.context import KeyValue, RequestContext
from seenby.policies.aws.document import PolicyDocument
from seenby.policies.aws.iam import Entity
from seenby.policies.aws.org import Directory

__all__ = ["ActionElement", "AwsMemo", "OrgPolicyShape"]

# A statement's Action element: its patterns and whether it is a NotAction.
ActionElement = tuple[tuple[str, ...], bool]


@dataclass(frozen=True, kw_only=True, slots=True)
class OrgPolicyShape:
    """What the organisations' SCPs and RCPs depend on, found once per snapshot.

    ``resource_free``: no statement names a resource, so a cap is the same on every resource.
    ``caller_free``: nor a Condition or a Principal, so it depends on the caller's account alone.
    ``elements``: every Action element they hold.
    """

    resource_free: bool
    caller_free: bool
    elements: frozenset[ActionElement]

    @staticmethod
    def of(directory: Directory) -> OrgPolicyShape:
        statements = directory.org_policy_statements()
        resource_free = all(st.resources in (None, ("*",)) and not st.not_resource for st in statements)
        caller_free = resource_free and all(
            not st.condition and st.principals is None and not st.not_principal for st in statements
        )
        return OrgPolicyShape(
            resource_free=resource_free,
            caller_free=caller_free,
            elements=frozenset((st.actions, st.not_action) for st in statements),
        )


@dataclass(frozen=True, kw_only=True)
class AwsMemo:
    """Every cache of an AWS evaluation (one per snapshot).

    * ``identities``: identity-policy outcomes (:class:`~.access.IdentityMemo`);
    * ``contexts``: a caller's request context merged with a resource's keys, by (evaluator kind,
      caller, context, resource account);
    * ``org_caps``: SCP and RCP outcomes, by caller, context, action and resource account (only
      when no organisation policy names a resource); ``org_caps_by_account``: by accounts and
      action alone (when none sets a Condition or Principal either);
    * ``key_outcomes``: the KMS layer, by caller, key, key policy, action and request keys (``key_extras``: the
      request keys, one tuple per key and bucket keys, kept here so that its id names them);
    * ``elements``: each document's Action elements (``entity_elements_memo``: an entity's, all its
      documents'); ``partitions``: the audited S3 actions
      grouped by what decides them (:meth:`.s3.BucketEvaluator.action_groups`);
    * ``org_documents``: the SCPs or RCPs that apply to an account, whose networks make candidates
      (:mod:`.perimeter`), by ("scp" | "rcp", organisation, account);
    * ``resource_keys``: the request keys a resource carries, by (evaluator kind, context scope): what
      ``contexts`` merges into each caller's context;
    * ``boundaries``: permissions-boundary outcomes (:class:`~.access.BoundaryMemo`), on the identity side
      and where a resource policy's Allow names a capped principal: the one ``identities`` uses.
    """

    org_shape: OrgPolicyShape
    identities: IdentityMemo = field(default_factory=IdentityMemo)
    contexts: dict[tuple[object, ...], tuple[RequestContext, RequestContext]] = field(default_factory=dict)
    org_caps: dict[tuple[object, ...], tuple[RequestContext, Outcome]] = field(default_factory=dict)
    org_caps_by_account: dict[tuple[object, ...], Outcome] = field(default_factory=dict)
    key_outcomes: dict[tuple[object, ...], tuple[RequestContext, PolicyDocument, Outcome]] = field(
        default_factory=dict
    )
    elements: dict[int, tuple[PolicyDocument, frozenset[ActionElement]]] = field(default_factory=dict)
    partitions: dict[tuple[object, ...], tuple[int, ...]] = field(default_factory=dict)
    context_free: dict[tuple[int, str], tuple[Entity, bool]] = field(default_factory=dict)
    org_documents: dict[tuple[object, ...], tuple[PolicyDocument, ...]] = field(default_factory=dict)
    boundaries: BoundaryMemo = field(default_factory=BoundaryMemo)
    resource_keys: dict[tuple[object, ...], Mapping[str, KeyValue]] = field(default_factory=dict)
    entity_elements_memo: dict[int, tuple[Entity, frozenset[ActionElement]]] = field(default_factory=dict)
    key_extras: dict[tuple[object, ...], tuple[tuple[str, KeyValue], ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.identities.boundaries is not self.boundaries:
            # one boundary memo for the identity side and the resource side (``identities`` passed in: its own)
            object.__setattr__(self, "boundaries", self.identities.boundaries)

    @staticmethod
    def of(directory: Directory) -> AwsMemo:
        return AwsMemo(org_shape=OrgPolicyShape.of(directory))

    def entity_elements(self, entity: Entity) -> frozenset[ActionElement]:
        """The Action elements of ``entity``'s identity policies (its groups' included) and boundary."""
        hit = self.entity_elements_memo.get(id(entity))
        if hit is not None and hit[0] is entity:
            return hit[1]
        elements = frozenset().union(*(self.elements_of(doc) for doc in entity.identity_documents()))
        self.entity_elements_memo[id(entity)] = (entity, elements)
        return elements

    def elements_of(self, doc: PolicyDocument) -> frozenset[ActionElement]:
        hit = self.elements.get(id(doc))
        if hit is not None and hit[0] is doc:
            return hit[1]
        elements = frozenset((st.actions, st.not_action) for st in doc.statements)
        self.elements[id(doc)] = (doc, elements)
        return elements

    def reads_no_context(self, entity: Entity, action: str) -> bool:
        """Whether :func:`~.access.identity_outcome` of ``entity`` for ``action`` reads nothing of the request context.

        Only a Condition block and a policy variable in a Resource element read it
        (:mod:`.evaluate`); a statement whose Action element does not apply is never read.
        """
        hit = self.context_free.get((id(entity), action))
        if hit is not None and hit[0] is entity:
            return hit[1]
        docs = entity.identity_documents()
        free = not any(st.condition or st.resource_variables for doc in docs for st in doc.statements_for(action))
        self.context_free[(id(entity), action)] = (entity, free)
        return free
