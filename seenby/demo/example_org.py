"""The built-in example organisation: the employee-telemetry incident, as a snapshot.

``examples/telemetry-incident/build.py`` writes it to ``examples/telemetry-incident/snapshot.json``.
Deterministic: the same code writes the same file.  Every document has the shape
the provider's API returns (see docs/snapshot.md); the root rules.yaml declares the
audiences.  What each dataset is meant to show is in README.md beside this file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from seenby.demo.example_superset import RECORDED_URL, superset_resources
from seenby.model import ReadOutcome
from seenby.registry import TypeName
from seenby.snapshot import Read, Resource, Snapshot, new_snapshot

ORG_ID = "o-a1b2c3d4e5"
MGMT = "999988887777"
DATA = "111122223333"  # corp-data: the telemetry lake
ANALYTICS = "222233334444"  # corp-analytics
PARTNER = "444455556666"  # outside the organisation
REGION = "eu-west-1"
COLLECTED_AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
ENGINEERS = 1200
DOMAIN = "corp.example"
DOMAIN_USERS = 1500
GCP_ORG = "organizations/123456789012"
CANONICAL = {DATA: "a" * 64, ANALYTICS: "b" * 64}


def ok(api: str, document: Any) -> Read:
    return Read(outcome=ReadOutcome.OK, api=api, document=document)


def absent(api: str, code: str) -> Read:
    return Read(outcome=ReadOutcome.ABSENT, api=api, error_code=code)


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def iso(dt: datetime = COLLECTED_AT) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- AWS ---------------------------------------------------------------------------


def organization() -> Resource:
    accounts = [
        (MGMT, "corp-management", "r-ab12"),
        (DATA, "corp-data", "ou-ab12-data0001"),
        (ANALYTICS, "corp-analytics", "ou-ab12-data0001"),
    ]
    return Resource(
        type=TypeName.AWS_ORGANIZATION,
        id=ORG_ID,
        name="corp",
        account=MGMT,
        reads={
            "organization": ok(
                "organizations:DescribeOrganization",
                {
                    "Organization": {
                        "Id": ORG_ID,
                        "Arn": f"arn:aws:organizations::{MGMT}:organization/{ORG_ID}",
                        "FeatureSet": "ALL",
                        "MasterAccountId": MGMT,
                        "MasterAccountArn": f"arn:aws:organizations::{MGMT}:account/{ORG_ID}/{MGMT}",
                    }
                },
            ),
            "accounts": ok(
                "organizations:ListAccounts",
                {
                    "Accounts": [
                        {
                            "Id": acct,
                            "Arn": f"arn:aws:organizations::{MGMT}:account/{ORG_ID}/{acct}",
                            "Name": name,
                            "Email": f"aws+{name}@{DOMAIN}",
                            "Status": "ACTIVE",
                        }
                        for acct, name, _ in accounts
                    ]
                },
            ),
            "tree": ok(
                "organizations:ListParents",
                {
                    "Roots": [
                        {"Id": "r-ab12", "Arn": f"arn:aws:organizations::{MGMT}:root/{ORG_ID}/r-ab12", "Name": "Root"}
                    ],
                    "OrganizationalUnits": [
                        {
                            "Id": "ou-ab12-data0001",
                            "Arn": f"arn:aws:organizations::{MGMT}:ou/{ORG_ID}/ou-ab12-data0001",
                            "Name": "data",
                            "ParentId": "r-ab12",
                        }
                    ],
                    "AccountParents": {acct: parent for acct, _, parent in accounts},
                },
            ),
            "policies": ok(
                "organizations:ListPolicies",
                {
                    "Policies": [
                        {
                            "PolicySummary": {
                                "Id": "p-FullAWSAccess",
                                "Arn": "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
                                "Name": "FullAWSAccess",
                                "Type": "SERVICE_CONTROL_POLICY",
                                "AwsManaged": True,
                            },
                            "Content": json.dumps(policy({"Effect": "Allow", "Action": "*", "Resource": "*"})),
                            "Targets": [{"TargetId": "r-ab12", "Type": "ROOT"}],
                        }
                    ]
                },
            ),
        },
    )


def managed_policy(name: str, account: str, doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "PolicyName": name,
        "PolicyId": "ANPA" + name.upper().replace("-", "")[:17].ljust(17, "X"),
        "Arn": f"arn:aws:iam::{account}:policy/{name}",
        "Path": "/",
        "DefaultVersionId": "v1",
        "AttachmentCount": 1,
        "IsAttachable": True,
        "PolicyVersionList": [{"Document": doc, "VersionId": "v1", "IsDefaultVersion": True, "CreateDate": iso()}],
    }


def role(
    account: str,
    name: str,
    trust: dict[str, Any],
    inline: Iterable[tuple[str, dict[str, Any]]] = (),
    attached: Iterable[str] = (),
) -> dict[str, Any]:
    return {
        "Path": "/",
        "RoleName": name,
        "RoleId": "AROA" + name.upper().replace("-", "")[:17].ljust(17, "X"),
        "Arn": f"arn:aws:iam::{account}:role/{name}",
        "CreateDate": iso(),
        "AssumeRolePolicyDocument": trust,
        "InstanceProfileList": [],
        "RolePolicyList": [{"PolicyName": n, "PolicyDocument": d} for n, d in inline],
        "AttachedManagedPolicies": [
            {"PolicyName": a, "PolicyArn": f"arn:aws:iam::{account}:policy/{a}"} for a in attached
        ],
        "Tags": [],
        "RoleLastUsed": {},
    }


def org_access_role(account: str) -> dict[str, Any]:
    """The role AWS Organizations creates in every account it creates (no policies attached here)."""
    trust = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MGMT}:root"}, "Action": "sts:AssumeRole"})
    return role(account, "OrganizationAccountAccessRole", trust)


def data_account() -> Resource:
    telemetry_objects = "arn:aws:s3:::corp-employee-telemetry-*"
    users = [
        {
            "Path": "/engineering/",
            "UserName": f"eng-{i:04d}",
            "UserId": f"AIDA{i:017d}",
            "Arn": f"arn:aws:iam::{DATA}:user/engineering/eng-{i:04d}",
            "CreateDate": iso(),
            "UserPolicyList": [],
            "GroupList": ["engineering"],
            "AttachedManagedPolicies": [],
            "Tags": [],
        }
        for i in range(1, ENGINEERS + 1)
    ]
    groups = [
        {
            "Path": "/",
            "GroupName": "engineering",
            "GroupId": "AGPAENGINEERING00001",
            "Arn": f"arn:aws:iam::{DATA}:group/engineering",
            "CreateDate": iso(),
            "GroupPolicyList": [
                {
                    "PolicyName": "telemetry-debugging",
                    "PolicyDocument": policy(
                        {
                            "Sid": "DebugTelemetry",
                            "Effect": "Allow",
                            "Action": ["s3:GetObject", "s3:ListBucket"],
                            "Resource": [telemetry_objects, f"{telemetry_objects}/*"],
                        }
                    ),
                }
            ],
            "AttachedManagedPolicies": [],
        }
    ]
    training_read = policy(
        {
            "Sid": "ReadTelemetry",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [telemetry_objects, f"{telemetry_objects}/*"],
        },
        {
            "Sid": "DecryptCurated",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": f"arn:aws:kms:{REGION}:{DATA}:key/*",
        },
    )
    roles = [
        org_access_role(DATA),
        role(
            DATA,
            "ml-training",
            policy(
                {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ),
            attached=["ml-training-data-access"],
        ),
        role(
            DATA,
            "telemetry-reader",
            policy(
                {
                    "Sid": "AnyoneInTheOrganisation",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}},
                }
            ),
            inline=[
                (
                    "read-raw-telemetry",
                    policy(
                        {
                            "Sid": "ReadRawTelemetry",
                            "Effect": "Allow",
                            "Action": "s3:GetObject",
                            "Resource": [
                                "arn:aws:s3:::corp-employee-telemetry-raw/*",
                                "arn:aws:s3:::corp-employee-telemetry-screens/*",
                            ],
                        }
                    ),
                )
            ],
        ),
    ]
    open_policies = {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
                     "RestrictPublicBuckets": True}  # fmt: skip
    return aws_account(
        DATA, "corp-data", users=users, groups=groups, roles=roles,
        policies=[managed_policy("ml-training-data-access", DATA, training_read)], public_access_block=open_policies,
    )  # fmt: skip


def management_account() -> Resource:
    """The management account: no IAM users, only the role AWS Organizations makes, which nobody here may use
    to assume another role.  Its IAM is in the snapshot, as a scan of the organisation reads it (``scan aws
    --org``), so the organisation's trusts resolve to the principals that can actually assume them."""
    return aws_account(MGMT, "corp-management", roles=[org_access_role(MGMT)])


