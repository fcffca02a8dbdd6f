"""The planned state under construction: snapshot resources drafted over a baseline, and where each came from.

:class:`PlannedState` starts from a copy of the baseline snapshot's resources (what
already exists) and lets the per-provider builders set, replace or remove reads.
:class:`AddressIndex` remembers which Terraform address produced each read, IAM entity
and binding member, so findings can point at the resource to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from seenby.importers.terraform.resolve import UNKNOWN_AFTER_APPLY, Unknown
from seenby.model import ReadOutcome
from seenby.snapshot import Read, Resource, Snapshot

__all__ = ["AddressIndex", "Draft", "Origin", "PlannedState", "absent", "ok", "unknown"]


def ok(api: str, document: Any) -> Read:
    return Read(outcome=ReadOutcome.OK, api=api, document=document)


def absent(api: str, code: str) -> Read:
    return Read(outcome=ReadOutcome.ABSENT, api=api, error_code=code)


def unknown(api: str, what: Unknown) -> Read:
    """A read whose document is known only after apply: a coverage gap, never "no policy"."""
    return Read(outcome=ReadOutcome.ERROR, api=api, error_code=UNKNOWN_AFTER_APPLY, message=what.message)


@dataclass(frozen=True, kw_only=True, slots=True)
class Origin:
    """The Terraform resource a piece of the planned state comes from."""

    address: str
    type: str
    module: str  # "" for the root module
    changed: bool  # the plan creates, updates or deletes it (not a no-op)


@dataclass(kw_only=True)
class AddressIndex:
    """Where each read, IAM entity and binding member of the planned state was declared."""

    reads: dict[tuple[str, str], Origin] = field(default_factory=dict)  # (resource id, read name)
    resources: dict[str, Origin] = field(default_factory=dict)  # resource id -> the resource that defines it
    entities: dict[str, Origin] = field(default_factory=dict)  # IAM entity / managed policy ARN
    inline: dict[tuple[str, str], Origin] = field(default_factory=dict)  # (entity ARN, inline policy name)
    members: dict[tuple[str, str, str], Origin] = field(default_factory=dict)  # (resource id, role, member)
    addresses: dict[str, Origin] = field(default_factory=dict)  # every address seen, by address


@dataclass(kw_only=True)
class Draft:
    """One snapshot resource being built."""

    type: str
    id: str
    reads: dict[str, Read] = field(default_factory=dict)
    name: str | None = None
    account: str | None = None
    region: str | None = None
    parent: str | None = None
    in_baseline: bool = False

    def resource(self) -> Resource:
        return Resource(type=self.type, id=self.id, name=self.name, account=self.account, region=self.region,
                        parent=self.parent, reads=dict(self.reads))


class PlannedState:
    """Drafts keyed by (type, id), seeded from the baseline."""

    def __init__(self, baseline: Snapshot | None) -> None:
        self.drafts: dict[tuple[str, str], Draft] = {}
        self.index = AddressIndex()
        self.baseline = baseline
        for r in baseline.resources if baseline is not None else ():
            self.drafts[(r.type, r.id)] = Draft(
                type=r.type, id=r.id, reads=dict(r.reads), name=r.name, account=r.account, region=r.region,
                parent=r.parent, in_baseline=True,
            )

    def get(self, type_: str, id_: str) -> Draft | None:
        return self.drafts.get((type_, id_))

    def draft(self, type_: str, id_: str, **identity: Any) -> Draft:
        """The draft of (type, id); created when missing; identity fields fill in what is unset."""
        d = self.drafts.get((type_, id_))
        if d is None:
            d = self.drafts[(type_, id_)] = Draft(type=type_, id=id_)
        for key, value in identity.items():
            if value is not None and getattr(d, key) is None:
                setattr(d, key, value)
        return d

    def remove(self, type_: str, id_: str) -> None:
        self.drafts.pop((type_, id_), None)

    def set_read(self, d: Draft, name: str, read: Read, origin: Origin | None) -> None:
        d.reads[name] = read
        if origin is not None:
            self.index.reads[(d.id, name)] = origin

    def defines(self, d: Draft, origin: Origin) -> None:
        self.index.resources[d.id] = origin

    def resources(self) -> tuple[Resource, ...]:
        return tuple(d.resource() for d in self.drafts.values())

    def origins(self) -> Mapping[str, Origin]:
        return self.index.addresses
