"""Proven fixes on variants of the example organisation: narrowing a statement's principals, a declared
person who reaches only through the excess class, all fixes applied at once, and the JSON output."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from seenby import api
from seenby.fix import ChangeKind, Fix, NoFix, NoFixReason, find_fixes
from seenby.fix.apply import apply_fixes
from seenby.model import AccessLevel

from .conftest import RULES, SNAPSHOT, TODAY

ROOT = Path(__file__).resolve().parents[2]
EXPORTS = "arn:aws:s3:::corp-analytics-exports"
KEYSTROKES = "gs://corp-keystrokes"
PARTNER = "arn:aws:iam::444455556666:root"
ANALYST = "arn:aws:iam::222233334444:role/analyst"


def _rules(tmp_path: Path, edit) -> api.Rules:
    data = yaml.safe_load(RULES.read_text())
    edit(data)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return api.load_rules(path)


def _snapshot(tmp_path: Path, edit) -> api.Snapshot:
    data = json.loads(SNAPSHOT.read_text())
    edit({r["id"]: r for r in data["resources"]})
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(data))
    return api.load(path)


def _only(snapshot, rules, dataset: str, rule: str, level: AccessLevel = AccessLevel.READ):
    audit = api.evaluate(snapshot).audit(rules, today=TODAY)
    found = [f for f in audit.findings if f.dataset.id == dataset and f.rule_id == rule and f.level is level]
    assert len(found) == 1, found
    run = find_fixes(snapshot, rules, fingerprints=[found[0].fingerprint], today=TODAY)
    return run.outcomes[found[0].fingerprint]


def test_statement_naming_a_partner_and_a_declared_role_keeps_only_the_role(tmp_path):
    """A bucket statement naming two principals loses the undeclared one and keeps the declared one
    (Principal element: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html)."""

    def two_principals(resources):
        read = resources[EXPORTS]["reads"]["policy"]
        policy = json.loads(read["document"]["Policy"])
        policy["Statement"][0]["Principal"] = {"AWS": [PARTNER, ANALYST]}
        read["document"]["Policy"] = json.dumps(policy)

    snapshot = _snapshot(tmp_path, two_principals)
    rules = _rules(tmp_path, lambda data: data.pop("waivers"))
    fix = _only(snapshot, rules, EXPORTS, "SB004")
    assert isinstance(fix, Fix)
    (change,) = fix.changes
    assert change.kind is ChangeKind.NARROW_PRINCIPALS
    assert change.policy_patch is not None
    assert change.policy_patch[-1]["value"] == {"AWS": ANALYST}
    assert PARTNER in fix.before.excess and PARTNER not in fix.after.excess


def test_declared_person_reaching_only_through_the_domain_blocks_the_fix(tmp_path):
    """When a person declared by name reads the bucket only as a member of the excess domain, no change
    that removes the domain keeps them: no fix, and the reason names them."""

    def declare_one_employee(data):
        data["datasets"].insert(
            0,
            {
                "match": {"id": KEYSTROKES},
                "classification": "employee-telemetry",
                "read": ["group:ml-team@corp.example", "user:employee-0001@corp.example"],
                "write": [],
                "admin": ["data-platform-admins"],
            },
        )

    outcome = _only(api.load(SNAPSHOT), _rules(tmp_path, declare_one_employee), KEYSTROKES, "SB003")
    assert isinstance(outcome, NoFix)
    assert outcome.reason is NoFixReason.DECLARED_MEMBER_LOSES_ACCESS
    assert "user:employee-0001@corp.example" in outcome.detail


def test_applying_every_proven_fix_leaves_none_of_the_fixed_findings(example_run, tmp_path):
    """The snapshot with all proven fixes applied (--apply-to-snapshot) audits with none of the fixed
    findings left (no principal of a fixed finding's excess is still beyond the declaration there), and
    every finding left had no proven fix."""
    rules = api.load_rules(RULES)
    fixed = apply_fixes(api.load(SNAPSHOT), rules, example_run, today=TODAY)
    after = api.evaluate(fixed).audit(rules, today=TODAY)
    still = {(f.dataset.id, f.level, e.principal.id) for f in after.findings for e in f.excess}
    proven = [f for f in example_run.audit.findings if isinstance(example_run.outcomes[f.fingerprint], Fix)]
    assert proven
    for finding in proven:
        shown = {e.principal.id for e in finding.excess if (finding.dataset.id, finding.level, e.principal.id) in still}
        assert not shown, (finding.rule_id, finding.dataset.id, shown)
    unfixed = {
        (f.rule_id, f.dataset.id, f.level)
        for f in example_run.audit.findings
        if isinstance(example_run.outcomes[f.fingerprint], NoFix)
    }
    assert {(f.rule_id, f.dataset.id, f.level) for f in after.findings} <= unfixed


def test_fix_json_validates_against_the_findings_schema(example_run):
    """Findings JSON with fix validates against seenby/schemas/findings-v1.schema.json."""
    from dataclasses import replace

    schema = json.loads((ROOT / "seenby" / "schemas" / "findings-v1.schema.json").read_text())
    findings = tuple(replace(f, fix=example_run.outcomes[f.fingerprint]) for f in example_run.audit.findings)
    document = json.loads(api.render(replace(example_run.audit, findings=findings), "json"))
    jsonschema.Draft202012Validator(schema).validate(document)
    assert all("fix" in f for f in document["findings"])


def test_schema_names_every_change_kind_and_reason():
    """The schema's enums are the code's: a new kind of change or reason is documented in the schema."""
    schema = json.loads((ROOT / "seenby" / "schemas" / "findings-v1.schema.json").read_text())
    kinds = schema["$defs"]["fix_change"]["properties"]["kind"]["enum"]
    reasons = schema["$defs"]["no_fix"]["properties"]["reason"]["enum"]
    assert sorted(kinds) == sorted(k.value for k in ChangeKind)
    assert sorted(reasons) == sorted(r.value for r in NoFixReason)


EXPORTS = "arn:aws:s3:::corp-analytics-exports"


def _analysts_role_only(data: dict) -> None:
    """rules.yaml with corp-analytics-exports declared for the analyst role alone (not its whole account)."""
    data["audiences"]["analysts"]["members"] = ["arn:aws:iam::222233334444:role/analyst"]


def test_acl_grant_to_any_authenticated_is_removed(tmp_path):
    """Declared for one role, the AuthenticatedUsers ACL grant on corp-analytics-exports is removed, and only it."""
    outcome = _only(api.load(SNAPSHOT), _rules(tmp_path, _analysts_role_only), EXPORTS, "SB002", AccessLevel.LIST)
    assert isinstance(outcome, Fix)
    assert [c.kind for c in outcome.changes] == [ChangeKind.REMOVE_ACL_GRANT]
    assert outcome.changes[0].read == "acl"
    # the analysts' account's other principals list it only through that grant: they are excess too
    assert set(outcome.before.excess) == {
        "aws:authenticated", "arn:aws:iam::222233334444:role/OrganizationAccountAccessRole"}
    assert outcome.after.excess == ()


@pytest.mark.parametrize("changed", [False, True])
def test_patches_refuse_a_document_that_changed(tmp_path, changed):
    """Each patch tests the values it removes or replaces (RFC 6902 §4.6), so it applies to the stored
    document and refuses one changed since."""
    from seenby.fix.jsonpatch import PatchError, apply_patch

    fix = _only(api.load(SNAPSHOT), _rules(tmp_path, _analysts_role_only), EXPORTS, "SB002", AccessLevel.LIST)
    assert isinstance(fix, Fix)
    change = fix.changes[0]
    document = copy.deepcopy(dict(json.loads(json.dumps(change.to_json()))))  # plain data
    stored = next(
        r for r in json.loads(SNAPSHOT.read_text())["resources"] if r["id"] == change.resource
    )["reads"]["acl"]["document"]
    if changed:
        stored["Grants"].reverse()
        with pytest.raises(PatchError):
            apply_patch(stored, document["patch"])
    else:
        assert apply_patch(stored, document["patch"])["Grants"] == [
            g for g in stored["Grants"] if g["Grantee"].get("URI", "").endswith("/AuthenticatedUsers") is False
        ]


def test_a_changed_copy_asks_again_only_what_the_change_can_reach(example_run):
    """The audiences of a changed copy, where only the datasets the change can reach are asked again, equal
    those of the same copy evaluated from scratch."""
    from seenby.fix import apply_changes
    from seenby.fix.prove import Judge

    snapshot, rules = api.load(SNAPSHOT), api.load_rules(RULES)
    judge = Judge(snapshot, rules, today=TODAY)
    fixes = [o for o in example_run.outcomes.values() if isinstance(o, Fix)]
    for outcome in fixes[:4]:  # an ACL, a bucket policy with a role's policy, a bucket policy, IAM
        if isinstance(outcome, Fix):
            incremental = judge.state(outcome.changes)
            scratch = Judge(apply_changes(snapshot, outcome.changes), rules, today=TODAY).baseline
            assert incremental.members == scratch.members


def test_bigquery_access_entry_is_removed(tmp_path):
    """Without the BI server (whose Superset roles no document change closes), ml_raw's re-exposure to all
    employees through shared_reporting is closed by removing that dataset's access entry."""
    data = json.loads(SNAPSHOT.read_text())
    data["resources"] = [r for r in data["resources"] if not r["type"].startswith("superset.")]
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(data))
    outcome = _only(api.load(path), api.load_rules(RULES), "bigquery://corp-telemetry.ml_raw", "SB008")
    assert isinstance(outcome, Fix)
    assert [c.kind for c in outcome.changes] == [ChangeKind.REMOVE_ENTRY]
    assert outcome.after.excess == ()