def analytics_account() -> Resource:
    return aws_account(
        ANALYTICS,
        "corp-analytics",
        roles=[
            org_access_role(ANALYTICS),
            role(
                ANALYTICS,
                "analyst",
                policy(
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ANALYTICS}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ),
                inline=[
                    (
                        "read-exports",
                        policy(
                            {
                                "Effect": "Allow",
                                "Action": ["s3:GetObject", "s3:ListBucket"],
                                "Resource": [
                                    "arn:aws:s3:::corp-analytics-exports",
                                    "arn:aws:s3:::corp-analytics-exports/*",
                                ],
                            }
                        ),
                    )
                ],
            ),
        ],
    )


def aws_account(
    account: str,
    name: str,
    *,
    users: Sequence[dict[str, Any]] = (),
    groups: Sequence[dict[str, Any]] = (),
    roles: Sequence[dict[str, Any]] = (),
    policies: Sequence[dict[str, Any]] = (),
    public_access_block: dict[str, bool] | None = None,
) -> Resource:
    """An account's reads: its IAM (GetAccountAuthorizationDetails) and its Block Public Access, absent unless given."""
    bpa = (
        ok("s3control:GetPublicAccessBlock", {"PublicAccessBlockConfiguration": public_access_block})
        if public_access_block is not None
        else absent("s3control:GetPublicAccessBlock", "NoSuchPublicAccessBlockConfiguration")
    )
    details = {"UserDetailList": list(users), "GroupDetailList": list(groups), "RoleDetailList": list(roles),
               "Policies": list(policies)}  # fmt: skip
    return Resource(
        type=TypeName.AWS_ACCOUNT, id=account, name=name, account=account,
        reads={"public_access_block": bpa, "authorization_details": ok("iam:GetAccountAuthorizationDetails", details)},
    )  # fmt: skip


