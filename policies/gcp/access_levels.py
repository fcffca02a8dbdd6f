"""Who a binding opens a level to when its condition admits only callers from given access levels.

An IAM Condition on ``request.auth.access_levels`` (``"accessPolicies/P/accessLevels/corp" in
request.auth.access_levels``; https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels)
lets a caller in only when its request meets those Access Context Manager access levels: an IP range, a
region, a device policy (https://cloud.google.com/access-context-manager/docs/access-level-attributes).  It
narrows the audience to the callers from there, as an AWS ``aws:SourceVpce`` does
(:mod:`seenby.policies.aws.population`):

* ``allUsers`` / ``allAuthenticatedUsers`` → ``gcp-access-level:L`` ("callers from access level L", a network
  audience of its own, which rules.yaml can declare);
* a class (a Workspace ``domain:``, a workforce or workload pool set) → ``CLASS@gcp-access-level:L``,
  contained in both the class and the network audience;
* a specific principal (a user, group, service account, a ``projectViewer:`` member) stays itself, its
  evidence noting the access level it must call from.

:func:`seenby.policies.gcp.conditions.decide_levels` says which callers a level is open to
(:attr:`LevelDecision.access_levels`); this module names them.
"""

from __future__ import annotations

from seenby.model import Evidence, Principal, PrincipalKind, gcp_access_level_principal

__all__ = ["narrowed"]

_EVERYONE = frozenset({PrincipalKind.PUBLIC, PrincipalKind.ANY_AUTHENTICATED})
_CLASSES = frozenset({PrincipalKind.DOMAIN, PrincipalKind.ORGANIZATION, PrincipalKind.ORG_UNIT})
_CONVENIENCE = ("projectViewer:", "projectEditor:", "projectOwner:")


def narrowed(member: Principal, access_levels: tuple[str, ...], evidence: Evidence) -> tuple[Principal, Evidence]:
    """The principal a grant to ``member`` for callers from ``access_levels`` is recorded against, and its evidence.

    No access levels: ``member`` itself.  A convenience member (``projectViewer:p``) stays itself so its
    holders are expanded as usual (:mod:`.convenience`): each holder is a specific principal.
    """
    if not access_levels:
        return member, evidence
    if member.kind in _EVERYONE:
        return gcp_access_level_principal(access_levels), evidence
    if member.kind in _CLASSES and not member.id.startswith(_CONVENIENCE):
        return gcp_access_level_principal(access_levels, within=member), evidence
    note = f"only when calling from access level {' and '.join(access_levels)}"
    return member, evidence.with_note(note)
