"""Candidate changes for one excess entry of a finding, in the order the search prefers them.

Each candidate edits the document part that the entry's evidence quotes (located by
:mod:`seenby.fix.locate`): a statement's principals, a condition, the statement itself, an
identity statement's resources, an ACL grant, an IAM binding's members, an access entry or
permission; or turns on Block Public Access / public access prevention.  Nothing here
decides whether a candidate works: :mod:`seenby.fix.prove` evaluates each one.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator, Sequence
from functools import cache
from importlib import resources
from typing import Any

from seenby.config import principal_matches
from seenby.findings import AudienceClass, ExcessEntry, Finding
from seenby.model import DatasetKind, Evidence, EvidenceKind
from seenby.registry import TypeName
from seenby.snapshot import Resource, Snapshot

from .changes import document_change, new_document_change, view_of
from .jsonpatch import pointer
from .locate import Located, locate
from .model import Change, ChangeKind

__all__ = ["Option", "candidates", "evidence_of"]

Option = tuple[Change, ...]
"""One candidate: a change to one document, or changes to several that only together keep the declaration."""

# Documents that only narrow access (a Deny, a guardrail): removing from them never closes a path.
_NARROWING_ONLY = frozenset(
    {
        EvidenceKind.SCP,
        EvidenceKind.RCP,
        EvidenceKind.PERMISSION_BOUNDARY,
        EvidenceKind.PUBLIC_ACCESS_BLOCK,
        EvidenceKind.PUBLIC_ACCESS_PREVENTION,
        EvidenceKind.OWNERSHIP_CONTROLS,
        EvidenceKind.UNIFORM_ACCESS,
    }
)
# Evidence that is a path, not a permission: where a table's data is, what a dashboard queries, a copy.
_NOT_PERMISSIONS = frozenset(
    {
        EvidenceKind.CATALOG_LOCATION,
        EvidenceKind.DASHBOARD_LINEAGE,
        EvidenceKind.FLOW_CONFIGURATION,
        EvidenceKind.ENCRYPTION,
        EvidenceKind.GROUP_MEMBERSHIP,
        EvidenceKind.AUTHORIZED_VIEW,
    }
)
_PUBLIC_IDS = ("*", "aws:public", "aws:authenticated", "allUsers", "allAuthenticatedUsers")
_BROAD = frozenset({AudienceClass.PUBLIC, AudienceClass.ANY_AUTHENTICATED})
_PAB_ALL_ON = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def evidence_of(entry: ExcessEntry) -> list[Evidence]:
    """The entry's evidence, the hop into the dataset first, each piece once."""
    seen: list[Evidence] = []
    for step in reversed(entry.path):
        for ev in step.evidence:
            if ev not in seen:
                seen.append(ev)
    return seen


def _declared_id(kind: str, value: str) -> str:
    """The principal id of one value of a statement's Principal element."""
    if kind == "AWS" and value.isdigit() and len(value) == 12:
        return f"arn:aws:iam::{value}:root"
    return value


def _principal_values(principal: Any) -> list[tuple[str, str]]:
    if principal == "*":
        return [("AWS", "*")]
    if not isinstance(principal, dict):
        return []
    out = []
    for kind, values in principal.items():
        for value in values if isinstance(values, list) else [values]:
            out.append((str(kind), str(value)))
    return out


def _principal_element(values: Sequence[tuple[str, str]]) -> dict[str, Any]:
    grouped: dict[str, list[str]] = {}
    for kind, value in values:
        grouped.setdefault(kind, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in grouped.items()}


def _declared_principals(declared: Sequence[str]) -> list[tuple[str, str]]:
    """Declared members a Principal element can name: IAM ARNs and AWS service principals (no globs)."""
    out = []
    for d in declared:
        if any(ch in d for ch in "*?["):
            continue
        if d.startswith("arn:aws:iam::") or d.startswith("arn:aws-"):
            out.append(("AWS", d))
        elif d.endswith(".amazonaws.com"):
            out.append(("Service", d))
    return out


def _statement_list_path(loc: Located) -> tuple[tuple[str | int, ...], int | None]:
    """(path of the Statement element, index of this statement in it or None when Statement is one object)."""
    if isinstance(loc.path[-1], int):
        return loc.path[:-1], loc.path[-1]
    return loc.path, None