def acl(owner_account: str, *extra: dict[str, Any]) -> dict[str, Any]:
    owner = {"DisplayName": f"corp-{owner_account}", "ID": CANONICAL[owner_account]}
    return {
        "Owner": owner,
        "Grants": [{"Grantee": {**owner, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}, *extra],
    }


def bucket(
    name: str,
    account: str,
    *,
    bucket_policy: dict[str, Any] | None = None,
    policy_read: Read | None = None,
    grants: Iterable[dict[str, Any]] = (),
    kms_key: str | None = None,
    tags: dict[str, str] | None = None,
    ownership: str = "BucketOwnerPreferred",
) -> Resource:
    if policy_read is None:
        policy_read = (
            ok("s3:GetBucketPolicy", {"Policy": json.dumps(bucket_policy)})
            if bucket_policy
            else absent("s3:GetBucketPolicy", "NoSuchBucketPolicy")
        )
    sse: dict[str, Any] = {"SSEAlgorithm": "AES256"}
    if kms_key:
        sse = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key}
    return Resource(
        type=TypeName.AWS_S3_BUCKET,
        id=f"arn:aws:s3:::{name}",
        name=name,
        account=account,
        region=REGION,
        reads={
            "location": ok("s3:GetBucketLocation", {"LocationConstraint": REGION}),
            "policy": policy_read,
            "acl": ok("s3:GetBucketAcl", acl(account, *grants)),
            "public_access_block": absent("s3:GetBucketPublicAccessBlock", "NoSuchPublicAccessBlockConfiguration"),
            "ownership_controls": ok(
                "s3:GetBucketOwnershipControls", {"OwnershipControls": {"Rules": [{"ObjectOwnership": ownership}]}}
            ),
            "encryption": ok(
                "s3:GetBucketEncryption",
                {
                    "ServerSideEncryptionConfiguration": {
                        "Rules": [{"ApplyServerSideEncryptionByDefault": sse, "BucketKeyEnabled": bool(kms_key)}]
                    }
                },
            ),
            "tags": ok("s3:GetBucketTagging", {"TagSet": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]})
            if tags
            else absent("s3:GetBucketTagging", "NoSuchTagSet"),
        },
    )


EVENTS = "corp-employee-telemetry-events"
EVENTS_REPLICA = "corp-analytics-telemetry-replica"


def replicated_events(tags: dict[str, str]) -> list[Resource]:
    """A telemetry bucket replicated, whole, into an analytics-account bucket the organisation reads (issue 20).

    The replica is undeclared: it inherits the source's declaration (docs/flows.md).
    Shape: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketReplication.html.
    """
    source = bucket(EVENTS, DATA, tags=tags)
    rule = {
        "ID": "events-to-analytics",
        "Priority": 1,
        "Filter": {"Prefix": ""},
        "Status": "Enabled",
        "DeleteMarkerReplication": {"Status": "Disabled"},
        "Destination": {
            "Bucket": f"arn:aws:s3:::{EVENTS_REPLICA}",
            "Account": ANALYTICS,
            "AccessControlTranslation": {"Owner": "Destination"},
        },
    }
    config = {"Role": f"arn:aws:iam::{DATA}:role/s3-replication", "Rules": [rule]}
    source = replace(
        source,
        reads={**source.reads, "replication": ok("s3:GetBucketReplication", {"ReplicationConfiguration": config})},
    )
    replica = bucket(EVENTS_REPLICA, ANALYTICS, bucket_policy=org_read_policy(EVENTS_REPLICA))
    return [source, replica]


