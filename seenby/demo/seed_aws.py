"""Seed a local AWS endpoint (moto) with the AWS half of a snapshot: the demo's organisation.

This is the one place in seenby that *writes* to an AWS API, and only ever to the
loopback endpoint the demo started.  It replays each document of the example
snapshot through the API that creates it (CreateBucket, PutBucketPolicy, CreateUser,
…), so the demo's scan reads them back through the same code path as a real scan.

moto invents organisation, root, OU and account ids at random; the example's rules
name fixed ids, so :func:`_pinned_org_ids` makes moto hand out the example's ids
while the organisation is created.  moto's server runs in this process, so that
is possible; it touches nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.config import Config

from seenby.registry import TypeName
from seenby.snapshot import Resource, Snapshot

__all__ = ["DEMO_REGION", "REPLAYED", "account_session", "replay_recorded", "seed_aws"]

DEMO_REGION = "eu-west-1"
_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, max_pool_connections=32)
_DEMO_KEY = {"aws_access_key_id": "AKIASEENBYDEMO000000", "aws_secret_access_key": "seenby-demo-not-a-secret"}


def account_session(endpoint: str, account: str) -> boto3.Session:
    """A session acting in ``account`` on the local endpoint (moto maps assumed-role credentials to accounts)."""
    base = boto3.Session(region_name=DEMO_REGION, **_DEMO_KEY)
    sts = base.client("sts", endpoint_url=endpoint, config=_CLIENT_CONFIG)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/seenby-demo-seeder", RoleSessionName="seed")[
        "Credentials"
    ]
    return boto3.Session(
        region_name=DEMO_REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def _strip_account_host_prefix(request: Any, **_: Any) -> None:
    """s3control prefixes the host with the account id; the local endpoint does not answer there."""
    url = request.url
    scheme, _, rest = url.partition("://")
    host, _, path = rest.partition("/")
    first, _, remainder = host.partition(".")
    if first.isdigit() and len(first) == 12 and remainder:
        request.url = f"{scheme}://{remainder}/{path}"


@contextmanager
def _pinned_org_ids(org_id: str, root_id: str, ou_ids: list[str], account_ids: list[str]) -> Iterator[None]:
    from moto.organizations import utils

    saved = (utils.make_random_org_id, utils.make_random_root_id, utils.make_random_ou_id, utils.make_random_account_id)
    # moto builds the root as an OU and the management account as an account, each taking an id
    # before it is overwritten: the sequences start with those two.
    ous = iter([f"ou-{root_id[2:]}-root0000", *ou_ids])
    accounts = iter(account_ids)
    utils.make_random_org_id = lambda: org_id
    utils.make_random_root_id = lambda: root_id
    utils.make_random_ou_id = lambda root: next(ous, None) or saved[2](root)
    utils.make_random_account_id = lambda: next(accounts, None) or saved[3]()
    try:
        yield
    finally:
        utils.make_random_org_id, utils.make_random_root_id, utils.make_random_ou_id, utils.make_random_account_id = (
            saved
        )


def _seed_organization(endpoint: str, org: Resource) -> None:
    description = org.document("organization")["Organization"]
    management = description["MasterAccountId"]
    tree = org.document("tree")
    members = [a for a in org.document("accounts")["Accounts"] if a["Id"] != management]
    ous = tree["OrganizationalUnits"]
    client = account_session(endpoint, management).client("organizations", endpoint_url=endpoint)
    pinned_accounts = [management, *(a["Id"] for a in members)]
    with _pinned_org_ids(org.id, tree["Roots"][0]["Id"], [ou["Id"] for ou in ous], pinned_accounts):
        client.create_organization(FeatureSet=description.get("FeatureSet", "ALL"))
        root = client.list_roots()["Roots"][0]["Id"]
        for ou in ous:
            parent = root if ou["ParentId"] == tree["Roots"][0]["Id"] else ou["ParentId"]
            client.create_organizational_unit(ParentId=parent, Name=ou["Name"])
        for account in members:
            client.create_account(AccountName=account["Name"], Email=account["Email"])
    for account in members:
        parent = tree["AccountParents"].get(account["Id"], root)
        if parent != tree["Roots"][0]["Id"]:
            client.move_account(AccountId=account["Id"], SourceParentId=root, DestinationParentId=parent)


# GAAD's entity lists -> (name key, inline policy list, put-policy call, attach call).
_IAM_ENTITY_CALLS = {
    "group": ("GroupName", "GroupPolicyList", "put_group_policy", "attach_group_policy"),
    "role": ("RoleName", "RolePolicyList", "put_role_policy", "attach_role_policy"),
    "user": ("UserName", "UserPolicyList", "put_user_policy", "attach_user_policy"),
}


def _seed_entity_policies(iam: Any, kind: str, entity: dict[str, Any]) -> None:
    """Put an IAM entity's inline policies and attach its managed ones, as GAAD lists them."""
    name_key, inline_key, put, attach = _IAM_ENTITY_CALLS[kind]
    name = {name_key: entity[name_key]}
    for inline in entity.get(inline_key, []):
        getattr(iam, put)(**name, PolicyName=inline["PolicyName"], PolicyDocument=json.dumps(inline["PolicyDocument"]))
    for attached in entity.get("AttachedManagedPolicies", []):
        getattr(iam, attach)(**name, PolicyArn=attached["PolicyArn"])


