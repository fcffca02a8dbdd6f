"""Terraform plans → the planned state as a snapshot, merged over a baseline of what already exists.

::

    plan = load_plan("plan.json")                       # terraform show -json PLANFILE
    planned = planned_snapshot(plan, baseline=None)      # PlannedImport
    planned.snapshot                                     # judged by the ordinary evaluators
    planned.index                                        # Terraform address of each read, entity, member

Module map::

    plan.py             reading and validating the JSON plan (errors name the JSON path)
    resolve.py          values known only after apply: resolved through the plan, else Unknown
    policy_document.py  rendering a deferred data.aws_iam_policy_document
    state.py            drafts over the baseline; the address index
    aws.py iam.py gcp.py  one builder per Terraform resource type
    unmodelled.py       types that can change access but are not modelled yet: coverage gaps by address

How the planned state is formed, and what "unknown after apply" becomes, is in docs/gate.md.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from seenby.errors import PlanError
from seenby.importers.terraform.aws import AWS_BUILDERS, AWS_DELETERS, finish_glue
from seenby.importers.terraform.context import Builder, Context, home_draft
from seenby.importers.terraform.flows import FLOW_BUILDERS, FLOW_DELETERS
from seenby.importers.terraform.gcp import GCP_BUILDERS, GCP_DELETERS, finish_hierarchy
from seenby.importers.terraform.iam import IAM_BUILDERS, IAM_DELETERS, PLAN_API, finish_gaads
from seenby.importers.terraform.objects import OBJECT_BUILDERS, OBJECT_DELETERS
from seenby.importers.terraform.plan import Plan, PlannedResource, load_plan, parse_plan
from seenby.importers.terraform.resolve import UNKNOWN_AFTER_APPLY, Resolver
from seenby.importers.terraform.state import AddressIndex, Origin, PlannedState
from seenby.importers.terraform.unmodelled import UNMODELLED_BUILDERS, not_judged
from seenby.model import Provider, ReadOutcome
from seenby.registry import RESOURCE_TYPES, AwsAccountRead, TypeName, missing_reads
from seenby.snapshot import Read, Snapshot, new_snapshot

__all__ = [
    "SUPPORTED_TYPES",
    "UNKNOWN_AFTER_APPLY",
    "AddressIndex",
    "Origin",
    "Plan",
    "PlannedImport",
    "load_plan",
    "parse_plan",
    "planned_snapshot",
]

UNEXPECTED_VALUE = "UnexpectedValue"  # error code of a resource whose values the provider's schema does not allow

_BUILDERS: dict[str, Builder] = {**UNMODELLED_BUILDERS, **AWS_BUILDERS, **OBJECT_BUILDERS, **IAM_BUILDERS,
                                 **GCP_BUILDERS, **FLOW_BUILDERS}
_DELETERS: dict[str, Builder] = {**AWS_DELETERS, **OBJECT_DELETERS, **IAM_DELETERS, **GCP_DELETERS, **FLOW_DELETERS}
SUPPORTED_TYPES: tuple[str, ...] = tuple(sorted(_BUILDERS))

# Built first: the resources others attach to.
_CONTAINERS = ("aws_s3_bucket", "aws_kms_key", "aws_dynamodb_table", "aws_glue_catalog_table",
               "aws_iam_role", "aws_iam_user", "aws_iam_group",
               "aws_iam_policy", "google_project", "google_storage_bucket", "google_bigquery_dataset",
               "google_bigquery_table")

_ARN_ACCOUNT = re.compile(r"^arn:(aws[a-z-]*):[a-z0-9-]+:[a-z0-9-]*:([0-9]{12}):")


@dataclass(frozen=True, kw_only=True)
class PlannedImport:
    """The planned state and where each part of it is declared."""

    snapshot: Snapshot
    index: AddressIndex
    plan: Plan
    aws_account: str | None
    changed: tuple[str, ...]  # addresses the plan creates, updates or deletes
    unsupported: tuple[str, ...]  # changed addresses of other types seenby does not read (no effect on access)
    notes: tuple[str, ...]  # what the planned state could not see
    not_judged: tuple[tuple[str, str], ...] = ()  # (address, type) created/updated, may open data, not judged


def _walk_values(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _walk_values(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk_values(v)


def _detect_account(plan: Plan, baseline: Snapshot | None) -> tuple[str | None, str]:
    for ds in plan.data.values():
        if ds.type == "aws_caller_identity" and isinstance(ds.value("account_id"), str):
            arn = ds.value("arn")
            m = _ARN_ACCOUNT.match(arn) if isinstance(arn, str) else None
            return ds.value("account_id"), m.group(1) if m else "aws"
    if baseline is not None and len(baseline.scope.get("aws_accounts") or []) == 1:
        return baseline.scope["aws_accounts"][0], "aws"
    seen: Counter[tuple[str, str]] = Counter()
    for res in plan.resources.values():
        if res.type.startswith("aws_"):
            for text in _walk_values(dict(res.values)):
                m = _ARN_ACCOUNT.match(text)
                if m and m.group(2) != "000000000000":
                    seen[(m.group(2), m.group(1))] += 1
    if seen:
        (account, partition), _ = seen.most_common(1)[0]
        return account, partition
    return None, "aws"


def _provider_constant(plan: Plan, provider: str, attribute: str) -> str | None:
    cfg = plan.provider_config.get(provider)
    expr = ((cfg or {}).get("expressions") or {}).get(attribute) if isinstance(cfg, dict) else None
    value = expr.get("constant_value") if isinstance(expr, dict) else None
    if value is None and isinstance(expr, dict):
        value = plan.variable_of(expr)
    return value if isinstance(value, str) else None


def _run(ctx: Context, builder: Builder, res: PlannedResource) -> None:
    """One builder; values of a shape the provider's schema does not allow become the resource's own gap.

    The plan was validated as JSON, not against each provider's schema: a value of an
    unexpected shape (a string where a block list is documented) must not stop the gate,
    and must not be read as "no access" either.
    """
    try:
        builder(ctx, res)
    except PlanError:
        raise
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
        message = (f"{res.address}: values of a shape the {res.type} schema does not document "
                   f"({type(exc).__name__}: {exc}) at {res.where}; its effect on access is unknown")
        d = home_draft(ctx, res)
        if d is None:
            ctx.unplaced.append(res.address)
            return
        ctx.state.set_read(d, res.address, Read(outcome=ReadOutcome.ERROR, api=PLAN_API, error_code=UNEXPECTED_VALUE,
                                                message=message), ctx.origin(res))


def _account_defaults_without_baseline(ctx: Context, baseline: Snapshot | None) -> list[str]:
    """Without a baseline, an account whose Block Public Access the plan does not manage counts as off,
    and its IAM, unless the plan manages some, is recorded as not seen (absent, code ``NoBaseline``).

    Unknown would make every public grant merely "conditional" on the account's setting, and a
    gate at ``--fail-on high`` would pass a public bucket: the least protective setting is assumed
    instead, and said so.  A baseline's own account reads (or gaps) are left as they are.
    """
    if baseline is not None:
        return []
    accounts = sorted({d.account for d in ctx.state.drafts.values()
                       if d.type.startswith("aws.") and d.account and d.account.isdigit()})
    out = []
    for account in accounts:
        d = ctx.state.draft(TypeName.AWS_ACCOUNT, account, account=account)
        if "public_access_block" not in d.reads:
            d.reads["public_access_block"] = Read(outcome=ReadOutcome.ABSENT, api="s3control:GetPublicAccessBlock",
                                                  error_code="NoSuchPublicAccessBlockConfiguration",
                                                  message="no baseline: assumed off (the plan does not manage it)")
            out.append(account)
        if AwsAccountRead.AUTHORIZATION_DETAILS not in d.reads:
            # a required read (seenby/registry.py) the plan cannot know: recorded as such, not left out. Its
            # identities are judged as principals missing from a GAAD are (docs/gate.md, "Without a baseline").
            d.reads[AwsAccountRead.AUTHORIZATION_DETAILS] = Read(
                outcome=ReadOutcome.ABSENT, api="iam:GetAccountAuthorizationDetails", error_code="NoBaseline",
                message="no baseline: the account's identities outside the plan are not seen")
    return out


def _gcp_reads_without_baseline(ctx: Context, baseline: Snapshot | None) -> None:
    """Without a baseline, a Google Cloud resource's required read the plan does not set (the IAM policy of a
    project only named as a dataset's home, a bucket's policy outside the plan) is recorded as ``absent``
    with code ``NoBaseline``, as the AWS account's ``authorization_details``: not seen, said so rather than
    left out (docs/gate.md, "Without a baseline").  With a baseline, a read it lacks stays a coverage gap.
    """
    if baseline is not None:
        return
    for d in ctx.state.drafts.values():
        declared = RESOURCE_TYPES.get(d.type)
        if declared is None or declared.provider is not Provider.GCP:
            continue
        for contract in missing_reads(d.type, d.reads):
            d.reads[contract.name] = Read(outcome=ReadOutcome.ABSENT, api=contract.api, error_code="NoBaseline",
                                          message=f"no baseline: the {contract.name} outside the plan is not seen")


def planned_snapshot(
    plan: Plan, baseline: Snapshot | None = None, *, aws_account: str | None = None, gcp_project: str | None = None
) -> PlannedImport:
    """The state after ``plan`` is applied over ``baseline``, as a snapshot."""
    detected, partition = _detect_account(plan, baseline)
    account = aws_account or detected
    region = _provider_constant(plan, "aws", "region")
    for ds in plan.data.values():
        if ds.type == "aws_region" and isinstance(ds.value("name"), str):
            region = region or ds.value("name")
    resolver = Resolver(plan, account=account, partition=partition, region=region,
                        project=gcp_project or _provider_constant(plan, "google", "project"))
    ctx = Context(plan=plan, resolver=resolver, state=PlannedState(baseline))

    for res in plan.deleted.values():
        deleter = _DELETERS.get(res.type)
        if deleter is not None:
            _run(ctx, deleter, res)
    ordered: list[PlannedResource] = sorted(
        plan.resources.values(), key=lambda r: (r.type not in _CONTAINERS, r.address))
    for res in ordered:
        builder = _BUILDERS.get(res.type)
        if builder is not None:
            _run(ctx, builder, res)
    finish_hierarchy(ctx)
    finish_gaads(ctx)
    finish_glue(ctx)
    assumed_off = _account_defaults_without_baseline(ctx, baseline)
    _gcp_reads_without_baseline(ctx, baseline)

    resources = ctx.state.resources()
    scope: dict[str, object] = dict(baseline.scope) if baseline is not None else {}
    accounts = {r.account for r in resources if r.type.startswith("aws.") and r.account}
    scope["aws_accounts"] = sorted({a for a in accounts | set(scope.get("aws_accounts") or []) if a.isdigit()})
    regions = {r.region for r in resources if r.type.startswith("aws.") and r.region}
    scope["regions"] = sorted(regions | set(scope.get("regions") or []))
    projects = {r.account for r in resources if r.type.startswith("gcp.") and r.account}
    scope["gcp_projects"] = sorted(projects | set(scope.get("gcp_projects") or []))
    snapshot = new_snapshot(resources, scope=scope, mode="plan")
    snapshot = Snapshot(collected_at=snapshot.collected_at, collector=snapshot.collector, scope=snapshot.scope,
                        resources=snapshot.resources, source=plan.source)

    changed = sorted([*(r.address for r in plan.resources.values() if r.changed), *plan.deleted])

    def type_of(address: str) -> str:
        return (plan.resources.get(address) or plan.deleted[address]).type

    unjudged = sorted(a for a in changed if not_judged(type_of(a)) and a not in plan.deleted)
    unsupported = sorted(a for a in changed
                         if type_of(a) not in _BUILDERS and type_of(a).startswith(("aws_", "google_"))
                         and a not in unjudged)
    notes: list[str] = list(dict.fromkeys(ctx.notes))
    if baseline is None:
        notes.append("no baseline: resources, identities and inherited policies outside the plan are not seen")
    if assumed_off:
        notes.append("no baseline: the account-level S3 Block Public Access of " + ", ".join(assumed_off)
                     + " is taken as off (the least protective setting; the plan does not manage it): public and "
                       "cross-account grants gate at their own severity")
    if ctx.unplaced:
        notes.append("coverage gaps with no account or project to hold them (their effect is not judged): "
                     + ", ".join(sorted(set(ctx.unplaced))))
    if account is None and any(r.type.startswith("aws_") for r in plan.resources.values()):
        notes.append("the AWS account is unknown (give --aws-account, a baseline, or data.aws_caller_identity): "
                     "ARNs of resources the plan creates cannot be formed")
    return PlannedImport(snapshot=snapshot, index=ctx.state.index, plan=plan, aws_account=account,
                         changed=tuple(changed), unsupported=tuple(unsupported), notes=tuple(notes),
                         not_judged=tuple((a, type_of(a)) for a in unjudged))