def org_read_policy(name: str) -> dict[str, Any]:
    return policy(
        {
            "Sid": "OrgWideRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}},
        }
    )


CURATED_KEY = f"arn:aws:kms:{REGION}:{DATA}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def curated_key() -> Resource:
    key_policy = policy(
        {
            "Sid": "KeyAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{DATA}:root"},
            "Action": [
                "kms:Create*",
                "kms:Describe*",
                "kms:Enable*",
                "kms:List*",
                "kms:Put*",
                "kms:Update*",
                "kms:Revoke*",
                "kms:Disable*",
                "kms:Get*",
                "kms:Delete*",
                "kms:TagResource",
                "kms:UntagResource",
                "kms:ScheduleKeyDeletion",
                "kms:CancelKeyDeletion",
            ],
            "Resource": "*",
        },
        {
            "Sid": "TrainingDecrypt",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{DATA}:role/ml-training"},
            "Action": ["kms:Decrypt", "kms:DescribeKey"],
            "Resource": "*",
        },
    )
    return Resource(
        type=TypeName.AWS_KMS_KEY,
        id=CURATED_KEY,
        name="telemetry-curated",
        account=DATA,
        region=REGION,
        reads={
            "metadata": ok(
                "kms:DescribeKey",
                {
                    "KeyMetadata": {
                        "AWSAccountId": DATA,
                        "KeyId": CURATED_KEY.rsplit("/", 1)[1],
                        "Arn": CURATED_KEY,
                        "KeyManager": "CUSTOMER",
                        "KeyState": "Enabled",
                        "KeyUsage": "ENCRYPT_DECRYPT",
                        "KeySpec": "SYMMETRIC_DEFAULT",
                        "Enabled": True,
                    }
                },
            ),
            "policy": ok("kms:GetKeyPolicy", {"Policy": json.dumps(key_policy), "PolicyName": "default"}),
        },
    )


SESSIONS_TABLE = f"arn:aws:dynamodb:{REGION}:{DATA}:table/corp-telemetry-sessions"
QS = f"arn:aws:quicksight:{REGION}:{ANALYTICS}"
QS_NAMESPACE = f"{QS}:namespace/default"
QS_AUTHORS = f"{QS}:group/default/bi-authors"
QS_USERS = 40  # QuickSight readers of corp-analytics
PRODUCTIVITY = f"{QS}:dashboard/employee-productivity"
GLUE_TABLE = f"arn:aws:glue:{REGION}:{DATA}:table/telemetry/keystrokes_raw"


def sessions_table() -> Resource:
    """Session telemetry in DynamoDB, whose resource policy lets the partner account read it."""
    table_policy = policy(
        {
            "Sid": "PartnerReadSessions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"},
            "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"],
            "Resource": SESSIONS_TABLE,
        }
    )
    return Resource(
        type=TypeName.AWS_DYNAMODB_TABLE,
        id=SESSIONS_TABLE,
        name="corp-telemetry-sessions",
        account=DATA,
        region=REGION,
        reads={
            "description": ok(
                "dynamodb:DescribeTable",
                {
                    "Table": {
                        "TableName": "corp-telemetry-sessions",
                        "TableArn": SESSIONS_TABLE,
                        "TableStatus": "ACTIVE",
                        "KeySchema": [{"AttributeName": "session_id", "KeyType": "HASH"}],
                        "AttributeDefinitions": [{"AttributeName": "session_id", "AttributeType": "S"}],
                        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
                        "CreationDateTime": iso(),
                    }
                },
            ),
            "resource_policy": ok(
                "dynamodb:GetResourcePolicy", {"Policy": json.dumps(table_policy), "RevisionId": "1763629200000"}
            ),
            "tags": ok(
                "dynamodb:ListTagsOfResource",
                {"Tags": [{"Key": "classification", "Value": "employee-telemetry"}]},
            ),
        },
    )


def quicksight_users() -> list[str]:
    return [f"analyst-{i:02d}" for i in range(1, QS_USERS + 1)]