def _seed_account(endpoint: str, account: Resource) -> None:
    session = account_session(endpoint, account.id)
    bpa = account.document("public_access_block")
    if bpa is not None:
        s3control = session.client("s3control", endpoint_url=endpoint, config=_CLIENT_CONFIG)
        s3control.meta.events.register("before-send.s3-control.*", _strip_account_host_prefix)
        s3control.put_public_access_block(
            AccountId=account.id, PublicAccessBlockConfiguration=bpa["PublicAccessBlockConfiguration"]
        )
    details = account.document("authorization_details")
    if details is None:
        return
    iam = session.client("iam", endpoint_url=endpoint, config=_CLIENT_CONFIG)
    for policy in details.get("Policies", []):
        default = next(v for v in policy["PolicyVersionList"] if v["IsDefaultVersion"])
        iam.create_policy(
            PolicyName=policy["PolicyName"],
            Path=policy.get("Path", "/"),
            PolicyDocument=json.dumps(default["Document"]),
        )
    for group in details.get("GroupDetailList", []):
        iam.create_group(GroupName=group["GroupName"], Path=group.get("Path", "/"))
        _seed_entity_policies(iam, "group", group)
    for role in details.get("RoleDetailList", []):
        trust = json.dumps(role["AssumeRolePolicyDocument"])
        try:
            iam.create_role(RoleName=role["RoleName"], Path=role.get("Path", "/"), AssumeRolePolicyDocument=trust)
        except iam.exceptions.EntityAlreadyExistsException:
            # Organizations already made it (OrganizationAccountAccessRole): give it the example's trust.
            iam.update_assume_role_policy(RoleName=role["RoleName"], PolicyDocument=trust)
        _seed_entity_policies(iam, "role", role)

    def seed_user(user: dict[str, Any]) -> None:
        iam.create_user(UserName=user["UserName"], Path=user.get("Path", "/"))
        for group_name in user.get("GroupList", []):
            iam.add_user_to_group(GroupName=group_name, UserName=user["UserName"])
        _seed_entity_policies(iam, "user", user)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(seed_user, details.get("UserDetailList", [])))


def _seed_key(endpoint: str, key: Resource) -> str:
    """Create the key with its policy; return the new key's ARN (moto chooses key ids)."""
    kms = account_session(endpoint, key.account or "").client("kms", endpoint_url=endpoint, region_name=key.region)
    policy = key.document("policy")
    created = kms.create_key(Policy=policy["Policy"] if policy else "", Description=key.name or "")["KeyMetadata"]
    return created["Arn"]


_ACL_PERMISSION_ARGS = {
    "READ": "GrantRead",
    "WRITE": "GrantWrite",
    "READ_ACP": "GrantReadACP",
    "WRITE_ACP": "GrantWriteACP",
    "FULL_CONTROL": "GrantFullControl",
}


def _grantee_header(grantee: dict[str, Any]) -> str:
    if grantee.get("Type") == "Group":
        return f'uri="{grantee["URI"]}"'
    if grantee.get("Type") == "AmazonCustomerByEmail":
        return f'emailAddress="{grantee["EmailAddress"]}"'
    return f'id="{grantee["ID"]}"'


