"""Values known only after apply: resolved through the plan where Terraform's own rules allow, else Unknown.

``after_unknown`` marks values Terraform computes during apply (the ARN of a role the same
plan creates, a policy built from it).  seenby never reads them as absent or safe:

1. A known value is used as it is.
2. An unknown value whose configuration expression is a reference to another resource of
   the plan is replaced by that resource's value when the provider documents how it is
   formed from known values (:data:`_COMPUTED`): ``aws_iam_role.x.arn`` is
   ``arn:aws:iam::ACCOUNT:role/PATH/NAME`` when the account is known;
   ``google_service_account.x.email`` is ``ACCOUNT_ID@PROJECT.iam.gserviceaccount.com``;
   ``data.aws_iam_policy_document.x.json`` is rendered from the data source's statements.
   The expression must reference exactly one such value, and the result must have the
   shape the attribute takes (a principal, an ARN): templates such as
   ``"serviceAccount:${google_service_account.x.email}"`` are not reconstructed.
3. Anything else is :class:`Unknown`, and the importer records the read it belongs to as
   outcome ``error`` with error code ``UnknownAfterApply``: a coverage gap (SB011), which
   fails the gate until the value is known or resolvable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from seenby.importers.terraform.plan import Plan, PlannedResource

__all__ = ["UNKNOWN_AFTER_APPLY", "UNKNOWN_NAME", "UNKNOWN_REGION", "Resolver", "Unknown", "is_unknown",
           "name_prefix", "unknown_name"]

UNKNOWN_AFTER_APPLY = "UnknownAfterApply"
UNKNOWN_NAME = "terraform-unknown-name:"  # + address: a bucket or table whose name is known only after apply
UNKNOWN_REGION = "terraform-unknown-region"  # a region neither the resource, its provider nor a variable gives


def unknown_name(address: str, prefix: str = "") -> str:
    """The placeholder name of a resource whose name is known only after apply (``bucket_prefix``, random ids).

    The resource keeps this name in the planned state, with a gap on its ``name`` read; references
    to its name or ARN resolve to the same placeholder, so its policy, ACL and bindings join it.
    A known prefix (``bucket_prefix``, ``name_prefix``) starts it, so rules.yaml globs on the
    prefix (``arn:aws:s3:::corp-data-*``) still declare its audience.
    """
    return f"{prefix}{UNKNOWN_NAME}{address}"


def name_prefix(res: PlannedResource) -> str:
    """The resource's known ``bucket_prefix`` or ``name_prefix`` ("" when there is none)."""
    for attribute in ("bucket_prefix", "name_prefix"):
        value = None if res.is_unknown(attribute) else res.value(attribute)
        if isinstance(value, str) and value:
            return value
    return ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Unknown:
    """A value that is known only after apply and could not be resolved from the plan."""

    address: str
    attribute: str
    where: str

    @property
    def message(self) -> str:
        return f"{self.address}.{self.attribute} is known only after apply ({self.where})"


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


_BARE_REF_RE = re.compile(r"^(?P<data>data\.)?(?P<type>[a-z0-9]+_[a-z0-9_]+)\.(?P<name>[A-Za-z0-9_-]+)(?P<key>)$")
_REF_RE = re.compile(
    r"^(?P<data>data\.)?(?P<type>[a-z0-9]+_[a-z0-9_]+)\.(?P<name>[A-Za-z0-9_-]+)(?P<key>\[[^\]]*\])?\.(?P<attr>[a-z_]+)"
)


def _expression_at(expressions: Mapping[str, Any], path: tuple[str | int, ...]) -> Mapping[str, Any] | None:
    """The configuration expression that produces the value at ``path`` (blocks are descended)."""
    node: Any = expressions
    for part in path:
        if isinstance(node, Mapping) and ("references" in node or "constant_value" in node):
            return node  # an expression whose value contains the rest of the path
        if isinstance(node, Mapping) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, list) and len(node) == 1:
            node = node[0]  # a block written once, expanded by for_each/count
        else:
            return None
    return node if isinstance(node, Mapping) else None


