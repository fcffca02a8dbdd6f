"""A real moto server (the fixtures of tests/scanners), and a series of recorded scans of a changing account.

The series: scan @1 with a private bucket, scan @2 after a bucket policy opens it to the
organisation, scan @3 after that policy is removed.  Each scan is a real scan of the moto
server; only ``collected_at`` is set to a day apart, as daily scans would be.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from seenby.history.store import HistoryStore
from seenby.scanners.aws import scan_aws
from tests.scanners.conftest import client, endpoint, moto_server, session  # noqa: F401  (fixtures)
from tests.scanners.helpers import ACCOUNT, policy, scan_config

BUCKET = "telemetry"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
ANALYST = f"arn:aws:iam::{ACCOUNT}:role/analyst"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"
DAYS = ("2026-03-01T09:00:00Z", "2026-03-02T09:00:00Z", "2026-03-03T09:00:00Z")


def org_policy(org_id: str) -> str:
    return policy(
        {
            "Sid": "OrgRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"{BUCKET_ARN}/*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": org_id}},
        }
    )


def rules_text() -> str:
    return (
        "version: 1\n"
        "datasets:\n"
        f"  - match: {{id: '{BUCKET_ARN}'}}\n"
        "    classification: employee-telemetry\n"
        f"    read: ['{ANALYST}', '{BOB}']\n"
        "undeclared: {action: ignore}\n"
    )


@dataclasses.dataclass(frozen=True)
class Series:
    store: Path
    rules: Path
    org: str
    snapshots: tuple


@pytest.fixture
def series(session, endpoint, client, tmp_path) -> Series:  # noqa: F811
    """Three daily scans of one account, recorded in a store under tmp_path."""
    org = client("organizations").create_organization(FeatureSet="ALL")["Organization"]["Id"]
    iam, s3 = client("iam"), client("s3")
    s3.create_bucket(Bucket=BUCKET)
    iam.create_user(UserName="bob")
    trust = policy({"Effect": "Allow", "Principal": {"AWS": BOB}, "Action": "sts:AssumeRole"})
    iam.create_role(RoleName="analyst", AssumeRolePolicyDocument=trust)
    iam.put_role_policy(
        RoleName="analyst",
        PolicyName="read",
        PolicyDocument=policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{BUCKET_ARN}/*"}),
    )
    iam.create_user(UserName="alice")
    store = tmp_path / "history.sqlite3"
    shots = []
    changes = (lambda: None, lambda: s3.put_bucket_policy(Bucket=BUCKET, Policy=org_policy(org)),
               lambda: s3.delete_bucket_policy(Bucket=BUCKET))
    with HistoryStore.open(store) as history:
        for day, change in zip(DAYS, changes, strict=True):
            change()
            shot = dataclasses.replace(scan_aws(scan_config(session, endpoint)), collected_at=day)
            history.record(shot, source=f"scan of {day}")
            shots.append(shot)
    rules = tmp_path / "rules.yaml"
    rules.write_text(rules_text())
    return Series(store=store, rules=rules, org=org, snapshots=tuple(shots))


def write_snapshot(path: Path, snapshot) -> Path:
    path.write_text(json.dumps(snapshot.to_json()))
    return path