def _seed_bucket(endpoint: str, bucket: Resource, key_arns: dict[str, str]) -> None:
    session = account_session(endpoint, bucket.account or "")
    s3 = session.client("s3", endpoint_url=endpoint, region_name=bucket.region, config=_CLIENT_CONFIG)
    name = bucket.name or bucket.id.rsplit(":", 1)[1]
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": bucket.region or DEMO_REGION})
    owner_id = bucket.document("acl")["Owner"]["ID"] if bucket.document("acl") else None
    endpoint_owner = s3.get_bucket_acl(Bucket=name)["Owner"]["ID"]
    writes: list[Callable[[], Any]] = []
    if (policy := bucket.document("policy")) is not None:
        writes.append(lambda: s3.put_bucket_policy(Bucket=name, Policy=policy["Policy"]))
    if (acl := bucket.document("acl")) is not None:
        extra: dict[str, list[str]] = {}
        for grant in acl["Grants"]:
            grantee = grant["Grantee"]
            if grantee.get("Type") == "CanonicalUser" and grantee.get("ID") == owner_id:
                grantee = {"Type": "CanonicalUser", "ID": endpoint_owner}  # the endpoint's id for the owner
            extra.setdefault(_ACL_PERMISSION_ARGS[grant["Permission"]], []).append(_grantee_header(grantee))
        if extra:
            args = {k: ", ".join(v) for k, v in extra.items()}
            writes.append(lambda: s3.put_bucket_acl(Bucket=name, **args))
    if (ownership := bucket.document("ownership_controls")) is not None:
        writes.append(
            lambda: s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=ownership["OwnershipControls"])
        )
    if (bpa := bucket.document("public_access_block")) is not None:
        writes.append(
            lambda: s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=bpa["PublicAccessBlockConfiguration"]
            )
        )
    if (encryption := bucket.document("encryption")) is not None:
        config = json.loads(json.dumps(encryption["ServerSideEncryptionConfiguration"]))
        for rule in config["Rules"]:
            default = rule.get("ApplyServerSideEncryptionByDefault", {})
            if "KMSMasterKeyID" in default:
                default["KMSMasterKeyID"] = key_arns.get(default["KMSMasterKeyID"], default["KMSMasterKeyID"])
        writes.append(lambda: s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=config))
    if (tags := bucket.document("tags")) is not None:
        writes.append(lambda: s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags["TagSet"]}))
    if (replication := bucket.document("replication")) is not None:
        writes.append(lambda: _seed_replication(s3, name, replication["ReplicationConfiguration"]))
    for write in writes:
        write()


def _seed_replication(s3: Any, name: str, config: dict[str, Any]) -> None:
    """Replication needs versioning on the source (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketReplication.html)."""
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(Bucket=name, ReplicationConfiguration=config)


def _client(endpoint: str, res: Resource, service: str) -> Any:
    """A client acting in ``res``'s account and region on the local endpoint."""
    session = account_session(endpoint, res.account or "")
    return session.client(service, endpoint_url=endpoint, region_name=res.region, config=_CLIENT_CONFIG)


def _seed_table(endpoint: str, table: Resource) -> None:
    ddb = account_session(endpoint, table.account or "").client(
        "dynamodb", endpoint_url=endpoint, region_name=table.region, config=_CLIENT_CONFIG
    )
    described = (table.document("description") or {}).get("Table") or {}
    tags = (table.document("tags") or {}).get("Tags") or []
    ddb.create_table(
        TableName=table.name or table.id.rsplit("/", 1)[-1],
        KeySchema=described["KeySchema"],
        AttributeDefinitions=described["AttributeDefinitions"],
        BillingMode="PAY_PER_REQUEST",
        **({"Tags": tags} if tags else {}),
    )
    if (doc := table.document("resource_policy")) is not None:
        ddb.put_resource_policy(ResourceArn=table.id, Policy=doc["Policy"])


