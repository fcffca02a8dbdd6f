"""``seenby gate --fix``: each kind of proven fix as a Terraform snippet at the planned resource (issue 19, items
2 and 5), consistent with the fix's JSON Patch.

Arguments per the providers' docs:
https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_acl (``acl`` or
``access_control_policy`` with ``grant`` and ``owner``),
https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_policy,
https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_public_access_block,
https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/storage_bucket
(``public_access_prevention``),
https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/storage_bucket_iam
(``google_storage_bucket_iam_binding``: authoritative for one role).  ACL semantics:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html (canned ACL ``private``: the owner's
FULL_CONTROL only; bucket READ lets a grantee list).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from seenby.cli import cli
from seenby.fix.jsonpatch import apply_patch

from .conftest import PLANS, RULES
from .tfplan import UNKNOWN, TfPlan

ACCOUNT = "111122223333"
BUCKET = "corp-pub"
ANALYST = f"arn:aws:iam::{ACCOUNT}:role/analyst"
OWNER = "0123456789abcdef-owner"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
BPA_OFF = {"block_public_acls": False, "block_public_policy": False, "ignore_public_acls": False,
           "restrict_public_buckets": False}
ANALYST_READS = {"Sid": "AnalystReads", "Effect": "Allow", "Principal": {"AWS": ANALYST}, "Action": "s3:GetObject",
                 "Resource": f"arn:aws:s3:::{BUCKET}/*"}
PUBLIC_READS = [{"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": "s3:GetObject",
                 "Resource": f"arn:aws:s3:::{BUCKET}/*"} for sid, principal in (("A", "*"), ("B", {"AWS": "*"}))]


def _rules(tmp_path: Path) -> Path:
    """corp-pub is declared for the analyst role only, to read and to list."""
    path = tmp_path / "rules.yaml"
    path.write_text(f"version: 1\naudiences:\n  analysts: [\"{ANALYST}\"]\ndatasets:\n"
                    f"  - match: {{id: \"arn:aws:s3:::{BUCKET}\"}}\n    read: [analysts]\n    list: [analysts]\n"
                    "    admin: []\nundeclared:\n  action: report\n")
    return path


def _nobody(tmp_path: Path) -> Path:
    """corp-pub is declared for nobody."""
    path = tmp_path / "nobody.yaml"
    path.write_text(f"version: 1\ndatasets:\n  - match: {{id: \"arn:aws:s3:::{BUCKET}\"}}\n    read: []\n"
                    "    admin: []\nundeclared:\n  action: report\n")
    return path


def _bucket(*, bpa: bool = True) -> TfPlan:
    """A new bucket with ACLs enabled (ObjectWriter) and the analyst role, who has no identity policy."""
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    plan = (TfPlan().provider("aws", region="eu-west-1")
            .read_data("data.aws_caller_identity.current",
                       {"account_id": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/ci"})
            .add("aws_iam_role.analyst", {"name": "analyst", "arn": ANALYST, "assume_role_policy": json.dumps(trust)},
                 constants=("name",))
            .add("aws_s3_bucket.data", {"bucket": BUCKET, "id": UNKNOWN}, constants=("bucket",))
            .add("aws_s3_bucket_ownership_controls.data",
                 {"bucket": BUCKET, "rule": [{"object_ownership": "ObjectWriter"}]}))  # fmt: skip
    return plan.add("aws_s3_bucket_public_access_block.data", {"bucket": BUCKET, **BPA_OFF}) if bpa else plan


def _public_read_acl(plan: TfPlan) -> TfPlan:
    return plan.add("aws_s3_bucket_acl.data", {"bucket": BUCKET, "acl": "public-read",
                                               "access_control_policy": UNKNOWN}, constants=("acl",))


def _policy(plan: TfPlan, statements: list[dict]) -> TfPlan:
    return plan.add("aws_s3_bucket_policy.data", {"bucket": BUCKET, "policy": json.dumps(
        {"Version": "2012-10-17", "Statement": statements})})


def _gate(plan: str, rules: Path) -> list[dict]:
    result = CliRunner().invoke(cli, ["gate", plan, "--rules", str(rules), "--fail-on", "low", "--fix",
                                      "--format", "json", "-q"])
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)["findings"]


def _fixed(findings: list[dict], rule: str, dataset: str = f"arn:aws:s3:::{BUCKET}") -> dict:
    (finding,) = [f for f in findings if f["rule"]["id"] == rule and f["dataset"]["id"] == dataset]
    assert finding["fix"]["proven"] is True, finding["fix"]
    return finding


def _blocks(snippet: str) -> dict[str, str]:
    """Each ``resource "TYPE" "NAME" { … }`` block of a snippet by "TYPE.NAME", checked for balanced braces."""
    out = {}
    for match in re.finditer(r'^resource "([a-z0-9_]+)" "([A-Za-z0-9_-]+)" \{\n(.*?)^\}$', snippet, re.M | re.S):
        body = match.group(3)
        assert body.count("{") == body.count("}"), body
        out[f"{match.group(1)}.{match.group(2)}"] = body
    return out


def _jsonencoded(body: str) -> dict:
    return json.loads(body.split("jsonencode(", 1)[1].rsplit(")", 1)[0])


def test_removed_public_read_grant_makes_the_canned_acl_private(tmp_path):
    """A public-read canned ACL whose AllUsers grant is removed leaves the owner's FULL_CONTROL alone: the
    snippet sets `acl = "private"` at the aws_s3_bucket_acl address that opens the finding."""
    plan = _public_read_acl(_bucket()).write(tmp_path / "plan.json")

    finding = _fixed(_gate(plan, _nobody(tmp_path)), "SB001")

    assert [c["kind"] for c in finding["fix"]["changes"]] == ["remove-acl-grant"]
    assert finding["terraform"]["address"] == "aws_s3_bucket_acl.data"
    assert _blocks(finding["fix"]["terraform"]) == {
        "aws_s3_bucket_acl.data": '  # aws_s3_bucket_acl.data: the other arguments as they are\n  acl = "private"\n'}


def test_removed_grant_of_an_access_control_policy_keeps_the_other_grants_and_owner(tmp_path):
    """access_control_policy with the owner, AllUsers READ and LogDelivery WRITE: the snippet states the policy
    as the JSON Patch leaves it (owner and LogDelivery kept, AllUsers gone)."""
    before = [("CanonicalUser", OWNER, "FULL_CONTROL"), ("Group", ALL_USERS, "READ"),
              ("Group", LOG_DELIVERY, "WRITE")]
    acp = [{"owner": [{"id": OWNER, "display_name": ""}], "grant": [
        {"grantee": [{"type": t, ("id" if t == "CanonicalUser" else "uri"): v}], "permission": p}
        for t, v, p in before]}]  # fmt: skip
    plan = _bucket().add("aws_s3_bucket_acl.data", {"bucket": BUCKET, "acl": None, "access_control_policy": acp})

    finding = _fixed(_gate(plan.write(tmp_path / "plan.json"), _nobody(tmp_path)), "SB001")

    (change,) = finding["fix"]["changes"]
    acl_before = {"Owner": {"ID": OWNER}, "Grants": [
        {"Grantee": {"Type": t, ("ID" if t == "CanonicalUser" else "URI"): v}, "Permission": p} for t, v, p in before]}
    after = apply_patch(acl_before, change["patch"])
    body = _blocks(finding["fix"]["terraform"])["aws_s3_bucket_acl.data"]
    rendered = re.findall(r'type = "(\w+)"\n\s+(?:id|uri) = "([^"]+)"\n\s+}\n\s+permission = "(\w+)"', body)
    assert rendered == [(g["Grantee"]["Type"], g["Grantee"].get("ID") or g["Grantee"]["URI"], g["Permission"])
                        for g in after["Grants"]]
    assert rendered == [before[0], before[2]]
    assert f'owner {{\n      id = "{OWNER}"' in body and "acl =" not in body


def test_acl_grant_to_policy_renders_both_resources_with_the_patched_policy(tmp_path):
    """The analyst lists corp-pub only through the public-read ACL, so the proven fix replaces the grant by a
    bucket policy statement: one snippet with `acl = "private"` and the planned aws_s3_bucket_policy whose
    jsonencode equals the policy the fix's JSON Patch leaves."""
    plan = _policy(_public_read_acl(_bucket()), [ANALYST_READS]).write(tmp_path / "plan.json")

    finding = _fixed(_gate(plan, _rules(tmp_path)), "SB001")

    changes = finding["fix"]["changes"]
    assert [(c["kind"], c["read"]) for c in changes] == [("acl-grant-to-policy", "acl"),
                                                        ("acl-grant-to-policy", "policy")]
    blocks = _blocks(finding["fix"]["terraform"])
    assert set(blocks) == {"aws_s3_bucket_acl.data", "aws_s3_bucket_policy.data"}
    assert 'acl = "private"' in blocks["aws_s3_bucket_acl.data"]
    stored = {"Policy": json.dumps({"Version": "2012-10-17", "Statement": [ANALYST_READS]})}
    patched = apply_patch(stored, changes[1]["patch"])
    policy = json.loads(patched["Policy"]) if isinstance(patched["Policy"], str) else patched["Policy"]
    assert _jsonencoded(blocks["aws_s3_bucket_policy.data"]) == policy
    assert policy["Statement"][0] == ANALYST_READS and len(policy["Statement"]) == 2


