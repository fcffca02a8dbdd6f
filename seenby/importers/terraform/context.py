"""What every builder shares: the plan, the resolver, the planned state, and small helpers."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from seenby.errors import PlanError
from seenby.fileio import InputLimit, load_json
from seenby.importers.terraform.plan import Plan, PlannedResource
from seenby.importers.terraform.resolve import Resolver, Unknown, is_unknown
from seenby.importers.terraform.state import Origin, PlannedState
from seenby.registry import TypeName

__all__ = ["Builder", "Context", "decode_policy", "unplaced_gap"]


@dataclass(kw_only=True)
class Context:
    plan: Plan
    resolver: Resolver
    state: PlannedState
    gaads: dict[str, Any] = field(default_factory=dict)  # account -> GaadEditor (seenby.importers.terraform.iam)
    hierarchy_grants: list[Any] = field(default_factory=list)  # (folders/N | organizations/N, resource) changed
    notes: list[str] = field(default_factory=list)  # what the planned state assumed, for the gate's output
    unplaced: list[str] = field(default_factory=list)  # addresses of coverage gaps with no account/project to hold them

    @property
    def account(self) -> str | None:
        return self.resolver.account

    @property
    def partition(self) -> str:
        return self.resolver.partition

    def origin(self, res: PlannedResource) -> Origin:
        o = Origin(address=res.address, type=res.type, module=res.module, changed=res.changed)
        self.state.index.addresses[res.address] = o
        return o

    def get(self, res: PlannedResource, *path: str | int, shape: Callable[[Any], bool] | None = None) -> Any:
        return self.resolver.get(res, *path, shape=shape)


Builder = Callable[[Context, PlannedResource], None]


def decode_policy(ctx: Context, res: PlannedResource, value: Any, attribute: str) -> Any:
    """A policy attribute (JSON text) as a JSON object; Unknown stays Unknown.

    Text that is not JSON is a bad plan (the provider would refuse it): PlanError naming the path.
    """
    if is_unknown(value) or value is None:
        return value
    if res.is_unknown(attribute) and not _is_document(value):
        # Known only after apply, and what the resolver formed from the expression's references is not a
        # policy (jsonencode({... aws_s3_bucket.x.arn ...}) references an ARN): the policy is unknown.
        return Unknown(address=res.address, attribute=attribute, where=res.place(attribute))
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return load_json(value)
        except InputLimit as exc:
            raise PlanError(f"{attribute} of {res.address}: {exc.message}", file=ctx.plan.source,
                            where=res.place(attribute)) from None
        except json.JSONDecodeError as exc:
            raise PlanError(f"{attribute} of {res.address} is not valid JSON: {exc.msg}",
                            file=ctx.plan.source, where=res.place(attribute)) from None
    return value


def home_draft(ctx: Context, res: PlannedResource) -> Any:
    """The draft of ``res``'s account (AWS) or project (Google Cloud), where a gap on every dataset there goes;
    None when the plan names neither."""
    if res.type.startswith("aws_") and ctx.account:
        return ctx.state.draft(TypeName.AWS_ACCOUNT, ctx.account, account=ctx.account)
    if res.type.startswith("google_") and (project := ctx.resolver.project_of(res)):
        return ctx.state.draft(TypeName.GCP_PROJECT, f"projects/{project}", name=project, account=project)
    return None


def unplaced_gap(ctx: Context, res: PlannedResource, what: Unknown, *, api: str, why: str) -> None:
    """``res`` configures a dataset the plan cannot name: a gap on its account or project (every dataset there).

    Never dropped: with no account or project either, the address is listed as unplaced.
    """
    from seenby.importers.terraform.state import unknown

    d = home_draft(ctx, res)
    if d is None:
        ctx.unplaced.append(res.address)
        return
    detail = Unknown(address=res.address, attribute=f"{what.attribute}: {why}", where=what.where)
    ctx.state.set_read(d, res.address, unknown(api, detail), ctx.origin(res))


def _is_document(value: Any) -> bool:
    if isinstance(value, Mapping):
        return True
    if not isinstance(value, str):
        return False
    try:
        return isinstance(load_json(value), dict)
    except (InputLimit, json.JSONDecodeError):
        return False


def text_or_unknown(value: Any) -> str | Unknown | None:
    if is_unknown(value) or value is None:
        return value
    return value if isinstance(value, str) else json.dumps(value)