def _seed_quicksight_account(endpoint: str, res: Resource) -> None:
    qs = _client(endpoint, res, "quicksight")
    args = {"AwsAccountId": res.account, "Namespace": "default"}
    for user in (res.document("users") or {}).get("UserList") or []:
        qs.register_user(IdentityType=user.get("IdentityType", "QUICKSIGHT"), UserRole=user.get("Role", "READER"),
                         Email=user.get("Email", ""), UserName=user["UserName"], **args)  # fmt: skip
    for group in (res.document("groups") or {}).get("GroupList") or []:
        qs.create_group(GroupName=group["GroupName"], **args)
    for entry in (res.document("memberships") or {}).get("Groups") or []:
        for member in entry["GroupMemberList"]:
            qs.create_group_membership(GroupName=entry["GroupName"], MemberName=member["MemberName"], **args)


def _seed_dashboard(endpoint: str, res: Resource) -> None:
    qs = _client(endpoint, res, "quicksight")
    dashboard = (res.document("dashboard") or {}).get("Dashboard") or {}
    data_sets = (dashboard.get("Version") or {}).get("DataSetArns") or []
    template = res.id.replace(":dashboard/", ":template/")
    qs.create_dashboard(
        AwsAccountId=res.account, DashboardId=res.id.rsplit("/", 1)[-1], Name=dashboard.get("Name") or res.name,
        SourceEntity={"SourceTemplate": {"Arn": template, "DataSetReferences": [
            {"DataSetPlaceholder": f"ds{i}", "DataSetArn": arn} for i, arn in enumerate(data_sets)]}},
    )  # fmt: skip


def _seed_catalog(endpoint: str, catalog: Resource) -> None:
    glue = account_session(endpoint, catalog.account or "").client(
        "glue", endpoint_url=endpoint, region_name=catalog.region, config=_CLIENT_CONFIG
    )
    for database in (catalog.document("databases") or {}).get("DatabaseList") or []:
        glue.create_database(DatabaseInput={"Name": database["Name"]})
    for table in (catalog.document("tables") or {}).get("TableList") or []:
        keep = ("Name", "StorageDescriptor", "TableType", "Parameters", "PartitionKeys", "Description")
        glue.create_table(DatabaseName=table["DatabaseName"], TableInput={k: table[k] for k in keep if k in table})
    if (policy := catalog.document("resource_policy")) is not None and policy.get("PolicyInJson"):
        glue.put_resource_policy(PolicyInJson=policy["PolicyInJson"])


def _seed_lake_formation(endpoint: str, res: Resource) -> None:
    lf = account_session(endpoint, res.account or "").client(
        "lakeformation", endpoint_url=endpoint, region_name=res.region, config=_CLIENT_CONFIG
    )
    if (settings := res.document("settings")) is not None:
        lf.put_data_lake_settings(DataLakeSettings=settings["DataLakeSettings"])
    for entry in (res.document("permissions") or {}).get("PrincipalResourcePermissions") or []:
        lf.grant_permissions(Principal=entry["Principal"], Resource=entry["Resource"], Permissions=entry["Permissions"],
                             PermissionsWithGrantOption=entry.get("PermissionsWithGrantOption") or [])  # fmt: skip
    for info in (res.document("resources") or {}).get("ResourceInfoList") or []:
        lf.register_resource(ResourceArn=info["ResourceArn"], RoleArn=info.get("RoleArn", ""))


_SEEDERS: tuple[tuple[str, Callable[[str, Resource], None]], ...] = (
    (TypeName.AWS_DYNAMODB_TABLE, _seed_table),
    (TypeName.AWS_QUICKSIGHT_ACCOUNT, _seed_quicksight_account),
    (TypeName.AWS_QUICKSIGHT_DASHBOARD, _seed_dashboard),
    (TypeName.AWS_GLUE_CATALOG, _seed_catalog),
    (TypeName.AWS_LAKEFORMATION, _seed_lake_formation),
)


# --- recorded answers for what the local endpoint lacks -------------------------------------


@dataclass(frozen=True, kw_only=True)
class Replayed:
    """An operation the local endpoint cannot answer as AWS does, answered from a read the example records.

    The request parameter ``parameter`` names the resource: the last segment of the resource's id
    when ``items`` is None (the read's document is the answer), else the ``key`` of one entry of the
    document's ``items`` list (answered as ``{wrap: entry}``, or ``entry[field]`` under ``field``).
    """

    resource_type: str
    read: str
    parameter: str
    items: str | None = None
    key: str = ""
    wrap: str = ""
    field: str = ""

    def answers(self, example: Snapshot) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for res in example.of_type(self.resource_type):
            read = res.read(self.read)
            if read is None or not read.ok:
                continue
            if self.items is None:
                out[res.id.rsplit("/", 1)[-1]] = dict(read.document)
                continue
            for entry in read.document.get(self.items) or []:
                out[str(entry[self.key])] = {self.field: entry[self.field]} if self.field else {self.wrap: entry}
        return out