def _remove_statement_ops(view: Any, loc: Located) -> tuple[list[dict[str, Any]], str]:
    """Operations removing the statement at ``loc``; a lone inline identity statement removes its policy."""
    parent, index = _statement_list_path(loc)
    statements = _get(view, parent)
    alone = index is None or len(statements) == 1
    # GroupPolicyList[j].PolicyDocument.Statement[0] of authorization details: drop the inline policy
    if alone and len(parent) >= 4 and parent[-2] == "PolicyDocument" and str(parent[-4]).endswith("PolicyList"):
        return [{"op": "remove", "path": pointer(parent[:-2])}], "remove the inline policy"
    if index is None or alone:
        return [{"op": "replace", "path": pointer(parent), "value": []}], "remove the policy's only statement"
    return [{"op": "remove", "path": pointer(loc.path)}], "remove the statement"


def _get(view: Any, path: Sequence[str | int]) -> Any:
    node = view
    for p in path:
        node = node[p]
    return node


def _where(ev: Evidence) -> str:
    sid = f" (Sid {ev.sid})" if ev.sid else ""
    return f"{ev.location}{sid} of {ev.source}"


def _statement_candidates(
    loc: Located, ev: Evidence, finding: Finding, endpoints: Sequence[str]
) -> Iterator[tuple[ChangeKind, list[dict[str, Any]], str]]:
    view = view_of(loc.resource, loc.read, loc.embedded)
    stmt = _get(view, loc.path)
    if not isinstance(stmt, dict) or stmt.get("Effect") != "Allow":
        return
    here = pointer(loc.path)
    trust = ev.kind is EvidenceKind.TRUST_POLICY
    principal_kind = ChangeKind.NARROW_TRUST if trust else ChangeKind.NARROW_PRINCIPALS
    if "Principal" in stmt:
        values = _principal_values(stmt["Principal"])
        declared = finding.declared
        kept = [(k, v) for k, v in values if v != "*" and principal_matches(declared, _declared_id(k, v))]
        if kept and len(kept) < len(values):
            dropped = ", ".join(v for k, v in values if (k, v) not in kept)
            yield (
                principal_kind,
                [{"op": "replace", "path": here + "/Principal", "value": _principal_element(kept)}],
                (f"drop {dropped} from the principals of {_where(ev)}"),
            )
        wildcard = any(v == "*" for _, v in values)
        named = _declared_principals(declared)
        if wildcard and named:
            yield (
                principal_kind,
                [{"op": "replace", "path": here + "/Principal", "value": _principal_element(named)}],
                (f"name the declared principals instead of * in {_where(ev)}"),
            )
        if wildcard:
            yield from _condition_candidates(stmt, here, ev, finding, trust, endpoints)
    else:
        yield from _resource_candidates(stmt, here, ev, finding)
    ops, what = _remove_statement_ops(view, loc)
    yield (ChangeKind.NARROW_TRUST if trust else ChangeKind.REMOVE_STATEMENT), ops, f"{what}: {_where(ev)}"


def _condition_candidates(
    stmt: dict[str, Any], here: str, ev: Evidence, finding: Finding, trust: bool, endpoints: Sequence[str]
) -> Iterator[tuple[ChangeKind, list[dict[str, Any]], str]]:
    """Audience-narrowing conditions for a ``*`` statement: the declared principals' ARNs, the declared OUs, the
    owner's VPC endpoints (``endpoints``: where the declaration holds the owner's networks)."""
    kind = ChangeKind.NARROW_TRUST if trust else ChangeKind.ADD_CONDITION
    arns = [d for d in finding.declared if d.startswith("arn:aws:iam::") and not d.endswith(":root") and "*" not in d]
    ous = [d.removeprefix("aws-ou:") for d in finding.declared if d.startswith("aws-ou:")]
    condition = stmt.get("Condition")
    for operator, key, values, text in (
        ("ArnEquals", "aws:PrincipalArn", arns, "aws:PrincipalArn of the declared principals"),
        ("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", [f"{p}/*" for p in ous], "the declared OUs' paths"),
        ("StringEquals", "aws:SourceVpce", list(endpoints), "aws:SourceVpce of the owner's VPC endpoints"),
    ):
        if not values:
            continue
        value = values[0] if len(values) == 1 else values
        if not isinstance(condition, dict):
            ops = [{"op": "add", "path": here + "/Condition", "value": {operator: {key: value}}}]
        elif operator not in condition:
            ops = [{"op": "add", "path": here + pointer(["Condition", operator]), "value": {key: value}}]
        elif isinstance(condition[operator], dict) and key not in condition[operator]:
            ops = [{"op": "add", "path": here + pointer(["Condition", operator, key]), "value": value}]
        else:
            continue
        yield kind, ops, f"add a condition on {text} to {_where(ev)}"


