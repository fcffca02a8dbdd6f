"""A group's grant reaches its members as themselves: members that refuse it themselves are left out.

An IAM group is not a principal (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_groups.html):
its policies apply to each member's own requests, evaluated with all of that member's
policies, where an explicit Deny anywhere wins and a permissions boundary caps the
identity-based Allows (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
seenby keeps a group's grant on the group node, reached through member-of edges; when some
members refuse every request of the level themselves, the grant is given to each other
member instead, its evidence noting who refused it.  A refusal that depends on an
undecidable condition keeps the member (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from seenby.model import Grant
from seenby.policies.aws.access import IdentityMemo
from seenby.policies.aws.candidates import Candidate
from seenby.policies.aws.document import Effect, PolicyDocument, PrincipalType, Statement
from seenby.policies.aws.evaluate import Request, Verdict, evaluate_policies
from seenby.policies.aws.iam import Entity
from seenby.policies.aws.population import Population

__all__ = ["GroupMembers"]


class GroupMembers:
    """Members of the snapshot's IAM groups, and which of them refuse a group's grant themselves."""

    def __init__(self, population: Population, identities: IdentityMemo) -> None:
        """``identities``: the snapshot's identity outcomes (:attr:`.memo.AwsMemo.identities`)."""
        self.population = population
        self.identities = identities
        self._members: dict[str, tuple[Entity, ...]] | None = None
        self._may_refuse_in: dict[str, tuple[Entity, ...]] = {}

    def members(self, group: Candidate) -> tuple[Entity, ...]:
        """The IAM users of ``group`` (from their GroupList)."""
        if self._members is None:
            found: dict[str, list[Entity]] = {}
            for iam in self.population.iams.values():
                for user in iam.users.values():
                    for g in user.groups:
                        found.setdefault(g.arn, []).append(user)
            self._members = {arn: tuple(users) for arn, users in found.items()}
        return self._members.get(group.principal.id, ())

    def _may_refuse(self, group: Candidate) -> tuple[Entity, ...]:
        """The members of ``group`` with a permissions boundary or a Deny in one of their policies (their groups'
        included): the only ones that can refuse its grant, found once per group (usually none)."""
        found = self._may_refuse_in.get(group.principal.id)
        if found is None:
            found = self._may_refuse_in[group.principal.id] = tuple(
                u for u in self.members(group)
                if u.boundary_arn is not None
                or any(st.effect is Effect.DENY for doc in u.all_policies() for st in doc.statements)
            )  # fmt: skip
        return found

    def _refuses(
        self, user: Entity, member: Candidate, requests: Iterable[Request], resource_docs: Sequence[PolicyDocument]
    ) -> bool:
        """The member's own identity side (its policies, its groups', its boundary) allows none of ``requests``, or
        the resource's policy denies the member itself every one of them."""
        for request in requests:
            if not self.identities.outcome(user, request, False).allows:
                continue
            if resource_docs and evaluate_policies(resource_docs, request, member).verdict is Verdict.DENY:
                continue
            return False
        return True

    def _as_member(self, group: Candidate, user: Entity) -> list[Candidate]:
        """``user`` making the requests of ``group``'s grant: through the network ``group`` calls through, if any,
        and through each network its own policies name (it refuses only if it refuses from every one)."""
        pop = self.population
        member = pop.entity(user)
        if group.network_keys:
            member = pop.via_network(member, group.network_keys, group.variant, group.note)
        return [member, *pop.through_networks(pop.entity(user), user.identity_documents())]

    def grant(
        self,
        group: Candidate,
        grant: Grant,
        requests_of: Callable[[Candidate], Iterable[Request]],
        resource_docs: Sequence[PolicyDocument | None] = (),
    ) -> list[Grant]:
        """``grant`` as given to ``group``, or, when some members are refused it, one per other member.

        ``requests_of(member)``: the requests of the grant's level as that member would make them.
        ``resource_docs``: the resource's policies: a Deny there that singles out members (by ARN, user id, name
        or tag) applies to them on the group's path too (a group is never the caller, its members are).
        """
        docs = [d for d in resource_docs if d is not None and _singles_out_members(d)]
        candidates = self.members(group) if docs else self._may_refuse(group)
        refused = [
            u.arn
            for u in candidates
            if all(self._refuses(u, m, requests_of(m), docs) for m in self._as_member(group, u))
        ]
        if not refused:
            return [grant]
        names = ", ".join(refused)
        note = (f"{group.principal.id} grants it to its members; {names} are refused it (an explicit Deny of their "
                f"own or of the resource's policy naming them, or a permissions boundary): the grant is shown for "
                f"each other member")  # fmt: skip
        return [grant.moved_to(u.principal, note) for u in self.members(group) if u.arn not in refused]


# caller-identity keys by which a Deny can tell one member of a group from another
_MEMBER_KEYS = ("aws:principalarn", "aws:userid", "aws:username", "aws:principaltag/")


def _singles_out(st: Statement) -> bool:
    """A Deny that may apply to some members of a group and not others: it names users, or tests a key that
    differs between them."""
    if st.effect is not Effect.DENY:
        return False
    if st.not_principal or any(r.type in (PrincipalType.ARN, PrincipalType.UNIQUE_ID) for r in st.principals or ()):
        return True
    return any(key.lower().startswith(_MEMBER_KEYS) for keys in st.condition.values() for key in keys)


def _singles_out_members(doc: PolicyDocument) -> bool:
    return any(_singles_out(st) for st in doc.statements)
