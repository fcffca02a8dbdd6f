"""The audit over hand-made evaluations: effective audience minus declared audience."""

from __future__ import annotations

from datetime import date

from seenby.audit import audit_evaluation
from seenby.findings import AudienceClass, Severity
from seenby.model import (
    AWS_PUBLIC,
    AccessLevel,
    Condition,
    CoverageGap,
    Dataset,
    DatasetKind,
    EdgeKind,
    Principal,
    PrincipalKind,
    Provider,
    ReadOutcome,
    aws_account_principal,
    aws_org_principal,
)
from tests.core.builders import (
    BUCKET,
    SNAPSHOT,
    bucket,
    edge,
    evaluation,
    grant,
    group,
    reexpose,
    role,
    rules,
    user,
)

DECLARED = f"""
datasets:
  - match: {{id: "{BUCKET}"}}
    classification: telemetry
    read: [arn:aws:iam::111122223333:role/ml-training]
    admin: []
"""
TODAY = date(2026, 11, 23)
ORG = aws_org_principal("o-a1b2c3d4e5")


def run(ev, text: str = DECLARED):
    return audit_evaluation(ev, rules(text), snapshot=SNAPSHOT, today=TODAY)


def by_rule(result) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in result.active:
        out.setdefault(f.rule_id, []).append(f)
    return out


def test_declared_reader_only_gives_no_finding():
    """A dataset read only by its declared role has no finding."""
    ev = evaluation()
    grant(ev, role("ml-training"))
    assert run(ev).active == ()


def test_organisation_grant_is_sb003_with_direct_path():
    """An organisation-class grant is an organisation-wide finding whose path is the grant itself."""
    ev = evaluation()
    grant(ev, ORG)
    (finding,) = run(ev).active
    assert (finding.rule_id, finding.level, finding.severity) == ("SB003", AccessLevel.READ, Severity.HIGH)
    (entry,) = finding.excess
    assert entry.principal.id == "aws-org:o-a1b2c3d4e5"
    assert entry.audience_class is AudienceClass.ORGANIZATION
    assert [s.node for s in entry.path] == ["aws-org:o-a1b2c3d4e5", BUCKET]


def test_organisation_through_assumable_role_shows_the_chain():
    """An organisation that can assume a reading role is organisation-wide, path org → role → dataset."""
    ev = evaluation()
    reader = role("telemetry-reader")
    edge(ev, ORG, reader, EdgeKind.CAN_ASSUME)
    grant(ev, reader)
    findings = by_rule(run(ev))
    (org_entry,) = findings["SB003"][0].excess
    assert [s.node for s in org_entry.path] == [ORG.id, reader.id, BUCKET]
    assert [s.via for s in org_entry.path[:-1]] == ["can-assume", "grant:read"]
    assert [e.principal.id for e in findings["SB005"][0].excess] == [reader.id]


def test_declared_role_does_not_cover_those_who_assume_it():
    """Reaching a declared role is still excess for whoever assumes it: the trust policy is the leak."""
    ev = evaluation()
    training = role("ml-training")
    edge(ev, ORG, training, EdgeKind.CAN_ASSUME)
    grant(ev, training)
    (finding,) = run(ev).active
    assert finding.rule_id == "SB003"
    assert [e.principal.id for e in finding.excess] == [ORG.id]


def test_group_members_collapse_into_group_with_people_count():
    """Users reaching through an excess group are counted as the group's people, not listed one by one."""
    ev = evaluation()
    eng = group("engineering")
    for i in range(3):
        edge(ev, user(f"eng-{i}"), eng)
    grant(ev, eng)
    (finding,) = run(ev).active
    assert finding.rule_id == "SB005"
    (entry,) = finding.excess
    assert (entry.principal.id, entry.people) == (eng.id, 3)
    assert finding.people == 3


def test_members_of_a_declared_group_are_covered():
    """A user who is a (transitive) member of a declared group is inside the declaration."""
    ev = evaluation()
    team, sub, alice = group("ml-team"), group("ml-sub"), user("alice")
    edge(ev, alice, sub)
    edge(ev, sub, team)
    grant(ev, alice)
    text = f"""
datasets:
  - match: {{id: "{BUCKET}"}}
    read: [{team.id}]
"""
    assert run(ev, text).active == ()