def _covers(pattern: str, dataset: str) -> bool:
    return fnmatch.fnmatchcase(dataset, pattern) or fnmatch.fnmatchcase(dataset + "/x", pattern)


def _resource_candidates(
    stmt: dict[str, Any], here: str, ev: Evidence, finding: Finding
) -> Iterator[tuple[ChangeKind, list[dict[str, Any]], str]]:
    resources = stmt.get("Resource")
    if not isinstance(resources, list):
        return
    kept = [r for r in resources if not _covers(str(r), finding.dataset.id)]
    if kept and len(kept) < len(resources):
        dropped = ", ".join(str(r) for r in resources if r not in kept)
        yield (
            ChangeKind.NARROW_RESOURCES,
            [{"op": "replace", "path": here + "/Resource", "value": kept}],
            (f"drop {dropped} from the resources of {_where(ev)}"),
        )


def _entry_candidates(
    loc: Located, ev: Evidence, entry: ExcessEntry
) -> Iterator[tuple[ChangeKind, list[dict[str, Any]], str]]:
    """An ACL grant, an IAM binding (narrowed to the members that are not excess), an access entry or permission."""
    view = view_of(loc.resource, loc.read, loc.embedded)
    part = _get(view, loc.path)
    here = pointer(loc.path)
    if ev.kind is EvidenceKind.IAM_BINDING and isinstance(part, dict) and isinstance(part.get("members"), list):
        members = part["members"]
        gone = [m for m in members if m == entry.principal.id or m == (ev.excerpt or {}).get("member")]
        kept = [m for m in members if m not in gone]
        if gone and kept:
            yield (
                ChangeKind.NARROW_BINDING,
                [{"op": "replace", "path": here + "/members", "value": kept}],
                (f"remove {', '.join(gone)} from the {part.get('role')} binding of {ev.source}"),
            )
            return
        if isinstance(loc.path[-1], int):
            yield (
                ChangeKind.NARROW_BINDING,
                [{"op": "remove", "path": here}],
                (f"remove the {part.get('role')} binding of {', '.join(members)} from {ev.source}"),
            )
        return
    if not isinstance(loc.path[-1], int):
        return
    kind = ChangeKind.REMOVE_ACL_GRANT if ev.kind is EvidenceKind.ACL_GRANT else ChangeKind.REMOVE_ENTRY
    what = "ACL grant" if kind is ChangeKind.REMOVE_ACL_GRANT else ev.kind.value
    yield kind, [{"op": "remove", "path": here}], f"remove the {what} {ev.location} of {ev.source}"


def _public_access_candidates(snapshot: Snapshot, finding: Finding, entry: ExcessEntry) -> Iterator[Change]:
    """Block Public Access (S3) or public access prevention (GCS) where nobody public is declared."""
    if entry.audience_class not in _BROAD or any(principal_matches(finding.declared, p) for p in _PUBLIC_IDS):
        return
    bucket = next((r for r in snapshot.resources if r.id == finding.dataset.id), None)
    if bucket is None:
        return
    if bucket.type == TypeName.AWS_S3_BUCKET:
        read = bucket.reads.get("public_access_block")
        summary = f"turn on all four Block Public Access settings of {bucket.id}"
        if read is not None and read.ok and isinstance(read.document, dict):
            current = read.document.get("PublicAccessBlockConfiguration", {})
            ops = [
                {"op": "add", "path": f"/PublicAccessBlockConfiguration/{k}", "value": True}
                for k in _PAB_ALL_ON
                if current.get(k) is not True
            ]
            if ops:
                yield document_change(
                    kind=ChangeKind.BLOCK_PUBLIC_ACCESS,
                    resource=bucket,
                    read="public_access_block",
                    embedded=None,
                    ops=ops,
                    summary=summary,
                )
        elif read is not None and not read.outcome.is_gap:
            yield new_document_change(
                kind=ChangeKind.BLOCK_PUBLIC_ACCESS,
                resource=bucket,
                read="public_access_block",
                document={"PublicAccessBlockConfiguration": dict(_PAB_ALL_ON)},
                summary=summary,
                api=read.api,
            )
    elif bucket.type == TypeName.GCP_STORAGE_BUCKET:
        read = bucket.reads.get("metadata")
        if read is None or not read.ok or not isinstance(read.document, dict):
            return
        config = read.document.get("iamConfiguration")
        if isinstance(config, dict) and config.get("publicAccessPrevention") == "enforced":
            return
        ops = (
            [{"op": "add", "path": "/iamConfiguration/publicAccessPrevention", "value": "enforced"}]
            if isinstance(config, dict)
            else [{"op": "add", "path": "/iamConfiguration", "value": {"publicAccessPrevention": "enforced"}}]
        )
        yield document_change(
            kind=ChangeKind.BLOCK_PUBLIC_ACCESS,
            resource=bucket,
            read="metadata",
            embedded=None,
            ops=ops,
            summary=f"enforce public access prevention on {bucket.id}",
        )


