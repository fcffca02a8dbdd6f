"""Property (hypothesis): on randomly changed organisations, applying a proven fix never widens any dataset's
audience (a member new by name is held by a class that reached before) and never removes a declared member.

Each example takes the example organisation and gives one bucket a random policy (statements drawn
from documented shapes: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html,
the aws:PrincipalOrgID condition https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)
and random public ACL grants (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html).
Every proven fix for that bucket's findings is applied by the independent applier of ``proofs`` and
the organisation is evaluated again.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seenby import api
from seenby.fix import Fix, find_fixes

from .conftest import RULES, SNAPSHOT, TODAY
from .proofs import held_by, patched_snapshot, reach

BUCKET = "arn:aws:s3:::corp-employee-telemetry-curated"
ORG = "o-a1b2c3d4e5"
ML_TRAINING = "arn:aws:iam::111122223333:role/ml-training"
PARTNER = "arn:aws:iam::444455556666:root"
ANALYTICS = "arn:aws:iam::222233334444:root"
READ = ["s3:GetObject", "s3:ListBucket"]
RESOURCES = [BUCKET, f"{BUCKET}/*"]

PRINCIPALS = st.sampled_from(["*", {"AWS": PARTNER}, {"AWS": ANALYTICS}, {"AWS": ML_TRAINING},
                              {"AWS": [PARTNER, ML_TRAINING]}, {"Service": "sagemaker.amazonaws.com"}])  # fmt: skip
CONDITIONS = st.sampled_from([None, {"StringEquals": {"aws:PrincipalOrgID": ORG}},
                              {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}])  # fmt: skip
GRANTEES = st.sampled_from(["AllUsers", "AuthenticatedUsers"])


@st.composite
def statement(draw: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": "Allow", "Principal": draw(PRINCIPALS), "Action": READ, "Resource": RESOURCES}
    condition = draw(CONDITIONS)
    if condition:
        s["Condition"] = condition
    return s


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                               HealthCheck.too_slow])  # fmt: skip
@given(statements=st.lists(statement(), min_size=1, max_size=3), grantees=st.lists(GRANTEES, max_size=1))
def test_a_proven_fix_never_widens_and_never_cuts_off_a_declared_member(statements, grantees, tmp_path_factory):
    """On a random bucket policy and ACL, every proven fix keeps every audience within what it was and every
    declared member in it."""
    tmp = tmp_path_factory.mktemp("org")
    data = json.loads(SNAPSHOT.read_text())
    bucket = next(r for r in data["resources"] if r["id"] == BUCKET)
    bucket["reads"]["policy"]["document"] = {"Policy": json.dumps({"Version": "2012-10-17", "Statement": statements})}
    for g in grantees:
        bucket["reads"]["acl"]["document"]["Grants"].append(
            {"Grantee": {"Type": "Group", "URI": f"http://acs.amazonaws.com/groups/global/{g}"}, "Permission": "READ"}
        )
    path = tmp / "snapshot.json"
    path.write_text(json.dumps(data))
    snapshot, rules = api.load(path), api.load_rules(RULES)
    view = api.evaluate(snapshot)
    mine = [f.fingerprint for f in view.audit(rules, today=TODAY).findings if f.dataset.id == BUCKET]
    before = reach(view, rules)

    run = find_fixes(snapshot, rules, fingerprints=mine, today=TODAY)

    for fix in (o for o in run.outcomes.values() if isinstance(o, Fix)):
        view_after = api.evaluate(patched_snapshot(data, fix, tmp))
        after = reach(view_after, rules)
        for key, members in after.items():
            was = set(before.get(key, {}))
            new = {pid for pid in set(members) - was if not held_by(view_after, pid) & was}
            assert not new, (key, new)
        for key, members in before.items():
            lost = {pid for pid, declared in members.items() if declared and pid not in after.get(key, {})}
            assert not lost, (key, lost)