def test_block_public_access_renders_all_four_settings_at_the_planned_resource(tmp_path):
    """Two public statements (no single statement change closes the finding): the proven fix turns on Block
    Public Access, rendered at the planned aws_s3_bucket_public_access_block with all four settings as the JSON
    Patch leaves them."""
    plan = _policy(_bucket(), [ANALYST_READS, *PUBLIC_READS]).write(tmp_path / "plan.json")

    finding = _fixed(_gate(plan, _rules(tmp_path)), "SB001")

    (change,) = finding["fix"]["changes"]
    assert change["kind"] == "block-public-access"
    after = apply_patch({"PublicAccessBlockConfiguration": {
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False}}, change["patch"])["PublicAccessBlockConfiguration"]  # fmt: skip
    body = _blocks(finding["fix"]["terraform"])["aws_s3_bucket_public_access_block.data"]
    settings = dict(re.findall(r"^  (\w+) = (true|false)$", body, re.M))
    names = {"BlockPublicAcls": "block_public_acls", "IgnorePublicAcls": "ignore_public_acls",
             "BlockPublicPolicy": "block_public_policy", "RestrictPublicBuckets": "restrict_public_buckets"}
    assert settings == {names[k]: str(v).lower() for k, v in after.items()}
    assert set(settings.values()) == {"true"}


