"""Plans in the exact shape ``terraform show -json PLANFILE`` writes, built in a few lines per test.

https://developer.hashicorp.com/terraform/internals/json-format: ``planned_values`` (known values
only, nested ``child_modules`` with their ``address``), ``resource_changes`` (``change.after``
without the unknown attributes, ``change.after_unknown`` marking them ``true``), ``prior_state``
for data sources read during planning, and ``configuration`` (provider expressions, each
resource's ``expressions`` with ``constant_value`` or ``references``, ``module_calls`` with
``source``).  A value written as :data:`UNKNOWN` is left out of ``after`` and marked in
``after_unknown``, as Terraform does for "(known after apply)".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

UNKNOWN = object()  # "(known after apply)"

_KEY = re.compile(r"\[[^\]]*\]")


def _split(value: Any) -> tuple[Any, Any]:
    """(after, after_unknown) of a value that may hold UNKNOWN anywhere."""
    if value is UNKNOWN:
        return None, True
    if isinstance(value, dict):
        after, unknown = {}, {}
        for k, v in value.items():
            a, u = _split(v)
            if u is True:
                unknown[k] = True
            else:
                after[k] = a
                if u not in (False, {}, []):
                    unknown[k] = u
        return after, unknown
    if isinstance(value, list):
        pairs = [_split(v) for v in value]
        return [a for a, _ in pairs], [u if u is True or u else False for _, u in pairs]
    return value, False


@dataclass
class TfPlan:
    """A plan under construction: ``add`` resources, then ``write`` it."""

    providers: dict[str, dict[str, Any]] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    changes: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=lambda: {"resources": [], "module_calls": {}})
    planned: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # module address -> resources
    data: list[dict[str, Any]] = field(default_factory=list)

    def provider(self, name: str, **constants: Any) -> TfPlan:
        self.providers[name] = {"name": name, "full_name": f"registry.terraform.io/hashicorp/{name}",
                                "expressions": {k: {"constant_value": v} for k, v in constants.items()}}
        return self

    def provider_refs(self, name: str, **references: list[str]) -> TfPlan:
        """A provider configured from variables (``region = var.region``)."""
        self.providers[name] = {"name": name, "full_name": f"registry.terraform.io/hashicorp/{name}",
                                "expressions": {k: {"references": v} for k, v in references.items()}}
        return self

    def variable(self, name: str, value: Any) -> TfPlan:
        self.variables[name] = {"value": value}
        return self

    def module(self, name: str, source: str) -> TfPlan:
        self.config["module_calls"].setdefault(name, {"source": source, "module": {"resources": []}})
        return self

    def add(self, address: str, values: dict[str, Any], *, actions: tuple[str, ...] = ("create",),
            refs: dict[str, list[str]] | None = None, constants: tuple[str, ...] = ()) -> TfPlan:
        """A managed resource; ``refs``: attribute -> the references of its expression."""
        module, local = _module_and_local(address)
        type_, name = _KEY.sub("", local).split(".")[:2]
        after, unknown = _split(values)
        index = _KEY.findall(local)
        entry = {"address": address, "mode": "managed", "type": type_, "name": name,
                 "provider_name": f"registry.terraform.io/hashicorp/{type_.split('_')[0]}"}
        if module:
            entry["module_address"] = module
        if index:
            entry["index"] = json.loads(index[-1][1:-1])
        self.changes.append({**entry, "change": {"actions": list(actions), "before": None, "after": after,
                                                 "after_unknown": unknown, "before_sensitive": False,
                                                 "after_sensitive": {}}})
        self.planned.setdefault(module, []).append({**entry, "schema_version": 0, "values": after,
                                                    "sensitive_values": {}})
        expressions: dict[str, Any] = {k: {"references": v} for k, v in (refs or {}).items()}
        for k in constants:
            expressions[k] = {"constant_value": values[k]}
        config = self._config_module(module)["resources"]
        if not any(r["address"] == f"{type_}.{name}" for r in config):  # one configuration block per count/for_each
            config.append({"address": f"{type_}.{name}", "mode": "managed", "type": type_, "name": name,
                           "provider_config_key": type_.split("_")[0], "expressions": expressions,
                           "schema_version": 0})
        return self

    def defer_data(self, address: str, values: dict[str, Any], *,
                   refs: dict[tuple[str | int, ...], list[str]]) -> TfPlan:
        """A data source Terraform defers to apply (its inputs are unknown): a ``read`` change in resource_changes.

        ``refs`` maps a path into the arguments (``("statement", 0, "resources")``) to its references.
        """
        type_, name = address.removeprefix("data.").split(".")[:2]
        after, unknown = _split({**values, "json": UNKNOWN, "id": UNKNOWN})
        self.changes.append({"address": address, "mode": "data", "type": type_, "name": name,
                             "provider_name": "registry.terraform.io/hashicorp/aws",
                             "action_reason": "read_because_config_unknown",
                             "change": {"actions": ["read"], "before": None, "after": after,
                                        "after_unknown": unknown}})
        expressions: dict[str, Any] = {}
        for path, references in refs.items():
            node: Any = expressions
            for part, nxt in zip(path, [*path[1:], None], strict=True):
                if nxt is None:
                    node[part] = {"references": references}
                elif isinstance(nxt, int):
                    node = node.setdefault(part, [])
                else:
                    while isinstance(node, list) and len(node) <= part:
                        node.append({})
                    node = node[part] if isinstance(node, list) else node.setdefault(part, {})
        self.config["resources"].append({"address": address, "mode": "data", "type": type_, "name": name,
                                         "provider_config_key": "aws", "expressions": expressions,
                                         "schema_version": 0})
        return self

    def read_data(self, address: str, values: dict[str, Any]) -> TfPlan:
        """A data source read during planning (prior_state)."""
        type_, name = address.removeprefix("data.").split(".")[:2]
        self.data.append({"address": address, "mode": "data", "type": type_, "name": name,
                          "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
                          "values": values, "sensitive_values": {}})
        return self

    def _config_module(self, module: str) -> dict[str, Any]:
        node = self.config
        for part in [p for p in _KEY.sub("", module).split(".") if p and p != "module"]:
            node = node["module_calls"].setdefault(part, {"source": f"./modules/{part}",
                                                          "module": {"resources": [], "module_calls": {}}})["module"]
            node.setdefault("module_calls", {})
        return node

    def document(self) -> dict[str, Any]:
        root: dict[str, Any] = {"resources": self.planned.get("", []), "child_modules": []}
        for module, resources in self.planned.items():
            if module:
                root["child_modules"].append({"address": module, "resources": resources})
        out: dict[str, Any] = {
            "format_version": "1.2", "terraform_version": "1.9.5", "variables": self.variables,
            "planned_values": {"root_module": root}, "resource_changes": self.changes,
            "configuration": {"provider_config": self.providers, "root_module": self.config},
        }
        if self.data:
            out["prior_state"] = {"format_version": "1.0", "terraform_version": "1.9.5",
                                  "values": {"root_module": {"resources": self.data}}}
        return out

    def write(self, path: Path) -> str:
        path.write_text(json.dumps(self.document(), indent=1))
        return str(path)


def _module_and_local(address: str) -> tuple[str, str]:
    parts = address.split(".")
    i = 0
    while i < len(parts) and parts[i] == "module":
        i += 2
    return ".".join(parts[:i]), ".".join(parts[i:])