def test_declared_organisation_covers_its_accounts_principals():
    """Declaring an organisation covers principals whose account belongs to it."""
    ev = evaluation()
    ev.account_orgs["111122223333"] = "o-a1b2c3d4e5"
    grant(ev, role("anything"))
    text = f"""
datasets:
  - match: {{id: "{BUCKET}"}}
    read: [aws-org:o-a1b2c3d4e5]
"""
    assert run(ev, text).active == ()


def test_principals_let_in_by_the_class_statement_fold_into_the_class():
    """Principals granted by the same statement that opens an organisation class are not separate entries."""
    ev = evaluation()
    grant(ev, ORG, location="Statement[0]")
    grant(ev, role("someone"), location="Statement[0]")
    grant(ev, role("other"), location="Statement[1]")
    findings = by_rule(run(ev))
    assert [e.principal.id for e in findings["SB003"][0].excess] == [ORG.id]
    assert [e.principal.id for e in findings["SB005"][0].excess] == [role("other").id]


def test_other_account_principal_is_sb004():
    """An account principal of another account is a cross-account finding."""
    ev = evaluation()
    grant(ev, aws_account_principal("444455556666"))
    (finding,) = run(ev).active
    assert finding.rule_id == "SB004"
    assert finding.excess[0].audience_class is AudienceClass.OTHER_ACCOUNT


def test_public_read_is_critical():
    """A grant to anyone is a critical public finding."""
    ev = evaluation()
    grant(ev, AWS_PUBLIC)
    (finding,) = run(ev).active
    assert (finding.rule_id, finding.severity) == ("SB001", Severity.CRITICAL)


def test_public_listing_is_one_step_lower():
    """Listing exposes names, not data: severity one step below the class rule's."""
    ev = evaluation()
    grant(ev, AWS_PUBLIC, level=AccessLevel.LIST)
    (finding,) = run(ev).active
    assert (finding.rule_id, finding.level, finding.severity) == ("SB001", AccessLevel.LIST, Severity.HIGH)


def test_public_write_is_critical_write_finding():
    """Write beyond declared writers is SB006, critical when the writer is the public."""
    ev = evaluation()
    grant(ev, AWS_PUBLIC, level=AccessLevel.WRITE)
    findings = by_rule(run(ev))
    assert findings["SB006"][0].severity is Severity.CRITICAL


def test_admin_beyond_declared_admins():
    """Who can change access without being a declared admin is SB007."""
    ev = evaluation()
    grant(ev, role("ops"), level=AccessLevel.ADMIN)
    (finding,) = [f for f in run(ev).active if f.level is AccessLevel.ADMIN]
    assert finding.rule_id == "SB007"


