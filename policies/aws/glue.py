"""Glue Data Catalog tables (``aws.glue.catalog``): every table is a dataset (``DatasetKind.GLUE_TABLE``).

Who reaches a table ``arn:aws:glue:REGION:ACCOUNT:table/DB/TABLE``:

* **The S3 location's readers read the table's data.**  A table is metadata over the objects
  under ``StorageDescriptor.Location``; whoever reads that bucket reads the rows, with or without
  the catalog.  seenby records this as a :class:`~seenby.model.Reexposure` with ``via`` = the
  bucket and ``dataset`` = the table, read by the graph as "whoever reads the bucket reads the
  table" (CATALOG_LOCATION evidence).  Under "Use only IAM access control", reading a table
  through Athena or Glue needs glue:GetTable *and* S3 read on the location
  (https://docs.aws.amazon.com/lake-formation/latest/dg/change-settings.html): those readers are
  a subset of the bucket's readers, so the re-exposure states the IAM path exactly.
* **glue:GetTable** (identity policies, plus the catalog resource policy across accounts, the
  layers of :mod:`.resource_policy`;
  https://docs.aws.amazon.com/glue/latest/dg/cross-account-access.html) reveals the schema and
  location: LIST, while IAM decides (IAM_ALLOWED_PRINCIPALS holds ALL on the table, hybrid
  access mode, or Lake Formation unknown).  glue:PutResourcePolicy rewrites the catalog policy:
  ADMIN.  Glue signs every request (a ``"*"`` principal is any authenticated AWS principal), and
  resource control policies are not applied (they can only narrow: fail closed).
* **Lake Formation grants** (:mod:`.lakeformation`) on the table, its database's ALL_TABLES,
  its columns (conditional: partial data), and the data lake administrators (ADMIN).  A table
  with no ``aws.lakeformation.settings`` in the snapshot is under Lake Formation's defaults: IAM
  decides, with a coverage gap saying so; likewise when Lake Formation's answers are missing or
  incomplete (:mod:`.lakeformation`: fail closed, the IAM path is kept).
* **Which path**: every grant's evidence says it.  IAM-path grants carry the note ``IAM path: …``
  (why IAM decides), Lake Formation grants ``Lake Formation path: …``; the data read through the
  S3 location is the re-exposure, whose evidence says so.

Left out (noted, not silently): what a Lake Formation grantee reads through credential vending
is not re-exposed back onto the bucket; resource links to other accounts' catalogs are tables
of their own account's catalog only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

from seenby.model import (
    AccessLevel,
    CoverageGap,
    Dataset,
    DatasetKind,
    Evidence,
    EvidenceKind,
    Grant,
    Provider,
    ReadOutcome,
    Reexposure,
)
from seenby.policies.aws.document import PolicyDocument, parse_policy
from seenby.policies.aws.iam import IdentityIndex
from seenby.policies.aws.lakeformation import LakeFormation, load_lake_formation
from seenby.policies.aws.matching import has_wildcard
from seenby.policies.aws.resource_policy import GuardedResource, ResourcePolicyEvaluator
from seenby.policies.aws.services import ServiceContext
from seenby.registry import GlueCatalogRead, LakeFormationRead, TypeName
from seenby.snapshot import Resource

__all__ = ["GlueTable", "evaluate_glue", "level_actions", "load_tables", "location_bucket", "table_of_pattern"]

CATALOG_TYPE = TypeName.AWS_GLUE_CATALOG
LF_TYPE = TypeName.AWS_LAKEFORMATION


@cache
def _data() -> dict[str, Any]:
    return json.loads(resources.files("seenby.policies.aws").joinpath("data/glue.json").read_text())


@cache
def level_actions() -> dict[AccessLevel, tuple[str, ...]]:
    return {AccessLevel(level): tuple(actions) for level, actions in _data()["levels"].items()}


def location_bucket(location: str | None) -> str | None:
    """``s3://bucket/prefix/`` (or ``s3a://``, ``s3n://``) → ``arn:aws:s3:::bucket``; None for other stores."""
    if not location:
        return None
    scheme, sep, rest = location.partition("://")
    if not sep or scheme.lower() not in ("s3", "s3a", "s3n"):
        return None
    bucket = rest.split("/", 1)[0]
    return f"arn:aws:s3:::{bucket}" if bucket else None


@dataclass(kw_only=True)
class GlueTable:
    arn: str
    database: str
    name: str
    account: str | None
    region: str | None
    location: str | None
    catalog: str  # the catalog resource id (evidence source)
    index: int  # position in the catalog's TableList
    policy: PolicyDocument | None = None
    parameters: dict[str, str] = field(default_factory=dict)

    def dataset(self) -> Dataset:
        return Dataset(
            id=self.arn, kind=DatasetKind.GLUE_TABLE, provider=Provider.AWS, name=f"{self.database}.{self.name}",
            account=self.account, location=self.region,
        )  # fmt: skip

    def guarded(self) -> GuardedResource:
        return GuardedResource(arn=self.arn, account=self.account, policy=self.policy, index_name=self.arn,
                               targets=(self.arn,))  # fmt: skip