def test_public_access_prevention_renders_at_the_planned_google_storage_bucket():
    """allAuthenticatedUsers on the curated bucket of a module: the proven fix enforces public access
    prevention, rendered on the module's google_storage_bucket instance that holds the bucket."""
    findings = _gate(str(PLANS / "gcs_module_members.json"), RULES)

    finding = _fixed(findings, "SB010", "gs://corp-curated-telemetry")

    (change,) = finding["fix"]["changes"]
    assert change["kind"] == "block-public-access"
    assert apply_patch({"iamConfiguration": {"publicAccessPrevention": "inherited"}}, change["patch"]) == {
        "iamConfiguration": {"publicAccessPrevention": "enforced"}}
    assert _blocks(finding["fix"]["terraform"]) == {"google_storage_bucket.buckets": (
        '  # module.gcs.google_storage_bucket.buckets["curated"]: the other arguments as they are\n'
        '  public_access_prevention = "enforced"\n')}


def test_narrowed_binding_renders_the_binding_resource_with_its_remaining_members(tmp_path):
    """A google_storage_bucket_iam_binding granting objectViewer to allUsers and the declared web team: the
    snippet is that binding with the web team alone, as the fix's patched policy has it."""
    source = json.loads((PLANS / "gcs_all_users_inherited.json").read_text())
    source["resource_changes"] = [c for c in source["resource_changes"] if c["type"] == "google_storage_bucket"]
    plan = TfPlan().provider("google", project="corp-web", region="europe-west1").add(
        "google_storage_bucket_iam_binding.viewers",
        {"bucket": "corp-web-assets", "role": "roles/storage.objectViewer", "condition": [],
         "members": ["allUsers", "group:web-team@corp.example"]})  # fmt: skip
    plan.add("google_storage_bucket.assets", source["resource_changes"][0]["change"]["after"],
             constants=("name",))

    finding = _fixed(_gate(plan.write(tmp_path / "plan.json"), RULES), "SB001", "gs://corp-web-assets")

    assert finding["terraform"]["address"] == "google_storage_bucket_iam_binding.viewers"
    body = _blocks(finding["fix"]["terraform"])["google_storage_bucket_iam_binding.viewers"]
    assert 'role    = "roles/storage.objectViewer"' in body
    assert re.findall(r'^    "([^"]+)",$', body, re.M) == ["group:web-team@corp.example"]


def test_a_change_without_terraform_rendering_says_so_and_points_to_its_patch():
    """The bucket's legacy convenience bindings (no member or binding resource in the plan grants them): the
    snippet names the change and the members and points to the JSON Patch, instead of being empty."""
    findings = _gate(str(PLANS / "gcs_module_members.json"), RULES)

    finding = _fixed(findings, "SB006", "gs://corp-raw-telemetry")

    snippet = finding["fix"]["terraform"]
    assert snippet.startswith("# no Terraform rendering for narrow-binding on gcp.storage.bucket iam_policy")
    assert "apply the JSON Patch fix.changes[0].patch" in snippet
    assert "projectOwner:corp-analytics (roles/storage.legacyBucketOwner)" in snippet
    assert 'resource "' not in snippet


def test_table_and_markdown_print_the_snippet_beside_the_failing_finding(tmp_path):
    """Issue 19 item 5: the gate's table and Markdown headers print each failing finding's Terraform snippet
    under the new findings, naming its address."""
    plan = _public_read_acl(_bucket()).write(tmp_path / "plan.json")
    rules = _nobody(tmp_path)

    def run(fmt: str) -> str:
        result = CliRunner().invoke(cli, ["gate", plan, "--rules", str(rules), "--fail-on", "high", "--fix",
                                          "--format", fmt, "-q"])
        assert result.exit_code == 1, result.output
        return result.stdout

    table, markdown = run("table"), run("markdown")

    assert ("proven fix of SB001 on arn:aws:s3:::corp-pub at aws_s3_bucket_acl.data (Terraform):\n"
            '    resource "aws_s3_bucket_acl" "data" {\n') in table
    assert ('at `aws_s3_bucket_acl.data`:\n\n```hcl\nresource "aws_s3_bucket_acl" "data" {\n'
            '  # aws_s3_bucket_acl.data: the other arguments as they are\n  acl = "private"\n}\n```') in markdown
