"""People counts from Cloud Identity memberships as gcloud prints them (issue 15.4).

Shapes: https://cloud.google.com/identity/docs/reference/rest/v1/groups.memberships#Membership (memberships
list) and https://cloud.google.com/identity/docs/reference/rest/v1/groups.memberships/searchTransitiveMemberships
(MemberRelation); fixtures in data/directory (see data/README.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from seenby.audit import audit
from seenby.config import parse_rules
from seenby.errors import InputError
from seenby.importers.gcp_directory import directory_groups, with_directory
from seenby.model import AccessLevel, EdgeKind, ReadOutcome
from seenby.policies import evaluate
from seenby.snapshot import Read, Resource, load_snapshot, save_snapshot
from tests.gcp.builders import binding, bucket, org, policy, project, snapshot

ROOT = Path(__file__).resolve().parents[2]
DIRECTORY = Path(__file__).parent / "data" / "directory"
OPS = DIRECTORY / "ops@corp.example.json"
TRANSITIVE = DIRECTORY / "transitive.json"
RULES = parse_rules('version: 1\ndatasets:\n  - match: {id: "gs://b"}\n    classification: telemetry\n'
                    '    read: ["group:security@corp.example"]\n', source="rules.yaml")


def _shared_with(group: str) -> list[Resource]:
    iam = policy(binding("roles/storage.objectViewer", group))
    return [org(), project(iam=policy()), bucket("b", iam=iam)]


def test_memberships_list_output_gives_member_edges() -> None:
    """A bare `memberships list` file named after its group: one MEMBER_OF edge per direct member."""
    ev = evaluate(snapshot(*directory_groups([OPS])))
    edges = {(e.source.id, e.target.id) for e in ev.edges if e.kind is EdgeKind.MEMBER_OF}
    assert edges == {("user:alice@corp.example", "group:ops@corp.example"),
                     ("group:oncall@corp.example", "group:ops@corp.example")}


def test_transitive_output_counts_every_person() -> None:
    """`search-transitive-memberships` for staff: the finding counts its three people (nested ones included)."""
    shot = snapshot(*_shared_with("group:staff@corp.example"), *directory_groups([TRANSITIVE]))
    [finding] = [f for f in audit(shot, RULES, today=date(2026, 6, 1)).findings
                 if f.dataset.id == "gs://b" and f.level is AccessLevel.READ]
    assert finding.people == 3


def test_without_memberships_the_count_is_unknown() -> None:
    """The same finding without directory data has no people count (the control for the test above)."""
    shot = snapshot(*_shared_with("group:staff@corp.example"))
    [finding] = [f for f in audit(shot, RULES, today=date(2026, 6, 1)).findings
                 if f.dataset.id == "gs://b" and f.level is AccessLevel.READ]
    assert finding.people is None


def test_a_group_the_scan_read_keeps_its_live_read() -> None:
    """with_directory does not replace a group whose memberships the scan read."""
    live = Read(outcome=ReadOutcome.OK, api="cloudidentity.groups.memberships.list", document={"memberships": []})
    scanned = Resource(type="gcp.cloudidentity.group", id="ops@corp.example", reads={"memberships": live})
    merged = with_directory(snapshot(scanned), directory_groups([OPS]))
    [group] = merged.of_type("gcp.cloudidentity.group")
    assert group.read("memberships") == live


def test_a_group_the_scan_could_not_read_takes_the_file() -> None:
    """with_directory fills a group whose memberships read was denied."""
    denied = Read(outcome=ReadOutcome.DENIED, api="cloudidentity.groups.lookup", error_code="Forbidden")
    scanned = Resource(type="gcp.cloudidentity.group", id="ops@corp.example", reads={"memberships": denied})
    merged = with_directory(snapshot(scanned), directory_groups([OPS]))
    [group] = merged.of_type("gcp.cloudidentity.group")
    assert len(group.document("memberships")["memberships"]) == 2


def test_bare_list_needs_a_group_named_file(tmp_path: Path) -> None:
    """A bare list in a file not named after a group is an input error naming the file."""
    path = tmp_path / "members.json"
    path.write_text(OPS.read_text())
    with pytest.raises(InputError) as err:
        directory_groups([path])
    assert str(err.value).startswith(str(path))


def test_cli_import_adds_groups_to_a_snapshot(tmp_path: Path) -> None:
    """`seenby import gcp-directory SNAPSHOT FILE -o OUT` writes a snapshot holding the file's group."""
    source, out = tmp_path / "in.json", tmp_path / "out.json"
    save_snapshot(snapshot(*_shared_with("group:staff@corp.example")), source)
    proc = subprocess.run([sys.executable, "-m", "seenby", "import", "gcp-directory", str(source), str(TRANSITIVE),
                           "-o", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120, env=os.environ)
    assert proc.returncode == 0, proc.stderr
    assert [g.id for g in load_snapshot(out).of_type("gcp.cloudidentity.group")] == ["staff@corp.example"]
