"""Decide one request against one policy or a layer of policies, with evidence.

A :class:`Decision` is never a bare bool: its :class:`Verdict` is ALLOW, DENY,
IMPLICIT_DENY or CONDITIONAL, and it carries the statements that decided
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):

* an explicit Deny whose condition holds and which covers the whole requested
  resource decides DENY, whatever allows;
* otherwise an Allow whose condition holds decides ALLOW; an Allow whose
  condition is UNKNOWN decides CONDITIONAL;
* otherwise IMPLICIT_DENY.

A Deny that *might* apply (condition UNKNOWN, or ``NotPrincipal`` undecidable)
never removes access but is not forgotten: it stays in :attr:`Decision.doubts`
and becomes a condition on the grant.  A Deny that covers only part of the
resource (``Resource: bucket/secret/*`` against "some object of the bucket")
stays in :attr:`Decision.partial_denies` as a note.

The requested resource is a glob: ``arn:aws:s3:::b/*`` means "some object of b".
An Allow applies when its ``Resource`` reaches *some* of it; a Deny removes
access only when it covers *all* of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from seenby.model import Condition, DecidedCondition, Evidence
from seenby.policies.aws.candidates import Candidate, match_principal
from seenby.policies.aws.conditions import ConditionOutcome, Tri, UndecidedPart, evaluate_condition
from seenby.policies.aws.context import RequestContext, substitute_variables
from seenby.policies.aws.document import Effect, PolicyDocument, Statement
from seenby.policies.aws.matching import action_matches, glob_covers, glob_intersects

__all__ = ["Decision", "Hit", "Request", "Verdict", "evaluate_policies", "statement_applies"]


class Verdict(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    IMPLICIT_DENY = "implicit-deny"
    CONDITIONAL = "conditional"

    @property
    def allows(self) -> bool:
        return self is _ALLOW or self is _CONDITIONAL  # members are singletons: identity is the cheapest test


_ALLOW, _CONDITIONAL = Verdict.ALLOW, Verdict.CONDITIONAL


@dataclass(frozen=True, kw_only=True, slots=True)
class Request:
    """One action on a resource glob, by a caller described by ``context``."""

    action: str
    resource: str
    context: RequestContext


@dataclass(frozen=True, kw_only=True, slots=True)
class Hit:
    """A statement that applies (``value`` TRUE) or might apply (UNKNOWN) to a request."""

    document: PolicyDocument
    statement: Statement
    value: Tri
    undecided: tuple[UndecidedPart, ...] = ()
    decided: tuple[DecidedCondition, ...] = ()
    via_account: bool = False
    partial: bool = False

    @property
    def evidence(self) -> Evidence:
        note = None
        if self.partial:
            note = "this Deny covers only part of the resource"
        elif self.via_account:
            note = "names the account: its own identity policies must also allow"
        return self.document.evidence(self.statement, note=note).with_decided(self.decided)

    def condition(self, *, deny: bool = False) -> Condition:
        """The Condition a grant carries because this hit could not be decided offline."""
        where = f"{self.document.kind.value} of {self.document.source} {self.statement.location}"
        if self.statement.sid:
            where += f" (Sid {self.statement.sid})"
        reasons = (
            "; ".join(f"{p.operator} {p.key} ({p.family.value}): {p.reason}" for p in self.undecided)
            or "undecidable offline"
        )
        prefix = "may be denied by" if deny else "allowed only if the condition holds:"
        expression = self.statement.raw.get("Condition") if self.statement.condition else self.statement.raw
        return Condition(
            expression=expression,
            keys=tuple(dict.fromkeys(p.key for p in self.undecided)),
            reason=f"{prefix} {where}: {reasons}",
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Decision:
    verdict: Verdict
    allows: tuple[Hit, ...] = ()  # the deciding Allow first
    denies: tuple[Hit, ...] = ()  # Denies that apply in full
    doubts: tuple[Hit, ...] = ()  # Denies that might apply
    partial_denies: tuple[Hit, ...] = ()

    @property
    def deciding(self) -> Hit | None:
        if self.verdict is Verdict.DENY:
            return self.denies[0]
        return self.allows[0] if self.allows else None

    def conditions(self) -> tuple[Condition, ...]:
        """Everything this decision could not settle: an undecided Allow and every doubtful Deny."""
        out: list[Condition] = []
        if self.verdict is Verdict.CONDITIONAL and self.allows:
            out.append(self.allows[0].condition())
        out.extend(h.condition(deny=True) for h in self.doubts)
        return tuple(out)


IMPLICIT = Decision(verdict=Verdict.IMPLICIT_DENY)


def _action_applies(statement: Statement, action: str) -> bool:
    hit = any(action_matches(p, action) for p in statement.actions)
    return not hit if statement.not_action else hit


def _resource_applies(
    statement: Statement, resource: str, context: RequestContext
) -> tuple[Tri, bool, tuple[str, ...]]:
    """(applies, partial, unresolved policy variables) of the Resource element for ``resource``."""
    if statement.resources is None:
        return Tri.TRUE, False, ()
    if not statement.resource_variables:
        # no policy variable: the answer depends on the patterns and the resource alone, not the caller
        return _fixed_resource_applies(
            statement.resources, statement.effect is Effect.ALLOW, statement.not_resource, resource
        )
    patterns: list[str] = []
    unresolved: list[str] = []
    for p in statement.resources:
        text, missing = substitute_variables(p, context)
        patterns.append(text)
        unresolved.extend(missing)
    return _decide_resource(patterns, statement.effect is Effect.ALLOW, statement.not_resource, resource, unresolved)


@lru_cache(maxsize=1 << 17)
def _fixed_resource_applies(
    patterns: tuple[str, ...], allow: bool, not_resource: bool, resource: str
) -> tuple[Tri, bool, tuple[str, ...]]:
    """:func:`_decide_resource` of a Resource element without policy variables (asked for every caller)."""
    return _decide_resource(patterns, allow, not_resource, resource, ())


def _decide_resource(
    patterns: Sequence[str], allow: bool, not_resource: bool, resource: str, unresolved: Sequence[str]
) -> tuple[Tri, bool, tuple[str, ...]]:
    if allow:
        if not_resource:
            applies = not any(glob_covers(p, resource) for p in patterns)
        else:
            applies = any(glob_intersects(p, resource) for p in patterns)
        if not applies:
            return Tri.FALSE, False, ()
        return (Tri.UNKNOWN if unresolved else Tri.TRUE), False, tuple(unresolved)
    # Deny: does it cover all of the resource, part of it, or none?
    if not_resource:
        touches = any(glob_intersects(p, resource) for p in patterns)
        covers_all = not touches
        partial = touches and not any(glob_covers(p, resource) for p in patterns)
    else:
        covers_all = any(glob_covers(p, resource) for p in patterns)
        partial = not covers_all and any(glob_intersects(p, resource) for p in patterns)
    if unresolved and (covers_all or partial):
        return Tri.UNKNOWN, False, tuple(unresolved)
    if covers_all:
        return Tri.TRUE, False, ()
    return (Tri.FALSE, partial, ())


def action_applies(statement: Statement, action: str) -> bool:
    """Whether ``statement``'s Action (or NotAction) element applies to ``action``."""
    return _action_applies(statement, action)