REPLAYED: Mapping[tuple[str, str], Replayed] = {
    # moto 5.2 implements none of these QuickSight calls as the API reference describes them:
    # DescribeDashboard names no data sets, the other three are missing, and ListGroupMemberships
    # answers members with group ARNs instead of user ARNs.
    ("quicksight", "DescribeDashboard"): Replayed(
        resource_type=TypeName.AWS_QUICKSIGHT_DASHBOARD, read="dashboard", parameter="DashboardId"),
    ("quicksight", "DescribeDashboardPermissions"): Replayed(
        resource_type=TypeName.AWS_QUICKSIGHT_DASHBOARD, read="permissions", parameter="DashboardId"),
    ("quicksight", "DescribeDataSet"): Replayed(
        resource_type=TypeName.AWS_QUICKSIGHT_DASHBOARD, read="data_sets", parameter="DataSetId", items="DataSets",
        key="DataSetId", wrap="DataSet"),
    ("quicksight", "DescribeDataSource"): Replayed(
        resource_type=TypeName.AWS_QUICKSIGHT_DASHBOARD, read="data_sources", parameter="DataSourceId",
        items="DataSources",
        key="DataSourceId", wrap="DataSource"),
    ("quicksight", "ListGroupMemberships"): Replayed(
        resource_type=TypeName.AWS_QUICKSIGHT_ACCOUNT, read="memberships", parameter="GroupName", items="Groups",
        key="GroupName", field="GroupMemberList"),
}  # fmt: skip
"""Operations the demo answers from the example's recorded reads; everything else is live."""

_REPLAY_KEY = "seenby-demo-replay"


def replay_recorded(session: boto3.Session, example: Snapshot) -> list[str]:
    """Answer the :data:`REPLAYED` operations from ``example`` on every client of ``session``; returns their apis.

    A request naming something the example does not record goes to the endpoint as usual.
    """
    replayed = []
    for (service, operation), spec in REPLAYED.items():
        answers = spec.answers(example)
        if not answers:
            continue
        replayed.append(f"{service}:{operation}")

        def remember(params: dict[str, Any], context: dict[str, Any], _spec: Replayed = spec, **_: Any) -> None:
            context[_REPLAY_KEY] = str(params.get(_spec.parameter, ""))

        def answer(
            context: dict[str, Any], _answers: dict[str, dict[str, Any]] = answers, **_: Any
        ) -> tuple[AWSResponse, dict[str, Any]] | None:
            body = _answers.get(context.get(_REPLAY_KEY, ""))
            if body is None:
                return None
            return AWSResponse("", 200, {}, None), {**body, "ResponseMetadata": {"HTTPStatusCode": 200}}

        session.events.register(f"before-parameter-build.{service}.{operation}", remember)
        session.events.register(f"before-call.{service}.{operation}", answer)
    return replayed


def seed_aws(endpoint: str, snapshot: Snapshot) -> dict[str, str]:
    """Create the snapshot's AWS organisation, accounts, keys, buckets, tables, catalogs and dashboards on ``endpoint``.

    Returns the mapping from the snapshot's KMS key ARNs to the ARNs the endpoint gave them.
    """
    for org in snapshot.of_type(TypeName.AWS_ORGANIZATION):
        _seed_organization(endpoint, org)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda a: _seed_account(endpoint, a), snapshot.of_type(TypeName.AWS_ACCOUNT)))
    key_arns = {key.id: _seed_key(endpoint, key) for key in snapshot.of_type(TypeName.AWS_KMS_KEY)}
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda b: _seed_bucket(endpoint, b, key_arns), snapshot.of_type(TypeName.AWS_S3_BUCKET)))
        list(pool.map(lambda ts: [ts[1](endpoint, r) for r in snapshot.of_type(ts[0])], _SEEDERS))
    return key_arns