def test_reach_only_through_a_condition_is_conditional_finding():
    """A member reached only through a conditional grant is SB010 and carries the condition as written."""
    ev = evaluation()
    cond = Condition(
        expression={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, keys=("aws:SourceIp",), reason="network"
    )
    grant(ev, AWS_PUBLIC, conditions=(cond,))
    (finding,) = run(ev).active
    assert finding.rule_id == "SB010"
    (entry,) = finding.excess
    assert entry.conditional and entry.conditions == (cond,)


def test_unconditional_path_wins_over_conditional_one():
    """When both a conditional and an unconditional grant open access, the member is unconditional."""
    ev = evaluation()
    cond = Condition(expression={"Bool": {"aws:SecureTransport": "true"}}, keys=("aws:SecureTransport",))
    grant(ev, AWS_PUBLIC, conditions=(cond,), location="Statement[0]")
    grant(ev, AWS_PUBLIC, location="Statement[1]")
    (finding,) = run(ev).active
    assert finding.rule_id == "SB001"
    assert finding.excess[0].opening_evidence[0].location == "Statement[1]"


def test_reexposure_through_authorized_view():
    """Readers of an authorized view reach the source dataset: SB008 with the view on the path."""
    raw = Dataset(
        id="bigquery://p.raw", kind=DatasetKind.BIGQUERY_DATASET, provider=Provider.GCP, name="p.raw", account="p"
    )
    view = Dataset(
        id="bigquery://p.shared.v",
        kind=DatasetKind.BIGQUERY_TABLE,
        provider=Provider.GCP,
        name="p.shared.v",
        account="p",
    )
    ev = evaluation(raw, view)
    everyone = Principal(id="group:all@corp.example", kind=PrincipalKind.GROUP, provider=Provider.GCP)
    grant(ev, everyone, dataset=view.id)
    reexpose(ev, view.id, raw.id)
    text = """
datasets:
  - match: {id: "bigquery://p.raw"}
    read: [group:ml@corp.example]
  - match: {id: "bigquery://p.shared*"}
    read: [group:all@corp.example]
"""
    (finding,) = run(ev, text).active
    assert (finding.rule_id, finding.dataset.id) == ("SB008", raw.id)
    assert [s.node for s in finding.excess[0].path] == [everyone.id, view.id, raw.id]


def test_undeclared_dataset_reports_sb009_and_broad_exposure_only():
    """An undeclared dataset gets SB009, and public exposure still shows; specific principals do not."""
    ev = evaluation()
    grant(ev, AWS_PUBLIC)
    grant(ev, role("someone"))
    result = run(ev, "undeclared: {action: report}\n")
    assert sorted(f.rule_id for f in result.active) == ["SB001", "SB009"]


def test_undeclared_ignore_says_nothing():
    """undeclared.action ignore silences undeclared datasets entirely."""
    ev = evaluation()
    grant(ev, AWS_PUBLIC)
    assert run(ev, "undeclared: {action: ignore}\n").active == ()


def test_live_waiver_hides_finding():
    """A waiver before its expiry hides its finding and is attached to it."""
    ev = evaluation()
    grant(ev, aws_account_principal("444455556666"))
    text = (
        DECLARED
        + f"""
waivers:
  - rule: SB004
    dataset: "{BUCKET}"
    reason: partner agreement
    owner: privacy@corp.example
    expires: 2027-01-01
"""
    )
    result = run(ev, text)
    assert result.active == ()
    assert result.findings[0].waiver is not None


def test_expired_waiver_shows_finding_and_sb012():
    """An expired waiver stops hiding its finding and is reported itself."""
    ev = evaluation()
    grant(ev, aws_account_principal("444455556666"))
    text = (
        DECLARED
        + f"""
waivers:
  - rule: other-account-access
    dataset: "{BUCKET}"
    reason: partner agreement
    owner: privacy@corp.example
    expires: 2026-01-01
"""
    )
    assert sorted(f.rule_id for f in run(ev, text).active) == ["SB004", "SB012"]


def test_principal_waiver_removes_only_that_principal():
    """A waiver naming a principal removes that entry and leaves the others reported."""
    ev = evaluation()
    grant(ev, role("a"), location="Statement[0]")
    grant(ev, role("b"), location="Statement[1]")
    text = (
        DECLARED
        + f"""
waivers:
  - rule: SB005
    dataset: "{BUCKET}"
    principal: "{role("a").id}"
    reason: known
    owner: me@corp.example
    expires: 2027-01-01
"""
    )
    (finding,) = run(ev, text).active
    assert [e.principal.id for e in finding.excess] == [role("b").id]


def test_coverage_gap_is_a_finding_per_affected_dataset():
    """A denied read is an SB011 finding naming the API call; never silence."""
    ev = evaluation()
    ev.gaps.append(
        CoverageGap(
            resource=BUCKET,
            resource_type="aws.s3.bucket",
            read="policy",
            api="s3:GetBucketPolicy",
            outcome=ReadOutcome.DENIED,
            error_code="AccessDenied",
            datasets=(BUCKET,),
        )
    )
    (finding,) = run(ev).active
    assert finding.rule_id == "SB011"
    assert "s3:GetBucketPolicy" in finding.message and "AccessDenied" in finding.message


def test_rule_switch_and_severity_override():
    """rules: can turn a rule off and override another's severity."""
    ev = evaluation()
    grant(ev, ORG)
    grant(ev, role("x"), location="Statement[1]")
    text = DECLARED + "rules:\n  SB005: {enabled: false}\n  organization-wide-access: {severity: critical}\n"
    (finding,) = run(ev, text).active
    assert (finding.rule_id, finding.severity) == ("SB003", Severity.CRITICAL)


def test_fingerprint_is_stable_and_tracks_the_excess():
    """The same exposure gives the same fingerprint; a new excess member gives a new one."""
    ev1, ev2 = evaluation(), evaluation()
    grant(ev1, role("x"))
    grant(ev2, role("x"))
    grant(ev2, role("y"), location="Statement[1]")
    assert run(ev1).active[0].fingerprint == run(evaluation_with_x()).active[0].fingerprint
    assert run(ev1).active[0].fingerprint != run(ev2).active[0].fingerprint


def evaluation_with_x():
    ev = evaluation()
    grant(ev, role("x"))
    return ev


def test_seenby_audience_tag_declares_the_dataset():
    """A seenby:audience tag on the resource declares its audience by audience name."""
    ev = evaluation(bucket(**{"seenby:audience": "trainers"}))
    grant(ev, role("ml-training"))
    grant(ev, role("intruder"), location="Statement[1]")
    text = "audiences:\n  trainers: [arn:aws:iam::111122223333:role/ml-training]\nundeclared: {action: report}\n"
    (finding,) = run(ev, text).active
    assert finding.rule_id == "SB005"
    assert [e.principal.id for e in finding.excess] == [role("intruder").id]


def test_reader_is_not_reported_again_for_listing():
    """Whoever reads beyond the declaration is not reported a second time for listing names."""
    ev = evaluation()
    grant(ev, AWS_PUBLIC, level=AccessLevel.READ)
    grant(ev, AWS_PUBLIC, level=AccessLevel.LIST)
    grant(ev, role("lister"), level=AccessLevel.LIST, location="Statement[1]")
    result = run(ev)
    listing = [f for f in result.active if f.level is AccessLevel.LIST]
    assert [(f.rule_id, [e.principal.id for e in f.excess]) for f in listing] == [("SB005", [role("lister").id])]


def test_who_can_read_counts_group_members_under_the_group():
    """who-can-read shows a group once with its people; --expand-members lists each member too."""
    from seenby.graph.build import build_graph
    from seenby.queries import who_can_read

    ev = evaluation()
    eng = group("engineering")
    for i in range(3):
        edge(ev, user(f"eng-{i}"), eng)
    grant(ev, eng)
    rg = build_graph(ev)
    collapsed = who_can_read(rg, BUCKET)
    assert [(m.principal.id, m.people) for m in collapsed.members] == [(eng.id, 3)]
    expanded = who_can_read(rg, BUCKET, expand_members=True)
    assert len(expanded.members) == 4


def test_people_reached_two_ways_are_counted_once():
    """One finding counts each person once, though the organisation and their group both reach the data."""
    table = bucket("arn:aws:s3:::corp-mirror")
    ev = evaluation(bucket(), table)
    eng = group("engineering")
    users = [user(f"eng-{i}") for i in range(3)]
    for u in users:
        edge(ev, u, eng)
    ev.set_class_members(ORG.id, [u.id for u in users] + [user("finance").id])
    ev.account_orgs["111122223333"] = "o-a1b2c3d4e5"
    grant(ev, ORG, dataset=table.id, location="Statement[0]")
    grant(ev, eng, dataset=table.id, location="Statement[1]")
    reexpose(ev, table.id, BUCKET)
    text = DECLARED + "  - match: {id: 'arn:aws:s3:::corp-mirror'}\n    read: [aws-org:o-a1b2c3d4e5]\n"
    (finding,) = run(ev, text).active
    assert finding.rule_id == "SB008"
    assert {e.principal.id: e.people for e in finding.excess} == {ORG.id: 4, eng.id: 3}
    assert finding.people == 4


def test_conditional_public_finding_keeps_the_public_severity():
    """A public grant seenby cannot decide is SB010 rated critical, the public's severity (issue 14)."""
    ev = evaluation()
    cond = Condition(expression={"StringEquals": {"s3:ExistingJobOperation": "x"}}, keys=("s3:ExistingJobOperation",))
    grant(ev, AWS_PUBLIC, conditions=(cond,))
    (finding,) = by_rule(run(ev))["SB010"]
    assert (finding.severity, finding.excess[0].conditional) == (Severity.CRITICAL, True)


def test_conditional_cross_account_finding_gates_at_high():
    """A conditional grant to another account is rated high, as the unconditional one is."""
    ev = evaluation()
    grant(ev, aws_account_principal("444455556666"), conditions=(Condition(expression="?", keys=("k",)),))
    (finding,) = by_rule(run(ev))["SB010"]
    assert finding.severity is Severity.HIGH


def _network(account: str | None = None) -> Principal:
    from seenby.model import aws_network_principal

    return aws_network_principal("vpce-1a2b3c4d", account=account)


def test_undeclared_network_is_a_network_finding():
    """Callers through an undeclared VPC endpoint are SB014, rated high."""
    ev = evaluation()
    grant(ev, _network())
    (finding,) = by_rule(run(ev))["SB014"]
    assert (finding.severity, finding.excess[0].audience_class) == (Severity.HIGH, AudienceClass.NETWORK)


def test_network_declared_by_id_gives_no_finding():
    """A network declared by its id (aws-network:vpce-…) covers its callers."""
    ev = evaluation()
    grant(ev, _network())
    declared = DECLARED.replace("role/ml-training]", "role/ml-training, aws-network:vpce-1a2b3c4d]")
    assert run(ev, declared).active == ()


def test_owner_shortcut_covers_own_network_services_and_principals():
    """aws-owner covers the owner account's principals, its networks and AWS services acting for it."""
    from seenby.model import aws_service_for_principal

    ev = evaluation()
    for who in (_network(account="111122223333"), aws_service_for_principal("111122223333", account="111122223333"),
                aws_service_for_principal("arn:aws:cloudtrail:eu-west-1:111122223333:trail/t", account="111122223333"),
                role("etl")):  # fmt: skip
        grant(ev, who)
    declared = DECLARED.replace("role/ml-training]", "role/ml-training, aws-owner]")
    assert run(ev, declared).active == ()


def test_owner_shortcut_does_not_cover_another_accounts_network():
    """aws-owner does not cover a network of another account."""
    ev = evaluation()
    grant(ev, _network(account="444455556666"))
    declared = DECLARED.replace("role/ml-training]", "role/ml-training, aws-owner]")
    assert [f.rule_id for f in run(ev, declared).active] == ["SB014"]


def test_declaring_the_owner_account_alone_does_not_cover_its_network():
    """The owner account's root covers its principals, not everyone who calls through its networks."""
    ev = evaluation()
    grant(ev, _network(account="111122223333"))
    declared = DECLARED.replace("role/ml-training]", "role/ml-training, arn:aws:iam::111122223333:root]")
    assert [f.rule_id for f in run(ev, declared).active] == ["SB005"]


def _org_through_network() -> Principal:
    from seenby.model import aws_network_principal

    return aws_network_principal("vpce-1a2b3c4d", within=ORG)


def test_class_through_a_network_is_covered_by_the_class():
    """An organisation's principals through a network are covered by declaring the organisation."""
    ev = evaluation()
    grant(ev, _org_through_network())
    declared = DECLARED.replace("role/ml-training]", "role/ml-training, aws-org:o-a1b2c3d4e5]")
    assert run(ev, declared).active == ()


def test_class_through_a_network_is_covered_by_the_network():
    """An organisation's principals through a network are covered by declaring the network."""
    ev = evaluation()
    grant(ev, _org_through_network())
    declared = DECLARED.replace("role/ml-training]", "role/ml-training, aws-network:vpce-1a2b3c4d]")
    assert run(ev, declared).active == ()


def test_class_through_a_network_undeclared_is_a_network_finding():
    """Undeclared, an organisation's principals through a network are SB014 (high)."""
    ev = evaluation()
    grant(ev, _org_through_network())
    (finding,) = by_rule(run(ev))["SB014"]
    assert finding.excess[0].principal.id == "aws-org:o-a1b2c3d4e5@aws-network:vpce-1a2b3c4d"
