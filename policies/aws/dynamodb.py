"""DynamoDB tables (``aws.dynamodb.table``): the table's resource policy and callers' identity policies.

https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/access-control-resource-based.html:
a table resource policy is evaluated with identity policies exactly as an S3 bucket policy
is (same account: either allows; cross account: both must), so the layers are those of
:mod:`.resource_policy`.  The levels and their actions are data
(``data/dynamodb.json``).  DynamoDB signs every request, so ``"Principal": "*"`` reaches any
authenticated AWS principal, never an anonymous caller.

"Public", DynamoDB's variant
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-bpa-rbp.html): a
statement is public unless its principal is fixed or a fixed value (no wildcard, no
variable) of one of the trusted keys pins it; ``aws:PrincipalIsAWSService`` only with
``true``; ``aws:SourceIp`` is not among them.  DynamoDB refuses to attach a public policy,
so a public statement in a snapshot (an import, a plan) is flagged on its evidence.

Resource control policies are not applied to tables: an RCP can only narrow access, so
leaving it out can over-report, never hide a reader (fail closed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from seenby.model import AccessLevel, Dataset, DatasetKind, EvidenceKind, Provider
from seenby.policies.aws.document import Effect, PolicyDocument, PrincipalType, Statement, parse_policy
from seenby.policies.aws.iam import IdentityIndex
from seenby.policies.aws.matching import has_wildcard
from seenby.policies.aws.resource_policy import GuardedResource, ResourcePolicyEvaluator
from seenby.policies.aws.services import ServiceContext
from seenby.snapshot import Resource

__all__ = [
    "Table",
    "evaluate_tables",
    "is_public_statement",
    "level_actions",
    "load_table",
    "public_statements",
    "table_of_pattern",
]

RESOURCE_TYPE = "aws.dynamodb.table"
PUBLIC_NOTE = "public by DynamoDB's definition: DynamoDB refuses to attach such a policy (Block Public Access)"
_POSITIVE = {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "bool"}


@cache
def _data() -> dict[str, Any]:
    return json.loads(resources.files("seenby.policies.aws").joinpath("data/dynamodb.json").read_text())


@cache
def level_actions() -> dict[AccessLevel, tuple[str, ...]]:
    return {AccessLevel(level): tuple(actions) for level, actions in _data()["levels"].items()}


@dataclass(kw_only=True)
class Table:
    arn: str
    name: str
    account: str | None
    region: str | None
    tags: dict[str, str] = field(default_factory=dict)
    policy: PolicyDocument | None = None

    def dataset(self) -> Dataset:
        return Dataset(
            id=self.arn, kind=DatasetKind.DYNAMODB_TABLE, provider=Provider.AWS, name=self.name,
            account=self.account, location=self.region, tags=self.tags,
        )  # fmt: skip

    def guarded(self) -> GuardedResource:
        return GuardedResource(
            arn=self.arn, account=self.account, policy=self.policy, index_name=self.arn,
            targets=(self.arn, f"{self.arn}/*"),
        )  # fmt: skip


def load_table(res: Resource) -> Table:
    name = res.name or res.id.rsplit("/", 1)[-1]
    table = Table(arn=res.id, name=name, account=res.account, region=res.region)
    tags = res.document("tags")
    if isinstance(tags, Mapping):
        table.tags = {str(t["Key"]): str(t.get("Value", "")) for t in tags.get("Tags") or [] if "Key" in t}
    doc = res.document("resource_policy")
    if isinstance(doc, Mapping) and doc.get("Policy"):
        table.policy = parse_policy(
            doc["Policy"], source=res.id, kind=EvidenceKind.RESOURCE_POLICY, require_principal=True
        )
    return table


def _pinned(statement: Statement) -> bool:
    trusted = {k.lower() for k in _data()["trusted_keys"]}
    for operator, keys in statement.condition.items():
        base = operator.split(":", 1)[-1].lower()
        if base.endswith("ifexists") or base not in _POSITIVE:
            continue
        for key, values in keys.items():
            k = key.lower()
            if k not in trusted or any(has_wildcard(v) or "${" in v for v in values):
                continue
            if k == "aws:principalisawsservice" and values != ("true",):
                continue
            return True
    return False


def is_public_statement(statement: Statement) -> bool:
    """An Allow to everyone (``*`` or NotPrincipal) that no trusted key pins: public by DynamoDB's definition."""
    if statement.effect is not Effect.ALLOW:
        return False
    broad = statement.not_principal or any(r.type is PrincipalType.ANY for r in statement.principals or ())
    return broad and not _pinned(statement)


def public_statements(document: PolicyDocument | None) -> list[Statement]:
    """The Allow statements that make a table policy public by DynamoDB's definition."""
    return [s for s in document.statements if is_public_statement(s)] if document is not None else []


def _public_note(statement: Statement) -> str | None:
    return PUBLIC_NOTE if is_public_statement(statement) else None


def table_of_pattern(pattern: str) -> str | None:
    """The literal table ARN an identity statement's resource names (indexes and streams count as the table).

    None when the table part has wildcards or variables; other services' ARNs are filed under themselves.
    """
    parts = pattern.split(":", 5)
    if len(parts) < 6 or parts[2] != "dynamodb":
        return None if has_wildcard(pattern) else pattern
    resource = parts[5]
    if not resource.startswith("table/"):
        return None
    table = resource.split("/", 2)[1] if resource.count("/") >= 1 else ""
    head = ":".join(parts[:5])
    if has_wildcard(head) or has_wildcard(table) or "${" in pattern or not table:
        return None
    return f"{head}:table/{table}"


def evaluate_tables(ctx: ServiceContext) -> None:
    """Datasets and grants of every table of the snapshot."""
    tables = [load_table(res) for res in ctx.snapshot.of_type(RESOURCE_TYPE)]
    if not tables:
        return
    actions = tuple(a for level in level_actions().values() for a in level)
    index = IdentityIndex(actions=actions)
    for iam in ctx.iams.values():
        for entity in iam.entities():
            index.add(entity, name_of=table_of_pattern)
    evaluator = ResourcePolicyEvaluator(
        population=ctx.population, directory=ctx.directory, index=index, levels=level_actions(),
        rcps_apply=False, anonymous=False, public_note=_public_note,
    )  # fmt: skip
    for table in tables:
        ctx.evaluation.datasets[table.arn] = table.dataset()
        ctx.add_grants(evaluator.grants(table.guarded(), table.arn))
