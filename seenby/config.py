"""rules.yaml v1: declared audiences, dataset declarations, rule settings and waivers.

The reference is the root ``rules.yaml`` of the repository (the example
organisation) and ``docs/rules.md``.  Every schema error names the file and the
line, and the CLI exits 2 with that one message.

Matching: dataset entries are tried in order and the **first** whose ``match``
fits a dataset declares it.  A declared audience lists audience names (from
``audiences``) or principal ids; ids may use ``*`` and ``?`` globs.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from seenby.catalog import RuleId, rule_by_name
from seenby.errors import RulesError
from seenby.findings import Severity, Waiver
from seenby.model import AccessLevel, Dataset, DatasetKind, Provider

__all__ = [
    "DatasetDeclaration",
    "DeclaredAudience",
    "Rules",
    "UndeclaredAction",
    "load_rules",
    "owner_patterns",
    "parse_rules",
]

AUDIENCE_TAG = "seenby:audience"
# "the owner account, its own networks and AWS services acting for it": one word for the locked-down pattern
OWNER = "aws-owner"


def owner_patterns(dataset: Dataset | None) -> tuple[str, ...]:
    """What :data:`OWNER` stands for on ``dataset``: its AWS account (every principal of it), the networks the
    scan shows that account owns (``aws-network-of:ACCOUNT``), and AWS services acting for the account or a
    resource of it (``aws-service-for:ACCOUNT``).  Nothing on a dataset of no known AWS account."""
    if dataset is None or dataset.provider is not Provider.AWS or not dataset.account:
        return ()
    account = dataset.account
    return (f"arn:aws:iam::{account}:root", f"aws-network-of:{account}", f"aws-service-for:{account}")


class UndeclaredAction(StrEnum):
    REPORT = "report"  # one SB009 finding per undeclared dataset (and no audience audit)
    IGNORE = "ignore"  # say nothing about undeclared datasets
    AUDIT = "audit"  # audit them against the `undeclared.audience` given


@dataclass(frozen=True, kw_only=True, slots=True)
class DeclaredAudience:
    """Who may act at each level. Patterns are principal ids or globs, audience names resolved."""

    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()
    admin: tuple[str, ...] = ()
    list: tuple[str, ...] | None = None  # None: whoever may read may list

    def for_level(self, level: AccessLevel, dataset: Dataset | None = None) -> tuple[str, ...]:
        """Who may act at ``level``, each pattern once, in declaration order.

        With ``dataset``, the shortcut :data:`OWNER` stands for the dataset's own account, its networks and the
        AWS services acting for it (:func:`owner_patterns`)."""
        if level is AccessLevel.LIST:
            patterns = self.list if self.list is not None else self.read + self.write + self.admin
        elif level is AccessLevel.READ:
            # Whoever may administer access can grant themselves reading: declared admins may read.
            patterns = self.read + self.admin
        elif level is AccessLevel.WRITE:
            patterns = self.write + self.admin
        else:
            patterns = self.admin
        if OWNER in patterns:
            patterns = tuple(p for x in patterns for p in (owner_patterns(dataset) if x == OWNER else (x,)))
        return tuple(dict.fromkeys(patterns))


@dataclass(frozen=True, slots=True)
class GlobSet:
    """Glob patterns compiled once: each pattern matches itself (a set lookup) or, when it has ``*``,
    ``?`` or ``[``, what ``fnmatch.fnmatchcase`` matches (one regex for all of them)."""

    literals: frozenset[str]
    regex: re.Pattern[str] | None

    @staticmethod
    @cache
    def of(patterns: tuple[str, ...]) -> GlobSet:
        literals = frozenset(patterns)
        globs = [p for p in patterns if _GLOB_CHARS.intersection(p)]
        regex = re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in globs)) if globs else None
        return GlobSet(literals=literals, regex=regex)

    def matches(self, text: str) -> bool:
        return text in self.literals or (self.regex is not None and self.regex.match(text) is not None)


_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True, kw_only=True, slots=True)
class DatasetMatch:
    ids: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    provider: Provider | None = None
    kind: DatasetKind | None = None

    def matches(self, dataset: Dataset) -> bool:
        # the cheap tests first; the id globs (by id or name) last
        if self.provider is not None and dataset.provider is not self.provider:
            return False
        if self.kind is not None and dataset.kind is not self.kind:
            return False
        if any(dataset.tags.get(k) != v for k, v in self.tags.items()):
            return False
        if self.ids:
            globs = GlobSet.of(self.ids)
            return globs.matches(dataset.id) or globs.matches(dataset.name)
        return True


@dataclass(frozen=True, kw_only=True, slots=True)
class DatasetDeclaration:
    match: DatasetMatch
    audience: DeclaredAudience
    classification: str | None
    where: str  # "rules.yaml:12"
    label: str  # "datasets[0]"


@dataclass(frozen=True, kw_only=True, slots=True)
class RuleSetting:
    enabled: bool = True
    severity: Severity | None = None


@dataclass(frozen=True, kw_only=True)
class Rules:
    source: str
    audiences: Mapping[str, tuple[str, ...]]
    datasets: tuple[DatasetDeclaration, ...]
    undeclared_action: UndeclaredAction = UndeclaredAction.REPORT
    undeclared_audience: DeclaredAudience = field(default_factory=DeclaredAudience)
    rule_settings: Mapping[RuleId, RuleSetting] = field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()

    def declaration_for(self, dataset: Dataset) -> DatasetDeclaration | None:
        """The first entry that matches; else an audience named by the resource's seenby:audience tag."""
        for decl in self.datasets:
            if decl.match.matches(dataset):
                return decl
        return self._tagged_declaration(dataset)

    def declarations_for(self, datasets: Iterable[Dataset]) -> dict[str, DatasetDeclaration | None]:
        """:meth:`declaration_for` of each of ``datasets``, by id, trying for each only the entries its tags
        leave possible: an entry that requires a tag value is filed under one such (tag, value) and tried for
        the datasets that carry it; the others are tried for every dataset; still the first that matches wins."""
        everywhere: list[int] = []
        by_tag: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i, decl in enumerate(self.datasets):
            if decl.match.tags:
                by_tag[next(iter(decl.match.tags.items()))].append(i)
            else:
                everywhere.append(i)
        out: dict[str, DatasetDeclaration | None] = {}
        for dataset in datasets:
            tried = everywhere
            for k, v in dataset.tags.items():
                if isinstance(v, str) and (k, v) in by_tag:
                    tried = sorted([*tried, *by_tag[k, v]])
            decl = next((d for i in tried if (d := self.datasets[i]).match.matches(dataset)), None)
            out[dataset.id] = decl if decl is not None else self._tagged_declaration(dataset)
        return out

    def _tagged_declaration(self, dataset: Dataset) -> DatasetDeclaration | None:
        """The audience named by the resource's seenby:audience tag, if it has one."""
        tagged = dataset.tags.get(AUDIENCE_TAG)
        if tagged:
            names = [n.strip() for n in tagged.replace(",", " ").split() if n.strip()]
            members = tuple(m for n in names for m in self.audiences.get(n, (n,)))
            return DatasetDeclaration(
                match=DatasetMatch(ids=(dataset.id,)),
                audience=DeclaredAudience(read=members),
                classification=None,
                where=f"tag {AUDIENCE_TAG}={tagged!r} on {dataset.id}",
                label=f"tag {AUDIENCE_TAG}",
            )
        return None

    def setting(self, rule_id: RuleId) -> RuleSetting:
        return self.rule_settings.get(rule_id, RuleSetting())


# ---------------------------------------------------------------------------
# Parsing with line numbers


class _Node:
    """A YAML value with the line it starts on (1-based)."""

    __slots__ = ("line", "value")

    def __init__(self, value: Any, line: int) -> None:
        self.value = value
        self.line = line


def _convert(node: yaml.Node) -> _Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, _Node] = {}
        for k, v in node.value:
            key = _convert(k).value
            out[str(key)] = _convert(v)
        return _Node(out, line)
    if isinstance(node, yaml.SequenceNode):
        return _Node([_convert(v) for v in node.value], line)
    loader = yaml.SafeLoader("")
    return _Node(loader.construct_object(node, deep=True), line)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, node: _Node | int, message: str) -> RulesError:
        line = node if isinstance(node, int) else node.line
        return RulesError(message, file=self.source, where=f"line {line}")

    def mapping(self, node: _Node, what: str, allowed: set[str]) -> dict[str, _Node]:
        if not isinstance(node.value, dict):
            raise self.fail(node, f"{what} must be a mapping")
        for key, child in node.value.items():
            if key not in allowed:
                hint = difflib.get_close_matches(key, sorted(allowed), n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else f"; expected one of {sorted(allowed)}"
                raise self.fail(child, f"unknown key {key!r} in {what}{suggestion}")
        return node.value

    def string(self, node: _Node, what: str) -> str:
        if not isinstance(node.value, str) or not node.value.strip():
            raise self.fail(node, f"{what} must be a non-empty string")
        return node.value

    def strings(self, node: _Node, what: str) -> tuple[str, ...]:
        if isinstance(node.value, str):
            return (self.string(node, what),)
        if not isinstance(node.value, list):
            raise self.fail(node, f"{what} must be a string or a list of strings")
        return tuple(self.string(n, f"an item of {what}") for n in node.value)

    def enum(self, node: _Node, cls: type[StrEnum], what: str) -> Any:
        try:
            return cls(self.string(node, what))
        except ValueError:
            raise self.fail(node, f"{what} must be one of {[e.value for e in cls]}, not {node.value!r}") from None


def _parse_audience_spec(
    p: _Parser, node: dict[str, _Node], audiences: Mapping[str, tuple[str, ...]], what: str
) -> DeclaredAudience:
    def resolve(key: str) -> tuple[str, ...] | None:
        if key not in node:
            return None
        out: list[str] = []
        for item_node in node[key].value if isinstance(node[key].value, list) else [node[key]]:
            item = p.string(item_node, f"an item of {what}.{key}")
            if item in audiences:
                out.extend(audiences[item])
            elif _looks_like_principal(item):
                out.append(item)
            else:
                hint = difflib.get_close_matches(item, sorted(audiences), n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                raise p.fail(
                    item_node, f"{item!r} in {what}.{key} is neither a defined audience nor a principal id{suggestion}"
                )
        return tuple(out)

    return DeclaredAudience(
        read=resolve("read") or (),
        write=resolve("write") or (),
        admin=resolve("admin") or (),
        list=resolve("list"),
    )


_PRINCIPAL_PREFIXES = (
    "arn:",
    "aws:",
    "aws-org:",
    "aws-ou:",
    "aws-network:",  # callers through a network: aws-network:vpce-…, aws-network:203.0.113.0/24
    "aws-network-of:",  # the networks of an account
    "aws-service-for:",  # AWS services acting for an account, organisation or resource
    "gcp-access-level:",  # callers from an Access Context Manager access level: gcp-access-level:accessPolicies/1/…
    OWNER,
    "user:",
    "group:",
    "serviceAccount:",
    "domain:",
    "principal:",
    "principalSet:",
    "hmac:",  # a Cloud Storage HMAC key (seenby.model's id table)
    "superset:",  # a Superset role, user, anonymous visitors or embedded guests (docs/superset.md)
    "projectOwner:",
    "projectEditor:",
    "projectViewer:",
    "allUsers",
    "allAuthenticatedUsers",
    "*",
)


def _looks_like_principal(item: str) -> bool:
    return item.startswith(_PRINCIPAL_PREFIXES) or item.endswith(".amazonaws.com")


_TOP = {"version", "audiences", "datasets", "undeclared", "rules", "waivers"}


_MAX_NODES = 100_000  # YAML nodes after alias expansion: far above any real rules.yaml
_MAX_DEPTH = 64
_MAX_RULES_BYTES = 16 << 20
_MAX_NUMBER_CHARS = 64
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


def _check_size(root: yaml.Node, source: str) -> None:
    """Refuse a document whose aliases expand past the limits (a self-reference, or a "billion laughs")."""
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    seen = 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        line = f"line {node.start_mark.line + 1}"
        if depth > _MAX_DEPTH:
            raise RulesError(f"nested more than {_MAX_DEPTH} levels deep (a self-referencing alias?)",
                             file=source, where=line)
        if seen > _MAX_NODES:
            raise RulesError(f"more than {_MAX_NODES:,} values once aliases are expanded "
                             "(an alias that refers to itself, or aliases nested too deep)", file=source, where=line)
        if isinstance(node, yaml.MappingNode):
            stack.extend((part, depth + 1) for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif node.tag in _NUMBER_TAGS and len(str(node.value)) > _MAX_NUMBER_CHARS:
            raise RulesError(f"a number of {len(str(node.value)):,} characters (at most {_MAX_NUMBER_CHARS})",
                             file=source, where=line)


def _parse_audiences(p: _Parser, root: dict[str, _Node]) -> dict[str, tuple[str, ...]]:
    """``audiences:``: named lists of principals (a name used inside a later audience is expanded)."""
    audiences: dict[str, tuple[str, ...]] = {}
    if "audiences" in root:
        for name, node in p.mapping(root["audiences"], "audiences", set(root["audiences"].value or {})).items():
            if isinstance(node.value, dict):
                spec = p.mapping(node, f"audience {name!r}", {"description", "members"})
                if "members" not in spec:
                    raise p.fail(node, f"audience {name!r} needs members")
                members = p.strings(spec["members"], f"audiences.{name}.members")
            else:
                members = p.strings(node, f"audiences.{name}")
            expanded: list[str] = []
            for m in members:
                expanded.extend(audiences.get(m, (m,)))
            audiences[name] = tuple(expanded)
    return audiences


def _parse_datasets(
    p: _Parser, root: dict[str, _Node], audiences: dict[str, tuple[str, ...]], source: str
) -> tuple[DatasetDeclaration, ...]:
    """``datasets:``: each entry's match, classification and declared audience per level."""
    datasets: list[DatasetDeclaration] = []
    ds_node = root.get("datasets")
    if ds_node is not None:
        if not isinstance(ds_node.value, list):
            raise p.fail(ds_node, "datasets must be a list of entries")
        for i, entry in enumerate(ds_node.value):
            label = f"datasets[{i}]"
            e = p.mapping(entry, label, {"match", "classification", "read", "write", "admin", "list", "description"})
            if "match" not in e:
                raise p.fail(entry, f"{label} needs a 'match'")
            m = p.mapping(e["match"], f"{label}.match", {"id", "tags", "labels", "provider", "kind"})
            if not m:
                raise p.fail(e["match"], f"{label}.match matches everything; give an id glob or tags")
            tags: dict[str, str] = {}
            for key in ("tags", "labels"):
                if key in m:
                    for k, v in p.mapping(m[key], f"{label}.match.{key}", set(m[key].value or {})).items():
                        tags[k] = str(v.value)
            match = DatasetMatch(
                ids=p.strings(m["id"], f"{label}.match.id") if "id" in m else (),
                tags=tags,
                provider=p.enum(m["provider"], Provider, f"{label}.match.provider") if "provider" in m else None,
                kind=p.enum(m["kind"], DatasetKind, f"{label}.match.kind") if "kind" in m else None,
            )
            if not any(k in e for k in ("read", "write", "admin")):
                raise p.fail(
                    entry, f"{label} declares no audience; give read, write and/or admin (an empty list means nobody)"
                )
            datasets.append(
                DatasetDeclaration(
                    match=match,
                    audience=_parse_audience_spec(p, e, audiences, label),
                    classification=p.string(e["classification"], f"{label}.classification")
                    if "classification" in e
                    else None,
                    where=f"{source}:{entry.line}",
                    label=label,
                )
            )
    return tuple(datasets)


def _parse_undeclared(
    p: _Parser, root: dict[str, _Node], audiences: dict[str, tuple[str, ...]]
) -> tuple[UndeclaredAction, DeclaredAudience]:
    """``undeclared:``: what to do with datasets no entry matches, and the audience they may have."""
    action = UndeclaredAction.REPORT
    undeclared_audience = DeclaredAudience()
    if "undeclared" in root:
        u = p.mapping(root["undeclared"], "undeclared", {"action", "audience"})
        if "action" in u:
            action = p.enum(u["action"], UndeclaredAction, "undeclared.action")
        if "audience" in u:
            spec = p.mapping(u["audience"], "undeclared.audience", {"read", "write", "admin", "list"})
            undeclared_audience = _parse_audience_spec(p, spec, audiences, "undeclared.audience")
        if action is UndeclaredAction.AUDIT and "audience" not in u:
            raise p.fail(root["undeclared"], "undeclared.action 'audit' needs an undeclared.audience")
    return action, undeclared_audience


def _parse_rule_settings(p: _Parser, root: dict[str, _Node]) -> dict[RuleId, RuleSetting]:
    """``rules:``: per-rule switches and severity overrides, by rule id or name."""
    settings: dict[RuleId, RuleSetting] = {}
    if "rules" in root:
        for key, node in p.mapping(root["rules"], "rules", set(root["rules"].value or {})).items():
            found = rule_by_name(key)
            if found is None:
                raise p.fail(node, f"unknown rule {key!r} (use a rule id such as SB003 or its name)")
            spec = p.mapping(node, f"rules.{key}", {"enabled", "severity"})
            enabled = spec["enabled"].value if "enabled" in spec else True
            if not isinstance(enabled, bool):
                raise p.fail(spec["enabled"], f"rules.{key}.enabled must be true or false")
            settings[found.id] = RuleSetting(
                enabled=enabled,
                severity=p.enum(spec["severity"], Severity, f"rules.{key}.severity") if "severity" in spec else None,
            )
    return settings


def _parse_waivers(p: _Parser, root: dict[str, _Node], source: str) -> tuple[Waiver, ...]:
    """``waivers:``: rule + dataset (+ principal), reason, owner and expiry date."""
    waivers: list[Waiver] = []
    if "waivers" in root:
        if not isinstance(root["waivers"].value, list):
            raise p.fail(root["waivers"], "waivers must be a list")
        for i, node in enumerate(root["waivers"].value):
            w = p.mapping(node, f"waivers[{i}]", {"rule", "dataset", "principal", "reason", "owner", "expires"})
            for required in ("rule", "dataset", "reason", "owner", "expires"):
                if required not in w:
                    raise p.fail(node, f"waivers[{i}] needs '{required}'")
            found = rule_by_name(p.string(w["rule"], f"waivers[{i}].rule"))
            if found is None:
                raise p.fail(w["rule"], f"unknown rule {w['rule'].value!r} in waivers[{i}]")
            expires = w["expires"].value
            if isinstance(expires, str):
                try:
                    expires = date.fromisoformat(expires)
                except ValueError:
                    expires = None
            if not isinstance(expires, date):
                raise p.fail(w["expires"], f"waivers[{i}].expires must be a date (YYYY-MM-DD)")
            waivers.append(
                Waiver(
                    rule=found.id.value,
                    dataset=p.string(w["dataset"], f"waivers[{i}].dataset"),
                    principal=p.string(w["principal"], f"waivers[{i}].principal") if "principal" in w else None,
                    reason=p.string(w["reason"], f"waivers[{i}].reason"),
                    owner=p.string(w["owner"], f"waivers[{i}].owner"),
                    expires=expires,
                    where=f"{source}:{node.line}",
                )
            )
    return tuple(waivers)


def parse_rules(text: str, *, source: str) -> Rules:
    """Parse a rules.yaml: the YAML and its version here, each top-level key by its own function."""
    p = _Parser(source)
    try:
        root_yaml = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise RulesError(f"nested more than {_MAX_DEPTH} levels deep", file=source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise RulesError(f"not valid YAML: {problem}", file=source, where=f"line {line}") from None
    if root_yaml is None:
        raise RulesError("the file is empty", file=source)
    _check_size(root_yaml, source)
    root = p.mapping(_convert(root_yaml), "the top level", _TOP)
    if "version" not in root:
        raise p.fail(1, "missing 'version: 1'")
    if root["version"].value != 1:
        raise p.fail(root["version"], f"version {root['version'].value!r} is not one this seenby reads (it reads 1)")

    audiences = _parse_audiences(p, root)  # sections in the order they were always checked: same first error
    datasets = _parse_datasets(p, root, audiences, source)
    action, undeclared_audience = _parse_undeclared(p, root, audiences)
    return Rules(
        source=source,
        audiences=audiences,
        datasets=datasets,
        undeclared_action=action,
        undeclared_audience=undeclared_audience,
        rule_settings=_parse_rule_settings(p, root),
        waivers=_parse_waivers(p, root, source),
    )


def load_rules(path: str | Path) -> Rules:
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > _MAX_RULES_BYTES:
            raise RulesError(f"{size:,} bytes; a rules file may have at most {_MAX_RULES_BYTES:,}", file=str(p))
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesError("no such file (give --rules FILE, or run where a rules.yaml is)", file=str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"cannot read: {exc}", file=str(p)) from None
    return parse_rules(text, source=str(p))


def principal_matches(patterns: tuple[str, ...], principal_id: str) -> bool:
    """``principal_id`` equals one of ``patterns`` or matches one as a glob (case-sensitive, as fnmatchcase)."""
    return GlobSet.of(patterns).matches(principal_id)
