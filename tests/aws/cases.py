"""The world the table-driven AWS case files share: ids, documentation pages, statement and policy builders.

Bucket ``b`` of account 111122223333, a member of organisation o-a1b2c3d4e5 (with 444455556666;
123456789012 is the management account); 999988887777 is outside it.  Expected audiences are
``{principal id: "sure" | "conditional"}``.
"""

from __future__ import annotations

from typing import Any

from seenby.model import EvidenceKind
from seenby.policies.aws.document import PolicyDocument, parse_policy

ACCT, OTHER, OUTSIDE, MGMT, ORG = "111122223333", "444455556666", "999988887777", "123456789012", "o-a1b2c3d4e5"
PUBLIC, AUTH, ORG_NODE, SERVICES = "aws:public", "aws:authenticated", f"aws-org:{ORG}", "aws:any-service"
ROOT, OTHER_ROOT, OUTSIDE_ROOT, MGMT_ROOT = (f"arn:aws:iam::{a}:root" for a in (ACCT, OTHER, OUTSIDE, MGMT))
BUCKET, OBJ = "arn:aws:s3:::b", "arn:aws:s3:::b/*"
SURE, COND = "sure", "conditional"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"

S3 = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
IAM = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
ORGS = "https://docs.aws.amazon.com/organizations/latest/userguide/"
PUBLIC_MEANING = S3 + "access-control-block-public-access.html#access-control-block-public-access-policy-status"
BPA_SETTINGS = S3 + "access-control-block-public-access.html#access-control-block-public-access-options"
LOGIC = IAM + "reference_policies_evaluation-logic.html"
CROSS = IAM + "reference_policies_evaluation-logic-cross-account.html"
PRINCIPAL = IAM + "reference_policies_elements_principal.html"
NOTPRINCIPAL = IAM + "reference_policies_elements_notprincipal.html"
OPERATORS = IAM + "reference_policies_elements_condition_operators.html"
KEYS = IAM + "reference_policies_condition-keys.html"
DENYALLOW = IAM + "reference_policies_evaluation-logic_policy-eval-denyallow.html"
KMS_VIA = "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service"


def S(effect: str = "Allow", principal: Any = "*", action: Any = "s3:GetObject", resource: Any = OBJ,
      condition: dict | None = None, not_principal: Any = None) -> dict:  # fmt: skip
    """One bucket-policy statement (``NotPrincipal`` instead of ``Principal`` when given)."""
    s: dict[str, Any] = {"Effect": effect, "Action": action, "Resource": resource}
    if not_principal is not None:
        s["NotPrincipal"] = not_principal
    else:
        s["Principal"] = principal
    if condition:
        s["Condition"] = condition
    return s


def bucket_policy(*statements: dict) -> PolicyDocument:
    """``statements`` as bucket ``b``'s parsed policy."""
    raw = {"Version": "2012-10-17", "Statement": list(statements)}
    return parse_policy(raw, source=BUCKET, kind=EvidenceKind.RESOURCE_POLICY, require_principal=True)
