"""Reading ``terraform show -json PLANFILE`` output: validated, indexed, every error with its JSON path.

The format is Terraform's documented JSON output format
(https://developer.hashicorp.com/terraform/internals/json-format): ``format_version``
(major 0 or 1 are read; any other major is refused), ``resource_changes[]`` (each with
``address``, ``module_address``, ``type``, ``name``, ``mode`` and ``change.actions``/
``before``/``after``/``after_unknown``), ``planned_values`` and ``prior_state``
(``root_module`` with ``resources[]`` and nested ``child_modules[]``) and
``configuration`` (``provider_config`` and ``root_module`` with ``resources[]``,
each with ``expressions``, and ``module_calls`` with their ``source`` and ``module``).

A :class:`PlannedResource` is one managed resource or data source as the plan leaves it:
its values after apply, the ``after_unknown`` tree saying which of them are known only
after apply, the configuration expressions it was written with, and the JSON path of
its ``after`` object for messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from seenby.errors import PlanError
from seenby.fileio import InputLimit, load_json, read_limited

__all__ = ["Action", "Plan", "PlannedResource", "load_plan", "parse_plan"]

SUPPORTED_MAJORS = ("0", "1")


class Action(StrEnum):
    """A change action of ``resource_changes[].change.actions``."""

    NO_OP = "no-op"
    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    DELETE = "delete"
    FORGET = "forget"  # Terraform 1.7+ "removed" blocks: leaves the real object in place


class Mode(StrEnum):
    MANAGED = "managed"
    DATA = "data"


@dataclass(frozen=True, kw_only=True)
class PlannedResource:
    """One resource instance as the plan leaves it (or, for a deletion, as it was)."""

    address: str
    type: str
    name: str
    mode: Mode
    module: str  # "" for the root module, else "module.a[\"x\"].module.b"
    actions: tuple[Action, ...]
    values: Mapping[str, Any]
    unknown: Any  # the after_unknown tree: True, False, or nested objects/lists of them
    where: str  # JSON path of `values`, e.g. $.resource_changes[3].change.after
    provider_key: str = ""
    expressions: Mapping[str, Any] = field(default_factory=dict)

    @property
    def created(self) -> bool:
        return Action.CREATE in self.actions and Action.DELETE not in self.actions

    @property
    def deleted(self) -> bool:
        """Destroyed and not re-created (a replacement is ``delete`` + ``create``)."""
        return Action.DELETE in self.actions and Action.CREATE not in self.actions

    @property
    def changed(self) -> bool:
        return any(a not in (Action.NO_OP, Action.READ, Action.FORGET) for a in self.actions)

    def is_unknown(self, *path: str | int) -> bool:
        """True when the value at ``path`` (or anything above it) is known only after apply."""
        node = self.unknown
        for part in path:
            if node is True:
                return True
            if isinstance(node, Mapping) and isinstance(part, str):
                node = node.get(part, False)
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                return False
        return node is True

    def value(self, *path: str | int) -> Any:
        node: Any = self.values
        for part in path:
            if isinstance(node, Mapping) and isinstance(part, str):
                node = node.get(part)
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                return None
        return node

    def place(self, *path: str | int) -> str:
        """The JSON path of an attribute, for messages."""
        out = self.where
        for part in path:
            out += f"[{part}]" if isinstance(part, int) else f".{part}"
        return out


@dataclass(frozen=True, kw_only=True)
class Plan:
    """A validated plan, indexed by address."""

    source: str
    format_version: str
    terraform_version: str | None
    resources: Mapping[str, PlannedResource]  # managed resources that exist after apply
    deleted: Mapping[str, PlannedResource]  # managed resources the plan destroys (values = before)
    data: Mapping[str, PlannedResource]  # data sources (read during plan, or deferred to apply)
    module_sources: Mapping[str, str]  # "module.a.module.b" (no instance keys) -> source as written
    provider_config: Mapping[str, Mapping[str, Any]]
    variables: Mapping[str, Any] = field(default_factory=dict)  # root module input variables: name -> value

    def all_managed(self) -> Iterator[PlannedResource]:
        yield from self.resources.values()

    def module_source(self, module: str) -> str | None:
        """The ``source`` of the module call that holds ``module`` ("" is the root: ".")."""
        if not module:
            return "."
        return self.module_sources.get(_strip_keys(module))

    def provider_constant(self, resource: PlannedResource, attribute: str) -> Any:
        """A constant of the provider configuration a resource uses (region, project)."""
        keys = [resource.provider_key, resource.provider_key.split(":")[-1], resource.type.split("_", 1)[0]]
        for key in keys:
            cfg = self.provider_config.get(key)
            if isinstance(cfg, Mapping):
                expr = (cfg.get("expressions") or {}).get(attribute)
                if isinstance(expr, Mapping) and "constant_value" in expr:
                    return expr["constant_value"]
                if isinstance(expr, Mapping):
                    return self.variable_of(expr)
        return None

    def variable_of(self, expr: Mapping[str, Any]) -> Any:
        """The value of an expression that is exactly one root variable (``region = var.region``), else None."""
        refs = [r for r in expr.get("references") or [] if isinstance(r, str)]
        if len(refs) == 1 and refs[0].startswith("var.") and refs[0].count(".") == 1:
            return self.variables.get(refs[0][4:])
        return None


_KEY_RE = re.compile(r"\[[^\]]*\]")


def _strip_keys(address: str) -> str:
    """``module.a["x"].module.b[0]`` → ``module.a.module.b`` (configuration addresses have no keys)."""
    return _KEY_RE.sub("", address)


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> PlanError:
        return PlanError(message, file=self.source, where=where)

    def obj(self, value: Any, where: str, what: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(where, f"{what} must be a JSON object, not {_kind(value)}")
        return value

    def lst(self, value: Any, where: str, what: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, f"{what} must be a JSON array, not {_kind(value)}")
        return value

    def string(self, data: Mapping[str, Any], key: str, where: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value:
            raise self.fail(f"{where}.{key}", f"{key} must be a non-empty string, not {_kind(value)}")
        return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(type(value), "a number")


def _config_index(
    r: _Reader, module: Mapping[str, Any], where: str, prefix: str, out: dict[str, Mapping[str, Any]],
    sources: dict[str, str],
) -> None:
    for i, res in enumerate(r.lst(module.get("resources", []), f"{where}.resources", "resources")):
        res = r.obj(res, f"{where}.resources[{i}]", "a configuration resource")
        address = r.string(res, "address", f"{where}.resources[{i}]")
        out[f"{prefix}{address}"] = res
    calls = r.obj(module.get("module_calls", {}), f"{where}.module_calls", "module_calls")
    for name, call in calls.items():
        call_where = f"{where}.module_calls.{name}"
        call = r.obj(call, call_where, "a module call")
        child = f"{prefix}module.{name}"
        if isinstance(call.get("source"), str):
            sources[child] = call["source"]
        if "module" in call:
            inner = r.obj(call["module"], f"{call_where}.module", "a module")
            _config_index(r, inner, f"{call_where}.module", f"{child}.", out, sources)


def _walk_modules(
    r: _Reader, module: Mapping[str, Any], where: str
) -> Iterator[tuple[Mapping[str, Any], str, str]]:
    """(resource, module address, JSON path) for every resource of a values module tree."""
    module_address = module.get("address", "") if isinstance(module.get("address"), str) else ""
    for i, res in enumerate(r.lst(module.get("resources", []), f"{where}.resources", "resources")):
        yield r.obj(res, f"{where}.resources[{i}]", "a resource"), module_address, f"{where}.resources[{i}]"
    for j, child in enumerate(r.lst(module.get("child_modules", []), f"{where}.child_modules", "child_modules")):
        yield from _walk_modules(r, r.obj(child, f"{where}.child_modules[{j}]", "a module"),
                                 f"{where}.child_modules[{j}]")


def _module_of(address: str, type_: str, name: str, mode: str) -> str:
    prefix = "data." if mode == Mode.DATA else ""
    marker = f"{prefix}{type_}.{name}"
    head = address.rsplit(marker, 1)[0] if marker in address else ""
    return head.rstrip(".")


def _unknown_tree(value: Any, where: str, r: _Reader) -> Any:
    if value is None:
        return False
    if isinstance(value, bool | Mapping | list):
        return value
    raise r.fail(where, f"after_unknown must be a boolean, object or array, not {_kind(value)}")


def parse_plan(data: Any, *, source: str) -> Plan:
    """Validate a decoded plan and index it; errors name ``source`` and the JSON path."""
    r = _Reader(source)
    top = r.obj(data, "$", "a Terraform JSON plan")
    version = top.get("format_version")
    if not isinstance(version, str):
        hint = " (is this `terraform show -json PLANFILE` output?)"
        raise r.fail("$.format_version", f"format_version is missing{hint}")
    if version.split(".", 1)[0] not in SUPPORTED_MAJORS:
        raise r.fail("$.format_version", f"format_version {version!r} is not one seenby reads (it reads 0.x and 1.x)")
    if "resource_changes" not in top and "planned_values" not in top:
        raise r.fail("$", "neither resource_changes nor planned_values: this is a state, not a plan "
                          "(run `terraform show -json PLANFILE` on a file written by `terraform plan -out`)")

    if "planned_values" not in top:
        raise r.fail("$.planned_values", "planned_values is missing: `terraform show -json PLANFILE` always writes it "
                                          "(is this file cut short, or hand-edited?)")

    config = r.obj(top.get("configuration", {}), "$.configuration", "configuration")
    config_resources: dict[str, Mapping[str, Any]] = {}
    module_sources: dict[str, str] = {}
    if "root_module" in config:
        root = r.obj(config["root_module"], "$.configuration.root_module", "root_module")
        _config_index(r, root, "$.configuration.root_module", "", config_resources, module_sources)
    provider_config = r.obj(config.get("provider_config", {}), "$.configuration.provider_config", "provider_config")

    resources: dict[str, PlannedResource] = {}
    deleted: dict[str, PlannedResource] = {}
    data_sources: dict[str, PlannedResource] = {}

    def make(entry: Mapping[str, Any], where: str, values_where: str, values: Any, unknown: Any,
             actions: tuple[Action, ...]) -> PlannedResource:
        address = r.string(entry, "address", where)
        type_ = r.string(entry, "type", where)
        name = r.string(entry, "name", where)
        mode = entry.get("mode", "managed")
        if mode not in (Mode.MANAGED, Mode.DATA):
            raise r.fail(f"{where}.mode", f"mode must be 'managed' or 'data', not {mode!r}")
        module = entry.get("module_address")
        if not isinstance(module, str):
            module = _module_of(address, type_, name, mode)
        values = r.obj(values if values is not None else {}, values_where, "the resource's values")
        cfg_key = _strip_keys(f"{module}.{address[len(module) + 1:]}" if module else address)
        cfg = config_resources.get(cfg_key) or {}
        return PlannedResource(
            address=address, type=type_, name=name, mode=Mode(mode), module=module, actions=actions,
            values=values, unknown=unknown, where=values_where,
            provider_key=str(cfg.get("provider_config_key") or entry.get("provider_name") or ""),
            expressions=cfg.get("expressions") or {},
        )

    # prior state and planned values first; resource_changes (the authority) override them
    prior = top.get("prior_state")
    if prior is not None:
        prior = r.obj(prior, "$.prior_state", "prior_state")
        values_tree = r.obj(prior.get("values", {}), "$.prior_state.values", "values")
        if "root_module" in values_tree:
            root = r.obj(values_tree["root_module"], "$.prior_state.values.root_module", "root_module")
            for res, _mod, where in _walk_modules(r, root, "$.prior_state.values.root_module"):
                if res.get("mode") == Mode.DATA:
                    pr = make(res, where, f"{where}.values", res.get("values"), False, (Action.READ,))
                    data_sources[pr.address] = pr
    planned = top.get("planned_values")
    if planned is not None:
        planned = r.obj(planned, "$.planned_values", "planned_values")
        if "root_module" in planned:
            root = r.obj(planned["root_module"], "$.planned_values.root_module", "root_module")
            for res, _mod, where in _walk_modules(r, root, "$.planned_values.root_module"):
                pr = make(res, where, f"{where}.values", res.get("values"), False, (Action.NO_OP,))
                (data_sources if pr.mode is Mode.DATA else resources)[pr.address] = pr

    changes = r.lst(top.get("resource_changes", []), "$.resource_changes", "resource_changes")
    for i, entry in enumerate(changes):
        where = f"$.resource_changes[{i}]"
        entry = r.obj(entry, where, "a resource change")
        if entry.get("deposed"):
            continue  # a deposed object of a create-before-destroy replacement: it is going away
        change = r.obj(entry.get("change"), f"{where}.change", "change")
        raw_actions = r.lst(change.get("actions"), f"{where}.change.actions", "actions")
        try:
            actions = tuple(Action(a) for a in raw_actions)
        except ValueError:
            raise r.fail(f"{where}.change.actions", f"unknown action in {raw_actions!r}") from None
        if not actions:
            raise r.fail(f"{where}.change.actions", "actions is empty")
        if Action.DELETE in actions and Action.CREATE not in actions:
            before = change.get("before")
            pr = make(entry, where, f"{where}.change.before", before, False, actions)
            resources.pop(pr.address, None)
            deleted[pr.address] = pr
            continue
        after = change.get("after")
        if after is None and Action.FORGET not in actions:
            raise r.fail(f"{where}.change.after", "after is null for a resource that is not deleted")
        unknown = _unknown_tree(change.get("after_unknown"), f"{where}.change.after_unknown", r)
        values_where = f"{where}.change.after" if after is not None else f"{where}.change.before"
        pr = make(entry, where, values_where, after if after is not None else change.get("before"), unknown, actions)
        (data_sources if pr.mode is Mode.DATA else resources)[pr.address] = pr

    variables: dict[str, Any] = {}
    raw_vars = top.get("variables")
    if isinstance(raw_vars, Mapping):
        for name, var in raw_vars.items():
            if isinstance(var, Mapping) and isinstance(var.get("value"), str | int | bool):
                variables[str(name)] = var["value"]
    return Plan(
        variables=variables,
        source=source,
        format_version=version,
        terraform_version=top.get("terraform_version") if isinstance(top.get("terraform_version"), str) else None,
        resources=resources,
        deleted=deleted,
        data=data_sources,
        module_sources=module_sources,
        provider_config=provider_config,
    )


def load_plan(path: str | Path) -> Plan:
    """Read and validate a ``terraform show -json`` file."""
    p = Path(path)
    try:
        raw = read_limited(p)
    except FileNotFoundError:
        raise PlanError("no such file", file=str(p)) from None
    except OSError as exc:
        raise PlanError(f"cannot read: {exc.strerror or exc}", file=str(p)) from None
    except InputLimit as exc:
        raise PlanError(exc.message, file=str(p)) from None
    if raw.startswith(b"PK\x03\x04"):
        raise PlanError("this is a binary plan file; convert it with `terraform show -json PLANFILE > plan.json`",
                        file=str(p))
    try:
        data = load_json(raw, embedded=True)
    except InputLimit as exc:
        raise PlanError(exc.message, file=str(p), where=exc.where) from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise PlanError(f"not valid JSON: {exc.msg}", file=str(p), where=where) from None
    return parse_plan(data, source=str(p))