def quicksight_account() -> Resource:
    """corp-analytics' QuickSight directory: 40 readers, two of them in the bi-authors group."""
    users = [
        {
            "Arn": f"{QS}:user/default/{name}",
            "UserName": name,
            "Email": f"{name}@{DOMAIN}",
            "Role": "READER",
            "IdentityType": "QUICKSIGHT",
            "Active": True,
            "PrincipalId": f"federated/quicksight/{name}",
        }
        for name in quicksight_users()
    ]
    authors = quicksight_users()[:2]
    return Resource(
        type=TypeName.AWS_QUICKSIGHT_ACCOUNT,
        id=f"{QS}:account/{ANALYTICS}",
        name=f"QuickSight {ANALYTICS}",
        account=ANALYTICS,
        region=REGION,
        reads={
            "users": ok("quicksight:ListUsers", {"UserList": users}),
            "groups": ok(
                "quicksight:ListGroups",
                {"GroupList": [{"Arn": QS_AUTHORS, "GroupName": "bi-authors", "PrincipalId": "group/bi-authors"}]},
            ),
            "memberships": ok(
                "quicksight:ListGroupMemberships",
                {
                    "Groups": [
                        {
                            "GroupName": "bi-authors",
                            "GroupMemberList": [
                                {"Arn": f"{QS}:user/default/{name}", "MemberName": name} for name in authors
                            ],
                        }
                    ]
                },
            ),
            "account_settings": ok(
                "quicksight:DescribeAccountSettings",
                {
                    "AccountSettings": {
                        "AccountName": "corp-analytics",
                        "Edition": "ENTERPRISE",
                        "DefaultNamespace": "default",
                        "NotificationEmail": f"bi@{DOMAIN}",
                        "PublicSharingEnabled": False,
                    }
                },
            ),
        },
    )


def productivity_dashboard() -> Resource:
    """A dashboard shared by link with every QuickSight user, reading raw telemetry with its own credentials."""
    data_set = f"{QS}:dataset/keystroke-activity"
    source = f"{QS}:datasource/telemetry-raw"
    viewer = ["quicksight:DescribeDashboard", "quicksight:ListDashboardVersions", "quicksight:QueryDashboard"]
    owner = [
        *viewer,
        "quicksight:UpdateDashboard",
        "quicksight:DeleteDashboard",
        "quicksight:UpdateDashboardPermissions",
        "quicksight:DescribeDashboardPermissions",
        "quicksight:UpdateDashboardPublishedVersion",
    ]
    return Resource(
        type=TypeName.AWS_QUICKSIGHT_DASHBOARD,
        id=PRODUCTIVITY,
        name="Employee productivity",
        account=ANALYTICS,
        region=REGION,
        reads={
            "dashboard": ok(
                "quicksight:DescribeDashboard",
                {
                    "Dashboard": {
                        "DashboardId": "employee-productivity",
                        "Arn": PRODUCTIVITY,
                        "Name": "Employee productivity",
                        "Version": {"VersionNumber": 1, "Status": "CREATION_SUCCESSFUL", "DataSetArns": [data_set]},
                    }
                },
            ),
            "permissions": ok(
                "quicksight:DescribeDashboardPermissions",
                {
                    "DashboardId": "employee-productivity",
                    "DashboardArn": PRODUCTIVITY,
                    "Permissions": [{"Principal": QS_AUTHORS, "Actions": owner}],
                    "LinkSharingConfiguration": {"Permissions": [{"Principal": QS_NAMESPACE, "Actions": viewer}]},
                },
            ),
            "data_sets": ok(
                "quicksight:DescribeDataSet",
                {
                    "DataSets": [
                        {
                            "Arn": data_set,
                            "DataSetId": "keystroke-activity",
                            "Name": "keystroke activity",
                            "ImportMode": "DIRECT_QUERY",
                            "PhysicalTableMap": {
                                "keystrokes": {"S3Source": {"DataSourceArn": source, "InputColumns": []}}
                            },
                        }
                    ]
                },
            ),
            "data_sources": ok(
                "quicksight:DescribeDataSource",
                {
                    "DataSources": [
                        {
                            "Arn": source,
                            "DataSourceId": "telemetry-raw",
                            "Name": "telemetry raw",
                            "Type": "S3",
                            "DataSourceParameters": {
                                "S3Parameters": {
                                    "ManifestFileLocation": {
                                        "Bucket": "corp-employee-telemetry-raw",
                                        "Key": "quicksight/manifest.json",
                                    }
                                }
                            },
                        }
                    ]
                },
            ),
        },
    )


