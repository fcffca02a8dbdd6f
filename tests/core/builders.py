"""Small builders for hand-made evaluations: one line per principal, grant or edge."""

from __future__ import annotations

from seenby.config import Rules, parse_rules
from seenby.model import (
    AccessLevel,
    Condition,
    Dataset,
    DatasetKind,
    Edge,
    EdgeKind,
    Evaluation,
    Evidence,
    EvidenceKind,
    Principal,
    PrincipalKind,
    Provider,
    Reexposure,
)
from seenby.snapshot import new_snapshot

ACCOUNT = "111122223333"
BUCKET = "arn:aws:s3:::corp-data"
SNAPSHOT = new_snapshot([], scope={}, mode="test")


def role(name: str, account: str = ACCOUNT) -> Principal:
    return Principal(
        id=f"arn:aws:iam::{account}:role/{name}", kind=PrincipalKind.ROLE, provider=Provider.AWS, account=account
    )


def user(name: str, account: str = ACCOUNT) -> Principal:
    return Principal(
        id=f"arn:aws:iam::{account}:user/{name}", kind=PrincipalKind.USER, provider=Provider.AWS, account=account
    )


def group(name: str, account: str = ACCOUNT) -> Principal:
    return Principal(
        id=f"arn:aws:iam::{account}:group/{name}", kind=PrincipalKind.GROUP, provider=Provider.AWS, account=account
    )


def bucket(arn: str = BUCKET, account: str = ACCOUNT, **tags: str) -> Dataset:
    return Dataset(
        id=arn,
        kind=DatasetKind.S3_BUCKET,
        provider=Provider.AWS,
        name=arn.rsplit(":", 1)[1],
        account=account,
        tags=tags,
    )


def evidence(source: str = BUCKET, location: str = "Statement[0]", sid: str | None = None) -> Evidence:
    return Evidence(
        kind=EvidenceKind.RESOURCE_POLICY, source=source, location=location, sid=sid, excerpt={"Effect": "Allow"}
    )


def evaluation(*datasets: Dataset) -> Evaluation:
    ev = Evaluation()
    for d in datasets or (bucket(),):
        ev.datasets[d.id] = d
    return ev


def grant(
    ev: Evaluation,
    who: Principal,
    level: AccessLevel = AccessLevel.READ,
    dataset: str = BUCKET,
    conditions: tuple[Condition, ...] = (),
    location: str = "Statement[0]",
) -> None:
    from seenby.model import Grant

    ev.add_grant(
        Grant(
            principal=who, dataset=dataset, level=level, evidence=(evidence(dataset, location),), conditions=conditions
        )
    )


def edge(ev: Evaluation, source: Principal, target: Principal, kind: EdgeKind = EdgeKind.MEMBER_OF) -> None:
    ev.add_edge(Edge(source=source, target=target, kind=kind, evidence=(evidence(target.id, "membership"),)))


def reexpose(ev: Evaluation, via: str, dataset: str) -> None:
    ev.reexposures.append(Reexposure(via=via, dataset=dataset, evidence=(evidence(dataset, "access[2]"),)))


def rules(text: str) -> Rules:
    return parse_rules("version: 1\n" + text, source="rules.yaml")
