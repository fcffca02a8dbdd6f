"""The CI gate: audit the planned state and fail only on exposure the plan introduces.

::

    planned = planned_snapshot(load_plan("plan.json"), baseline)
    gated = gate(planned, rules, baseline=baseline, mode=GateMode.NEW_ONLY, accepted=fingerprints)
    gated.result          # an AuditResult: findings that do not count carry a waiver saying why
    gated.failing("low")  # the findings that fail the gate

A finding of the planned state is

* **new** when its fingerprint is not among the findings of the baseline audited alone
  (the plan opens it, or changes who is in it);
* **existing** when the baseline alone has it: in ``new-only`` mode (the default) it does
  not fail the gate, so a legacy exposure does not block unrelated work;
* **accepted** when ``--baseline-findings`` lists its fingerprint (today's findings,
  accepted on purpose); this holds in both modes;
* **waived** by a live waiver of rules.yaml, as in ``seenby audit``.

An expired waiver (SB012) is always new: it fails the gate until it is renewed or the
exposure is fixed.  Existing and accepted findings are marked with a waiver whose owner
is ``seenby gate`` so every report format shows, hides and counts them the way it does
waived findings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from seenby.audit import audit
from seenby.catalog import RuleId
from seenby.config import Rules
from seenby.errors import InputError
from seenby.fileio import InputLimit, load_json, read_limited
from seenby.findings import AuditResult, Finding, SetApart, Severity, Waiver
from seenby.gate_unknowns import judge_unknowns
from seenby.importers.terraform import Origin, PlannedImport
from seenby.model import EvidenceKind
from seenby.snapshot import Snapshot

__all__ = ["GateMode", "GateResult", "Status", "Verdict", "gate", "load_accepted", "origin_of", "source_files",
           "verdict"]

GATE_OWNER = "seenby gate"
_FOREVER = date.max


class GateMode(StrEnum):
    NEW_ONLY = "new-only"
    ALL = "all"


class Status(StrEnum):
    NEW = "new"
    EXISTING = "existing"
    ACCEPTED = "accepted"
    WAIVED = "waived"


@dataclass(frozen=True, kw_only=True)
class GateResult:
    result: AuditResult
    statuses: Mapping[str, Status]  # fingerprint -> status
    origins: Mapping[str, Origin]  # fingerprint -> the Terraform resource to change
    planned: PlannedImport
    mode: GateMode

    def count(self, status: Status) -> int:
        return sum(1 for s in self.statuses.values() if s is status)

    def failing(self, fail_on: str) -> tuple[Finding, ...]:
        """Findings that fail the gate at ``fail_on`` (a severity, or ``never``)."""
        if fail_on == "never":
            return ()
        floor = Severity(fail_on)
        return tuple(f for f in self.result.active if f.severity.at_least(floor))


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """Pass or fail, and why: what every gate output states first."""

    passed: bool
    fail_on: str
    failing: tuple[Finding, ...]
    reason: str

    @property
    def word(self) -> str:
        return "pass" if self.passed else "fail"


def verdict(gated: GateResult, fail_on: str) -> Verdict:
    """The gate's verdict at ``fail_on`` (a severity, or ``never``), with its reason in one sentence."""
    failing = gated.failing(fail_on)
    if fail_on == "never":
        reason = "--fail-on never: the gate reports and never fails"
    elif failing:
        by: dict[str, int] = {}
        for f in failing:
            by[f.severity.value] = by.get(f.severity.value, 0) + 1
        counts = ", ".join(f"{n} {s}" for s, n in sorted(by.items(), key=lambda kv: -Severity(kv[0]).rank))
        reason = (f"{len(failing)} finding(s) this plan introduces at or above {fail_on} ({counts}), "
                  f"first: {failing[0].rule_id} on {failing[0].dataset.id}")
    else:
        reason = f"no finding this plan introduces is at or above {fail_on}"
    return Verdict(passed=not failing, fail_on=fail_on, failing=failing, reason=reason)


def load_accepted(path: str | Path) -> frozenset[str]:
    """Fingerprints of a ``seenby audit --format json`` report (seenby.findings/v1)."""
    p = Path(path)
    try:
        data = load_json(read_limited(p))
    except FileNotFoundError:
        raise InputError("no such file", file=str(p)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc}", file=str(p)) from None
    except InputLimit as exc:
        raise InputError(exc.message, file=str(p), where=exc.where) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", file=str(p), where=f"line {exc.lineno} column {exc.colno}") \
            from None
    if not isinstance(data, dict) or data.get("schema") != "seenby.findings/v1":
        raise InputError("not a seenby findings report (expected \"schema\": \"seenby.findings/v1\"; "
                         "write one with `seenby audit --format json`)", file=str(p), where="$.schema")
    findings = data.get("findings")
    if not isinstance(findings, list):
        raise InputError("findings must be an array", file=str(p), where="$.findings")
    out = set()
    for i, f in enumerate(findings):
        fp = f.get("fingerprint") if isinstance(f, dict) else None
        if not isinstance(fp, str) or not fp:
            raise InputError("fingerprint must be a non-empty string", file=str(p),
                             where=f"$.findings[{i}].fingerprint")
        out.add(fp)
    return frozenset(out)