def glue_catalog() -> Resource:
    """corp-data's catalog: a table over the raw bucket's keystrokes, under IAM access control (the default)."""
    return Resource(
        type=TypeName.AWS_GLUE_CATALOG,
        id=f"arn:aws:glue:{REGION}:{DATA}:catalog",
        name=f"Glue Data Catalog {DATA} {REGION}",
        account=DATA,
        region=REGION,
        reads={
            "resource_policy": absent("glue:GetResourcePolicy", "EntityNotFoundException"),
            "databases": ok("glue:GetDatabases", {"DatabaseList": [{"Name": "telemetry", "CatalogId": DATA}]}),
            "tables": ok(
                "glue:GetTables",
                {
                    "TableList": [
                        {
                            "Name": "keystrokes_raw",
                            "DatabaseName": "telemetry",
                            "CatalogId": DATA,
                            "TableType": "EXTERNAL_TABLE",
                            "StorageDescriptor": {
                                "Columns": [
                                    {"Name": "user_email", "Type": "string"},
                                    {"Name": "ts", "Type": "timestamp"},
                                    {"Name": "keys", "Type": "string"},
                                ],
                                "Location": "s3://corp-employee-telemetry-raw/keystrokes/",
                            },
                        }
                    ]
                },
            ),
        },
    )


