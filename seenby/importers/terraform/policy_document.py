"""Rendering a deferred ``data.aws_iam_policy_document`` into the IAM JSON it will produce.

When a policy document data source depends on a value known only after apply (the ARN
of a role the plan creates), Terraform defers reading it and its ``json`` is unknown.
Its arguments are in the plan, so seenby renders the document the way the data source
documents it (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/iam_policy_document):
``statement`` blocks with ``sid``, ``effect`` (default Allow), ``actions``/``not_actions``,
``resources``/``not_resources``, ``principals``/``not_principals`` (``type`` and
``identifiers``; type ``*`` with identifier ``*`` is ``"Principal": "*"``) and
``condition`` (``test``, ``variable``, ``values``).  Unknown identifiers are resolved
with :class:`~seenby.importers.terraform.resolve.Resolver`; when one cannot be, or when
``source_policy_documents``/``override_policy_documents`` are used, nothing is rendered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seenby.importers.terraform.plan import PlannedResource

if TYPE_CHECKING:
    from seenby.importers.terraform.resolve import Resolver

__all__ = ["render_policy_document"]


def _one_or_list(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def _has_unknown(ds: PlannedResource, path: tuple[str | int, ...]) -> bool:
    if ds.is_unknown(*path):
        return True
    value = ds.value(*path)
    return isinstance(value, list) and any(ds.is_unknown(*path, j) for j in range(len(value)))


def _allowed_resources(resolver: Resolver, ds: PlannedResource, i: int, effect: str) -> list[str] | None:
    """An Allow statement's ``resources`` with items known only after apply, as a superset.

    The plan records which values an expression references, not the expression: an item
    written ``"${aws_s3_bucket.x.arn}/*"`` cannot be rebuilt.  Each reference to this plan's
    bucket, table or role ARN stands for both ``ARN`` and ``ARN/*``: for an Allow that is at
    least what was written (fail closed).  A Deny's unknown resources could deny less than
    any guess, so the document stays unknown (None), as it does when a reference is not an ARN.
    """
    if effect != "Allow":
        return None
    path = ("statement", i, "resources")
    known = ds.value(*path) if not ds.is_unknown(*path) else []
    values = [v for j, v in enumerate(known or []) if not ds.is_unknown(*path, j) and isinstance(v, str)]
    arns = resolver.reference_values(ds, path)
    if not arns or not all(isinstance(a, str) and a.startswith("arn:") for a in arns):
        return None
    return sorted(set(values) | {a for arn in arns for a in (arn, f"{arn}/*")})


def render_policy_document(resolver: Resolver, ds: PlannedResource) -> dict[str, Any] | None:
    from seenby.importers.terraform.resolve import is_unknown

    for merged in ("source_policy_documents", "override_policy_documents", "source_json", "override_json"):
        if ds.is_unknown(merged) or ds.value(merged):
            return None
    statements = resolver.get(ds, "statement")
    if is_unknown(statements) or not isinstance(statements, list):
        return None
    out: list[dict[str, Any]] = []
    for i, _ in enumerate(statements):
        stmt: dict[str, Any] = {}

        def field(*path: str | int, _i: int = i) -> Any:
            return resolver.get(ds, "statement", _i, *path)

        sid = field("sid")
        if is_unknown(sid):
            return None
        if sid:
            stmt["Sid"] = sid
        effect = field("effect")
        stmt["Effect"] = effect if isinstance(effect, str) and effect else "Allow"
        for key, name in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            blocks = field(key)
            if is_unknown(blocks):
                return None
            if not blocks:
                continue
            principal: dict[str, list[str]] = {}
            for j, block in enumerate(blocks):
                ids = field(key, j, "identifiers", )
                if is_unknown(ids) or any(x is None for x in ids or []):
                    return None
                principal.setdefault(str(block.get("type")), []).extend(sorted(ids or []))
            if list(principal) == ["*"] and principal["*"] == ["*"]:
                stmt[name] = "*"
            else:
                stmt[name] = {k: _one_or_list(v) for k, v in principal.items()}
        for key, name in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
                          ("not_resources", "NotResource")):
            if key == "resources" and _has_unknown(ds, ("statement", i, key)):
                values = _allowed_resources(resolver, ds, i, stmt["Effect"])
                if values is None:
                    return None
                stmt[name] = _one_or_list(sorted(values))
                continue
            values = field(key)
            if is_unknown(values) or any(x is None for x in values or []):
                return None
            if values:
                stmt[name] = _one_or_list(sorted(values))
        conditions = field("condition")
        if is_unknown(conditions):
            return None
        if conditions:
            block: dict[str, dict[str, Any]] = {}
            for j, cond in enumerate(conditions):
                values = field("condition", j, "values")
                if is_unknown(values) or any(x is None for x in values or []):
                    return None
                block.setdefault(str(cond.get("test")), {})[str(cond.get("variable"))] = _one_or_list(list(values))
            stmt["Condition"] = block
        out.append(stmt)
    version = ds.value("version") if not ds.is_unknown("version") else None
    return {"Version": version or "2012-10-17", "Statement": out}
