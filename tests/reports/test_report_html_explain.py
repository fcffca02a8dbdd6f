"""``seenby why --format html``, rendered by the real command and checked with an HTML parser.

On the example organisation (examples/telemetry-incident, root rules.yaml), three questions from its
README's scenario table: the data account reads corp-employee-telemetry-raw through the bucket policy's
``OrgWideRead`` statement (``aws:PrincipalOrgID``,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid),
while the organisation's class itself does not (its members are answered one by one);
anyone is kept out of corp-press-kit by the account's RestrictPublicBuckets although its policy says
``Principal "*"`` (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html);
every employee reaches the BigQuery dataset ml_raw through an authorized view (paths only: layers are
AWS S3's).  Plus the history variant (tests/history/test_why_at.py's recorded scans) and hostile text.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from seenby.cli import cli
from seenby.reports.html import TEMPLATES
from tests.aws import conftest as aws
from tests.history.conftest import BUCKET_ARN
from tests.history.test_why_at import ORG_NODE, Series, record_series

from .test_report_html import LOADING_ATTRIBUTES, RULES, SNAPSHOT, Element, Page, descendants
from .test_report_html_history import HOSTILE_SID, digest, header

ORG = "aws-org:o-a1b2c3d4e5"
RAW = "arn:aws:s3:::corp-employee-telemetry-raw"
PRESS_KIT = "arn:aws:s3:::corp-press-kit"
EMPLOYEES = "group:all-employees@corp.example"
ML_RAW = "bigquery://corp-telemetry.ml_raw"
DATA_ACCOUNT = "arn:aws:iam::111122223333:root"
QUESTIONS = {"org-raw": (ORG, RAW), "account-raw": (DATA_ACCOUNT, RAW), "public-press-kit": ("aws:public", PRESS_KIT),
             "employees-bq": (EMPLOYEES, ML_RAW)}  # fmt: skip


def why(*args: str) -> str:
    result = CliRunner().invoke(cli, ["why", *args, "--format", "html"])
    assert result.exit_code == 0, result.output
    return result.stdout


def why_example(principal: str, dataset: str, snapshot: str = str(SNAPSHOT)) -> str:
    return why(principal, dataset, "--snapshot", snapshot, "--rules", str(RULES))


@pytest.fixture(scope="module")
def pages() -> dict[str, Page]:
    return {name: Page(why_example(*question)) for name, question in QUESTIONS.items()}


def bucket_statement(bucket: str, sid: str) -> dict[str, Any]:
    """The statement ``sid`` of ``bucket``'s policy, as the example snapshot holds it."""
    snapshot = json.loads(SNAPSHOT.read_text())
    (resource,) = [r for r in snapshot["resources"] if r["id"] == bucket]
    document = json.loads(resource["reads"]["policy"]["document"]["Policy"])
    (statement,) = [s for s in document["Statement"] if s.get("Sid") == sid]
    return statement


def actions(page: Page) -> dict[str, Element]:
    return {a.attrs["data-action"]: a for a in page.all("article") if "data-action" in a.attrs}


def layer_rows(action: Element) -> dict[str, Element]:
    return {e.attrs["data-layer"]: e for e in descendants(action) if e.tag == "tr" and "data-layer" in e.attrs}


def decisive(action: Element) -> list[str]:
    return [k for k, row in layer_rows(action).items() if row.attrs["data-decisive"] == "yes"]


def paths(page: Page) -> list[Element]:
    return [a for a in page.all("article") if "data-path" in a.attrs]


def text_of(element: Element, cls: str, tag: str | None = None) -> str:
    return " ".join(e.text for e in descendants(element)
                    if cls in e.attrs.get("class", "").split() and (tag is None or e.tag == tag))


# ── the answer and the layers ────────────────────────────────────────────────


def test_data_account_can_read_the_raw_bucket(pages):
    """The answer up front: the data account (every principal of it, the bucket's own) can reach
    corp-employee-telemetry-raw at level read."""
    page = pages["account-raw"]
    answer = page.one(data_answer_text="")
    assert (page.has_class("answer")[0].attrs["data-answer"], page.has_class("answer")[0].attrs["data-level"]) == (
        "allowed", "read")
    assert "account 111122223333 can reach this dataset at level read" in " ".join(answer.text.split())
    assert "role/ml-training" in page.one(data_declared="").text