def lake_formation() -> Resource:
    """corp-data's Lake Formation: the defaults, so IAM_ALLOWED_PRINCIPALS holds ALL on the table."""
    iam_only = [{"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}]
    return Resource(
        type=TypeName.AWS_LAKEFORMATION,
        id=f"arn:aws:lakeformation:{REGION}:{DATA}:settings",
        name=f"Lake Formation {DATA} {REGION}",
        account=DATA,
        region=REGION,
        reads={
            "settings": ok(
                "lakeformation:GetDataLakeSettings",
                {
                    "DataLakeSettings": {
                        "DataLakeAdmins": [],
                        "CreateDatabaseDefaultPermissions": iam_only,
                        "CreateTableDefaultPermissions": iam_only,
                    }
                },
            ),
            "permissions": ok(
                "lakeformation:ListPermissions",
                {
                    "PrincipalResourcePermissions": [
                        {
                            "Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"},
                            "Resource": {
                                "Table": {"CatalogId": DATA, "DatabaseName": "telemetry", "Name": "keystrokes_raw"}
                            },
                            "Permissions": ["ALL"],
                            "PermissionsWithGrantOption": [],
                        }
                    ]
                },
            ),
            "resources": ok("lakeformation:ListResources", {"ResourceInfoList": []}),
        },
    )


def aws_resources() -> list[Resource]:
    telemetry_tags = {"classification": "employee-telemetry", "owner": "ml-platform"}
    return [
        organization(),
        management_account(),
        data_account(),
        analytics_account(),
        curated_key(),
        # Keystrokes and mouse movements: readable by the whole organisation (the incident).
        bucket(
            "corp-employee-telemetry-raw",
            DATA,
            bucket_policy=org_read_policy("corp-employee-telemetry-raw"),
            tags=telemetry_tags,
        ),
        # Screen captures: no bucket policy, but a role anyone in the organisation may assume reads it.
        bucket("corp-employee-telemetry-screens", DATA, tags=telemetry_tags),
        # Same organisation-wide policy, but SSE-KMS with a key only the training role may use.
        bucket(
            "corp-employee-telemetry-curated",
            DATA,
            bucket_policy=org_read_policy("corp-employee-telemetry-curated"),
            kms_key=CURATED_KEY,
            tags=telemetry_tags,
        ),
        # A public bucket policy, neutralised by the account's RestrictPublicBuckets.
        bucket(
            "corp-press-kit",
            DATA,
            bucket_policy=policy(
                {
                    "Sid": "PublicRead",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::corp-press-kit/*",
                }
            ),
        ),
        # Exports: ACL READ for every authenticated AWS user, no Block Public Access anywhere,
        # and a partner account covered by a waiver.
        bucket(
            "corp-analytics-exports",
            ANALYTICS,
            grants=[
                {
                    "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},
                    "Permission": "READ",
                }
            ],
            bucket_policy=policy(
                {
                    "Sid": "PartnerReadExports",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"},
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::corp-analytics-exports/*",
                }
            ),
        ),
        # A bucket whose policy the scanner was not allowed to read: a coverage gap, not "no policy".
        bucket(
            "corp-legacy-archive",
            ANALYTICS,
            policy_read=Read(
                outcome=ReadOutcome.DENIED,
                api="s3:GetBucketPolicy",
                error_code="AccessDenied",
                message="User is not authorized to perform: s3:GetBucketPolicy",
            ),
        ),
        # Telemetry events: no bucket policy at all, but replicated (issue 20) into corp-analytics,
        # where the replica is readable by the whole organisation: the events leak through their copy.
        *replicated_events(telemetry_tags),
        # Session telemetry in DynamoDB: its resource policy lets the partner account read it.
        sessions_table(),
        # A dashboard every QuickSight user of corp-analytics can open by link, querying raw telemetry
        # with its data source's credentials: it re-exposes the raw bucket.
        quicksight_account(),
        productivity_dashboard(),
        # A Glue table over the raw bucket: the bucket's readers read the table.
        glue_catalog(),
        lake_formation(),
    ]


# --- Google Cloud --------------------------------------------------------------------


def gcp_node(
    type_: str,
    id_: str,
    parent: str | None,
    metadata: dict[str, Any],
    bindings: list[dict[str, Any]],
    org_policies: list[dict[str, Any]] | None = None,
) -> Resource:
    service = {
        TypeName.GCP_ORGANIZATION: "organizations", TypeName.GCP_FOLDER: "folders", TypeName.GCP_PROJECT: "projects"
    }[type_]  # fmt: skip
    reads = {
        "metadata": ok(f"cloudresourcemanager.{service}.get", metadata),
        "iam_policy": ok(
            f"cloudresourcemanager.{service}.getIamPolicy", {"version": 3, "bindings": bindings, "etag": "BwX1"}
        ),
    }
    if org_policies is not None:
        reads["org_policies"] = ok("orgpolicy.policies.list", {"policies": org_policies})
    return Resource(type=type_, id=id_, name=metadata.get("displayName") or id_, parent=parent, reads=reads)


def gcs_bucket(
    name: str,
    project: str,
    *,
    bindings: list[dict[str, Any]],
    pap: str,
    uniform: bool = True,
    labels: dict[str, str] | None = None,
) -> Resource:
    return Resource(
        type=TypeName.GCP_STORAGE_BUCKET,
        id=f"gs://{name}",
        name=name,
        account=project,
        region="EU",
        parent=f"projects/{project}",
        reads={
            "metadata": ok(
                "storage.buckets.get",
                {
                    "kind": "storage#bucket",
                    "id": name,
                    "name": name,
                    "projectNumber": "400000000001",
                    "location": "EU",
                    "storageClass": "STANDARD",
                    "labels": labels or {},
                    "iamConfiguration": {
                        "uniformBucketLevelAccess": {"enabled": uniform},
                        "publicAccessPrevention": pap,
                    },
                },
            ),
            "iam_policy": ok(
                "storage.buckets.getIamPolicy",
                {
                    "kind": "storage#policy",
                    "resourceId": f"projects/_/buckets/{name}",
                    "version": 3,
                    "bindings": bindings,
                    "etag": "CAE=",
                },
            ),
        },
    )


def bq_dataset(
    project: str, dataset: str, access: list[dict[str, Any]], labels: dict[str, str] | None = None
) -> Resource:
    return Resource(
        type=TypeName.GCP_BIGQUERY_DATASET,
        id=f"bigquery://{project}.{dataset}",
        name=f"{project}.{dataset}",
        account=project,
        region="EU",
        parent=f"projects/{project}",
        reads={
            "metadata": ok(
                "bigquery.datasets.get",
                {
                    "kind": "bigquery#dataset",
                    "id": f"{project}:{dataset}",
                    "datasetReference": {"projectId": project, "datasetId": dataset},
                    "location": "EU",
                    "labels": labels or {},
                    "access": access,
                },
            )
        },
    )


def gcp_resources() -> list[Resource]:
    project = "corp-telemetry"
    groups = {
        "ml-team@corp.example": [f"ml-{i}@{DOMAIN}" for i in range(1, 6)],
        "all-employees@corp.example": [f"employee-{i:04d}@{DOMAIN}" for i in range(1, DOMAIN_USERS + 1)],
        "web-team@corp.example": [f"web-{i}@{DOMAIN}" for i in range(1, 4)],
    }
    group_resources = [
        Resource(
            type=TypeName.GCP_GROUP,
            id=email,
            name=email,
            reads={
                "memberships": ok(
                    "cloudidentity.groups.memberships.list",
                    {
                        "memberships": [
                            {"preferredMemberKey": {"id": m}, "roles": [{"name": "MEMBER"}], "type": "USER"}
                            for m in members
                        ]
                    },
                )
            },
        )
        for email, members in groups.items()
    ]
    telemetry_labels = {"classification": "employee-telemetry"}
    return [
        gcp_node(
            TypeName.GCP_ORGANIZATION,
            GCP_ORG,
            None,
            {"name": GCP_ORG, "displayName": DOMAIN, "directoryCustomerId": "C0abc123"},
            [{"role": "roles/resourcemanager.organizationAdmin", "members": [f"group:gcp-admins@{DOMAIN}"]}],
            org_policies=[],
        ),
        gcp_node(
            TypeName.GCP_FOLDER,
            "folders/222222222222",
            GCP_ORG,
            {"name": "folders/222222222222", "displayName": "data", "parent": GCP_ORG},
            [],
            org_policies=[],
        ),
        gcp_node(
            TypeName.GCP_PROJECT,
            f"projects/{project}",
            "folders/222222222222",
            {
                "name": "projects/400000000001",
                "projectId": project,
                "parent": "folders/222222222222",
                "displayName": project,
            },
            [{"role": "roles/owner", "members": [f"user:data-platform-admin@{DOMAIN}"]}],
            org_policies=[],
        ),
        gcp_node(
            TypeName.GCP_PROJECT,
            "projects/corp-web",
            GCP_ORG,
            {"name": "projects/400000000002", "projectId": "corp-web", "parent": GCP_ORG, "displayName": "corp-web"},
            [{"role": "roles/owner", "members": [f"user:web-admin@{DOMAIN}"]}],
            org_policies=[],
        ),
        # Keystrokes readable by every account of the Workspace domain.
        gcs_bucket(
            "corp-keystrokes",
            project,
            pap="inherited",
            labels=telemetry_labels,
            bindings=[
                {"role": "roles/storage.objectViewer", "members": [f"domain:{DOMAIN}"]},
                {"role": "roles/storage.objectViewer", "members": [f"group:ml-team@{DOMAIN}"]},
            ],
        ),
        # allUsers granted, but public access prevention is enforced on the bucket.
        gcs_bucket(
            "corp-public-site-assets",
            "corp-web",
            pap="enforced",
            bindings=[{"role": "roles/storage.objectViewer", "members": ["allUsers", f"group:web-team@{DOMAIN}"]}],
        ),
        # Raw BigQuery telemetry restricted to the ML team, with an authorized view in a dataset
        # every employee can read: the view re-exposes the raw data.
        bq_dataset(
            project,
            "ml_raw",
            labels=telemetry_labels,
            access=[
                {"role": "OWNER", "specialGroup": "projectOwners"},
                {"role": "READER", "groupByEmail": f"ml-team@{DOMAIN}"},
                {"view": {"projectId": project, "datasetId": "shared_reporting", "tableId": "daily_activity"}},
            ],
        ),
        bq_dataset(
            project,
            "shared_reporting",
            access=[
                {"role": "OWNER", "specialGroup": "projectOwners"},
                {"role": "READER", "groupByEmail": f"all-employees@{DOMAIN}"},
            ],
        ),
        Resource(
            type=TypeName.GCP_BIGQUERY_TABLE,
            id=f"bigquery://{project}.shared_reporting.daily_activity",
            name=f"{project}.shared_reporting.daily_activity",
            account=project,
            region="EU",
            parent=f"bigquery://{project}.shared_reporting",
            reads={
                "metadata": ok(
                    "bigquery.tables.get",
                    {
                        "kind": "bigquery#table",
                        "id": f"{project}:shared_reporting.daily_activity",
                        "tableReference": {
                            "projectId": project,
                            "datasetId": "shared_reporting",
                            "tableId": "daily_activity",
                        },
                        "type": "VIEW",
                        "view": {
                            "query": (
                                f"SELECT user_email, DATE(ts) AS day, COUNT(*) AS keystrokes "
                                f"FROM `{project}.ml_raw.keystrokes` GROUP BY 1, 2"
                            ),
                            "useLegacySql": False,
                        },
                    },
                ),
                "iam_policy": ok("bigquery.tables.getIamPolicy", {"version": 1, "bindings": [], "etag": "ACAB"}),
            },
        ),
        *group_resources,
        Resource(
            type=TypeName.GCP_DOMAIN,
            id=DOMAIN,
            name=DOMAIN,
            reads={
                "users": ok(
                    "admin.directory.users.list",
                    {"users": [{"primaryEmail": f"employee-{i:04d}@{DOMAIN}"} for i in range(1, DOMAIN_USERS + 1)]},
                )
            },
        ),
    ]


def build() -> Snapshot:
    return new_snapshot(
        # the BI server (Apache Superset) that re-exposes the raw keystrokes: seenby/demo/example_superset.py
        [*aws_resources(), *gcp_resources(), *superset_resources()],
        scope={
            "aws_accounts": [MGMT, DATA, ANALYTICS],
            "aws_organization": ORG_ID,
            "regions": [REGION],
            "gcp_projects": ["corp-telemetry", "corp-web"],
            "gcp_organization": GCP_ORG,
            "superset_urls": [RECORDED_URL],
        },
        mode="example",
        identity=f"arn:aws:iam::{MGMT}:role/seenby-auditor",
        collected_at=COLLECTED_AT,
    )