# Which read of a resource an evidence kind quotes, to find the Terraform resource that wrote it.
_EVIDENCE_READS: dict[EvidenceKind, tuple[str, ...]] = {
    EvidenceKind.RESOURCE_POLICY: ("policy", "resource_policy"),
    EvidenceKind.KEY_POLICY: ("policy",),
    EvidenceKind.ACL_GRANT: ("acl", "metadata"),
    EvidenceKind.PUBLIC_ACCESS_BLOCK: ("public_access_block",),
    EvidenceKind.OWNERSHIP_CONTROLS: ("ownership_controls",),
    EvidenceKind.ENCRYPTION: ("encryption",),
    EvidenceKind.IAM_BINDING: ("iam_policy",),
    EvidenceKind.ACCESS_ENTRY: ("metadata", "access"),
    EvidenceKind.PUBLIC_ACCESS_PREVENTION: ("metadata",),
    EvidenceKind.UNIFORM_ACCESS: ("metadata",),
    EvidenceKind.DASHBOARD_PERMISSION: ("permissions",),
    EvidenceKind.FLOW_CONFIGURATION: ("replication", "inventory", "logging"),  # docs/flows.md
}


def _binding_origin(planned: PlannedImport, source: str, excerpt: Any, principal: str) -> Origin | None:
    if not isinstance(excerpt, Mapping):
        return None
    role = str(excerpt.get("role", ""))
    members = list(excerpt.get("members") or [])
    for member in [principal, *members]:
        origin = planned.index.members.get((source, role, member))
        if origin is not None:
            return origin
    return None


def _access_entry_origin(planned: PlannedImport, source: str, excerpt: Any) -> Origin | None:
    if not isinstance(excerpt, Mapping):
        return None
    role = str(excerpt.get("role", ""))
    for key, prefix in (("userByEmail", "user:"), ("groupByEmail", "group:"), ("domain", "domain:"),
                        ("iamMember", ""), ("userByEmail", "serviceAccount:")):
        if excerpt.get(key):
            origin = planned.index.members.get((source, role, f"{prefix}{excerpt[key]}"))
            if origin is not None:
                return origin
    return None


def origin_of(finding: Finding, planned: PlannedImport) -> Origin | None:
    """The Terraform resource that opens ``finding``: the statement, grant or binding's resource first."""
    index = planned.index
    if finding.gap is not None:
        g = finding.gap
        return index.reads.get((g.resource, g.read)) or index.resources.get(g.resource) \
            or index.resources.get(finding.dataset.id)
    for entry in finding.excess:
        for step in reversed(entry.path):
            for ev in step.evidence:
                origin: Origin | None = None
                if ev.kind is EvidenceKind.IAM_BINDING:
                    origin = _binding_origin(planned, ev.source, ev.excerpt, entry.principal.id)
                elif ev.kind is EvidenceKind.ACCESS_ENTRY:
                    origin = _access_entry_origin(planned, ev.source, ev.excerpt)
                elif ev.kind in (EvidenceKind.IDENTITY_POLICY, EvidenceKind.TRUST_POLICY,
                                 EvidenceKind.PERMISSION_BOUNDARY):
                    origin = index.entities.get(ev.source)
                    inline = [o for (arn, _name), o in index.inline.items() if arn == ev.source]
                    if ev.kind is EvidenceKind.IDENTITY_POLICY and inline:
                        origin = inline[0] if len(inline) == 1 else origin or inline[0]
                if ev.kind is EvidenceKind.LAKE_FORMATION_PERMISSION:  # one origin per grant: its location
                    origin = index.reads.get((ev.source, ev.location))
                for read in _EVIDENCE_READS.get(ev.kind, ()):
                    origin = origin or index.reads.get((ev.source, read))
                origin = origin or index.resources.get(ev.source)
                if origin is not None:
                    return origin
    return index.resources.get(finding.dataset.id)


def _mark(finding: Finding, status: Status, today: date) -> Finding:
    reasons = {
        Status.EXISTING: "before this plan: the baseline alone has this finding (--new-only)",
        Status.ACCEPTED: "its fingerprint is in --baseline-findings",
    }
    apart = SetApart.EXISTING if status is Status.EXISTING else SetApart.ACCEPTED
    return replace(finding, waiver=Waiver(rule=finding.rule_id, dataset=finding.dataset.id, reason=reasons[status],
                                          owner=GATE_OWNER, expires=_FOREVER, where="seenby gate", status=apart))