def test_resolved_organisation_class_is_not_allowed_as_who_can_read_says(pages):
    """The organisation's class itself: not allowed, as who-can-read (which does not list it) says: every other
    account's IAM is in the snapshot, so its members are answered one by one (issue 19 item 1)."""
    page = pages["org-raw"]
    assert page.has_class("answer")[0].attrs["data-answer"] == "not-allowed"
    row = layer_rows(actions(page)["s3:GetObject"])["identity-policies"]
    assert row.attrs["data-status"] == "no-allow" and "one by one" in " ".join(row.text.split())


def test_each_action_of_the_level_has_its_layers_and_decisive_marks(pages):
    """GetObject allowed (nothing decisive); GetObjectVersion not: bucket policy and ACL, allowing nothing, decide."""
    found = actions(pages["account-raw"])
    assert {name: a.attrs["data-answer"] for name, a in found.items()} == {
        "s3:GetObject": "allowed", "s3:GetObjectVersion": "not-allowed"}
    assert list(layer_rows(found["s3:GetObject"])) == [
        "identity-policies", "permission-boundary", "resource-policy", "acl", "object-ownership",
        "block-public-access", "service-control-policies", "resource-control-policies", "kms-key-policy"]
    assert decisive(found["s3:GetObject"]) == []
    rows = layer_rows(found["s3:GetObjectVersion"])
    assert {"resource-policy", "acl"} <= set(decisive(found["s3:GetObjectVersion"]))
    assert (rows["resource-policy"].attrs["data-status"], rows["acl"].attrs["data-status"]) == ("no-allow", "no-allow")
    row = rows["acl"]
    assert "decisive" in row.attrs["class"] and "▶ decisive" in row.text


def test_bucket_policy_layer_quotes_the_allowing_statement_exactly(pages):
    """GetObject's bucket-policy layer allows by Sid OrgWideRead, its statement quoted as the snapshot has it."""
    row = layer_rows(actions(pages["account-raw"])["s3:GetObject"])["resource-policy"]
    (allowing,) = [e for e in descendants(row) if e.attrs.get("data-role") == "allowing"]
    assert row.attrs["data-status"] == "allows" and "Sid OrgWideRead" in " ".join(allowing.text.split())
    assert json.loads(text_of(allowing, "excerpt", "pre")) == bucket_statement(RAW, "OrgWideRead")


def test_restrict_public_buckets_is_the_decisive_layer_for_the_public(pages):
    """anyone → corp-press-kit: not allowed; in each action Block Public Access denies, the one decisive layer."""
    page = pages["public-press-kit"]
    found = actions(page)
    assert page.has_class("answer")[0].attrs["data-answer"] == "not-allowed" and len(found) == 2
    for action in found.values():
        row = layer_rows(action)["block-public-access"]
        (denying,) = [e for e in descendants(row) if e.attrs.get("data-role") == "denying"]
        assert decisive(action) == ["block-public-access"] and row.attrs["data-status"] == "denies"
        assert "PublicAccessBlockConfiguration.RestrictPublicBuckets" in denying.text
        assert json.loads(text_of(denying, "excerpt", "pre")) == {"RestrictPublicBuckets": True}


def test_public_press_kit_quotes_the_public_statement_the_setting_overrides(pages):
    """The bucket policy still allows GetObject by Sid PublicRead (Principal "*"): shown as allowing, not decisive."""
    row = layer_rows(actions(pages["public-press-kit"])["s3:GetObject"])["resource-policy"]
    assert (row.attrs["data-status"], row.attrs["data-decisive"]) == ("allows", "no")
    assert json.loads(text_of(row, "excerpt", "pre")) == bucket_statement(PRESS_KIT, "PublicRead")


def test_at_a_glance_table_names_the_decisive_layers(pages):
    """The summary table has one row per action, linking to its layer table and naming what decided it."""
    rows = [r for r in pages["public-press-kit"].all("tr") if "data-action-row" in r.attrs]
    assert [r.attrs["data-answer"] for r in rows] == ["not-allowed", "not-allowed"]
    assert all("block-public-access" in r.text for r in rows)
    assert [e.attrs["href"] for r in rows for e in descendants(r) if e.tag == "a"] == ["#action-1", "#action-2"]


# ── paths ────────────────────────────────────────────────────────────────────


def test_paths_are_drawn_with_their_evidence(pages):
    """The data account's paths are drawn with their evidence: its own, straight through OrgWideRead (the bucket's
    account needs no Allow of its own), and through telemetry-reader, which its principals may assume, with the
    trust statement.  The organisation's class has no path: every other account's IAM is known, so its members
    are named one by one (issue 22 item 5, issue 19 item 1)."""
    assert paths(pages["org-raw"]) == []
    drawn = []
    for path in paths(pages["account-raw"]):
        (svg,) = [e for e in descendants(path) if e.tag == "svg"]
        drawn.append((path, svg))
    direct = [p for p, svg in drawn if "Sid OrgWideRead" in svg.text and "can-assume" not in svg.text]
    through = [p for p, svg in drawn if "can-assume" in svg.text and "telemetry-reader" in svg.text]
    assert direct and through
    assert "Sid AnyoneInTheOrganisation" in " ".join(text_of(through[0], "hops", "ol").split())