def load_tables(res: Resource) -> list[GlueTable]:
    """The tables of one catalog resource, with the catalog's resource policy."""
    head = res.id.rsplit(":catalog", 1)[0]
    policy = None
    doc = res.document(GlueCatalogRead.RESOURCE_POLICY)
    if isinstance(doc, Mapping) and doc.get("PolicyInJson"):
        policy = parse_policy(doc["PolicyInJson"], source=res.id, kind=EvidenceKind.RESOURCE_POLICY,
                              require_principal=True)  # fmt: skip
    out = []
    for i, table in enumerate((res.document(GlueCatalogRead.TABLES) or {}).get("TableList") or []):
        database, name = str(table.get("DatabaseName") or ""), str(table.get("Name") or "")
        if not (database and name):
            continue
        out.append(GlueTable(
            arn=f"{head}:table/{database}/{name}", database=database, name=name, account=res.account,
            region=res.region, location=(table.get("StorageDescriptor") or {}).get("Location"), catalog=res.id,
            index=i, policy=policy,
        ))  # fmt: skip
    return out


def table_of_pattern(pattern: str) -> str | None:
    """The literal Glue table ARN an identity statement's resource names; None when it has wildcards."""
    parts = pattern.split(":", 5)
    if len(parts) == 6 and parts[2] == "glue":
        return None if has_wildcard(pattern) or "${" in pattern or not parts[5].startswith("table/") else pattern
    return None if has_wildcard(pattern) else pattern


def _reexposure(table: GlueTable) -> Reexposure | None:
    bucket = location_bucket(table.location)
    if bucket is None:
        return None
    evidence = Evidence(
        kind=EvidenceKind.CATALOG_LOCATION, source=table.catalog,
        location=f"TableList[{table.index}].StorageDescriptor.Location", excerpt={"Location": table.location},
        note="the table's data are the objects under its S3 location: whoever reads the bucket reads the table",
    )  # fmt: skip
    return Reexposure(via=bucket, dataset=table.arn, evidence=(evidence,))


def evaluate_glue(ctx: ServiceContext) -> None:
    """Datasets, grants and re-exposures of every Glue table of the snapshot."""
    tables = [t for res in ctx.snapshot.of_type(CATALOG_TYPE) for t in load_tables(res)]
    if not tables:
        return
    lake: dict[tuple[str | None, str | None], LakeFormation] = {
        (res.account, res.region): load_lake_formation(res) for res in ctx.snapshot.of_type(LF_TYPE)
    }
    levels = level_actions()
    index = IdentityIndex(actions=tuple(a for acts in levels.values() for a in acts))
    for iam in ctx.iams.values():
        for entity in iam.entities():
            index.add(entity, name_of=table_of_pattern)

    def evaluator(lv: Mapping[AccessLevel, tuple[str, ...]]) -> ResourcePolicyEvaluator:
        return ResourcePolicyEvaluator(population=ctx.population, directory=ctx.directory, index=index, levels=lv,
                                       rcps_apply=False, anonymous=False, memo=ctx.memo)  # fmt: skip

    iam_mode = evaluator(levels)
    lf_mode = evaluator({k: v for k, v in levels.items() if k is not AccessLevel.LIST})
    gaps: dict[tuple[str, str], tuple[str, str, list[str], str | None]] = {}  # (resource, read) -> api, message, …
    for table in tables:
        ctx.evaluation.datasets[table.arn] = table.dataset()
        lf = lake.get((table.account, table.region))
        access = lf.table_access(ctx.population, database=table.database, table=table.name,
                                 location=table.location) if lf is not None else None  # fmt: skip
        iam_open = access is None or access.iam_allowed
        if access is None:
            why = "no Lake Formation settings in the snapshot; by default new tables give IAM_ALLOWED_PRINCIPALS ALL"
            gap_key = (settings_id(table), LakeFormationRead.SETTINGS)
            gaps.setdefault(gap_key, ("lakeformation:GetDataLakeSettings", why + " (IAM path kept)", [], table.account))
            gaps[gap_key][2].append(table.arn)
        else:
            why = access.why_iam
            if access.gap is not None:
                read, message = access.gap
                permissions = read == LakeFormationRead.PERMISSIONS
                api = "lakeformation:ListPermissions" if permissions else "lakeformation:GetDataLakeSettings"
                gaps.setdefault((lf.source, read), (api, message, [], table.account))[2].append(table.arn)
        iam_grants = (iam_mode if iam_open else lf_mode).grants(table.guarded(), table.arn)
        ctx.add_grants([_noted(g, f"IAM path: {why}" if iam_open else "IAM path") for g in iam_grants])
        if access is not None:
            ctx.add_grants([
                Grant(principal=g.principal, dataset=table.arn, level=g.level,
                      evidence=(g.evidence.with_note(_LF_NOTE),), conditions=g.conditions)
                for g in access.grants
            ])  # fmt: skip
        if (rx := _reexposure(table)) is not None:
            ctx.evaluation.reexposures.append(rx)
    for (resource, read), (api, message, datasets, account) in gaps.items():
        ctx.evaluation.gaps.append(CoverageGap(
            resource=resource, resource_type=LF_TYPE, read=read, api=api, outcome=ReadOutcome.ERROR,
            error_code="LakeFormationIncomplete", message=message, datasets=tuple(datasets), account=account,
        ))  # fmt: skip


_LF_NOTE = "Lake Formation path: the data is read through Lake Formation (credential vending)"


def _noted(grant: Grant, note: str) -> Grant:
    return replace(grant, evidence=tuple(e.with_note(note) for e in grant.evidence))


def settings_id(table: GlueTable) -> str:
    """The id of the Lake Formation settings of the table's account and region (scanners/aws/lakeformation.py)."""
    partition = table.arn.split(":", 2)[1]
    return f"arn:{partition}:lakeformation:{table.region}:{table.account}:settings"
