"""Independent checks of a proven fix: a second RFC 6902 applier, and the audience of every dataset."""

from __future__ import annotations

import copy
import json

from seenby import api
from seenby.fix import Fix
from seenby.model import AUDITED_LEVELS, AccessLevel

LEVELS = (*AUDITED_LEVELS, AccessLevel.LIST)


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _rfc6902(document, patch):
    """A second, independent RFC 6902 applier (add, remove, replace, test) for the proofs in this file."""
    doc = copy.deepcopy(document)
    for op in patch:
        parts = [_unescape(t) for t in op["path"].split("/")[1:]] if op["path"] else []
        if not parts:
            assert op["op"] in ("add", "replace")
            doc = copy.deepcopy(op["value"])
            continue
        parent = doc
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent[part]
        last = parts[-1]
        key = int(last) if isinstance(parent, list) else last
        if op["op"] == "test":
            assert parent[key] == op["value"], f"test failed at {op['path']}"
        elif op["op"] == "remove":
            del parent[key]
        elif op["op"] == "replace":
            parent[key] = copy.deepcopy(op["value"])
        elif isinstance(parent, list):
            parent.insert(key, copy.deepcopy(op["value"]))
        else:
            parent[key] = copy.deepcopy(op["value"])
    return doc


def patched_snapshot(snapshot_json: dict, fix: Fix, tmp_path) -> api.Snapshot:
    data = copy.deepcopy(snapshot_json)
    by_id = {r["id"]: r for r in data["resources"]}
    for change in fix.to_json()["changes"]:
        read = by_id[change["resource"]]["reads"][change["read"]]
        before = read.get("document") if read["outcome"] == "ok" else None
        read["document"] = _rfc6902(before, change["patch"])
        read["outcome"] = "ok"
        read.pop("error_code", None)
    path = tmp_path / f"{fix.fingerprint}.json"
    path.write_text(json.dumps(data))
    return api.load(path)


def reach(view: api.Evaluated, rules) -> dict[tuple[str, AccessLevel], dict[str, bool | None]]:
    """Every member (each member of each group listed) of every dataset at every level, and whether declared."""
    out: dict[tuple[str, AccessLevel], dict[str, bool | None]] = {}
    for dataset in view.datasets:
        report = view.who_can_read(dataset, levels=LEVELS, rules=rules, expand_members=True)
        for m in report.members:
            out.setdefault((dataset, m.level), {})[m.principal.id] = m.declared
    return out


def held_by(view: api.Evaluated, pid: str) -> set[str]:
    """The AWS classes that hold principal ``pid`` (written apart from seenby.fix.prove): anyone holds every AWS
    principal, any authenticated AWS principal every IAM principal and account, an account its principals, an
    organisation its accounts' principals.  A member new by name inside a class that reached before is no
    widening (an ACL grant to AuthenticatedUsers replaced by a policy grant to one account)."""
    p = view.principals.get(pid)
    if p is None or p.provider.value != "aws" or pid == "aws:public":
        return set()
    out = {"aws:public"}
    if p.kind.value == "network" or pid == "aws:authenticated":
        return out
    if p.kind.value in ("service-principal", "service-for") or pid == "aws:any-service":
        return set()
    out.add("aws:authenticated")
    if p.account:
        if p.kind.value != "account":
            out.add(f"arn:aws:iam::{p.account}:root")
        org = view.evaluation.account_orgs.get(p.account)
        if org:
            out.add(f"aws-org:{org}")
    return out