def test_non_s3_dataset_is_explained_by_paths_only(pages):
    """Employees → ml_raw (BigQuery): no layer table, one path read → view → re-exposes, evidence access[1], a note."""
    page = pages["employees-bq"]
    (path,) = paths(page)
    (svg,) = [e for e in descendants(path) if e.tag == "svg"]
    assert actions(page) == {} and page.has_class("layers") == []
    assert page.has_class("answer")[0].attrs["data-answer"] == "allowed"
    assert "read" in svg.text and "re-exposes" in svg.text and "access[1]" in svg.text
    assert "layer-by-layer decisions are AWS-only" in page.one("section", id="notes").text


@pytest.mark.parametrize("name", list(QUESTIONS))
def test_everything_is_in_the_markup_without_the_script(pages, name):
    """Layer tables and drawings are static markup, none in a closed <details>: shown with scripts off and in print."""
    page = pages[name]
    assert page.all("details") == [] and page.all("noscript") == []
    assert len(page.has_class("path-graph", "svg")) == len(paths(page))


# ── provenance ───────────────────────────────────────────────────────────────


def test_header_names_the_snapshot_collector_and_scope(pages):
    """From a snapshot file: the header names the file, its collector identity and its scope; no 'as of'."""
    page = pages["org-raw"]
    text = header(page)
    assert str(SNAPSHOT) in text and "role/seenby-auditor" in text and "o-a1b2c3d4e5" in text
    assert "not recorded" not in text and page.all(data_as_of="") == []


@pytest.fixture(scope="module")
def series(tmp_path_factory) -> Series:
    return record_series(tmp_path_factory.mktemp("history"))


def why_at(s: Series, at: str) -> Page:
    return Page(why(ORG_NODE, BUCKET_ARN, "--at", at, "--store", str(s.store), "--rules", str(s.rules)))


def test_history_answer_names_the_recorded_scan(series):
    """why --at noon on day 2: the header says scan @2 and its lead on the asked time; OrgRead allows GetObject."""
    page = why_at(series, "2026-03-02T12:00")
    as_of = page.one(data_as_of="").text
    row = layer_rows(actions(page)["s3:GetObject"])["resource-policy"]
    assert f"recorded scan @2 of {series.store}" in as_of and "3 hours before the time asked" in as_of
    assert f"{series.store}@2" in header(page) and "role/auditor" in header(page)
    assert page.has_class("answer")[0].attrs["data-answer"] == "allowed" and "Sid OrgRead" in row.text


def test_history_answer_before_the_policy_is_no(series):
    """why --at day 1: scan @1 answers, nothing allows the organisation, no path is drawn."""
    page = why_at(series, "2026-03-01")
    assert "recorded scan @1 of" in page.one(data_as_of="").text
    assert page.has_class("answer")[0].attrs["data-answer"] == "not-allowed" and paths(page) == []


# ── self-contained, strict CSP, untrusted text ───────────────────────────────