def resource_applies(
    statement: Statement, resource: str, context: RequestContext
) -> tuple[Tri, bool, tuple[str, ...]]:
    """(applies, partial, unresolved policy variables) of ``statement``'s Resource element for ``resource``.

    The only part of a statement's decision that depends on the resource: two resources with
    the same answer for every statement of some policies get the same decision from them.
    """
    return _resource_applies(statement, resource, context)


def statement_applies(
    document: PolicyDocument, statement: Statement, request: Request, candidate: Candidate | None
) -> Hit | None:
    """The statement's hit for ``request`` by ``candidate``, or None when it does not apply."""
    if not _action_applies(statement, request.action):
        return None
    return _applies(document, statement, request, candidate)


def _applies(
    document: PolicyDocument, statement: Statement, request: Request, candidate: Candidate | None
) -> Hit | None:
    """:func:`statement_applies` for a statement whose Action element applies to the request's action."""
    resource, partial, unresolved = _resource_applies(statement, request.resource, request.context)
    if partial:
        return Hit(document=document, statement=statement, value=Tri.FALSE, partial=True)
    if resource is Tri.FALSE:
        return None
    undecided: list[UndecidedPart] = [
        UndecidedPart(operator="Resource", key=k, reason="policy variable cannot be resolved offline")
        for k in unresolved
    ]
    via_account = False
    if statement.principals is not None and candidate is not None:
        m = match_principal(statement, candidate)
        if m.value is Tri.FALSE:
            return None
        via_account = m.via_account
        if m.value is Tri.UNKNOWN:
            undecided.append(
                UndecidedPart(
                    operator="NotPrincipal",
                    key="principal",
                    reason="AWS may check the caller's account as well as the caller itself",
                )
            )
    outcome: ConditionOutcome = evaluate_condition(
        statement.condition, request.context, allow=statement.effect is Effect.ALLOW
    )
    if outcome.value is Tri.FALSE:
        return None
    undecided.extend(outcome.undecided)
    value = Tri.UNKNOWN if undecided else Tri.TRUE
    return Hit(
        document=document, statement=statement, value=value, undecided=tuple(undecided),
        decided=outcome.decided, via_account=via_account,
    )  # fmt: skip


def evaluate_policies(
    documents: Iterable[PolicyDocument],
    request: Request,
    candidate: Candidate | None = None,
    *,
    ignore_account_allows: bool = False,
) -> Decision:
    """Decide ``request`` against every statement of ``documents`` (one layer).

    ``ignore_account_allows``: an Allow that names the caller only through its
    account does not count (a resource policy naming its own account delegates to
    that account's identity policies, it grants nothing by itself).
    """
    allows: list[Hit] = []
    denies: list[Hit] = []
    doubts: list[Hit] = []
    partial: list[Hit] = []
    for document in documents:
        # only statements whose Action element applies can decide: the others are skipped unread
        for statement in document.statements_for(request.action):
            hit = _applies(document, statement, request, candidate)
            if hit is None:
                continue
            if statement.effect is Effect.DENY:
                if hit.partial:
                    partial.append(hit)
                elif hit.value is Tri.TRUE:
                    denies.append(hit)
                else:
                    doubts.append(hit)
            elif not (ignore_account_allows and hit.via_account):
                allows.append(hit)
    if denies:
        return Decision(verdict=Verdict.DENY, denies=tuple(denies), doubts=tuple(doubts), partial_denies=tuple(partial))
    allows.sort(key=lambda h: (h.value is not Tri.TRUE, h.via_account))
    if not allows:
        verdict = Verdict.IMPLICIT_DENY
    elif allows[0].value is Tri.TRUE:
        verdict = Verdict.ALLOW
    else:
        verdict = Verdict.CONDITIONAL
    return Decision(verdict=verdict, allows=tuple(allows), doubts=tuple(doubts), partial_denies=tuple(partial))
