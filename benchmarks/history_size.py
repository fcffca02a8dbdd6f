"""How big the history store grows: a year of daily scans of a 1,000-bucket account, ~1% of documents
changing per day.

Generates the scans synthetically (documents shaped as the AWS scanner writes them: eight reads per
bucket, plus the account's ListBuckets, Block Public Access and IAM authorization details), records
each day's snapshot into a fresh store with ``HistoryStore.record``, and reports the store's size,
its row counts, the time per recorded scan, and what the same scans take as snapshot JSON files.

    python benchmarks/history_size.py --buckets 1000 --days 365 --change-rate 0.01 --output history_size.json
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from seenby.history.store import HistoryStore
from seenby.snapshot import Read, Resource, new_snapshot

ACCOUNT = "111122223333"
OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"


def _policy(name: str, day: int, principals: int) -> str:
    statements = [
        {"Sid": f"Reader{i}", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/reader-{(i * 7 + day) % 50}"},
         "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]}
        for i in range(principals)
    ]
    statements.append({"Sid": "DenyInsecure", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                       "Resource": f"arn:aws:s3:::{name}/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _bucket_documents(name: str, rng: random.Random) -> dict[str, dict[str, Any]]:
    """The eight reads of one bucket, as JSON (Read.to_json shape)."""
    grants = [{"Grantee": {"ID": OWNER, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}]
    return {
        "location": {"outcome": "ok", "api": "s3:GetBucketLocation", "document": {"LocationConstraint": "eu-west-1"}},
        "policy": {"outcome": "ok", "api": "s3:GetBucketPolicy",
                   "document": {"Policy": _policy(name, 0, rng.randint(1, 4))}},
        "policy_status": {"outcome": "ok", "api": "s3:GetBucketPolicyStatus",
                          "document": {"PolicyStatus": {"IsPublic": False}}},
        "acl": {"outcome": "ok", "api": "s3:GetBucketAcl", "document": {"Owner": {"ID": OWNER}, "Grants": grants}},
        "public_access_block": {"outcome": "ok", "api": "s3:GetBucketPublicAccessBlock", "document": {
            "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                               "BlockPublicPolicy": True, "RestrictPublicBuckets": True}}},
        "ownership_controls": {"outcome": "ok", "api": "s3:GetBucketOwnershipControls", "document": {
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}},
        "encryption": {"outcome": "ok", "api": "s3:GetBucketEncryption", "document": {
            "ServerSideEncryptionConfiguration": {"Rules": [{"ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/data"},
                "BucketKeyEnabled": True}]}}},
        "tags": {"outcome": "ok", "api": "s3:GetBucketTagging", "document": {"TagSet": [
            {"Key": "team", "Value": f"team-{rng.randint(1, 40)}"}, {"Key": "classification", "Value": "internal"}]}},
    }


def _mutate(read_name: str, doc: dict[str, Any], name: str, day: int, rng: random.Random) -> dict[str, Any]:
    """One realistic change of one read: a policy edit, a tag change, an ACL grant, a setting flipped."""
    doc = copy.deepcopy(doc)
    body = doc.setdefault("document", {})
    if read_name == "policy":
        body["Policy"] = _policy(name, day, rng.randint(1, 5))
    elif read_name == "tags":
        body["TagSet"][0]["Value"] = f"team-{rng.randint(1, 40)}"
    elif read_name == "acl":
        grant = {"Grantee": {"ID": f"{day:064x}", "Type": "CanonicalUser"},
                 "Permission": rng.choice(["READ", "WRITE", "READ_ACP"])}
        body["Grants"] = [*body["Grants"][:1], grant]
    elif read_name == "public_access_block":
        cfg = body["PublicAccessBlockConfiguration"]
        cfg["BlockPublicPolicy"] = not cfg["BlockPublicPolicy"]
    elif read_name == "policy_status":
        body["PolicyStatus"]["IsPublic"] = not body["PolicyStatus"]["IsPublic"]
    elif read_name == "ownership_controls":
        rule = body["OwnershipControls"]["Rules"][0]
        rule["ObjectOwnership"] = "BucketOwnerPreferred" if rule["ObjectOwnership"] != "BucketOwnerPreferred" \
            else "BucketOwnerEnforced"
    elif read_name == "encryption":
        body["ServerSideEncryptionConfiguration"]["Rules"][0]["BucketKeyEnabled"] ^= True
    else:
        body["LocationConstraint"] = rng.choice(["eu-west-1", "eu-central-1", "us-east-1"])
    return doc


def _account_documents(buckets: list[str], day: int) -> dict[str, dict[str, Any]]:
    roles = [{"RoleName": f"reader-{i}", "Arn": f"arn:aws:iam::{ACCOUNT}:role/reader-{i}",
              "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                  "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                  "Action": "sts:AssumeRole"}]},
              "RolePolicyList": [], "AttachedManagedPolicies": []} for i in range(50)]
    users = [{"UserName": f"user-{i}", "Arn": f"arn:aws:iam::{ACCOUNT}:user/user-{i}",
              "GroupList": [f"group-{i % 10}"], "UserPolicyList": [], "AttachedManagedPolicies": []}
             for i in range(200 + day // 30)]  # a few hires a month
    return {
        "buckets": {"outcome": "ok", "api": "s3:ListBuckets", "document": {
            "Buckets": [{"Name": b, "CreationDate": "2025-01-01T00:00:00Z"} for b in buckets],
            "Owner": {"ID": OWNER}}},
        "public_access_block": {"outcome": "absent", "api": "s3control:GetPublicAccessBlock",
                                "error_code": "NoSuchPublicAccessBlockConfiguration"},
        "authorization_details": {"outcome": "ok", "api": "iam:GetAccountAuthorizationDetails", "document": {
            "UserDetailList": users, "GroupDetailList": [], "RoleDetailList": roles, "Policies": []}},
    }


def _snapshot(docs: dict[str, dict[str, dict[str, Any]]], account: dict[str, Any], when: datetime) -> Any:
    def reads(d: dict[str, dict[str, Any]]) -> dict[str, Read]:
        return {k: Read.from_json(v) for k, v in d.items()}

    resources = [Resource(type="aws.account", id=ACCOUNT, account=ACCOUNT, reads=reads(account))]
    resources += [Resource(type="aws.s3.bucket", id=f"arn:aws:s3:::{name}", name=name, account=ACCOUNT,
                           region="eu-west-1", reads=reads(d)) for name, d in docs.items()]
    return new_snapshot(resources, scope={"aws_accounts": [ACCOUNT], "regions": ["eu-west-1"]}, mode="scan",
                        identity=f"arn:aws:iam::{ACCOUNT}:role/seenby-auditor", collected_at=when)


def run(buckets: int, days: int, change_rate: float, seed: int, store_path: Path) -> dict[str, Any]:
    rng = random.Random(seed)
    names = [f"corp-data-{i:04d}" for i in range(buckets)]
    docs = {name: _bucket_documents(name, rng) for name in names}
    start = datetime(2026, 1, 1, 6, tzinfo=UTC)
    keys = [(n, r) for n in names for r in docs[n]]
    changes_per_day = max(1, round(len(keys) * change_rate))
    json_bytes = 0
    record_seconds = 0.0
    changed_total = 0
    with HistoryStore.open(store_path) as history:
        for day in range(days):
            if day:
                for name, read in rng.sample(keys, changes_per_day):
                    docs[name][read] = _mutate(read, docs[name][read], name, day, rng)
                changed_total += changes_per_day
            snapshot = _snapshot(docs, _account_documents(names, day), start + timedelta(days=day))
            json_bytes += len(json.dumps(snapshot.to_json()))
            began = time.perf_counter()
            history.record(snapshot)
            record_seconds += time.perf_counter() - began
            if day % 30 == 0:
                print(f"day {day}: {store_path.stat().st_size / 1e6:.1f} MB", file=sys.stderr)
        counts = history.counts()
    size = store_path.stat().st_size
    return {
        "buckets": buckets,
        "days": days,
        "documents_per_scan": len(keys) + 3,
        "documents_changed_per_day": changes_per_day,
        "store_bytes": size,
        "store_mb": round(size / 1e6, 2),
        "json_snapshots_mb": round(json_bytes / 1e6, 1),
        "ratio_json_to_store": round(json_bytes / size, 1),
        "record_seconds_per_scan": round(record_seconds / days, 3),
        "rows": {"scans": counts.scans, "documents": counts.documents, "resources": counts.resources,
                 "states": counts.states, "state_reads": counts.state_reads, "scan_resources": counts.scan_resources},
        "changed_documents_total": changed_total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buckets", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--change-rate", type=float, default=0.01, help="Share of bucket documents changed per day.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--store", type=Path, help="Keep the store here (default: a temporary directory).")
    parser.add_argument("--output", type=Path, help="Write the result as JSON here.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.store or Path(tmp) / "history.sqlite3"
        result = run(args.buckets, args.days, args.change_rate, args.seed, path)
    print(json.dumps(result, indent=2))
    if args.output:
        args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
