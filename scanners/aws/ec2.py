"""The account's networks: VPCs and VPC endpoints in every scanned region (account-level reads).

A bucket or table policy that narrows ``"*"`` to a VPC endpoint (``aws:SourceVpce``) or a VPC
(``aws:SourceVpc``) opens the data to the callers of that network.  Which account owns the
network decides whether that audience is the owner's own: these reads let the evaluator show
``vpce-…`` as "account 111122223333's network" (``policies/aws/networks.py``).

* ``vpcs``: DescribeVpcs of every region, ``{"Regions": {region: {"Vpcs": [...]}}}``
  (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcs.html);
* ``vpc_endpoints``: DescribeVpcEndpoints of every region, ``{"Regions": {region: {"VpcEndpoints": [...]}}}``
  (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcEndpoints.html).

A region whose call fails makes the read that failure (a coverage gap), while the regions that
answered are kept; an unknown network is never taken for the owner's (it stays a network of no
known account, a broader audience).
"""

from __future__ import annotations

from typing import Any

from seenby.registry import AwsAccountRead
from seenby.scanners.aws.calls import read
from seenby.scanners.aws.operation import Operation
from seenby.scanners.aws.service import AccountContext, ServiceScanner, first_failure, ok_read

__all__ = ["DESCRIBE_VPCS", "DESCRIBE_VPC_ENDPOINTS", "EC2_NETWORKS", "ENDPOINTS_READ", "VPCS_READ"]

VPCS_READ = AwsAccountRead.VPCS
ENDPOINTS_READ = AwsAccountRead.VPC_ENDPOINTS
DESCRIBE_VPCS = Operation(service="ec2", name="DescribeVpcs", iam_action="ec2:DescribeVpcs")
DESCRIBE_VPC_ENDPOINTS = Operation(service="ec2", name="DescribeVpcEndpoints", iam_action="ec2:DescribeVpcEndpoints")
_KEPT = {
    VPCS_READ: ("VpcId", "OwnerId", "CidrBlock", "IsDefault"),
    ENDPOINTS_READ: ("VpcEndpointId", "VpcId", "OwnerId", "ServiceName", "VpcEndpointType", "State"),
}


def _slim(kind: str, items: list[Any]) -> list[dict[str, Any]]:
    """Only what names a network and its owner (no policies, DNS names or tags)."""
    return [{k: item[k] for k in _KEPT[kind] if k in item} for item in items if isinstance(item, dict)]


def scan(ctx: AccountContext) -> None:
    """Describe the VPCs and VPC endpoints of every scanned region; record each as one account-level read."""
    for name, op, key in ((VPCS_READ, DESCRIBE_VPCS, "Vpcs"), (ENDPOINTS_READ, DESCRIBE_VPC_ENDPOINTS, "VpcEndpoints")):
        per_region = {region: read(ctx.clients.get("ec2", region), op) for region in ctx.regions}
        regions = {
            region: {key: _slim(name, r.document.get(key) or [])} for region, r in per_region.items() if r.ok
        }
        ctx.put(name, first_failure(per_region) or ok_read(op.api, {"Regions": regions}))


EC2_NETWORKS = ServiceScanner(
    name="ec2-networks",
    account_reads={VPCS_READ: DESCRIBE_VPCS.api, ENDPOINTS_READ: DESCRIBE_VPC_ENDPOINTS.api},
    operations=(DESCRIBE_VPCS, DESCRIBE_VPC_ENDPOINTS),
    scan=scan,
)
