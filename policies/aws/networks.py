"""Which account owns each VPC and VPC endpoint the snapshot shows (``vpcs`` / ``vpc_endpoints`` account reads).

A policy that narrows a grant to ``aws:SourceVpce`` = ``vpce-…`` opens the data to the callers of
that endpoint (:mod:`.population`).  When the scan read the endpoint, its owner account and VPC
are known, so the audience is "account 111122223333's network" — declarable with ``aws-owner`` or
``aws-network-of:ACCOUNT`` — and a request through it carries the endpoint's ``aws:SourceVpc``,
``aws:VpceAccount`` and ``aws:SourceVpcArn``.  A network the snapshot does not show stays a network
of no known account (a broader audience): nothing unread is taken for the owner's.

Shapes: ``scanners/aws/ec2.py`` (DescribeVpcs, DescribeVpcEndpoints per region).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from seenby.registry import TypeName
from seenby.snapshot import Snapshot

__all__ = ["Endpoint", "NetworkDirectory", "Vpc", "load_networks"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Vpc:
    id: str
    account: str
    region: str

    def arn(self, partition: str = "aws") -> str:
        return f"arn:{partition}:ec2:{self.region}:{self.account}:vpc/{self.id}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Endpoint:
    id: str
    vpc: str | None
    account: str
    region: str


@dataclass(frozen=True, kw_only=True, slots=True)
class NetworkDirectory:
    """VPCs and VPC endpoints by id, each with its owner account."""

    vpcs: Mapping[str, Vpc] = field(default_factory=lambda: MappingProxyType({}))
    endpoints: Mapping[str, Endpoint] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "vpcs", MappingProxyType(dict(self.vpcs)))
        object.__setattr__(self, "endpoints", MappingProxyType(dict(self.endpoints)))


def _regions(document: Any, key: str) -> list[tuple[str, dict[str, Any]]]:
    regions = document.get("Regions") if isinstance(document, Mapping) else None
    if not isinstance(regions, Mapping):
        return []
    return [
        (str(region), item)
        for region, part in regions.items()
        if isinstance(part, Mapping)
        for item in part.get(key) or []
        if isinstance(item, dict)
    ]


def load_networks(snapshot: Snapshot) -> NetworkDirectory:
    """Every VPC and endpoint the snapshot's accounts read; the owner is the item's OwnerId, else the account
    that read it."""
    vpcs: dict[str, Vpc] = {}
    endpoints: dict[str, Endpoint] = {}
    for res in snapshot.of_type(TypeName.AWS_ACCOUNT):
        account = res.account or res.id
        for region, item in _regions(res.document("vpcs"), "Vpcs"):
            if item.get("VpcId"):
                vpcs[str(item["VpcId"])] = Vpc(id=str(item["VpcId"]), account=str(item.get("OwnerId") or account),
                                               region=region)  # fmt: skip
        for region, item in _regions(res.document("vpc_endpoints"), "VpcEndpoints"):
            if item.get("VpcEndpointId"):
                endpoints[str(item["VpcEndpointId"])] = Endpoint(
                    id=str(item["VpcEndpointId"]), vpc=str(item["VpcId"]) if item.get("VpcId") else None,
                    account=str(item.get("OwnerId") or account), region=region,
                )  # fmt: skip
    return NetworkDirectory(vpcs=vpcs, endpoints=endpoints)
