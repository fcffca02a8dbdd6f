"""The condition-key catalogue: every condition key (AWS) or CEL attribute (Google Cloud) seenby meets, each
in one :class:`~seenby.model.ConditionFamily` whose rule decides how it narrows an audience.

The catalogue is package data, versioned like the roles data: ``policies/aws/data/condition_keys.yaml`` and
``policies/gcp/data/condition_attributes.yaml``.  Each entry names its key, its family, the documentation page
the family is taken from, and optionally a note.  A key ending in ``/*`` (``aws:PrincipalTag/*``) or ``:*``
(``kms:EncryptionContext:*``) stands for every key with that prefix.  Keys compare case-insensitively, as
IAM compares them.  A key the catalogue does not list is UNMODELLED: whatever depends on it stays conditional.

:func:`markdown_table` renders a catalogue for docs/aws-semantics.md and docs/gcp.md; a test keeps the docs in
sync with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from seenby.model import ConditionFamily

__all__ = [
    "FAMILY_RULES",
    "Catalogue",
    "KeyEntry",
    "aws_catalogue",
    "gcp_catalogue",
    "markdown_table",
]

# One rule per family, in words: how a condition on a key of the family narrows an audience.
FAMILY_RULES: Mapping[ConditionFamily, str] = {
    ConditionFamily.CALLER_IDENTITY: "decided per candidate principal from the snapshot (IAM, organisation); "
    "a wildcard value follows Block Public Access's fixed-value rule",
    ConditionFamily.NETWORK: "a fixed value narrows the audience to a network audience (callers through that "
    "VPC endpoint, VPC or address range; on Google Cloud, callers from that access level); 0.0.0.0/0 and ::/0 "
    "narrow nothing",
    ConditionFamily.SERVICE_CONTEXT: "present only on requests a service makes on someone's behalf: absent for "
    'anonymous and IAM principals; "*" narrowed by it is "a service acting for account/resource X"',
    ConditionFamily.REQUEST_PROPERTY: "chosen by the caller for its own request: narrows nobody out (kept as a "
    "note), and a Deny on it removes nobody",
    ConditionFamily.TIME: "decided at the snapshot's collection time; the evidence says when the answer changes",
    ConditionFamily.AUTHENTICATION: "absent on anonymous requests; a signed-in person can satisfy it",
    ConditionFamily.SERVICE_ROUTE: "whether a service forwards an IAM principal's credentials (forward access "
    "sessions): never on anonymous requests (aws:ViaAWSService false, aws:CalledVia* absent); a signed-in "
    "principal chooses to call directly or through a service",
    ConditionFamily.DATA_PART: "the grant covers part of the dataset: a finding at full severity that says which part",
    ConditionFamily.RESOURCE: "a property of the resource reached, known from the snapshot",
    ConditionFamily.UNMODELLED: "not decided: the grant stays conditional, shown with the condition (fail closed)",
}

# the package's own data: libyaml's safe loader when PyYAML has it (ten times faster: evaluations read these)
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, kw_only=True, slots=True)
class KeyEntry:
    """One key (or key prefix) of the catalogue."""

    key: str
    family: ConditionFamily
    doc: str
    note: str = ""

    @property
    def is_prefix(self) -> bool:
        return self.key.endswith("*")


@dataclass(frozen=True, kw_only=True, slots=True)
class Catalogue:
    """A provider's keys, looked up case-insensitively (prefix entries by their longest prefix)."""

    provider: str
    version: str
    retrieved: str
    source: str
    entries: tuple[KeyEntry, ...]
    _exact: Mapping[str, KeyEntry] = field(init=False, repr=False, compare=False)
    _prefixes: tuple[tuple[str, KeyEntry], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        exact: dict[str, KeyEntry] = {}
        prefixes: list[tuple[str, KeyEntry]] = []
        for e in self.entries:
            k = e.key.lower()
            if e.is_prefix:
                prefixes.append((k[:-1], e))
            else:
                exact[k] = e
        prefixes.sort(key=lambda p: -len(p[0]))
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_prefixes", tuple(prefixes))

    def lookup(self, key: str) -> KeyEntry | None:
        """The entry for ``key``, or None when the catalogue does not list it."""
        k = key.lower()
        hit = self._exact.get(k)
        if hit is not None:
            return hit
        for prefix, entry in self._prefixes:
            if k.startswith(prefix):
                return entry
        return None

    def family(self, key: str) -> ConditionFamily:
        entry = self.lookup(key)
        return entry.family if entry is not None else ConditionFamily.UNMODELLED


def _load(package: str, name: str, provider: str) -> Catalogue:
    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    data: Any = yaml.load(text, Loader=_SAFE_LOADER)
    where = f"{package.replace('.', '/')}/{name}"
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValueError(f"{where}: a catalogue is a mapping with a 'keys' list")
    entries: list[KeyEntry] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["keys"]):
        if not isinstance(raw, dict) or not {"key", "family", "doc"} <= set(raw):
            raise ValueError(f"{where}: keys[{i}] needs key, family and doc")
        key = str(raw["key"])
        if key.lower() in seen:
            raise ValueError(f"{where}: keys[{i}]: {key} is listed twice")
        seen.add(key.lower())
        try:
            family = ConditionFamily(raw["family"])
        except ValueError:
            raise ValueError(f"{where}: keys[{i}]: unknown family {raw['family']!r}") from None
        if not str(raw["doc"]).startswith("https://"):
            raise ValueError(f"{where}: keys[{i}]: doc must be an https URL")
        entries.append(KeyEntry(key=key, family=family, doc=str(raw["doc"]), note=str(raw.get("note") or "")))
    return Catalogue(
        provider=provider,
        version=str(data.get("version", "")),
        retrieved=str(data.get("retrieved", "")),
        source=str(data.get("source", "")),
        entries=tuple(entries),
    )


@cache
def aws_catalogue() -> Catalogue:
    """AWS global condition keys and the S3, KMS, DynamoDB, Glue, Lake Formation and STS keys seenby meets."""
    return _load("seenby.policies.aws.data", "condition_keys.yaml", "aws")


@cache
def gcp_catalogue() -> Catalogue:
    """Google Cloud IAM Conditions (CEL) attributes seenby meets."""
    return _load("seenby.policies.gcp.data", "condition_attributes.yaml", "gcp")


def markdown_table(catalogue: Catalogue, families: Iterable[ConditionFamily] = tuple(ConditionFamily)) -> str:
    """The catalogue as Markdown: one table row per key, grouped by family, each family's rule above its rows."""
    lines = [
        f"<!-- generated from the condition-key catalogue (version {catalogue.version}, "
        f"retrieved {catalogue.retrieved}); tests/core/test_condition_catalogue.py keeps it in sync -->",
        "",
        "| family | rule | keys |",
        "|---|---|---|",
    ]
    by_family: dict[ConditionFamily, list[KeyEntry]] = {}
    for e in catalogue.entries:
        by_family.setdefault(e.family, []).append(e)
    for family in families:
        entries = by_family.get(family)
        if not entries:
            continue
        keys = ", ".join(f"[`{e.key}`]({e.doc})" for e in sorted(entries, key=lambda e: e.key.lower()))
        lines.append(f"| {family.value} | {FAMILY_RULES[family]} | {keys} |")
    return "\n".join(lines) + "\n"