class Resolver:
    """Resolves unknown values of one plan. ``account``/``region``/``project`` fill documented formats."""

    def __init__(
        self, plan: Plan, *, account: str | None, partition: str = "aws", region: str | None = None,
        project: str | None = None,
    ) -> None:
        self.plan = plan
        self.account = account
        self.partition = partition
        self.region = region
        self.project = project

    # -- public ------------------------------------------------------------------------------

    def get(self, res: PlannedResource, *path: str | int, shape: Callable[[Any], bool] | None = None) -> Any:
        """The value at ``path`` of ``res``: known, resolved, or :class:`Unknown`."""
        if not res.is_unknown(*path):
            value = res.value(*path)
            if isinstance(value, list) and self._has_unknown_items(res, path):
                return self._resolve_items(res, path, value, shape)
            return value
        resolved = self._resolve(res, path)
        if resolved is None or (shape is not None and not shape(resolved)):
            return Unknown(address=res.address, attribute=_dotted(path), where=res.place(*path))
        return resolved

    def reference_values(self, res: PlannedResource, path: tuple[str | int, ...]) -> list[Any] | None:
        """The values of every unknown reference of the expression at ``path``; None when one cannot be formed."""
        candidates = self._candidates(res, path)
        return None if any(c is None for c in candidates) else candidates

    def region_of(self, res: PlannedResource) -> str | None:
        region = res.value("region") if not res.is_unknown("region") else None
        return region or self.plan.provider_constant(res, "region") or self.region

    def project_of(self, res: PlannedResource) -> str | None:
        project = res.value("project") if not res.is_unknown("project") else None
        return project or self.plan.provider_constant(res, "project") or self.project

    def kms_placeholder(self, res: PlannedResource) -> str | None:
        """The id of a KMS key this plan creates, until AWS assigns one: ``…:key/terraform:ADDRESS``."""
        region = self.region_of(res)
        if self.account is None or region is None:
            return None
        return f"arn:{self.partition}:kms:{region}:{self.account}:key/terraform:{res.address}"

    # -- internals ---------------------------------------------------------------------------

    def _has_unknown_items(self, res: PlannedResource, path: tuple[str | int, ...]) -> bool:
        node = res.unknown
        for part in path:
            if isinstance(node, Mapping) and isinstance(part, str):
                node = node.get(part, False)
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                return False
        return isinstance(node, list) and any(x is True for x in node)

    def _resolve_items(
        self, res: PlannedResource, path: tuple[str | int, ...], value: list[Any], shape: Callable[[Any], bool] | None
    ) -> Any:
        unknown_at = [i for i in range(len(value)) if res.is_unknown(*path, i)]
        candidates = self._candidates(res, path)
        if len(unknown_at) != 1 or len(candidates) != 1:
            return Unknown(address=res.address, attribute=_dotted(path), where=res.place(*path))
        resolved = candidates[0]
        if resolved is None or (shape is not None and not shape(resolved)):
            return Unknown(address=res.address, attribute=_dotted(path), where=res.place(*path, unknown_at[0]))
        out = list(value)
        out[unknown_at[0]] = resolved
        return out

    def _resolve(self, res: PlannedResource, path: tuple[str | int, ...]) -> Any:
        candidates = self._candidates(res, path)
        return candidates[0] if len(candidates) == 1 else None

    def _candidates(self, res: PlannedResource, path: tuple[str | int, ...]) -> list[Any]:
        """Values of the references in the expression at ``path`` that are themselves unknown in the plan."""
        expr = _expression_at(res.expressions, path)
        if expr is None:
            return []
        out: list[Any] = []
        seen: set[tuple[str, str]] = set()
        references = [str(r) for r in expr.get("references") or []]
        same_key = _same_instance_key(res, references)
        for ref in references:
            m = _REF_RE.match(str(ref))
            attr = m["attr"] if m is not None else None
            if m is None and same_key is not None:
                # aws_s3_bucket.this[each.key].id is recorded as "aws_s3_bucket.this" and "each.key": the
                # attribute is not recorded; `id` (the name, for buckets and tables) is the one taken, and
                # a value of the wrong shape (a name where an ARN is needed) stays unknown.
                m, attr = _BARE_REF_RE.match(ref), "id"
                if m is None or any(r.startswith((ref + ".", ref + "[")) for r in references):
                    continue
            if m is None or attr is None:
                continue
            target = self._target(res.module, m, same_key)
            if target is None or (target.address, attr) in seen:
                continue
            seen.add((target.address, attr))
            if not target.is_unknown(attr) and attr in target.values:
                continue  # a known value would already be known in the referencing attribute
            value = self.computed(target, attr)
            out.append(value)
        return out if all(v is not None for v in out) else [None]

    def _target(self, module: str, m: re.Match[str], same_key: str | None = None) -> PlannedResource | None:
        prefix = f"{module}." if module else ""
        base = f"{prefix}{'data.' if m['data'] else ''}{m['type']}.{m['name']}"
        pool = self.plan.data if m["data"] else self.plan.resources
        if m["key"]:
            return pool.get(base + m["key"])
        if base in pool:
            return pool[base]
        if same_key is not None and base + same_key in pool:
            return pool[base + same_key]  # aws_s3_bucket.this[each.key] from an instance with the same key
        instances = [r for a, r in pool.items() if a.startswith(base + "[")]
        return instances[0] if len(instances) == 1 else None

    def computed(self, target: PlannedResource, attr: str) -> Any:
        """``attr`` of ``target`` formed from its known values as the provider documents, else None."""
        fn = _COMPUTED.get((target.type, attr))
        return fn(self, target) if fn is not None else None

    def known(self, target: PlannedResource, attr: str) -> Any:
        return None if target.is_unknown(attr) else target.value(attr)


