"""A synthetic organisation of a given size: snapshot, rules.yaml and the findings it must produce.

    python benchmarks/synth.py --size S --seed 7 --out /tmp/synth-S
    python benchmarks/synth.py --people 5000 --datasets 1000 --accounts 8 --projects 8 --out /tmp/synth-custom

writes ``OUT/snapshot.json`` (docs/snapshot.md shapes), ``OUT/rules.yaml`` and
``OUT/expected.json`` (dataset id → rule ids the audit must report for it, plus the
sizes).  Deterministic: the same arguments write the same files.

The organisation, in proportions a large company might have:

* **AWS**: an organisation (root, three OUs, FullAWSAccess at the root, a Deny SCP on
  the sandbox OU); per member account an IAM ``account-admin`` role behind SAML,
  a ``ci-deployer`` role behind CodeBuild, OrganizationAccountAccessRole; per team a
  group with a managed data policy, a pipeline role (trust: two of the team's people
  and the account's ci-deployer; permissions boundary), a customer KMS key.  Every
  person is an IAM user in its team's account, in its team's group and ``everyone``;
  some people have inline policies.  Buckets belong to teams; most have a scoped
  bucket policy, Block Public Access on, BucketOwnerEnforced, SSE-KMS.
* **Google Cloud**: an organisation, folders, projects with IAM bindings; per team a
  Cloud Identity group of its people, nested in the project's analysts group and in
  ``all-staff``; GCS buckets (uniform access, prevention enforced) and BigQuery
  datasets with access entries; reporting datasets whose views are authorized on
  other datasets; the directory domain.
* **Over-exposed on purpose**, one dataset in about forty, in turn: public bucket
  policy, organisation-wide bucket policy, another account, a public grant that
  holds only from some IP addresses, an ACL for any authenticated AWS principal,
  allUsers on a GCS bucket, the whole domain on a BigQuery dataset,
  allAuthenticatedUsers on a dataset, one person outside the project, a conditional
  binding for any Google account, an authorized view readable by the whole domain.

``rules.yaml`` declares each account's and project's datasets for that account's
principals or that project's groups (plus the platform roles and admins), so every
well-scoped dataset is clean and each over-exposed one breaks its declaration.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["SIZES", "Sizes", "generate", "main"]

DOMAIN = "corp.example"
ORG_ID = "o-synth00001"
ROOT = "r-syn0"
GCP_ORG = "organizations/900000000001"
REGION = "eu-west-1"
COLLECTED_AT = "2026-11-23T09:00:00Z"
IDP = "corp-idp"


@dataclass(frozen=True, kw_only=True)
class Sizes:
    people: int
    datasets: int
    accounts: int
    projects: int
    statements: int | None = None  # target number of AWS policy statements (padding in user policies)


SIZES = {
    "XS": Sizes(people=200, datasets=60, accounts=3, projects=3),
    "S": Sizes(people=1_000, datasets=200, accounts=5, projects=5, statements=2_000),
    "M": Sizes(people=20_000, datasets=5_000, accounts=20, projects=20, statements=40_000),
    "L": Sizes(people=100_000, datasets=20_000, accounts=50, projects=50, statements=200_000),
}

_AWS_EXPOSURES = ("public", "org-wide", "other-account", "network", "conditional", "acl-authenticated")
_GCP_EXPOSURES = ("gcs-public", "bq-domain", "bq-authenticated", "bq-person", "gcs-conditional", "bq-view")
_RULES = {
    "public": ["SB001"],
    # "*" narrowed by aws:PrincipalOrgID: across accounts the caller's own IAM must allow too
    # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
    # No IAM user or role of the other member accounts is allowed here, so the readers are their root users and
    # the management account (whose IAM the generator does not write: every principal of it, fail closed):
    # other accounts, not the whole organisation (issue 19 item 1).
    "org-wide": ["SB004"],
    "other-account": ["SB004"],
    "network": ["SB014"],
    "conditional": ["SB010"],
    "acl-authenticated": ["SB002"],
    "gcs-public": ["SB001"],
    "bq-domain": ["SB003"],
    "bq-authenticated": ["SB002"],
    "bq-person": ["SB005"],
    "gcs-conditional": ["SB010"],
    "bq-view": ["SB008"],
}
EXPOSURE_EVERY = 40


def ok(api: str, document: Any) -> dict[str, Any]:
    return {"outcome": "ok", "api": api, "document": document}


def absent(api: str, code: str) -> dict[str, Any]:
    return {"outcome": "absent", "api": api, "error_code": code}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


class _Org:
    """The organisation being generated; every list is filled in a fixed order (deterministic)."""

    def __init__(self, sizes: Sizes, seed: int) -> None:
        self.s = sizes
        self.rng = random.Random(seed)
        self.n_accounts = max(2, sizes.accounts)
        self.mgmt = self.account_id(0)
        self.members = [self.account_id(i) for i in range(1, self.n_accounts)]
        self.teams = max(len(self.members), sizes.people // 25)
        self.projects = [f"syn-p{p:03d}" for p in range(max(1, sizes.projects))]
        self.resources: list[dict[str, Any]] = []
        self.expected: dict[str, list[str]] = {}
        self.exposures: dict[str, str] = {}
        self.statements = 0
        n_aws = sizes.datasets // 2
        n_bq = (sizes.datasets - n_aws) * 7 // 10
        self.n_buckets, self.n_bq, self.n_gcs = n_aws, n_bq, sizes.datasets - n_aws - n_bq
        self.team_buckets: dict[int, list[str]] = {t: [] for t in range(self.teams)}
        for j in range(self.n_buckets):
            t = j % self.teams
            self.team_buckets[t].append(f"syn-a{self.team_account_index(t):03d}-t{t:05d}-{j:06d}")
        self.people_of: dict[int, list[int]] = {t: [] for t in range(self.teams)}
        for i in range(sizes.people):
            self.people_of[i % self.teams].append(i)
        self.exposure_turn = 0

    @staticmethod
    def account_id(i: int) -> str:
        return f"{100000000000 + i * 1111:012d}"

    def team_account_index(self, t: int) -> int:
        return 1 + t % len(self.members)

    def team_account(self, t: int) -> str:
        return self.account_id(self.team_account_index(t))

    def team_project(self, t: int) -> str:
        return self.projects[t % len(self.projects)]

    def key_arn(self, t: int) -> str:
        return f"arn:aws:kms:{REGION}:{self.team_account(t)}:key/{t:08d}-0000-4000-8000-{t:012d}"

    def next_exposure(self, kinds: tuple[str, ...], dataset_id: str) -> str | None:
        """Every EXPOSURE_EVERY-th dataset is over-exposed, kinds taken in turn."""
        self.exposure_turn += 1
        if self.exposure_turn % EXPOSURE_EVERY != 0:
            return None
        kind = kinds[(self.exposure_turn // EXPOSURE_EVERY) % len(kinds)]
        self.expected[dataset_id] = list(_RULES[kind])
        self.exposures[dataset_id] = kind
        return kind

    def count(self, doc: dict[str, Any]) -> dict[str, Any]:
        self.statements += len(doc["Statement"])
        return doc

    # -- AWS ---------------------------------------------------------------------------

    def organization(self) -> dict[str, Any]:
        ous = [f"ou-syn0-{name}" for name in ("data", "prod", "sandbox")]
        parents = {self.mgmt: ROOT}
        for i, acct in enumerate(self.members):
            parents[acct] = ous[i % len(ous)]
        arn = f"arn:aws:organizations::{self.mgmt}"
        scps = [
            # AWS attaches FullAWSAccess to the root, every OU and every account by default.
            ("p-FullAWSAccess", "FullAWSAccess", policy({"Effect": "Allow", "Action": "*", "Resource": "*"}),
             [(ROOT, "ROOT"), *((ou, "ORGANIZATIONAL_UNIT") for ou in ous),
              *((a, "ACCOUNT") for a in [self.mgmt, *self.members])]),
            (
                "p-syn00001",
                "deny-leave-and-bucket-delete",
                policy(
                    {"Sid": "NoLeaving", "Effect": "Deny", "Action": "organizations:LeaveOrganization",
                     "Resource": "*"},
                    {"Sid": "NoBucketDeletes", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"},
                ),
                [(ous[2], "ORGANIZATIONAL_UNIT")],
            ),
        ]  # fmt: skip
        return {
            "type": "aws.organizations.organization",
            "id": ORG_ID,
            "name": "synth",
            "account": self.mgmt,
            "reads": {
                "organization": ok(
                    "organizations:DescribeOrganization",
                    {"Organization": {"Id": ORG_ID, "Arn": f"{arn}:organization/{ORG_ID}", "FeatureSet": "ALL",
                                      "MasterAccountId": self.mgmt,
                                      "MasterAccountArn": f"{arn}:account/{ORG_ID}/{self.mgmt}"}},
                ),
                "accounts": ok(
                    "organizations:ListAccounts",
                    {"Accounts": [
                        {"Id": a, "Arn": f"{arn}:account/{ORG_ID}/{a}", "Name": f"synth-{a}",
                         "Email": f"aws+{a}@{DOMAIN}", "Status": "ACTIVE"}
                        for a in [self.mgmt, *self.members]
                    ]},
                ),
                "tree": ok(
                    "organizations:ListAccountsForParent",
                    {
                        "Roots": [{"Id": ROOT, "Arn": f"{arn}:root/{ORG_ID}/{ROOT}", "Name": "Root"}],
                        "OrganizationalUnits": [
                            {"Id": ou, "Arn": f"{arn}:ou/{ORG_ID}/{ou}", "Name": ou.rsplit("-", 1)[1],
                             "ParentId": ROOT}
                            for ou in ous
                        ],
                        "AccountParents": parents,
                    },
                ),
                "policies": ok(
                    "organizations:ListPolicies",
                    {"Policies": [
                        {"PolicySummary": {"Id": pid, "Arn": f"{arn}:policy/{ORG_ID}/service_control_policy/{pid}",
                                           "Name": name, "Type": "SERVICE_CONTROL_POLICY",
                                           "AwsManaged": pid == "p-FullAWSAccess"},
                         "Content": json.dumps(self.count(doc)),
                         "Targets": [{"TargetId": x, "Type": kind} for x, kind in targets]}
                        for pid, name, doc, targets in scps
                    ]},
                ),
            },
        }

    def managed(self, account: str, name: str, doc: dict[str, Any]) -> dict[str, Any]:
        return {
            "PolicyName": name, "PolicyId": f"ANPA{zlib.crc32(f'{account}/{name}'.encode()):017d}",
            "Arn": f"arn:aws:iam::{account}:policy/{name}", "Path": "/", "DefaultVersionId": "v1",
            "AttachmentCount": 1, "IsAttachable": True,
            "PolicyVersionList": [
                {"Document": self.count(doc), "VersionId": "v1", "IsDefaultVersion": True, "CreateDate": COLLECTED_AT}
            ],
        }  # fmt: skip

    def role(
        self,
        account: str,
        name: str,
        n: int,
        trust: dict[str, Any],
        *,
        inline: list[tuple[str, dict[str, Any]]] = (),  # type: ignore[assignment]
        attached: list[str] = (),  # type: ignore[assignment]
        boundary: str | None = None,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Path": "/", "RoleName": name, "RoleId": f"AROA{int(account) % 10**6:06d}{n:011d}",
            "Arn": f"arn:aws:iam::{account}:role/{name}", "CreateDate": COLLECTED_AT,
            "AssumeRolePolicyDocument": self.count(trust), "InstanceProfileList": [],
            "RolePolicyList": [{"PolicyName": p, "PolicyDocument": self.count(d)} for p, d in inline],
            "AttachedManagedPolicies": [
                {"PolicyName": a, "PolicyArn": f"arn:aws:iam::{account}:policy/{a}"} for a in attached
            ],
            "Tags": [{"Key": "owner", "Value": name.split("-")[0]}], "RoleLastUsed": {},
        }  # fmt: skip
        if boundary:
            out["PermissionsBoundary"] = {
                "PermissionsBoundaryType": "Policy",
                "PermissionsBoundaryArn": f"arn:aws:iam::{account}:policy/{boundary}",
            }
        return out

    def team_data_policy(self, t: int) -> dict[str, Any]:
        buckets = self.team_buckets[t]
        account_index = self.team_account_index(t)
        statements: list[dict[str, Any]] = []
        if buckets:
            statements.append(
                {"Sid": "TeamData", "Effect": "Allow",
                 "Action": ["s3:GetObject", "s3:ListBucket", "s3:PutObject"],
                 "Resource": [f"arn:aws:s3:::{b}{suffix}" for b in buckets for suffix in ("", "/*")]}
            )  # fmt: skip
        statements.append(
            {"Sid": "TeamScratch", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
             "Resource": f"arn:aws:s3:::syn-a{account_index:03d}-t{t:05d}-*/scratch/*"}
        )  # fmt: skip
        statements.append(
            {"Sid": "TeamKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
             "Resource": self.key_arn(t)}
        )  # fmt: skip
        statements.append(
            {"Sid": "AssumePipeline", "Effect": "Allow", "Action": "sts:AssumeRole",
             "Resource": f"arn:aws:iam::{self.team_account(t)}:role/team-{t:05d}-pipeline"}
        )  # fmt: skip
        return policy(*statements)

    def padding(self, i: int, n: int) -> list[dict[str, Any]]:
        """Statements of a person's own policy that reach no bucket (logs, metrics, their own queue)."""
        actions = ("logs:PutLogEvents", "cloudwatch:PutMetricData", "sqs:SendMessage", "ec2:Describe*")
        return [
            {"Sid": f"Work{k}", "Effect": "Allow", "Action": actions[(i + k) % len(actions)],
             "Resource": f"arn:aws:sqs:{REGION}:*:person-{i:06d}-{k}" if k % 2 else "*"}
            for k in range(n)
        ]  # fmt: skip

    def account(self, index: int, padding_per_user: int) -> dict[str, Any]:
        acct = self.account_id(index)
        teams = [t for t in range(self.teams) if self.team_account_index(t) == index]
        n = 0
        policies = [
            self.managed(acct, "AdminAccess", policy({"Effect": "Allow", "Action": "*", "Resource": "*"})),
            self.managed(
                acct, "pipeline-boundary",
                policy({"Effect": "Allow", "Action": ["s3:*", "kms:Decrypt", "kms:GenerateDataKey"],
                        "Resource": "*"}),
            ),
        ]  # fmt: skip
        groups = [
            {"Path": "/", "GroupName": "everyone", "GroupId": f"AGPA{index:06d}{0:011d}",
             "Arn": f"arn:aws:iam::{acct}:group/everyone", "CreateDate": COLLECTED_AT,
             "GroupPolicyList": [], "AttachedManagedPolicies": []}
        ]  # fmt: skip
        users: list[dict[str, Any]] = []
        roles = [
            self.role(acct, "account-admin", (n := n + 1), policy(
                {"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{acct}:saml-provider/{IDP}"},
                 "Action": "sts:AssumeRoleWithSAML",
                 "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}),
                attached=["AdminAccess"]),
            self.role(acct, "ci-deployer", (n := n + 1), policy(
                {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}),
                inline=[("deploy-artifacts", policy(
                    {"Effect": "Allow", "Action": "s3:PutObject",
                     "Resource": f"arn:aws:s3:::syn-a{index:03d}-*/deploy/*"}))]),
            self.role(acct, "OrganizationAccountAccessRole", (n := n + 1), policy(
                {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{self.mgmt}:root"},
                 "Action": "sts:AssumeRole"})),
        ]  # fmt: skip
        for t in teams:
            policies.append(self.managed(acct, f"team-{t:05d}-data", self.team_data_policy(t)))
            groups.append(
                {"Path": "/teams/", "GroupName": f"team-{t:05d}", "GroupId": f"AGPA{index:06d}{t + 1:011d}",
                 "Arn": f"arn:aws:iam::{acct}:group/teams/team-{t:05d}", "CreateDate": COLLECTED_AT,
                 "GroupPolicyList": [], "AttachedManagedPolicies": [
                     {"PolicyName": f"team-{t:05d}-data", "PolicyArn": f"arn:aws:iam::{acct}:policy/team-{t:05d}-data"}
                 ]}
            )  # fmt: skip
            people = self.people_of[t]
            leads = [f"arn:aws:iam::{acct}:user/people/u{i:06d}" for i in people[:2]]
            trust_principals: dict[str, Any] = {"AWS": [*leads, f"arn:aws:iam::{acct}:role/ci-deployer"]}
            roles.append(
                self.role(acct, f"team-{t:05d}-pipeline", (n := n + 1), policy(
                    {"Sid": "LeadsAndCi", "Effect": "Allow", "Principal": trust_principals,
                     "Action": "sts:AssumeRole"}),
                    inline=[("pipeline-data", policy(
                        {"Effect": "Allow", "Action": "s3:*",
                         "Resource": [f"arn:aws:s3:::{b}{s}" for b in self.team_buckets[t] for s in ("", "/*")]
                         or f"arn:aws:s3:::syn-a{index:03d}-t{t:05d}-*"},
                        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                         "Resource": self.key_arn(t)}))],
                    boundary="pipeline-boundary")
            )  # fmt: skip
            others = [x for x in teams if x != t]
            for i in people:
                group_list = [f"team-{t:05d}", "everyone"]
                if others and i % 10 == 3:
                    group_list.append(f"team-{others[i % len(others)]:05d}")
                user: dict[str, Any] = {
                    "Path": "/people/", "UserName": f"u{i:06d}", "UserId": f"AIDA{i:017d}",
                    "Arn": f"arn:aws:iam::{acct}:user/people/u{i:06d}", "CreateDate": COLLECTED_AT,
                    "GroupList": group_list, "AttachedManagedPolicies": [], "UserPolicyList": [],
                    "Tags": [{"Key": "team", "Value": f"t{t:05d}"}],
                }  # fmt: skip
                if padding_per_user and i % 3 == 0:
                    statements = self.padding(i, padding_per_user)
                    if i % 30 == 0 and self.team_buckets[t]:
                        bucket = self.team_buckets[t][i % len(self.team_buckets[t])]
                        statements.append({"Sid": "OwnBucketRead", "Effect": "Allow", "Action": "s3:GetObject",
                                           "Resource": f"arn:aws:s3:::{bucket}/u{i:06d}/*"})  # fmt: skip
                    document = self.count(policy(*statements))
                    user["UserPolicyList"] = [{"PolicyName": "personal", "PolicyDocument": document}]
                users.append(user)
        return {
            "type": "aws.account",
            "id": acct,
            "name": f"synth-{acct}",
            "account": acct,
            "reads": {
                "public_access_block": absent("s3control:GetPublicAccessBlock", "NoSuchPublicAccessBlockConfiguration"),
                "authorization_details": ok(
                    "iam:GetAccountAuthorizationDetails",
                    {"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies},
                ),
            },
        }

    def key(self, t: int) -> dict[str, Any]:
        acct = self.team_account(t)
        arn = self.key_arn(t)
        doc = policy(
            {"Sid": "EnableIamPolicies", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "PipelineUse", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{acct}:role/team-{t:05d}-pipeline"},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"], "Resource": "*"},
        )  # fmt: skip
        return {
            "type": "aws.kms.key", "id": arn, "name": f"team-{t:05d}", "account": acct, "region": REGION,
            "reads": {
                "metadata": ok("kms:DescribeKey", {"KeyMetadata": {
                    "AWSAccountId": acct, "KeyId": arn.rsplit("/", 1)[1], "Arn": arn, "KeyManager": "CUSTOMER",
                    "KeyState": "Enabled", "KeyUsage": "ENCRYPT_DECRYPT", "KeySpec": "SYMMETRIC_DEFAULT",
                    "Enabled": True}}),
                "policy": ok("kms:GetKeyPolicy", {"Policy": json.dumps(self.count(doc)), "PolicyName": "default"}),
            },
        }  # fmt: skip

    def bucket(self, name: str, t: int) -> dict[str, Any]:
        acct = self.team_account(t)
        arn = f"arn:aws:s3:::{name}"
        exposure = self.next_exposure(_AWS_EXPOSURES, arn)
        canonical = f"{int(acct):064x}"
        statements: list[dict[str, Any]] = []
        if exposure is None and self.rng.random() < 0.5:
            statements.append(
                {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                 "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
            )  # fmt: skip
        if exposure is None and self.rng.random() < 0.7:
            statements.append(
                {"Sid": "PipelineRead", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{acct}:role/team-{t:05d}-pipeline"},
                 "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [arn, f"{arn}/*"]}
            )  # fmt: skip
        if exposure == "public":
            statements.append({"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                               "Resource": f"{arn}/*"})  # fmt: skip
        elif exposure == "org-wide":
            statements.append({"Sid": "OrgRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                               "Resource": f"{arn}/*",
                               "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}})  # fmt: skip
        elif exposure == "other-account":
            other = self.members[(self.members.index(acct) + 1) % len(self.members)]
            statements.append({"Sid": "PartnerRead", "Effect": "Allow",
                               "Principal": {"AWS": f"arn:aws:iam::{other}:root"}, "Action": "s3:GetObject",
                               "Resource": f"{arn}/*"})  # fmt: skip
        elif exposure == "network":
            statements.append({"Sid": "OfficeRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                               "Resource": f"{arn}/*",
                               "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}})  # fmt: skip
        elif exposure == "conditional":
            # a key outside seenby's condition-key catalogue: undecided, so conditional (fail closed)
            statements.append({"Sid": "BatchRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                               "Resource": f"{arn}/*",
                               "Condition": {"StringEquals": {"s3:ExistingJobOperation": "S3GetObject"}}})  # fmt: skip
        grants = [{"Grantee": {"ID": canonical, "DisplayName": f"synth-{acct}", "Type": "CanonicalUser"},
                   "Permission": "FULL_CONTROL"}]  # fmt: skip
        if exposure == "acl-authenticated":
            grants.append({"Grantee": {"Type": "Group",
                                       "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},
                           "Permission": "READ"})  # fmt: skip
        open_bucket = exposure is not None
        kms = exposure is None and self.rng.random() < 0.6
        sse: dict[str, Any] = (
            {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": self.key_arn(t)} if kms else {"SSEAlgorithm": "AES256"}
        )
        reads: dict[str, Any] = {
            "location": ok("s3:GetBucketLocation", {"LocationConstraint": REGION}),
            "policy": ok("s3:GetBucketPolicy", {"Policy": json.dumps(self.count(policy(*statements)))})
            if statements
            else absent("s3:GetBucketPolicy", "NoSuchBucketPolicy"),
            "acl": ok("s3:GetBucketAcl", {"Owner": {"ID": canonical, "DisplayName": f"synth-{acct}"},
                                          "Grants": grants}),
            "public_access_block": absent("s3:GetBucketPublicAccessBlock", "NoSuchPublicAccessBlockConfiguration")
            if open_bucket
            else ok("s3:GetBucketPublicAccessBlock", {"PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True}}),
            "ownership_controls": ok("s3:GetBucketOwnershipControls", {"OwnershipControls": {"Rules": [
                {"ObjectOwnership": "ObjectWriter" if exposure == "acl-authenticated" else "BucketOwnerEnforced"}]}}),
            "encryption": ok("s3:GetBucketEncryption", {"ServerSideEncryptionConfiguration": {"Rules": [
                {"ApplyServerSideEncryptionByDefault": sse, "BucketKeyEnabled": kms}]}}),
            "tags": ok("s3:GetBucketTagging", {"TagSet": [{"Key": "unit", "Value": f"a{acct}"},
                                                          {"Key": "team", "Value": f"t{t:05d}"}]}),
        }  # fmt: skip
        return {"type": "aws.s3.bucket", "id": arn, "name": name, "account": acct, "region": REGION, "reads": reads}

    # -- Google Cloud ------------------------------------------------------------------

    def gcp_node(self, type_: str, id_: str, parent: str | None, meta: dict[str, Any],
                 bindings: list[dict[str, Any]], org_policies: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        service = {"gcp.organization": "organizations", "gcp.folder": "folders", "gcp.project": "projects"}[type_]
        reads = {
            "metadata": ok(f"cloudresourcemanager.{service}.get", meta),
            "iam_policy": ok(f"cloudresourcemanager.{service}.getIamPolicy",
                             {"version": 3, "bindings": bindings, "etag": "BwX1"}),
        }  # fmt: skip
        if org_policies is not None:
            reads["org_policies"] = ok("orgpolicy.policies.list", {"policies": org_policies})
        out: dict[str, Any] = {"type": type_, "id": id_, "name": meta.get("displayName") or id_, "reads": reads}
        if parent:
            out["parent"] = parent
        return out

    def gcp_hierarchy(self) -> list[dict[str, Any]]:
        folders = [f"folders/{800000000000 + k}" for k in range(3)]
        out = [
            self.gcp_node("gcp.organization", GCP_ORG, None,
                          {"name": GCP_ORG, "displayName": DOMAIN, "directoryCustomerId": "C0synth"},
                          [{"role": "roles/resourcemanager.organizationAdmin",
                            "members": [f"group:gcp-admins@{DOMAIN}"]},
                           {"role": "roles/storage.admin", "members": [f"group:gcp-admins@{DOMAIN}"]}],
                          org_policies=[]),
        ]  # fmt: skip
        for k, folder in enumerate(folders):
            out.append(self.gcp_node("gcp.folder", folder, GCP_ORG,
                                     {"name": folder, "displayName": f"unit-{k}", "parent": GCP_ORG}, [],
                                     org_policies=[]))  # fmt: skip
        for p, project in enumerate(self.projects):
            folder = folders[p % len(folders)]
            out.append(self.gcp_node(
                "gcp.project", f"projects/{project}", folder,
                {"name": f"projects/{500000000000 + p}", "projectId": project, "parent": folder,
                 "displayName": project},
                [{"role": "roles/owner", "members": [f"group:{project}-owners@{DOMAIN}"]},
                 {"role": "roles/bigquery.dataViewer", "members": [f"group:{project}-analysts@{DOMAIN}"]}],
                org_policies=[]))  # fmt: skip
        return out

    def group(self, email: str, members: list[tuple[str, str]]) -> dict[str, Any]:
        return {
            "type": "gcp.cloudidentity.group", "id": email, "name": email,
            "reads": {"memberships": ok("cloudidentity.groups.memberships.list", {"memberships": [
                {"preferredMemberKey": {"id": m}, "roles": [{"name": "MEMBER"}], "type": kind} for m, kind in members
            ]})},
        }  # fmt: skip

    def team_group(self, t: int) -> str:
        return f"t{t:05d}-{self.team_project(t)}@{DOMAIN}"

    def gcp_groups(self) -> list[dict[str, Any]]:
        out = []
        for t in range(self.teams):
            out.append(self.group(self.team_group(t), [(f"u{i:06d}@{DOMAIN}", "USER") for i in self.people_of[t]]))
        for p, project in enumerate(self.projects):
            teams = [t for t in range(p, self.teams, len(self.projects))]
            out.append(self.group(f"{project}-analysts@{DOMAIN}", [(self.team_group(t), "GROUP") for t in teams[:3]]))
            owners = [f"u{i:06d}@{DOMAIN}" for t in teams[:1] for i in self.people_of[t][:2]]
            out.append(self.group(f"{project}-owners@{DOMAIN}", [(m, "USER") for m in owners]))
        out.append(self.group(f"all-staff@{DOMAIN}", [(self.team_group(t), "GROUP") for t in range(self.teams)]))
        out.append(self.group(f"gcp-admins@{DOMAIN}", [(f"u{i:06d}@{DOMAIN}", "USER") for i in range(5)]))
        out.append({
            "type": "gcp.directory.domain", "id": DOMAIN, "name": DOMAIN,
            "reads": {"users": ok("admin.directory.users.list",
                                  {"users": [{"primaryEmail": f"u{i:06d}@{DOMAIN}"} for i in range(self.s.people)]})},
        })  # fmt: skip
        return out

    def gcs_bucket(self, j: int) -> dict[str, Any]:
        t = (j * 7) % self.teams
        project = self.team_project(t)
        name = f"syn-g-{project}-t{t:05d}-{j:06d}"
        bid = f"gs://{name}"
        exposure = self.next_exposure(_GCP_EXPOSURES[:1] + _GCP_EXPOSURES[4:5], bid)
        bindings: list[dict[str, Any]] = [
            {"role": "roles/storage.objectViewer", "members": [f"group:{self.team_group(t)}"]},
            {"role": "roles/storage.objectAdmin", "members": [f"group:{project}-owners@{DOMAIN}"]},
        ]
        if exposure == "gcs-public":
            bindings.append({"role": "roles/storage.objectViewer", "members": ["allUsers"]})
        elif exposure == "gcs-conditional":
            bindings.append({"role": "roles/storage.objectViewer", "members": ["allAuthenticatedUsers"],
                             "condition": {"title": "production buckets",  # tags the scan does not hold: conditional
                                           "expression": "resource.matchTag('123456789012/env', 'prod')"}})
        return {
            "type": "gcp.storage.bucket", "id": bid, "name": name, "account": project, "region": "EU",
            "parent": f"projects/{project}",
            "reads": {
                "metadata": ok("storage.buckets.get", {
                    "kind": "storage#bucket", "id": name, "name": name,
                    "projectNumber": str(500000000000 + self.projects.index(project)), "location": "EU",
                    "storageClass": "STANDARD", "labels": {"unit": project, "team": f"t{t:05d}"},
                    "iamConfiguration": {"uniformBucketLevelAccess": {"enabled": True},
                                         "publicAccessPrevention": "inherited" if exposure else "enforced"}}),
                "iam_policy": ok("storage.buckets.getIamPolicy", {
                    "kind": "storage#policy", "resourceId": f"projects/_/buckets/{name}", "version": 3,
                    "bindings": bindings, "etag": "CAE="}),
            },
        }  # fmt: skip

    def bq_dataset(self, project: str, dataset: str, access: list[dict[str, Any]],
                   labels: dict[str, str]) -> dict[str, Any]:
        return {
            "type": "gcp.bigquery.dataset", "id": f"bigquery://{project}.{dataset}", "name": f"{project}.{dataset}",
            "account": project, "region": "EU", "parent": f"projects/{project}",
            "reads": {"metadata": ok("bigquery.datasets.get", {
                "kind": "bigquery#dataset", "id": f"{project}:{dataset}",
                "datasetReference": {"projectId": project, "datasetId": dataset}, "location": "EU",
                "labels": labels, "access": access})},
        }  # fmt: skip

    def bq(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        views: dict[str, list[tuple[str, str]]] = {p: [] for p in self.projects}  # reporting views per project
        for j in range(self.n_bq):
            t = (j * 3) % self.teams
            project = self.team_project(t)
            dataset = f"t{t:05d}_d{j:06d}"
            did = f"bigquery://{project}.{dataset}"
            exposure = self.next_exposure(_GCP_EXPOSURES[1:4] + _GCP_EXPOSURES[5:], did)
            access: list[dict[str, Any]] = [
                {"role": "OWNER", "specialGroup": "projectOwners"},
                {"role": "WRITER", "groupByEmail": self.team_group(t)},
                {"role": "READER", "specialGroup": "projectReaders"},
            ]
            if exposure == "bq-domain":
                access.append({"role": "READER", "domain": DOMAIN})
            elif exposure == "bq-authenticated":
                access.append({"role": "READER", "specialGroup": "allAuthenticatedUsers"})
            elif exposure == "bq-person":
                outsider = self.people_of[(t + 1) % self.teams][0] if self.teams > 1 else 0
                if self.team_project((t + 1) % self.teams) == project:
                    outsider = self.people_of[(t + 2) % self.teams][0]
                access.append({"role": "READER", "userByEmail": f"u{outsider:06d}@{DOMAIN}"})
            elif exposure == "bq-view":
                view = f"v_{dataset}"
                access.append({"view": {"projectId": project, "datasetId": "reporting", "tableId": view}})
                views[project].append((view, dataset))
            out.append(self.bq_dataset(project, dataset, access, {"unit": project, "team": f"t{t:05d}"}))
        for project, vs in views.items():
            if not vs:
                continue
            out.append(self.bq_dataset(project, "reporting", [
                {"role": "OWNER", "specialGroup": "projectOwners"}, {"role": "READER", "domain": DOMAIN}],
                {"kind": "reporting"}))  # fmt: skip
            for view, source in vs:
                out.append({
                    "type": "gcp.bigquery.table", "id": f"bigquery://{project}.reporting.{view}",
                    "name": f"{project}.reporting.{view}", "account": project, "region": "EU",
                    "parent": f"bigquery://{project}.reporting",
                    "reads": {
                        "metadata": ok("bigquery.tables.get", {
                            "kind": "bigquery#table", "id": f"{project}:reporting.{view}",
                            "tableReference": {"projectId": project, "datasetId": "reporting", "tableId": view},
                            "type": "VIEW", "labels": {"kind": "reporting"},
                            "view": {"query": f"SELECT team, COUNT(*) AS n FROM `{project}.{source}.events` "
                                              "GROUP BY 1", "useLegacySql": False}}),
                        "iam_policy": ok("bigquery.tables.getIamPolicy", {"version": 1, "bindings": [],
                                                                          "etag": "ACAB"}),
                    },
                })  # fmt: skip
        return out

    # -- assembly ----------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        base = self.estimate_base_statements()
        target = self.s.statements or 0
        holders = max(1, self.s.people // 3)
        padding = max(0, -(-(target - base) // holders)) if target else 1
        resources: list[dict[str, Any]] = [self.organization()]
        for index in range(1, self.n_accounts):
            resources.append(self.account(index, padding))
        for t in range(self.teams):
            if self.team_buckets[t]:
                resources.append(self.key(t))
        for t in range(self.teams):
            for name in self.team_buckets[t]:
                resources.append(self.bucket(name, t))
        resources.extend(self.gcp_hierarchy())
        resources.extend(self.gcp_groups())
        for j in range(self.n_gcs):
            resources.append(self.gcs_bucket(j))
        resources.extend(self.bq())
        return {
            "schema_version": "1.0",
            "collected_at": COLLECTED_AT,
            "collector": {"tool": "seenby-synth", "version": "1", "identity": None, "mode": "synthetic"},
            "scope": {"aws_accounts": [self.mgmt, *self.members], "aws_organization": ORG_ID, "regions": [REGION],
                      "gcp_projects": list(self.projects), "gcp_organization": GCP_ORG},
            "resources": resources,
        }  # fmt: skip

    def estimate_base_statements(self) -> int:
        """AWS statements before padding: SCPs, roles, team policies, keys, bucket policies (about)."""
        per_account = 2 + 3 + 1
        per_team = 4 + 1 + 2 + 2
        return 3 + per_account * len(self.members) + per_team * self.teams + self.n_buckets + self.s.people // 30

    def rules(self) -> str:
        lines = [
            "# Generated by benchmarks/synth.py: each account's and project's datasets are declared for",
            "# that account's principals / that project's groups, the platform roles and the admins.",
            "version: 1",
            "audiences:",
            "  platform:",
            "    members:",
            "      - arn:aws:iam::*:role/account-admin",
            "      - arn:aws:iam::*:role/ci-deployer",
            f"      - arn:aws:iam::*:saml-provider/{IDP}",
            "      - codebuild.amazonaws.com",
            f"      - group:gcp-admins@{DOMAIN}",
            "datasets:",
            "  - match:",
            "      tags: {kind: reporting}",
            "    classification: internal-aggregates",
            f"    read: [domain:{DOMAIN}, 'projectOwner:*', 'projectViewer:*', 'group:*-owners@{DOMAIN}']",
            f"    write: [platform, 'projectOwner:*', 'group:*-owners@{DOMAIN}']",
            f"    admin: [platform, 'projectOwner:*', 'group:*-owners@{DOMAIN}']",
        ]
        for acct in self.members:
            lines += [
                "  - match:",
                f"      tags: {{unit: a{acct}}}",
                "      provider: aws",
                "    classification: team-data",
                f"    read: [platform, 'arn:aws:iam::{acct}:root']",
                f"    write: [platform, 'arn:aws:iam::{acct}:root']",
                f"    admin: [platform, 'arn:aws:iam::{acct}:role/team-*-pipeline', 'arn:aws:iam::{acct}:root']",
            ]
        for project in self.projects:
            lines += [
                "  - match:",
                f"      tags: {{unit: {project}}}",
                "      provider: gcp",
                "    classification: team-data",
                f"    read: [platform, 'group:*-{project}@{DOMAIN}', 'group:{project}-analysts@{DOMAIN}',"
                f" 'projectViewer:{project}', 'projectOwner:{project}', 'group:{project}-owners@{DOMAIN}']",
                f"    write: [platform, 'group:*-{project}@{DOMAIN}', 'projectEditor:{project}',"
                f" 'projectOwner:{project}', 'group:{project}-owners@{DOMAIN}']",
                f"    admin: [platform, 'projectOwner:{project}', 'group:{project}-owners@{DOMAIN}']",
            ]
        lines += ["undeclared:", "  action: report", ""]
        return "\n".join(lines)


def generate(sizes: Sizes, seed: int, out: Path) -> dict[str, Any]:
    """Write snapshot.json, rules.yaml and expected.json under ``out``; return the manifest."""
    org = _Org(sizes, seed)
    snapshot = org.build()
    out.mkdir(parents=True, exist_ok=True)
    with (out / "snapshot.json").open("w", encoding="utf-8") as f:
        json.dump(snapshot, f, separators=(",", ":"))
    (out / "rules.yaml").write_text(org.rules(), encoding="utf-8")
    datasets = org.n_buckets + org.n_gcs + org.n_bq
    manifest = {
        "seed": seed,
        "sizes": {"people": sizes.people, "datasets": datasets, "aws_accounts": len(org.members) + 1,
                  "gcp_projects": len(org.projects), "teams": org.teams, "aws_statements": org.statements,
                  "resources": len(snapshot["resources"])},
        "expected": dict(sorted(org.expected.items())),
        "exposures": dict(sorted(org.exposures.items())),
    }  # fmt: skip
    (out / "expected.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--size", choices=sorted(SIZES), help="a preset size (counts below override it)")
    parser.add_argument("--people", type=int)
    parser.add_argument("--datasets", type=int)
    parser.add_argument("--accounts", type=int, help="AWS accounts, the management account included")
    parser.add_argument("--projects", type=int)
    parser.add_argument("--statements", type=int, help="target number of AWS policy statements")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    args = parser.parse_args(argv)
    base = SIZES[args.size] if args.size else SIZES["S"]
    sizes = Sizes(
        people=args.people or base.people,
        datasets=args.datasets or base.datasets,
        accounts=args.accounts or base.accounts,
        projects=args.projects or base.projects,
        statements=args.statements if args.statements is not None else base.statements,
    )
    manifest = generate(sizes, args.seed, args.out)
    print(json.dumps(manifest["sizes"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