def candidates(snapshot: Snapshot, finding: Finding, entry: ExcessEntry) -> list[Option]:
    """Every candidate for ``entry`` of ``finding`` against ``snapshot``, preferred first."""
    found: list[tuple[int, int, Option]] = []
    endpoints = _owner_endpoints(snapshot, finding)
    for order, ev in enumerate(evidence_of(entry)):
        if ev.kind in _NARROWING_ONLY or ev.kind in _NOT_PERMISSIONS:
            continue
        for loc in locate(snapshot, ev):
            view = view_of(loc.resource, loc.read, loc.embedded)
            part = _get(view, loc.path)
            made = (
                _statement_candidates(loc, ev, finding, endpoints)
                if isinstance(part, dict) and "Effect" in part
                else _entry_candidates(loc, ev, entry)
            )
            for kind, ops, summary in made:
                change = _change(loc.resource, loc, kind, ops, summary)
                if change is not None:
                    found.append((kind.rank, order, (change,)))
            if ev.kind is EvidenceKind.ACL_GRANT and (pair := _acl_to_policy(loc, ev, finding)) is not None:
                found.append((ChangeKind.ACL_TO_POLICY.rank, order, pair))
    for change in _public_access_candidates(snapshot, finding, entry):
        found.append((change.kind.rank, 0, (change,)))
    found.sort(key=lambda t: (t[0], t[1]))
    out: list[Option] = []
    seen: set[tuple[tuple[str, str, Any], ...]] = set()
    for _, _, option in found:
        key = tuple((c.resource, c.read, c.patch) for c in option)
        if key not in seen:
            seen.add(key)
            out.append(option)
    return out


def _owner_endpoints(snapshot: Snapshot, finding: Finding) -> tuple[str, ...]:
    """The VPC endpoints of the dataset's own account, for the dataset's service, where the declaration holds that
    account's networks (``aws-network-of:ACCOUNT``, which ``aws-owner`` stands for; docs/aws-semantics.md) and the
    account's ``vpc_endpoints`` read is in the snapshot.  An endpoint whose service is not named is kept."""
    account = finding.dataset.account
    if not account or f"aws-network-of:{account}" not in finding.declared:
        return ()
    service = {DatasetKind.S3_BUCKET: "s3", DatasetKind.DYNAMODB_TABLE: "dynamodb"}.get(finding.dataset.kind, "")
    out: list[str] = []
    for res in snapshot.of_type(TypeName.AWS_ACCOUNT):
        if (res.account or res.id) != account:
            continue
        read = res.reads.get("vpc_endpoints")
        ok = read is not None and read.ok and isinstance(read.document, dict)
        regions = read.document.get("Regions") if ok and read is not None else None
        for part in (regions or {}).values():
            for item in (part or {}).get("VpcEndpoints") or []:
                owner = str(item.get("OwnerId") or account)
                name = str(item.get("ServiceName") or "")
                if item.get("VpcEndpointId") and owner == account and (not name or not service
                                                                       or name.endswith(f".{service}")):
                    out.append(str(item["VpcEndpointId"]))
    return tuple(sorted(set(out)))


@cache
def _acl_actions() -> dict[str, tuple[str, ...]]:
    """What each bucket ACL permission allows, as S3 actions (the evaluator's own data file)."""
    text = resources.files("seenby.policies.aws").joinpath("data/s3_access_levels.json").read_text()
    data = json.loads(text)
    return {k: tuple(v) for k, v in data["acl_permissions"].items()}


_BROAD_GROUPS = {
    "http://acs.amazonaws.com/groups/global/AllUsers": "AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "AuthenticatedUsers",
}