def _same_instance_key(res: PlannedResource, references: list[str]) -> str | None:
    """``["k"]`` when the expression indexes by the referencing instance's own key.

    The configuration records ``aws_s3_bucket.this[each.key].id`` as the references
    ``aws_s3_bucket.this`` and ``each.key`` (``count.index`` for count): the referenced
    instance has the referencing instance's key.  Any other index (``each.value.x``) is
    not guessed.
    """
    if not res.address.endswith("]") or not ({"each.key", "count.index"} & set(references)):
        return None
    if any(r.startswith("each.value") for r in references):
        return None
    return "[" + res.address.rsplit("[", 1)[1]


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _iam_arn(kind: str) -> Callable[[Resolver, PlannedResource], str | None]:
    def arn(r: Resolver, t: PlannedResource) -> str | None:
        name = r.known(t, "name")
        path = r.known(t, "path") or "/"
        if r.account is None or not name:
            return None
        return f"arn:{r.partition}:iam::{r.account}:{kind}{path}{name}"

    return arn


def _name(r: Resolver, t: PlannedResource) -> str | None:
    return r.known(t, "name")


def _bucket_name(r: Resolver, t: PlannedResource) -> str:
    name = r.known(t, "bucket")
    return name if isinstance(name, str) and name else unknown_name(t.address, name_prefix(t))


def _bucket_arn(r: Resolver, t: PlannedResource) -> str | None:
    return f"arn:{r.partition}:s3:::{_bucket_name(r, t)}"


def _dynamodb_arn(r: Resolver, t: PlannedResource) -> str | None:
    name = r.known(t, "name")
    name = name if isinstance(name, str) and name else unknown_name(t.address, name_prefix(t))
    region = r.region_of(t) or UNKNOWN_REGION
    if r.account is None:
        return None
    return f"arn:{r.partition}:dynamodb:{region}:{r.account}:table/{name}"


def _gcs_name(r: Resolver, t: PlannedResource) -> str:
    name = r.known(t, "name")
    return name if isinstance(name, str) and name else unknown_name(t.address, name_prefix(t))


def _sa_email(r: Resolver, t: PlannedResource) -> str | None:
    account_id, project = r.known(t, "account_id"), r.project_of(t)
    return f"{account_id}@{project}.iam.gserviceaccount.com" if account_id and project else None


def _sa_member(r: Resolver, t: PlannedResource) -> str | None:
    email = _sa_email(r, t)
    return f"serviceAccount:{email}" if email else None


def _caller_account(r: Resolver, t: PlannedResource) -> str | None:
    return r.account


def _policy_document_json(r: Resolver, t: PlannedResource) -> str | None:
    from seenby.importers.terraform.policy_document import render_policy_document

    rendered = render_policy_document(r, t)
    return None if rendered is None else json.dumps(rendered)


_COMPUTED: dict[tuple[str, str], Callable[[Resolver, PlannedResource], Any]] = {
    ("aws_iam_role", "arn"): _iam_arn("role"),
    ("aws_iam_user", "arn"): _iam_arn("user"),
    ("aws_iam_group", "arn"): _iam_arn("group"),
    ("aws_iam_policy", "arn"): _iam_arn("policy"),
    ("aws_iam_role", "name"): _name,
    ("aws_iam_role", "id"): _name,
    ("aws_iam_user", "name"): _name,
    ("aws_iam_user", "id"): _name,
    ("aws_iam_group", "name"): _name,
    ("aws_iam_group", "id"): _name,
    ("aws_s3_bucket", "arn"): _bucket_arn,
    ("aws_s3_bucket", "id"): _bucket_name,
    ("aws_s3_bucket", "bucket"): _bucket_name,
    ("aws_kms_key", "arn"): lambda r, t: r.kms_placeholder(t),
    ("aws_kms_key", "key_id"): lambda r, t: r.kms_placeholder(t),
    ("aws_kms_key", "id"): lambda r, t: r.kms_placeholder(t),
    ("aws_dynamodb_table", "arn"): _dynamodb_arn,
    ("google_service_account", "email"): _sa_email,
    ("google_service_account", "member"): _sa_member,
    ("google_storage_bucket", "name"): _gcs_name,
    ("google_storage_bucket", "id"): _gcs_name,
    ("google_storage_bucket", "url"): lambda r, t: f"gs://{_gcs_name(r, t)}",
    ("aws_iam_policy_document", "json"): _policy_document_json,
    ("aws_caller_identity", "account_id"): _caller_account,
}
