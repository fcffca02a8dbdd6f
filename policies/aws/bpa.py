"""S3 Block Public Access, and what "public" means for a bucket policy and an ACL.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html:

* the four settings apply at account and bucket level; the most restrictive
  wins, setting by setting;
* ``IgnorePublicAcls`` makes S3 ignore ACL grants to AllUsers and
  AuthenticatedUsers;
* ``RestrictPublicBuckets``: if the bucket policy is public, only AWS service
  principals and principals of the bucket owner's account may access the bucket
  — all other cross-account access is cut too;
* ``BlockPublicAcls`` and ``BlockPublicPolicy`` only make S3 refuse *future*
  PUTs of a public ACL or policy.  They do not change how existing documents
  are evaluated, so seenby reports them but they never remove a grant.

A setting read as absent (``NoSuchPublicAccessBlockConfiguration``) is off; a
setting whose read is a gap (or whose account is not in the snapshot) is
UNKNOWN, and grants it could block stay, made conditional.

"Public" for a bucket policy follows the documented definition: a statement is
non-public when its principal is fixed, or when a fixed value of one of the keys
in ``data/bpa_public.json`` pins it (``aws:SourceIp`` only with CIDRs no broader
than /8 for IPv4 and /32 for IPv6).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from seenby.model import Condition, Evidence, EvidenceKind
from seenby.policies.aws.conditions import Tri
from seenby.policies.aws.document import Effect, PolicyDocument, PrincipalType, Statement
from seenby.policies.aws.matching import has_wildcard
from seenby.snapshot import Read

__all__ = ["BpaSetting", "BpaState", "PublicAccessBlock", "combine_bpa", "is_public_policy", "public_statements"]


class BpaSetting(StrEnum):
    BLOCK_PUBLIC_ACLS = "BlockPublicAcls"
    IGNORE_PUBLIC_ACLS = "IgnorePublicAcls"
    BLOCK_PUBLIC_POLICY = "BlockPublicPolicy"
    RESTRICT_PUBLIC_BUCKETS = "RestrictPublicBuckets"


@dataclass(frozen=True, kw_only=True, slots=True)
class BpaState:
    """One setting: on (with the evidence that says so), off, or unknown (with why)."""

    value: Tri
    evidence: tuple[Evidence, ...] = ()
    reason: str = ""

    def condition(self, setting: BpaSetting, what: str) -> Condition:
        return Condition(
            expression={setting.value: "unknown"},
            keys=(setting.value,),
            reason=f"{what} unless Block Public Access {setting.value} is on: {self.reason}",
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class PublicAccessBlock:
    settings: Mapping[BpaSetting, BpaState] = field(default_factory=dict)

    def get(self, setting: BpaSetting) -> BpaState:
        return self.settings.get(setting, BpaState(value=Tri.FALSE))

    @classmethod
    def from_read(cls, read: Read | None, *, source: str, level: str) -> PublicAccessBlock:
        """Settings of one level from its read (None: the resource or read is not in the snapshot)."""
        if read is None:
            reason = f"the {level} Block Public Access settings of {source} are not in the snapshot"
            return cls(settings={s: BpaState(value=Tri.UNKNOWN, reason=reason) for s in BpaSetting})
        if read.outcome.is_gap:
            reason = f"{read.api} on {source} was {read.outcome.value} ({read.error_code})"
            return cls(settings={s: BpaState(value=Tri.UNKNOWN, reason=reason) for s in BpaSetting})
        if not read.ok:
            return cls(settings={s: BpaState(value=Tri.FALSE) for s in BpaSetting})
        config = (read.document or {}).get("PublicAccessBlockConfiguration") or {}
        settings: dict[BpaSetting, BpaState] = {}
        for s in BpaSetting:
            on = bool(config.get(s.value))
            evidence = (
                Evidence(
                    kind=EvidenceKind.PUBLIC_ACCESS_BLOCK,
                    source=source,
                    location=f"PublicAccessBlockConfiguration.{s.value}",
                    excerpt={s.value: True},
                    note=f"{level} level",
                ),
            )
            settings[s] = BpaState(value=Tri.TRUE if on else Tri.FALSE, evidence=evidence if on else ())
        return cls(settings=settings)


def combine_bpa(*levels: PublicAccessBlock) -> PublicAccessBlock:
    """The most restrictive setting of all levels wins: on anywhere is on; unknown anywhere else is unknown."""
    out: dict[BpaSetting, BpaState] = {}
    for s in BpaSetting:
        states = [lvl.get(s) for lvl in levels]
        on = [st for st in states if st.value is Tri.TRUE]
        unknown = [st for st in states if st.value is Tri.UNKNOWN]
        if on:
            out[s] = BpaState(value=Tri.TRUE, evidence=tuple(e for st in on for e in st.evidence))
        elif unknown:
            out[s] = BpaState(value=Tri.UNKNOWN, reason="; ".join(st.reason for st in unknown))
        else:
            out[s] = BpaState(value=Tri.FALSE)
    return PublicAccessBlock(settings=out)


@cache
def _public_data() -> dict[str, Any]:
    text = resources.files("seenby.policies.aws").joinpath("data/bpa_public.json").read_text()
    return json.loads(text)


_POSITIVE_OPERATORS = {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "ipaddress"}


def _fixed_ip(values: tuple[str, ...]) -> bool:
    data = _public_data()
    for v in values:
        try:
            net = ipaddress.ip_network(v, strict=False)
        except ValueError:
            return False
        limit = data["ipv4_min_prefix"] if net.version == 4 else data["ipv6_min_prefix"]
        if net.prefixlen < limit:
            return False
    return True


def _pinned(statement: Statement) -> bool:
    """A condition pins the statement to fixed values of a key S3 accepts as limiting."""
    fixed = {k.lower() for k in _public_data()["fixed_keys"]}
    for operator, keys in statement.condition.items():
        base = operator.split(":", 1)[-1].lower()
        if base.endswith("ifexists") or base not in _POSITIVE_OPERATORS:
            continue
        for key, values in keys.items():
            k = key.lower()
            if k not in fixed or any(has_wildcard(v) or "${" in v for v in values):
                continue
            if k == "aws:sourceip":
                if base == "ipaddress" and _fixed_ip(values):
                    return True
                continue
            if base == "ipaddress":
                continue
            return True
    return False


def public_statements(document: PolicyDocument | None) -> list[Statement]:
    """The Allow statements that make a bucket policy public."""
    if document is None:
        return []
    out = []
    for st in document.statements:
        if st.effect is not Effect.ALLOW:
            continue
        broad = st.not_principal or any(r.type is PrincipalType.ANY for r in st.principals or ())
        if broad and not _pinned(st):
            out.append(st)
    return out


def is_public_policy(document: PolicyDocument | None) -> bool:
    return bool(public_statements(document))