@pytest.mark.parametrize("name", list(QUESTIONS))
def test_csp_hashes_match_the_inlined_style_and_script(pages, name):
    """The CSP allows exactly the page's one inline style and its one inline script (seenby's own) by hash."""
    page = pages[name]
    directives = dict(d.strip().split(" ", 1)
                      for d in page.one("meta", http_equiv="Content-Security-Policy").attrs["content"].split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["style-src"] == digest(page.one("style").text)
    assert directives["script-src"] == digest(page.one("script").text)
    assert page.one("script").text == (TEMPLATES / "report.js").read_text()


@pytest.mark.parametrize("name", list(QUESTIONS))
def test_nothing_is_loaded_from_outside_the_page(pages, name):
    """No src/href outside the page, no link, img or iframe, no @import or url() in the style."""
    page = pages[name]
    remote = [(e.tag, k, v) for e in page.elements for k, v in e.attrs.items()
              if k in LOADING_ATTRIBUTES and not v.startswith("#")]
    style = page.one("style").text
    assert remote == [] and page.all("link") == page.all("img") == page.all("iframe") == []
    assert "@import" not in style and "url(" not in style


def test_hostile_sid_is_text_in_the_layers_and_the_drawing(tmp_path):
    """A Sid that is a script element (in the example's bucket policy) shows as text in the layer table and the path."""
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(SNAPSHOT.read_text().replace("OrgWideRead", HOSTILE_SID))
    text = why_example(DATA_ACCOUNT, RAW, str(snapshot))
    page = Page(text)
    assert len(page.all("script")) == 1 and page.one("script").text == (TEMPLATES / "report.js").read_text()
    assert "<script>alert" not in text and not [k for e in page.elements for k in e.attrs if k.startswith("on")]
    row = layer_rows(actions(page)["s3:GetObject"])["resource-policy"]
    assert f"Sid {HOSTILE_SID}" in " ".join(row.text.split())
    assert HOSTILE_SID in page.has_class("path-graph", "svg")[0].text


def test_page_file_is_owner_only(tmp_path):
    """`seenby why … --format html --output FILE` writes the page owner-only (0600)."""
    out = tmp_path / "why.html"
    result = CliRunner().invoke(cli, ["why", ORG, RAW, "--snapshot", str(SNAPSHOT), "--format", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<!DOCTYPE html>") and (out.stat().st_mode & 0o777) == 0o600


# ── access points and conditions (hand-made snapshots, shaped as tests/aws/conftest.py makes them) ──


def why_resources(tmp_path, *resources: dict[str, Any]) -> Page:
    data = {"schema_version": "1.0", "collected_at": "2026-11-23T09:00:00Z",
            "collector": {"tool": "seenby", "version": "test", "mode": "example"},
            "scope": {"aws_accounts": [aws.ACCT]}, "resources": list(resources)}
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(data))
    return Page(why("aws:public", "arn:aws:s3:::b", "--snapshot", str(path)))


def test_actions_through_an_access_point_are_grouped_under_it(tmp_path):
    """A bucket delegating to access point ap1, whose policy lets anyone GetObject (Sid ApPublic): the requests
    through ap1 sit under its heading with an access-point layer quoting that statement
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html)."""
    ap = f"arn:aws:s3:eu-west-1:{aws.ACCT}:accesspoint/ap1"
    statement = aws.stmt(resource=f"{ap}/object/*", sid="ApPublic")
    point = {"Name": "ap1", "NetworkOrigin": "Internet", "AccessPointArn": ap, "BucketAccountId": aws.ACCT,
             "Policy": json.dumps(aws.policy(statement))}
    bucket = aws.bucket(policy=aws.policy(aws.stmt(action="*", resource=["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                        condition={"StringEquals": {"s3:DataAccessPointAccount": aws.ACCT}})))
    bucket["reads"]["access_points"] = aws.read("s3control:ListAccessPoints", {"AccessPointList": [point]})
    page = why_resources(tmp_path, *aws.base(bucket))
    (group,) = [e for e in page.has_class("action-group", "div") if e.attrs["data-via"] == ap]
    (through,) = [e for e in descendants(group) if e.attrs.get("data-action") == "s3:GetObject"]
    row = layer_rows(through)["access-point"]
    assert f"Through access point {ap}" in " ".join(group.text.split()) and through.attrs["data-answer"] == "allowed"
    assert row.attrs["data-status"] == "allows" and json.loads(text_of(row, "excerpt", "pre")) == statement
    ids = [a.attrs["id"] for a in page.all("article") if "data-action" in a.attrs]
    assert ids == [f"action-{n}" for n in range(1, len(ids) + 1)]  # numbered in page order, direct ones first


def test_condition_seenby_cannot_decide_makes_the_answer_conditional(tmp_path):
    """A public Allow under a condition key outside seenby's catalogue (s3:ExistingJobOperation): the answer is
    'Conditionally' and the bucket-policy layer shows the condition as written
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-iam-role-policies.html)."""
    statement = aws.stmt(sid="FromOffice", condition={"StringEquals": {"s3:ExistingJobOperation": "203.0.113.0/24"}})
    page = why_resources(tmp_path, *aws.base(aws.bucket(policy=aws.policy(statement))))
    answer = page.has_class("answer")[0]
    row = layer_rows(actions(page)["s3:GetObject"])["resource-policy"]
    conditions = " ".join(e.text for e in descendants(row) if "condition" in e.attrs.get("class", "").split())
    assert answer.attrs["data-answer"] == "conditional" and "Conditionally" in answer.text
    assert row.attrs["data-status"] == "conditional" and "s3:ExistingJobOperation" in conditions
    assert "203.0.113.0/24" in conditions
