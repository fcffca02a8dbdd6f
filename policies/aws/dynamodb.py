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

Secondary indexes and streams hold the table's data too.  The table's policy governs its
indexes (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutResourcePolicy.html),
so ``Query``/``Scan``/``PartiQLSelect`` allowed on an index ARN of the description reads the table:
sure when the index projects ``ALL`` attributes, conditional (partial data) otherwise.  A stream
has a policy of its own, which the snapshot does not hold: ``dynamodb:GetRecords`` on the
table's latest stream counts for same-account identities (an unknown stream policy can only
deny them: fail closed); other accounts reach a stream only through that policy (not modelled).

Resource control policies are not applied to tables: an RCP can only narrow access, so
leaving it out can over-report, never hide a reader (fail closed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

from seenby.model import AccessLevel, Condition, Dataset, DatasetKind, EvidenceKind, Grant, Provider
from seenby.policies.aws.document import Effect, PolicyDocument, PrincipalType, Statement, parse_policy
from seenby.policies.aws.iam import IdentityIndex
from seenby.policies.aws.matching import has_wildcard
from seenby.policies.aws.resource_policy import GuardedResource, ResourcePolicyEvaluator
from seenby.policies.aws.services import ServiceContext
from seenby.registry import DynamoDbTableRead, TypeName
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

RESOURCE_TYPE = TypeName.AWS_DYNAMODB_TABLE
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
    indexes: dict[str, str] = field(default_factory=dict)  # index ARN -> ProjectionType
    stream: str | None = None  # the latest stream's ARN, when the stream is enabled

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
    tags = res.document(DynamoDbTableRead.TAGS)
    if isinstance(tags, Mapping):
        table.tags = {str(t["Key"]): str(t.get("Value", "")) for t in tags.get("Tags") or [] if "Key" in t}
    desc = res.document(DynamoDbTableRead.DESCRIPTION)
    if isinstance(desc, Mapping):
        info = desc.get("Table") or {}
        for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            for ix in info.get(kind) or []:
                arn = str(ix.get("IndexArn") or (f"{res.id}/index/{ix['IndexName']}" if ix.get("IndexName") else ""))
                if arn:
                    table.indexes[arn] = str((ix.get("Projection") or {}).get("ProjectionType") or "")
        if (info.get("StreamSpecification") or {}).get("StreamEnabled") and info.get("LatestStreamArn"):
            table.stream = str(info["LatestStreamArn"])
    doc = res.document(DynamoDbTableRead.RESOURCE_POLICY)
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


def _part_grants(
    index_eval: ResourcePolicyEvaluator, stream_eval: ResourcePolicyEvaluator, table: Table, sure: set[str]
) -> list[Grant]:
    """READ through the table's indexes and stream, for principals not already sure to read the table."""
    out: list[Grant] = []
    parts = [
        (GuardedResource(arn=arn, account=table.account, policy=table.policy, index_name=table.arn, targets=(arn,)),
         None if projection == "ALL" else Condition(
             expression={"IndexArn": arn, "ProjectionType": projection or "unknown"}, keys=("ProjectionType",),
             reason=f"partial data: only the attributes index {arn.rsplit('/', 1)[-1]} projects"))
        for arn, projection in table.indexes.items()
    ]  # fmt: skip
    if table.stream:
        parts.append((GuardedResource(arn=table.stream, account=table.account, policy=None, index_name=table.arn,
                                      targets=(table.stream,)), None))  # fmt: skip
    for guarded, condition in parts:
        evaluator = stream_eval if guarded.arn == table.stream else index_eval
        for grant in evaluator.grants(guarded, table.arn):
            if grant.principal.id in sure:
                continue
            if condition is not None:
                grant = replace(grant, conditions=(*grant.conditions, condition))
            out.append(grant)
    return out


def evaluate_tables(ctx: ServiceContext) -> None:
    """Datasets and grants of every table of the snapshot."""
    tables = [load_table(res) for res in ctx.snapshot.of_type(RESOURCE_TYPE)]
    if not tables:
        return
    actions = tuple(a for level in level_actions().values() for a in level)
    index = IdentityIndex(actions=(*actions, *_data()["stream_read"]))
    for iam in ctx.iams.values():
        for entity in iam.entities():
            index.add(entity, name_of=table_of_pattern)

    def evaluator(levels: Mapping[AccessLevel, tuple[str, ...]]) -> ResourcePolicyEvaluator:
        return ResourcePolicyEvaluator(
            population=ctx.population, directory=ctx.directory, index=index, levels=levels,
            rcps_apply=False, anonymous=False, public_note=_public_note, memo=ctx.memo,
        )  # fmt: skip

    table_eval = evaluator(level_actions())
    index_eval = evaluator({AccessLevel.READ: tuple(_data()["index_read"])})
    stream_eval = evaluator({AccessLevel.READ: tuple(_data()["stream_read"])})
    for table in tables:
        ctx.evaluation.datasets[table.arn] = table.dataset()
        grants = table_eval.grants(table.guarded(), table.arn)
        sure = {g.principal.id for g in grants if g.level is AccessLevel.READ and not g.conditional}
        ctx.add_grants(grants + _part_grants(index_eval, stream_eval, table, sure))