def _acl_to_policy(loc: Located, ev: Evidence, finding: Finding) -> Option | None:
    """A bucket ACL grant to everyone or to any authenticated AWS principal, replaced by a bucket policy statement
    that grants the declared principals the same actions
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions,
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html: ACLs can be replaced by
    policies).  Declared IAM users and roles are named as principals; a declared account is ``"*"`` narrowed by
    ``aws:PrincipalAccount`` (every principal of it, as the ACL let in, without delegating to its IAM,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalaccount).
    None where the grant is not such a grant, nobody declared can be named, or the bucket policy is unknown."""
    res = loc.resource
    if res.type != TypeName.AWS_S3_BUCKET or loc.read != "acl" or loc.embedded is not None:
        return None
    grant = _get(view_of(res, loc.read, loc.embedded), loc.path)
    grantee = grant.get("Grantee") if isinstance(grant, dict) else None
    uri = grantee.get("URI") if isinstance(grantee, dict) else None
    actions = _acl_actions().get(str(grant.get("Permission"))) if isinstance(grant, dict) else None
    if uri not in _BROAD_GROUPS or not actions:
        return None
    declared = [d for d in finding.declared if not any(ch in d for ch in "*?[")]
    arns = [d for d in declared if d.startswith("arn:aws:iam::") and not d.endswith(":root")]
    accounts = [d.split(":")[4] for d in declared if d.startswith("arn:aws:iam::") and d.endswith(":root")]
    accounts += [d for d in declared if d.isdigit() and len(d) == 12]
    if not arns and not accounts:
        return None
    targets = [res.id, f"{res.id}/*"]
    action: Any = list(actions) if len(actions) > 1 else actions[0]
    statements: list[dict[str, Any]] = []
    if arns:
        statements.append({"Sid": "DeclaredPrincipalsInsteadOfAcl", "Effect": "Allow",
                           "Principal": {"AWS": arns[0] if len(arns) == 1 else arns}, "Action": action,
                           "Resource": targets})  # fmt: skip
    if accounts:
        value: Any = accounts[0] if len(accounts) == 1 else sorted(set(accounts))
        statements.append({"Sid": "DeclaredAccountsInsteadOfAcl", "Effect": "Allow", "Principal": "*",
                           "Action": action, "Resource": targets,
                           "Condition": {"StringEquals": {"aws:PrincipalAccount": value}}})  # fmt: skip
    summary = (f"replace the ACL grant {ev.location} ({_BROAD_GROUPS[uri]}, {grant.get('Permission')}) of {res.id} "
               "with a bucket policy statement granting the declared principals the same actions")  # fmt: skip
    kind = ChangeKind.ACL_TO_POLICY
    policy_read = res.reads.get("policy")
    from .jsonpatch import PatchError

    try:
        acl_change = document_change(
            kind=kind, resource=res, read="acl", embedded=None,
            ops=[{"op": "remove", "path": pointer(loc.path)}], summary=summary,
        )  # fmt: skip
        if policy_read is not None and policy_read.ok and isinstance(policy_read.document, dict) and isinstance(
            policy_read.document.get("Policy"), str
        ):
            policy = json.loads(policy_read.document["Policy"])
            current = policy.get("Statement")
            ops = (
                [{"op": "add", "path": "/Statement/-", "value": st} for st in statements]
                if isinstance(current, list)
                else [{"op": "replace", "path": "/Statement", "value": [current, *statements]}]
            )
            policy_change = document_change(kind=kind, resource=res, read="policy", embedded=("Policy",), ops=ops,
                                            summary=summary)  # fmt: skip
        elif policy_read is not None and not policy_read.ok and not policy_read.outcome.is_gap:
            document = {"Policy": json.dumps({"Version": "2012-10-17", "Statement": statements})}
            policy_change = new_document_change(kind=kind, resource=res, read="policy", document=document,
                                                summary=summary, api=policy_read.api)  # fmt: skip
        else:
            return None  # the bucket policy is unknown: a change to it cannot be proven
    except (PatchError, ValueError):
        return None
    return acl_change, policy_change


def _change(
    resource: Resource, loc: Located, kind: ChangeKind, ops: list[dict[str, Any]], summary: str
) -> Change | None:
    from .jsonpatch import PatchError

    try:
        return document_change(
            kind=kind, resource=resource, read=loc.read, embedded=loc.embedded, ops=ops, summary=summary
        )
    except PatchError:
        return None