def gate(
    planned: PlannedImport,
    rules: Rules,
    *,
    baseline: Snapshot | None = None,
    mode: GateMode = GateMode.NEW_ONLY,
    accepted: Iterable[str] = (),
    today: date | None = None,
) -> GateResult:
    """Audit the planned state; mark what the plan did not introduce so it does not fail the gate."""
    result = judge_unknowns(audit(planned.snapshot, rules, today=today), planned, rules, today=today)
    before: frozenset[str] = frozenset()
    if mode is GateMode.NEW_ONLY and baseline is not None:
        before = frozenset(f.fingerprint for f in audit(baseline, rules, today=today).findings)
    accepted = frozenset(accepted)
    statuses: dict[str, Status] = {}
    origins: dict[str, Origin] = {}
    findings: list[Finding] = []
    for f in result.findings:
        always_new = f.rule_id == RuleId.EXPIRED_WAIVER
        if f.waived:
            status = Status.WAIVED
        elif not always_new and f.fingerprint in accepted:
            status = Status.ACCEPTED
        elif not always_new and f.fingerprint in before:
            status = Status.EXISTING
        else:
            status = Status.NEW
        statuses[f.fingerprint] = status
        origin = origin_of(f, planned)
        if origin is not None:
            origins[f.fingerprint] = origin
        findings.append(_mark(f, status, today or date.today()) if status in (Status.EXISTING, Status.ACCEPTED)
                        else f)
    gated = replace(result, findings=tuple(findings))
    return GateResult(result=gated, statuses=statuses, origins=origins, planned=planned, mode=mode)


def _resource_name(origin: Origin) -> str:
    """``module.a.aws_s3_bucket.b["k"]`` → ``b``."""
    local = origin.address[len(origin.module) + 1:] if origin.module else origin.address
    local = local.removeprefix("data.")
    return local.split(".", 1)[1].split("[", 1)[0] if "." in local else local


def _module_dir(planned: PlannedImport, module: str, config_dir: Path) -> Path | None:
    """The directory of a module: local ``source`` paths followed from the root; None for remote modules."""
    if not module:
        return config_dir
    directory = config_dir
    parts = [p.split("[", 1)[0] for p in module.split(".module.")]
    prefix = ""
    for part in parts:
        name = part.removeprefix("module.")
        prefix = f"{prefix}.module.{name}" if prefix else f"module.{name}"
        source = planned.plan.module_sources.get(prefix)
        if source is None or not source.startswith(("./", "../")):
            return None
        directory = directory / source
    return directory


def _module_call_line(planned: PlannedImport, module: str, config_dir: Path,
                      cache: dict[Path, list[tuple[Path, list[str]]]]) -> tuple[str, int] | None:
    """The ``module "NAME"`` block that calls a registry or git module, in its caller's local directory."""
    import re

    parent, _, last = module.rpartition(".module.") if ".module." in module else ("", "", module)
    name = last.removeprefix("module.").split("[", 1)[0]
    directory = _module_dir(planned, parent, config_dir)
    if directory is None or not directory.is_dir():
        return None
    pattern = re.compile(rf'^\s*module\s+"{re.escape(name)}"')
    return _find(directory, pattern, cache)


def _find(directory: Path, pattern: Any, cache: dict[Path, list[tuple[Path, list[str]]]]) -> tuple[str, int] | None:
    import os

    if directory not in cache:
        cache[directory] = [(f, f.read_text(encoding="utf-8", errors="replace").splitlines())
                            for f in sorted(directory.glob("*.tf")) if f.is_file()]
    for path, lines in cache[directory]:
        line = next((i + 1 for i, text in enumerate(lines) if pattern.match(text)), None)
        if line is not None:
            return Path(os.path.relpath(path)).as_posix(), line
    return None


def source_files(planned: PlannedImport, origins: Iterable[Origin], config_dir: Path) -> dict[str, tuple[str, int]]:
    """``address -> (file, line)``: the resource block in its local module's ``.tf`` files, else the module call.

    Plans carry module addresses, not files: the file is found by reading the module
    directory (local ``source`` paths) for ``resource "TYPE" "NAME"``.  A resource of a
    registry or git module points at the ``module "NAME"`` block that calls it.  Paths are
    relative to the current directory (run the gate from the repository root).
    """
    import re

    out: dict[str, tuple[str, int]] = {}
    cache: dict[Path, list[tuple[Path, list[str]]]] = {}
    for origin in origins:
        directory = _module_dir(planned, origin.module, config_dir)
        found = None
        if directory is not None and directory.is_dir():
            pattern = re.compile(rf'^\s*(resource|data)\s+"{re.escape(origin.type)}"\s+'
                                 rf'"{re.escape(_resource_name(origin))}"')
            found = _find(directory, pattern, cache)
        elif origin.module:
            module = origin.module
            while found is None and module:  # the innermost call whose caller is local
                found = _module_call_line(planned, module, config_dir, cache)
                module = module.rpartition(".module.")[0] if ".module." in module else ""
        if found is not None:
            out[origin.address] = found
    return out


def plan_uri(planned: PlannedImport) -> str:
    """The plan file, relative to the current directory when inside it: every SARIF result's last-resort location."""
    import os

    path = Path(planned.plan.source)
    rel = os.path.relpath(path.resolve()) if path.exists() else str(path)
    return Path(rel).as_posix() if not rel.startswith("..") else path.resolve().as_posix()
