"""Cloud Storage HMAC keys are extra paths to their service accounts.

An HMAC key authenticates requests as its service account while ACTIVE; INACTIVE and
DELETED keys cannot be used (https://cloud.google.com/storage/docs/authentication/hmackeys).
The list shape is https://cloud.google.com/storage/docs/json_api/v1/projects/hmacKeys/list.
"""

from __future__ import annotations

from datetime import date

import pytest

from seenby.audit import audit
from seenby.config import parse_rules
from seenby.graph.audience import audience
from seenby.graph.build import build_graph
from seenby.model import AccessLevel, EdgeKind, EvidenceKind, PrincipalKind, ReadOutcome
from seenby.policies import evaluate as evaluate_with_gaps
from seenby.snapshot import Read, Resource
from tests.gcp.builders import (
    DENIED,
    PROJECT,
    binding,
    bucket,
    evaluate,
    org,
    policy,
    project,
    snapshot,
)

SA = f"telemetry-export@{PROJECT}.iam.gserviceaccount.com"
KEY = "GOOG1EEXPORTKEY0000000000000000000000000000000000000000000000"
BUCKET = "gs://corp-keystrokes"


def _key(state: str = "ACTIVE", access_id: str = KEY) -> dict:
    return {
        "kind": "storage#hmacKeyMetadata",
        "id": f"{PROJECT}/{access_id}",
        "accessId": access_id,
        "projectId": PROJECT,
        "serviceAccountEmail": SA,
        "state": state,
        "timeCreated": "2023-02-01T09:00:00.000Z",
    }


def _project_with(hmac_keys) -> Resource:
    base = project(iam=policy())  # its IAM policy read, so the only gap a test sees is the one it makes
    read = hmac_keys if isinstance(hmac_keys, Read) else Read(
        outcome=ReadOutcome.OK, api="storage.hmacKeys.list", document={"items": hmac_keys}
    )
    return Resource(type=base.type, id=base.id, account=base.account, parent=base.parent,
                    reads={**base.reads, "hmac_keys": read})


def _resources(*keys: dict):
    iam = policy(binding("roles/storage.objectViewer", f"serviceAccount:{SA}"))
    return [org(), _project_with(list(keys)), bucket("corp-keystrokes", iam=iam)]


def _hmac_edges(ev):
    return [e for e in ev.edges if e.source.id.startswith("hmac:")]


def test_active_key_is_a_principal_impersonating_its_service_account() -> None:
    """An ACTIVE key is principal hmac:ACCESS_ID with a can-impersonate edge into its service account; https://cloud.google.com/storage/docs/authentication/hmackeys"""
    [edge] = _hmac_edges(evaluate(*_resources(_key())))
    assert (edge.source.id, edge.source.kind, edge.target.id, edge.kind) == (
        f"hmac:{KEY}", PrincipalKind.SERVICE_ACCOUNT, f"serviceAccount:{SA}", EdgeKind.CAN_IMPERSONATE
    )


def test_key_edge_quotes_the_key_entry() -> None:
    """The edge's evidence is the key entry of the project's hmac_keys read, as listed; https://cloud.google.com/storage/docs/json_api/v1/projects/hmacKeys/list"""
    [edge] = _hmac_edges(evaluate(*_resources(_key())))
    [evidence] = edge.evidence
    assert (evidence.kind, evidence.source, evidence.location, evidence.excerpt) == (
        EvidenceKind.HMAC_KEY, f"projects/{PROJECT}", "hmac_keys.items[0]", _key()
    )


@pytest.mark.parametrize("state", ["INACTIVE", "DELETED"])
def test_inactive_or_deleted_key_adds_nothing(state: str) -> None:
    """INACTIVE and DELETED keys authenticate nothing: no principal, no edge; https://cloud.google.com/storage/docs/authentication/hmackeys"""
    ev = evaluate(*_resources(_key(state)))
    assert (_hmac_edges(ev), f"hmac:{KEY}" in ev.principals) == ([], False)


def test_key_in_an_unknown_state_stays_conditional() -> None:
    """A state that is neither ACTIVE nor INACTIVE/DELETED keeps the edge, conditional (fail closed); https://cloud.google.com/storage/docs/json_api/v1/projects/hmacKeys"""
    [edge] = _hmac_edges(evaluate(*_resources(_key("STATE_UNSPECIFIED"))))
    assert edge.conditions and "STATE_UNSPECIFIED" in edge.conditions[0].reason


def test_who_can_read_shows_the_key_through_its_service_account() -> None:
    """The bucket's readers include the key, on the path key → service account → bucket, named after both; https://cloud.google.com/storage/docs/authentication/hmackeys"""
    rg = build_graph(evaluate(*_resources(_key())))
    [reach] = [r for r in audience(rg, BUCKET, AccessLevel.READ) if r.principal.id == f"hmac:{KEY}"]
    assert [step.node for step in reach.path] == [f"hmac:{KEY}", f"serviceAccount:{SA}", BUCKET]
    assert reach.path[0].label == f"HMAC key {KEY} (service account {SA})"


def test_findings_name_the_key() -> None:
    """A bucket declared for security only: the finding's excess audience names the HMAC key; https://cloud.google.com/storage/docs/authentication/hmackeys"""
    rules = parse_rules(
        f'version: 1\ndatasets:\n  - match: {{id: "{BUCKET}"}}\n    classification: telemetry\n'
        "    read: [group:security@corp.example]\n",
        source="rules.yaml",
    )
    result = audit(snapshot(*_resources(_key())), rules, today=date(2026, 1, 1))
    named = {e.principal.id for f in result.findings if f.level is AccessLevel.READ for e in f.excess}
    assert f"hmac:{KEY}" in named


def test_unread_key_list_is_a_gap_not_no_keys() -> None:
    """A denied hmac_keys read is a coverage gap of the project, never "no keys"; https://cloud.google.com/storage/docs/json_api/v1/projects/hmacKeys/list"""
    ev = evaluate_with_gaps(snapshot(org(), _project_with(DENIED), bucket("corp-keystrokes")))
    assert [g.read for g in ev.gaps if g.resource == f"projects/{PROJECT}"] == ["hmac_keys"]


def test_declaring_the_account_and_its_key_leaves_no_read_finding() -> None:
    """A bucket declared for the service account and hmac:* has no READ finding: keys are declared like any principal; https://cloud.google.com/storage/docs/authentication/hmackeys"""
    rules = parse_rules(
        f'version: 1\ndatasets:\n  - match: {{id: "{BUCKET}"}}\n    classification: telemetry\n'
        f'    read: ["serviceAccount:{SA}", "hmac:*"]\n',
        source="rules.yaml",
    )
    result = audit(snapshot(*_resources(_key())), rules, today=date(2026, 1, 1))
    assert [f.rule_id for f in result.findings if f.level is AccessLevel.READ] == []
