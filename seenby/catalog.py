"""The rule catalogue: rule metadata as validated data (``seenby/data/rule-catalog.yaml``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources as importlib_resources

import yaml

from seenby.findings import RuleId, Severity

__all__ = ["Rule", "RuleId", "catalog", "rule"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Rule:
    id: RuleId
    name: str
    title: str
    severity: Severity
    description: str
    remediation: str
    links: tuple[str, ...]


_NAME = re.compile(r"^[a-z][a-z0-9-]+$")
# the package's own data: libyaml's safe loader when PyYAML has it (ten times faster: every command reads this)
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def catalog() -> dict[RuleId, Rule]:
    """Load and validate the catalogue; a broken catalogue is a bug, so it raises ValueError."""
    text = importlib_resources.files("seenby").joinpath("data/rule-catalog.yaml").read_text()
    data = yaml.load(text, Loader=_SAFE_LOADER)
    rules: dict[RuleId, Rule] = {}
    for entry in data["rules"]:
        missing = {"id", "name", "title", "severity", "description", "remediation", "links"} - set(entry)
        if missing:
            raise ValueError(f"rule catalogue entry {entry.get('id')}: missing {sorted(missing)}")
        rid = RuleId(entry["id"])
        if rid in rules or not _NAME.match(entry["name"]):
            raise ValueError(f"rule catalogue entry {rid}: duplicate id or bad name")
        rules[rid] = Rule(
            id=rid,
            name=entry["name"],
            title=entry["title"],
            severity=Severity(entry["severity"]),
            description=" ".join(entry["description"].split()),
            remediation=" ".join(entry["remediation"].split()),
            links=tuple(entry["links"]),
        )
    if set(rules) != set(RuleId):
        raise ValueError(f"rule catalogue lacks {sorted(set(RuleId) - set(rules))}")
    return rules


def rule(rule_id: RuleId | str) -> Rule:
    return catalog()[RuleId(rule_id)]


def rule_by_name(name_or_id: str) -> Rule | None:
    """Look a rule up by id (SB003) or name (organization-wide-access)."""
    for r in catalog().values():
        if name_or_id in (r.id.value, r.name):
            return r
    return None
