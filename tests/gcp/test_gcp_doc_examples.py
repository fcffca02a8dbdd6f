"""Google Cloud's documented access behaviour, one case per statement, each with its page.

Every case builds a miniature snapshot, evaluates it, and compares the levels one
principal reaches on one dataset (directly or through the membership edges seenby adds,
e.g. a project viewer through ``projectViewer:P``) with what the cited page says.
``levels`` are reached unconditionally, ``conditional`` only under a condition.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from seenby.model import AccessLevel, Evaluation, PrincipalKind, ReadOutcome
from seenby.snapshot import Read, Resource
from tests.gcp.builders import (
    DENIED,
    ORG,
    PROJECT,
    PROJECT_NUMBER,
    binding,
    bq_dataset,
    bq_table,
    bucket,
    evaluate,
    folder,
    group,
    org,
    pap_policy,
    policy,
    project,
    view_entry,
)

R, W, A, L = AccessLevel.READ, AccessLevel.WRITE, AccessLevel.ADMIN, AccessLevel.LIST
B = "gs://b"
DS = f"bigquery://{PROJECT}.ds"
TABLE = f"{DS}.t"
ALICE = "user:alice@corp.example"
ALICE_M = ALICE  # as a binding member

IAM_ROLES = "https://cloud.google.com/storage/docs/access-control/iam-roles"
GCS_IAM = "https://cloud.google.com/storage/docs/access-control/iam"
CONVENIENCE = "https://cloud.google.com/storage/docs/access-control/iam#convenience-values"
ACL = "https://cloud.google.com/storage/docs/access-control/lists"
ACL_SCOPES = "https://cloud.google.com/storage/docs/access-control/lists#scopes"
PREDEFINED_ACL = "https://cloud.google.com/storage/docs/access-control/lists#predefined-acl"
UBLA = "https://cloud.google.com/storage/docs/uniform-bucket-level-access"
PAP = "https://cloud.google.com/storage/docs/public-access-prevention"
PRINCIPALS = "https://cloud.google.com/iam/docs/principals-overview"
PRINCIPAL_IDS = "https://cloud.google.com/iam/docs/principal-identifiers"
HIERARCHY = "https://cloud.google.com/iam/docs/resource-hierarchy-access-control"
BQ_IAM = "https://cloud.google.com/bigquery/docs/access-control"
BQ_BASIC = "https://cloud.google.com/bigquery/docs/access-control-basic-roles"
BQ_CONTROL = "https://cloud.google.com/bigquery/docs/control-access-to-resources-iam"
BQ_ACCESS_FIELD = "https://cloud.google.com/bigquery/docs/reference/rest/v2/datasets#Dataset.FIELDS.access"
AUTH_VIEWS = "https://cloud.google.com/bigquery/docs/authorized-views"
AUTH_DATASETS = "https://cloud.google.com/bigquery/docs/authorized-datasets"
DENY = "https://cloud.google.com/iam/docs/deny-overview"
CONDITIONS = "https://cloud.google.com/iam/docs/conditions-resource-attributes"
CONDITIONS_OVERVIEW = "https://cloud.google.com/iam/docs/conditions-overview"
ATTRIBUTES = "https://cloud.google.com/iam/docs/conditions-attribute-reference"
NETWORK = '"accessPolicies/1/accessLevels/corp" in request.auth.access_levels'
ACCESS_LEVELS = "https://cloud.google.com/iam/docs/conditions-attribute-reference#access-levels"


# -- reach ------------------------------------------------------------------------------


def reach(ev: Evaluation, dataset: str, principal: str) -> tuple[set[AccessLevel], set[AccessLevel]]:
    """(unconditional, conditional-only) levels ``principal`` reaches on ``dataset``, through member edges too."""
    # principal id -> is the path to it unconditional?
    paths: dict[str, bool] = {principal: True}
    frontier = [principal]
    while frontier:
        current = frontier.pop()
        for edge in ev.edges:
            if edge.source.id != current:
                continue
            clean = paths[current] and not edge.conditions
            if edge.target.id not in paths or (clean and not paths[edge.target.id]):
                paths[edge.target.id] = clean
                frontier.append(edge.target.id)
    sure: set[AccessLevel] = set()
    maybe: set[AccessLevel] = set()
    for grant in ev.grants:
        if grant.dataset != dataset or grant.principal.id not in paths:
            continue
        if paths[grant.principal.id] and not grant.conditional:
            sure.add(grant.level)
        else:
            maybe.add(grant.level)
    return sure, maybe - sure


@dataclass(frozen=True, kw_only=True)
class Case:
    id: str
    url: str
    resources: Callable[[], Sequence[Resource]]
    dataset: str
    principal: str
    levels: frozenset[AccessLevel]
    conditional: frozenset[AccessLevel] = field(default_factory=frozenset)


def case(
    id_: str,
    url: str,
    resources: Callable[[], Sequence[Resource]],
    principal: str,
    levels: set[AccessLevel],
    conditional: set[AccessLevel] | None = None,
    *,
    dataset: str = B,
    marks: Any = (),
) -> Any:
    return pytest.param(
        Case(
            id=id_,
            url=url,
            resources=resources,
            dataset=dataset,
            principal=principal,
            levels=frozenset(levels),
            conditional=frozenset(conditional or ()),
        ),
        id=id_,
        marks=marks,
    )


# -- snapshot shapes ----------------------------------------------------------------------


def on_bucket(role: str, member: str = ALICE_M, *, uniform: bool = True, **kw: Any) -> Callable[[], list[Resource]]:
    return lambda: [org(), project(), bucket("b", iam=policy(binding(role, member)), uniform=uniform, **kw)]


def on_project(role: str, member: str = ALICE_M, *, where: str = "project") -> Callable[[], list[Resource]]:
    def build() -> list[Resource]:
        bound = policy(binding(role, member))
        if where == "org":
            return [org(iam=bound), folder("folders/7"), project(parent="folders/7"), bucket("b"), bq_dataset("ds")]
        if where == "folder":
            return [org(), folder("folders/7", iam=bound), project(parent="folders/7"), bucket("b"), bq_dataset("ds")]
        return [org(), project(iam=bound), bucket("b"), bq_dataset("ds")]

    return build


def with_acl(
    *entries: tuple[str, str],
    default: Sequence[tuple[str, str]] = (),
    uniform: bool = False,
    viewers: Sequence[str] = (),
    editors: Sequence[str] = (),
    owners: Sequence[str] = (),
) -> Callable[[], list[Resource]]:
    def build() -> list[Resource]:
        bindings = [binding(r, *m) for r, m in (("roles/viewer", viewers), ("roles/editor", editors),
                                                 ("roles/owner", owners)) if m]
        return [
            org(),
            project(iam=policy(*bindings)),
            bucket(
                "b",
                uniform=uniform,
                acl=[{"entity": e, "role": r} for e, r in entries],
                default_acl=[{"entity": e, "role": r} for e, r in default],
            ),
        ]

    return build


def public_bucket(
    member: str = "allUsers",
    *,
    pap: str | None = "inherited",
    org_policies: Any = None,
    project_policies: Any = None,
    metadata: Any = "build",
) -> Callable[[], list[Resource]]:
    return lambda: [
        org(org_policies=org_policies),
        project(org_policies=project_policies),
        bucket("b", iam=policy(binding("roles/storage.objectViewer", member)), pap=pap, metadata=metadata),
    ]


def on_dataset(
    *entries: dict[str, Any], project_iam: Any = None, tables: Sequence[Resource] = ()
) -> Callable[[], list[Resource]]:
    return lambda: [org(), project(iam=project_iam), bq_dataset("ds", *entries), *tables]


def entry(role: str, **who: str) -> dict[str, Any]:
    return {"role": role, **who}


def deny_read(*rules: dict[str, Any]) -> Read:
    doc = {"policies": [{"name": "policies/x/denypolicies/p", "displayName": "p", "rules": list(rules)}]}
    return Read(outcome=ReadOutcome.OK, api="iam.policies.get", document=doc)


def deny_rule(denied: list[str], permissions: list[str], *, exceptions: Sequence[str] = (),
              exception_permissions: Sequence[str] = ()) -> dict[str, Any]:
    rule: dict[str, Any] = {"deniedPrincipals": denied, "deniedPermissions": permissions}
    if exceptions:
        rule["exceptionPrincipals"] = list(exceptions)
    if exception_permissions:
        rule["exceptionPermissions"] = list(exception_permissions)
    return {"denyRule": rule}


def denied_project(iam: Any, *rules: dict[str, Any], dataset: bool = False) -> Callable[[], list[Resource]]:
    def build() -> list[Resource]:
        p = project(iam=iam)
        p = Resource(type=p.type, id=p.id, account=p.account, parent=p.parent,
                     reads={**p.reads, "deny_policies": deny_read(*rules)})
        out = [org(), p, bucket("b")]
        if dataset:
            out.append(bq_dataset("ds"))
        return out

    return build


def group_of(email: str, *users: str) -> Resource:
    from tests.gcp.builders import group

    return group(email, *[("USER", u) for u in users])


def conditioned(role: str, expression: str, *, on: str = "bucket") -> Callable[[], list[Resource]]:
    cond = {"title": "t", "expression": expression}
    if on == "bucket":
        return lambda: [org(), project(), bucket("b", iam=policy(binding(role, ALICE_M, condition=cond)))]
    return lambda: [
        org(),
        project(iam=policy(binding(role, ALICE_M, condition=cond))),
        bq_dataset("ds"),
        bq_table("ds", "t"),
    ]


ENFORCE = pap_policy(ORG, enforce=True)
NO_ENFORCE = pap_policy(ORG, enforce=False)
DENIED_POLICIES = Read(outcome=ReadOutcome.DENIED, api="orgpolicy.policies.list", error_code="PERMISSION_DENIED")

CASES = [
    # --- Cloud Storage predefined and legacy roles, bound on the bucket -----------------------
    case("gcs-objectViewer-reads-and-lists", IAM_ROLES, on_bucket("roles/storage.objectViewer"), ALICE, {R, L}),
    case("gcs-objectCreator-only-creates", IAM_ROLES, on_bucket("roles/storage.objectCreator"), ALICE, {W}),
    case("gcs-objectUser-reads-writes-lists", IAM_ROLES, on_bucket("roles/storage.objectUser"), ALICE, {R, W, L}),
    case("gcs-objectAdmin-ubla-no-acl-admin", IAM_ROLES, on_bucket("roles/storage.objectAdmin"), ALICE, {R, W, L}),
    case("gcs-objectAdmin-fine-grained-sets-object-acls", IAM_ROLES,
         on_bucket("roles/storage.objectAdmin", uniform=False), ALICE, {R, W, L, A}),
    case("gcs-storage-admin-full-control", IAM_ROLES, on_bucket("roles/storage.admin"), ALICE, {R, W, L, A}),
    case("gcs-bucketViewer-no-object-access", IAM_ROLES, on_bucket("roles/storage.bucketViewer"), ALICE, set()),
    case("gcs-legacyBucketReader-lists-only", IAM_ROLES, on_bucket("roles/storage.legacyBucketReader"), ALICE, {L}),
    case("gcs-legacyBucketWriter-lists-and-writes", IAM_ROLES,
         on_bucket("roles/storage.legacyBucketWriter"), ALICE, {L, W}),
    case("gcs-legacyBucketOwner-sets-bucket-policy", IAM_ROLES,
         on_bucket("roles/storage.legacyBucketOwner"), ALICE, {L, W, A}),
    case("gcs-legacyObjectReader-reads-objects", IAM_ROLES, on_bucket("roles/storage.legacyObjectReader"), ALICE, {R}),
    case("gcs-legacyObjectOwner-ubla-reads", IAM_ROLES, on_bucket("roles/storage.legacyObjectOwner"), ALICE, {R}),
    case("gcs-legacyObjectOwner-fine-grained-sets-object-acls", IAM_ROLES,
         on_bucket("roles/storage.legacyObjectOwner", uniform=False), ALICE, {R, A}),
    # --- roles bound up the hierarchy reach the bucket --------------------------------------
    case("gcs-project-viewer-no-object-data", IAM_ROLES, on_project("roles/viewer"), ALICE, set()),
    case("gcs-project-editor-no-object-data", IAM_ROLES, on_project("roles/editor"), ALICE, set()),
    case("gcs-project-owner-can-rewrite-policy", IAM_ROLES, on_project("roles/owner"), ALICE, {A}),
    case("gcs-project-iam-admin-can-rewrite-policy", HIERARCHY,
         on_project("roles/resourcemanager.projectIamAdmin"), ALICE, {A}),
    case("gcs-objectViewer-on-project-inherited", HIERARCHY, on_project("roles/storage.objectViewer"), ALICE, {R, L}),
    case("gcs-objectViewer-on-folder-inherited", HIERARCHY,
         on_project("roles/storage.objectViewer", where="folder"), ALICE, {R, L}),
    case("gcs-objectViewer-on-org-inherited", HIERARCHY,
         on_project("roles/storage.objectViewer", where="org"), ALICE, {R, L}),
    # --- convenience values in bucket policies ---------------------------------------------
    case("convenience-projectViewer-reads-via-legacyObjectReader", CONVENIENCE,
         lambda: [org(), project(iam=policy(binding("roles/viewer", ALICE_M))),
                  bucket("b", iam=policy(binding("roles/storage.legacyObjectReader", f"projectViewer:{PROJECT}")))],
         ALICE, {R}),
    case("convenience-projectEditor-owns-bucket", CONVENIENCE,
         lambda: [org(), project(iam=policy(binding("roles/editor", ALICE_M))),
                  bucket("b", iam=policy(binding("roles/storage.legacyBucketOwner", f"projectEditor:{PROJECT}")))],
         ALICE, {L, W, A}),
    case("convenience-projectViewer-not-an-editor", CONVENIENCE,
         lambda: [org(), project(iam=policy(binding("roles/editor", ALICE_M))),
                  bucket("b", iam=policy(binding("roles/storage.legacyObjectReader", f"projectViewer:{PROJECT}")))],
         ALICE, set()),
    case("convenience-inherited-folder-viewer-is-project-viewer", CONVENIENCE,
         lambda: [org(), folder("folders/7", iam=policy(binding("roles/viewer", ALICE_M))),
                  project(parent="folders/7", iam=policy()),
                  bucket("b", iam=policy(binding("roles/storage.objectViewer", f"projectViewer:{PROJECT}")))],
         ALICE, {R, L}),
    # --- ACLs --------------------------------------------------------------------------------
    case("acl-bucket-allUsers-reader-lists-not-reads", ACL, with_acl(("allUsers", "READER")), "allUsers", {L}),
    case("acl-bucket-allAuthenticatedUsers-writer", ACL, with_acl(("allAuthenticatedUsers", "WRITER")),
         "allAuthenticatedUsers", {L, W}),
    case("acl-bucket-user-owner", ACL, with_acl(("user-alice@corp.example", "OWNER")), ALICE, {L, W, A}),
    case("acl-bucket-group-reader", ACL_SCOPES, with_acl(("group-ops@corp.example", "READER")),
         "group:ops@corp.example", {L}),
    case("acl-bucket-domain-reader", ACL_SCOPES, with_acl(("domain-corp.example", "READER")),
         "domain:corp.example", {L}),
    case("acl-default-object-allUsers-reader-conditional-read", ACL,
         with_acl(default=[("allUsers", "READER")]), "allUsers", set(), {R}),
    case("acl-project-viewers-number-is-project-viewers", ACL_SCOPES,
         with_acl((f"project-viewers-{PROJECT_NUMBER}", "READER"), viewers=[ALICE_M]), ALICE, {L}),
    case("acl-predefined-projectPrivate-editors-own-bucket", PREDEFINED_ACL,
         with_acl((f"project-owners-{PROJECT_NUMBER}", "OWNER"), (f"project-editors-{PROJECT_NUMBER}", "OWNER"),
                  (f"project-viewers-{PROJECT_NUMBER}", "READER"), editors=[ALICE_M]), ALICE, {L, W, A}),
    case("acl-predefined-projectPrivate-default-object-viewers-read", PREDEFINED_ACL,
         with_acl(default=[(f"project-owners-{PROJECT_NUMBER}", "OWNER"),
                           (f"project-editors-{PROJECT_NUMBER}", "OWNER"),
                           (f"project-viewers-{PROJECT_NUMBER}", "READER")], viewers=[ALICE_M]), ALICE, set(), {R}),
    case("acl-predefined-authenticatedRead-object", PREDEFINED_ACL,
         with_acl(default=[("allAuthenticatedUsers", "READER")]), "allAuthenticatedUsers", set(), {R}),
    case("ubla-on-ignores-bucket-acl", UBLA, with_acl(("allUsers", "OWNER"), uniform=True), "allUsers", set()),
    case("ubla-on-ignores-default-object-acl", UBLA, with_acl(default=[("allUsers", "READER")], uniform=True),
         "allUsers", set()),
    case("ubla-legacy-bucketPolicyOnly-ignores-acl", UBLA,
         lambda: [org(), project(), bucket("b", metadata={"name": "b", "iamConfiguration": {
             "bucketPolicyOnly": {"enabled": True}}, "acl": [{"entity": "allUsers", "role": "READER"}]})],
         "allUsers", set()),
    # --- public access prevention -----------------------------------------------------------
    case("pap-enforced-blocks-allUsers", PAP, public_bucket(pap="enforced"), "allUsers", set()),
    case("pap-enforced-blocks-allAuthenticatedUsers", PAP, public_bucket("allAuthenticatedUsers", pap="enforced"),
         "allAuthenticatedUsers", set()),
    case("pap-enforced-leaves-domain", PAP, public_bucket("domain:corp.example", pap="enforced"),
         "domain:corp.example", {R, L}),
    case("pap-enforced-blocks-public-acl", PAP,
         lambda: [org(), project(), bucket("b", uniform=False, pap="enforced",
                                           acl=[{"entity": "allUsers", "role": "READER"}])], "allUsers", set()),
    case("pap-inherited-org-enforces", PAP, public_bucket(org_policies=ENFORCE), "allUsers", set()),
    case("pap-inherited-org-does-not-enforce", PAP, public_bucket(org_policies=NO_ENFORCE), "allUsers", {R, L}),
    case("pap-inherited-project-overrides-org", PAP,
         public_bucket(org_policies=ENFORCE, project_policies=pap_policy(f"projects/{PROJECT}", enforce=False)),
         "allUsers", {R, L}),
    case("pap-inherited-project-reset-to-default", PAP,
         public_bucket(org_policies=ENFORCE, project_policies=pap_policy(f"projects/{PROJECT}", reset=True)),
         "allUsers", {R, L}),
    # No org policy in the snapshot at all (a project-scoped scan): the public grant stays public, at its full
    # severity. An org policy that was read and denied is a gap and makes it conditional (next case).
    case("pap-inherited-ancestor-not-in-snapshot-stays-public", PAP, public_bucket(), "allUsers", {R, L}),
    case("pap-inherited-org-policy-unreadable-conditional", PAP, public_bucket(org_policies=DENIED_POLICIES),
         "allUsers", set(), {R, L}),
    case("pap-bucket-metadata-unreadable-conditional", PAP, public_bucket(metadata=DENIED), "allUsers", set(), {R, L}),
    case("pap-unspecified-follows-org", PAP, public_bucket(pap="unspecified", org_policies=ENFORCE), "allUsers", set()),
    case("pap-tag-conditional-org-rule-conditional", PAP,
         public_bucket(org_policies=pap_policy(ORG, rules=[
             {"enforce": False},
             {"enforce": True, "condition": {"expression": "resource.matchTag('100/env', 'prod')"}}])),
         "allUsers", set(), {R, L}),
    case("pap-enforced-blocks-default-object-acl", PAP,
         lambda: [org(), project(), bucket("b", uniform=False, pap="enforced",
                                           default_acl=[{"entity": "allUsers", "role": "READER"}])], "allUsers", set()),
    case("pap-inherited-folder-enforces", PAP,
         lambda: [org(), folder("folders/7", org_policies=pap_policy("folders/7", enforce=True)),
                  project(parent="folders/7"),
                  bucket("b", iam=policy(binding("roles/storage.objectViewer", "allUsers")))], "allUsers", set()),
    case("pap-inherited-project-enforces-over-org-false", PAP,
         public_bucket(org_policies=NO_ENFORCE, project_policies=pap_policy(f"projects/{PROJECT}", enforce=True)),
         "allUsers", set()),
    case("pap-inherited-v1-boolean-policy", PAP,
         public_bucket(org_policies={"policies": [{"constraint": "constraints/storage.publicAccessPrevention",
                                                   "booleanPolicy": {"enforced": True}}]}), "allUsers", set()),
    case("pap-inherited-does-not-touch-domain", PAP, public_bucket("domain:corp.example", org_policies=ENFORCE),
         "domain:corp.example", {R, L}),
    # --- principals ----------------------------------------------------------------------------
    case("principal-workforce-pool-all", PRINCIPAL_IDS,
         on_bucket("roles/storage.objectViewer",
                   "principalSet://iam.googleapis.com/locations/global/workforcePools/staff/*"),
         "principalSet://iam.googleapis.com/locations/global/workforcePools/staff/*", {R, L}),
    case("principal-workload-pool-attribute", PRINCIPAL_IDS,
         on_bucket("roles/storage.objectViewer",
                   "principalSet://iam.googleapis.com/projects/9/locations/global/workloadIdentityPools/gh/attribute.repository/corp/etl"),
         "principalSet://iam.googleapis.com/projects/9/locations/global/workloadIdentityPools/gh/attribute.repository/corp/etl",
         {R, L}),
    case("principal-goog-subject-is-the-google-account", PRINCIPAL_IDS,
         on_bucket("roles/storage.objectViewer", "principal://goog/subject/Alice@corp.example"), ALICE, {R, L}),
    case("principal-email-case-insensitive", PRINCIPALS,
         on_bucket("roles/storage.objectViewer", "user:Alice@Corp.Example"), ALICE, {R, L}),
    case("principal-deleted-user-has-no-live-access", "https://cloud.google.com/iam/docs/reference/rest/v1/Policy#Binding",
         on_bucket("roles/storage.objectViewer", "deleted:user:alice@corp.example?uid=123"),
         "deleted:user:alice@corp.example?uid=123", set(), {R, L}),
    case("principal-deleted-service-account-has-no-live-access",
         "https://cloud.google.com/iam/docs/reference/rest/v1/Policy#Binding",
         on_bucket("roles/storage.objectViewer",
                   "deleted:serviceAccount:etl@corp-telemetry.iam.gserviceaccount.com?uid=7"),
         "deleted:serviceAccount:etl@corp-telemetry.iam.gserviceaccount.com?uid=7", set(), {R, L}),
    case("principal-deleted-group-has-no-live-access", "https://cloud.google.com/iam/docs/reference/rest/v1/Policy#Binding",
         on_dataset(entry("READER", iamMember="deleted:group:ops@corp.example?uid=9")),
         "deleted:group:ops@corp.example?uid=9", set(), {R, L}, dataset=DS),
    case("principal-deleted-viewer-not-a-live-project-viewer", "https://cloud.google.com/iam/docs/reference/rest/v1/Policy#Binding",
         lambda: [org(), project(iam=policy(binding("roles/viewer", "deleted:user:alice@corp.example?uid=1"))),
                  bucket("b", iam=policy(binding("roles/storage.objectViewer", f"projectViewer:{PROJECT}")))],
         "deleted:user:alice@corp.example?uid=1", set(), {R, L}),
    # --- BigQuery: dataset access entries ----------------------------------------------------
    case("bq-entry-READER-reads", BQ_BASIC, on_dataset(entry("READER", userByEmail="alice@corp.example")),
         ALICE, {R, L}, dataset=DS),
    case("bq-entry-WRITER-writes", BQ_BASIC, on_dataset(entry("WRITER", userByEmail="alice@corp.example")),
         ALICE, {R, W, L}, dataset=DS),
    case("bq-entry-OWNER-administers", BQ_BASIC, on_dataset(entry("OWNER", userByEmail="alice@corp.example")),
         ALICE, {R, W, L, A}, dataset=DS),
    case("bq-entry-dataViewer-is-READER", BQ_IAM,
         on_dataset(entry("roles/bigquery.dataViewer", groupByEmail="ops@corp.example")),
         "group:ops@corp.example", {R, L}, dataset=DS),
    case("bq-entry-domain", BQ_ACCESS_FIELD, on_dataset(entry("READER", domain="corp.example")),
         "domain:corp.example", {R, L}, dataset=DS),
    case("bq-entry-service-account-by-email", BQ_ACCESS_FIELD,
         on_dataset(entry("READER", userByEmail="etl@corp-telemetry.iam.gserviceaccount.com")),
         "serviceAccount:etl@corp-telemetry.iam.gserviceaccount.com", {R, L}, dataset=DS),
    case("bq-entry-iamMember-allUsers-public", BQ_ACCESS_FIELD, on_dataset(entry("READER", iamMember="allUsers")),
         "allUsers", {R, L}, dataset=DS),
    case("bq-entry-specialGroup-allAuthenticatedUsers", BQ_ACCESS_FIELD,
         on_dataset(entry("READER", specialGroup="allAuthenticatedUsers")), "allAuthenticatedUsers", {R, L},
         dataset=DS),
    case("bq-entry-projectReaders-are-project-viewers", BQ_BASIC,
         on_dataset(entry("READER", specialGroup="projectReaders"),
                    project_iam=policy(binding("roles/viewer", ALICE_M))), ALICE, {R, L}, dataset=DS),
    case("bq-entry-projectWriters-are-project-editors", BQ_BASIC,
         on_dataset(entry("WRITER", specialGroup="projectWriters"),
                    project_iam=policy(binding("roles/editor", ALICE_M))), ALICE, {R, W, L}, dataset=DS),
    case("bq-entry-projectOwners-are-project-owners", BQ_BASIC,
         on_dataset(entry("OWNER", specialGroup="projectOwners"),
                    project_iam=policy(binding("roles/owner", ALICE_M))), ALICE, {R, W, L, A}, dataset=DS),
    case("bq-entry-projectReaders-excludes-editors", BQ_BASIC,
         on_dataset(entry("READER", specialGroup="projectReaders"),
                    project_iam=policy(binding("roles/editor", ALICE_M))), ALICE, set(), dataset=DS),
    case("bq-entry-projectReaders-include-org-viewers", BQ_BASIC,
         lambda: [org(iam=policy(binding("roles/viewer", ALICE_M))), project(iam=policy()),
                  bq_dataset("ds", entry("READER", specialGroup="projectReaders"))], ALICE, {R, L}, dataset=DS),
    case("bq-entry-condition-access-level-keeps-the-user", ACCESS_LEVELS,
         on_dataset({"role": "READER", "userByEmail": "alice@corp.example",
                     "condition": {"title": "t", "expression": NETWORK}}),
         ALICE, {R, L}, dataset=DS),
    case("bq-entry-condition-request-time-decided-at-collection", BQ_ACCESS_FIELD,
         on_dataset({"role": "READER", "userByEmail": "alice@corp.example",
                     "condition": {"title": "t", "expression": 'request.time < timestamp("2030-01-01T00:00:00Z")'}}),
         ALICE, {R, L}, dataset=DS),
    # --- BigQuery: roles bound on the project ------------------------------------------------
    case("bq-project-viewer-no-table-data", BQ_BASIC, on_project("roles/viewer"), ALICE, set(), dataset=DS),
    case("bq-project-owner-can-rewrite-policy", BQ_BASIC, on_project("roles/owner"), ALICE, {A}, dataset=DS),
    case("bq-project-dataViewer-reads-every-dataset", BQ_IAM, on_project("roles/bigquery.dataViewer"),
         ALICE, {R, L}, dataset=DS),
    case("bq-project-dataEditor", BQ_IAM, on_project("roles/bigquery.dataEditor"), ALICE, {R, W, L}, dataset=DS),
    case("bq-project-dataOwner", BQ_IAM, on_project("roles/bigquery.dataOwner"), ALICE, {R, W, L, A}, dataset=DS),
    case("bq-project-admin", BQ_IAM, on_project("roles/bigquery.admin"), ALICE, {R, W, L, A}, dataset=DS),
    case("bq-project-metadataViewer-no-data", BQ_IAM, on_project("roles/bigquery.metadataViewer"), ALICE, {L},
         dataset=DS),
    case("bq-project-jobUser-no-data", BQ_IAM, on_project("roles/bigquery.jobUser"), ALICE, set(), dataset=DS),
    case("bq-folder-dataViewer-inherited", HIERARCHY, on_project("roles/bigquery.dataViewer", where="folder"),
         ALICE, {R, L}, dataset=DS),
    # --- BigQuery: tables -------------------------------------------------------------------
    case("bq-table-inherits-dataset-READER", BQ_CONTROL,
         on_dataset(entry("READER", userByEmail="alice@corp.example"), tables=[bq_table("ds", "t")]),
         ALICE, {R, L}, dataset=TABLE),
    case("bq-table-policy-dataViewer-reads-table", BQ_CONTROL,
         lambda: [org(), project(), bq_dataset("ds"),
                  bq_table("ds", "t", iam=policy(binding("roles/bigquery.dataViewer", ALICE_M)))],
         ALICE, {R, L}, dataset=TABLE),
    case("bq-table-policy-does-not-open-dataset", BQ_CONTROL,
         lambda: [org(), project(), bq_dataset("ds"),
                  bq_table("ds", "t", iam=policy(binding("roles/bigquery.dataViewer", ALICE_M)))],
         ALICE, set(), dataset=DS),
    case("bq-table-dataOwner-on-table-administers-table", BQ_CONTROL,
         lambda: [org(), project(), bq_dataset("ds"),
                  bq_table("ds", "t", iam=policy(binding("roles/bigquery.dataOwner", ALICE_M)))],
         ALICE, {R, W, L, A}, dataset=TABLE),
    # --- deny policies ------------------------------------------------------------------------
    case("deny-objects-get-removes-read-keeps-list", DENY,
         denied_project(policy(binding("roles/storage.objectViewer", ALICE_M)),
                        deny_rule(["principal://goog/subject/alice@corp.example"],
                                  ["storage.googleapis.com/objects.get"])), ALICE, {L}),
    case("deny-exception-principal-exempt", DENY,
         denied_project(policy(binding("roles/storage.objectViewer", ALICE_M)),
                        deny_rule(["principalSet://goog/public:all"], ["storage.googleapis.com/objects.get"],
                                  exceptions=["principal://goog/subject/alice@corp.example"])), ALICE, {R, L}),
    case("deny-exception-permission-not-denied", DENY,
         denied_project(policy(binding("roles/storage.objectViewer", ALICE_M)),
                        deny_rule(["principal://goog/subject/alice@corp.example"],
                                  ["storage.googleapis.com/objects.*"],
                                  exception_permissions=["storage.googleapis.com/objects.get"])), ALICE, {R}),
    case("deny-wildcard-permissions", DENY,
         denied_project(policy(binding("roles/storage.objectViewer", ALICE_M)),
                        deny_rule(["principal://goog/subject/alice@corp.example"],
                                  ["storage.googleapis.com/objects.*"])), ALICE, set()),
    case("deny-public-all-covers-allUsers-grant", DENY,
         denied_project(policy(binding("roles/storage.objectViewer", "allUsers")),
                        deny_rule(["principalSet://goog/public:all"], ["storage.googleapis.com/objects.get"])),
         "allUsers", {L}),
    case("deny-bigquery-getData", DENY,
         denied_project(policy(binding("roles/bigquery.dataViewer", ALICE_M)),
                        deny_rule(["principal://goog/subject/alice@corp.example"],
                                  ["bigquery.googleapis.com/tables.getData"]), dataset=True), ALICE, {L}, dataset=DS),
    case("deny-group-covers-its-member", DENY,
         lambda: [*denied_project(policy(binding("roles/storage.objectViewer", ALICE_M)),
                                  deny_rule(["principalSet://goog/group/ops@corp.example"],
                                            ["storage.googleapis.com/objects.get"]))(),
                  group_of("ops@corp.example", "alice@corp.example")], ALICE, {L}),
    case("deny-other-principal-unaffected", DENY,
         denied_project(policy(binding("roles/storage.objectViewer", ALICE_M)),
                        deny_rule(["principal://goog/subject/bob@corp.example"],
                                  ["storage.googleapis.com/objects.get"])), ALICE, {R, L}),
    case("deny-exception-group-exempts-its-member", DENY,
         lambda: [*denied_project(policy(binding("roles/storage.objectViewer", ALICE_M)),
                                  deny_rule(["principalSet://goog/public:all"], ["storage.googleapis.com/objects.get"],
                                            exceptions=["principalSet://goog/group/ops@corp.example"]))(),
                  group_of("ops@corp.example", "alice@corp.example")], ALICE, {R, L}),
    case("deny-folder-policy-inherited-by-bucket", DENY,
         lambda: [org(), Resource(type="gcp.folder", id="folders/7", parent=ORG, reads={
                      "metadata": Read(outcome=ReadOutcome.OK, api="get", document={"name": "folders/7"}),
                      "deny_policies": deny_read(deny_rule(["principal://goog/subject/alice@corp.example"],
                                                           ["storage.googleapis.com/objects.get"]))}),
                  project(parent="folders/7", iam=policy(binding("roles/storage.objectViewer", ALICE_M))),
                  bucket("b")], ALICE, {L}),
    case("deny-setIamPolicy-removes-owner-admin", DENY,
         denied_project(policy(binding("roles/owner", ALICE_M)),
                        deny_rule(["principal://goog/subject/alice@corp.example"],
                                  ["cloudresourcemanager.googleapis.com/projects.setIamPolicy"])), ALICE, set()),
    case("deny-service-account-identifier", PRINCIPAL_IDS,
         denied_project(policy(binding("roles/storage.objectViewer",
                                       "serviceAccount:etl@corp-telemetry.iam.gserviceaccount.com")),
                        deny_rule(["principal://iam.googleapis.com/projects/-/serviceAccounts/"
                                   "etl@corp-telemetry.iam.gserviceaccount.com"],
                                  ["storage.googleapis.com/objects.get"])),
         "serviceAccount:etl@corp-telemetry.iam.gserviceaccount.com", {L}),
    case("deny-user-reached-through-group-grant", DENY,
         lambda: [*denied_project(policy(binding("roles/storage.objectViewer", "group:ops@corp.example")),
                                  deny_rule(["principal://goog/subject/alice@corp.example"],
                                            ["storage.googleapis.com/objects.get"]))(),
                  group_of("ops@corp.example", "alice@corp.example")], ALICE, {L}),
    case("deny-user-reached-through-nested-group-grant", DENY,
         lambda: [*denied_project(policy(binding("roles/storage.objectViewer", "group:eng@corp.example")),
                                  deny_rule(["principal://goog/subject/alice@corp.example"],
                                            ["storage.googleapis.com/objects.get"]))(),
                  group("eng@corp.example", ("GROUP", "ops@corp.example")),
                  group_of("ops@corp.example", "alice@corp.example")], ALICE, {L}),
    case("deny-other-member-of-granted-group-keeps-read", DENY,
         lambda: [*denied_project(policy(binding("roles/storage.objectViewer", "group:ops@corp.example")),
                                  deny_rule(["principal://goog/subject/alice@corp.example"],
                                            ["storage.googleapis.com/objects.get"]))(),
                  group_of("ops@corp.example", "alice@corp.example", "bob@corp.example")],
         "user:bob@corp.example", {R, L}),
    case("deny-user-reached-through-projectViewer-convenience", DENY,
         lambda: [org(), Resource(type="gcp.project", id=f"projects/{PROJECT}", account=PROJECT, parent=ORG, reads={
                      **project(iam=policy(binding("roles/viewer", ALICE_M))).reads,
                      "deny_policies": deny_read(deny_rule(["principal://goog/subject/alice@corp.example"],
                                                           ["storage.googleapis.com/objects.get"]))}),
                  bucket("b", iam=policy(binding("roles/storage.objectViewer", f"projectViewer:{PROJECT}")))],
         ALICE, {L}),
    # --- custom and unknown roles ---------------------------------------------------------
    case("custom-role-with-objects-get-reads", "https://cloud.google.com/iam/docs/understanding-custom-roles",
         lambda: [org(), Resource(type="gcp.project", id=f"projects/{PROJECT}", account=PROJECT, parent=ORG, reads={
                      "metadata": Read(outcome=ReadOutcome.OK, api="get", document={
                          "name": f"projects/{PROJECT_NUMBER}", "projectId": PROJECT, "parent": ORG}),
                      "custom_roles": Read(outcome=ReadOutcome.OK, api="iam.roles.list", document={"roles": [
                          {"name": f"projects/{PROJECT}/roles/reader",
                           "includedPermissions": ["storage.objects.get"]}]})}),
                  bucket("b", iam=policy(binding(f"projects/{PROJECT}/roles/reader", ALICE_M)))], ALICE, {R}),
    case("custom-role-undefined-is-conditional", "https://cloud.google.com/iam/docs/understanding-custom-roles",
         on_bucket("organizations/100/roles/mystery"), ALICE, set(), {R, W, A}),
    case("other-service-role-opens-nothing", IAM_ROLES, on_bucket("roles/compute.viewer"), ALICE, set()),
    case("gcs-objectViewer-in-other-project-does-not-reach", HIERARCHY,
         lambda: [org(), project(), project("other", number="3001",
                                            iam=policy(binding("roles/storage.objectViewer", ALICE_M))),
                  bucket("b")], ALICE, set()),
    case("pap-bucket-enforced-wins-over-org-false", PAP, public_bucket(pap="enforced", org_policies=NO_ENFORCE),
         "allUsers", set()),
    case("bq-table-policy-allUsers-public-table", BQ_CONTROL,
         lambda: [org(), project(), bq_dataset("ds"),
                  bq_table("ds", "t", iam=policy(binding("roles/bigquery.dataViewer", "allUsers")))],
         "allUsers", {R, L}, dataset=TABLE),
    case("deny-getData-narrows-dataset-entry-on-table", DENY,
         lambda: [*denied_project(None, deny_rule(["principal://goog/subject/alice@corp.example"],
                                                  ["bigquery.googleapis.com/tables.getData"]))(),
                  bq_dataset("ds", entry("READER", userByEmail="alice@corp.example")), bq_table("ds", "t")],
         ALICE, {L}, dataset=TABLE),
    case("deny-exception-group-member-keeps-group-grant", DENY,
         lambda: [*denied_project(policy(binding("roles/storage.objectViewer", "group:ops@corp.example")),
                                  deny_rule(["principalSet://goog/group/ops@corp.example"],
                                            ["storage.googleapis.com/objects.get"],
                                            exceptions=["principal://goog/subject/alice@corp.example"]))(),
                  group_of("ops@corp.example", "alice@corp.example", "bob@corp.example")], ALICE, {R, L}),
    case("deny-group-grant-denied-for-other-members", DENY,
         lambda: [*denied_project(policy(binding("roles/storage.objectViewer", "group:ops@corp.example")),
                                  deny_rule(["principalSet://goog/group/ops@corp.example"],
                                            ["storage.googleapis.com/objects.get"],
                                            exceptions=["principal://goog/subject/alice@corp.example"]))(),
                  group_of("ops@corp.example", "alice@corp.example", "bob@corp.example")],
         "user:bob@corp.example", {L}),
    # --- IAM Conditions ----------------------------------------------------------------------
    case("condition-bucket-name-prefix-decided", CONDITIONS,
         conditioned("roles/storage.objectViewer", 'resource.name.startsWith("projects/_/buckets/b")'), ALICE, {R, L}),
    case("condition-other-bucket-opens-nothing", CONDITIONS,
         conditioned("roles/storage.objectViewer", 'resource.name.startsWith("projects/_/buckets/other")'),
         ALICE, set()),
    case("condition-access-level-keeps-the-user", ACCESS_LEVELS,
         conditioned("roles/storage.objectViewer", NETWORK), ALICE, {R, L}),
    case("condition-request-time-decided-at-collection", ATTRIBUTES,
         conditioned("roles/storage.objectViewer", 'request.time < timestamp("2030-01-01T00:00:00Z")'),
         ALICE, {R, L}),
    case("condition-request-time-expired-opens-nothing", ATTRIBUTES,
         conditioned("roles/storage.objectViewer", 'request.time < timestamp("2020-01-01T00:00:00Z")'),
         ALICE, set()),
    case("condition-object-prefix-is-a-partial-read", CONDITIONS,
         conditioned("roles/storage.objectViewer", 'resource.name.startsWith("projects/_/buckets/b/objects/pub/")'),
         ALICE, {R}),
    case("condition-resource-type-bucket-only-lists", CONDITIONS,
         conditioned("roles/storage.objectViewer", 'resource.type == "storage.googleapis.com/Bucket"'), ALICE, {L}),
    case("condition-bq-table-name-decided", CONDITIONS,
         conditioned("roles/bigquery.dataViewer",
                     f'resource.name.startsWith("projects/{PROJECT}/datasets/ds/tables/t")', on="bq"),
         ALICE, {R, L}, dataset=TABLE),
    case("condition-bq-other-dataset-opens-nothing", CONDITIONS,
         conditioned("roles/bigquery.dataViewer", f'resource.name.startsWith("projects/{PROJECT}/datasets/other")',
                     on="bq"), ALICE, set(), dataset=TABLE),
    case("condition-resource-service-storage-excludes-bigquery", CONDITIONS,
         conditioned("roles/bigquery.dataViewer", 'resource.service == "storage.googleapis.com"', on="bq"),
         ALICE, set(), dataset=TABLE),
    case("condition-bq-resource-type-table", CONDITIONS,
         conditioned("roles/bigquery.dataViewer", 'resource.type == "bigquery.googleapis.com/Table"', on="bq"),
         ALICE, {R, L}, dataset=TABLE),
    case("condition-basic-role-conditional-makes-convenience-conditional", CONDITIONS_OVERVIEW,
         lambda: [org(), project(iam=policy(binding("roles/viewer", ALICE_M, condition={
                      "title": "t", "expression": 'origin.ip == "203.0.113.7"'}))),
                  bucket("b", iam=policy(binding("roles/storage.objectViewer", f"projectViewer:{PROJECT}")))],
         ALICE, set(), {R, L}),
    case("condition-basic-role-access-level-keeps-the-user", ACCESS_LEVELS,
         lambda: [org(), project(iam=policy(binding("roles/viewer", ALICE_M, condition={
                      "title": "t", "expression": NETWORK}))),
                  bucket("b", iam=policy(binding("roles/storage.objectViewer", f"projectViewer:{PROJECT}")))],
         ALICE, {R, L}),
    case("condition-basic-role-expired-makes-no-convenience-member", ATTRIBUTES,
         lambda: [org(), project(iam=policy(binding("roles/viewer", ALICE_M, condition={
                      "title": "t", "expression": 'request.time < timestamp("2020-01-01T00:00:00Z")'}))),
                  bucket("b", iam=policy(binding("roles/storage.objectViewer", f"projectViewer:{PROJECT}")))],
         ALICE, set()),
    case("condition-bq-dataset-type-lists-tables", CONDITIONS,
         conditioned("roles/bigquery.dataViewer", 'resource.type == "bigquery.googleapis.com/Dataset"', on="bq"),
         ALICE, {L}, dataset=DS),
    case("condition-bq-dataset-type-owner-administers-and-lists", CONDITIONS,
         conditioned("roles/bigquery.dataOwner", 'resource.type == "bigquery.googleapis.com/Dataset"', on="bq"),
         ALICE, {L, A}, dataset=DS),
    case("condition-bq-table-type-on-dataset-reads", CONDITIONS,
         conditioned("roles/bigquery.dataViewer", 'resource.type == "bigquery.googleapis.com/Table"', on="bq"),
         ALICE, {R, L}, dataset=DS),
    case("condition-bucket-type-storage-admin-sets-bucket-policy", CONDITIONS,
         conditioned("roles/storage.admin", 'resource.type == "storage.googleapis.com/Bucket"'), ALICE, {L, A}),
    case("pap-enforced-blocks-public-binding-inherited-from-project", PAP,
         lambda: [org(), project(iam=policy(binding("roles/storage.objectViewer", "allUsers"))),
                  bucket("b", pap="enforced")], "allUsers", set()),
    case("pap-not-enforced-project-public-binding-reaches-bucket", PAP,
         lambda: [org(org_policies=NO_ENFORCE), project(iam=policy(binding("roles/storage.objectViewer", "allUsers"))),
                  bucket("b")], "allUsers", {R, L}),
    case("condition-bq-table-prefix-on-dataset-is-a-partial-read", CONDITIONS,
         conditioned("roles/bigquery.dataViewer",
                     f'resource.name.startsWith("projects/{PROJECT}/datasets/ds/tables/t")', on="bq"),
         ALICE, {R, L}, dataset=DS),
]


@pytest.mark.parametrize("c", CASES)
def test_documented_access(c: Case) -> None:
    """The levels a principal reaches on a dataset are the ones the cited Google page gives (see the case's url)."""
    ev = evaluate(*c.resources())
    assert reach(ev, c.dataset, c.principal) == (set(c.levels), set(c.conditional)), c.url


# -- records other than grants -------------------------------------------------------------


def test_authorized_view_reexposes_source_dataset() -> None:
    """An authorized view entry lets the view's readers read the source dataset; https://cloud.google.com/bigquery/docs/authorized-views"""
    ev = evaluate(org(), project(), bq_dataset("src", view_entry("shared", "v")), bq_dataset("shared"),
                  bq_table("shared", "v", kind="VIEW", query=f"SELECT * FROM `{PROJECT}.src.t`"), bq_table("src", "t"))
    assert {(r.via, r.dataset) for r in ev.reexposures} == {
        (f"bigquery://{PROJECT}.shared.v", f"bigquery://{PROJECT}.src"),
        (f"bigquery://{PROJECT}.shared.v", f"bigquery://{PROJECT}.src.t"),
    }


def test_authorized_dataset_reexposes_through_its_views() -> None:
    """An authorized dataset entry lets every view of that dataset read the source; https://cloud.google.com/bigquery/docs/authorized-datasets"""
    entry_ = {"dataset": {"dataset": {"projectId": PROJECT, "datasetId": "shared"}, "targetTypes": ["VIEWS"]}}
    ev = evaluate(org(), project(), bq_dataset("src", entry_), bq_dataset("shared"),
                  bq_table("shared", "v", kind="VIEW"))
    assert {r.via for r in ev.reexposures if r.dataset == f"bigquery://{PROJECT}.src"} == {
        f"bigquery://{PROJECT}.shared", f"bigquery://{PROJECT}.shared.v"}


def test_public_principal_kinds() -> None:
    """allUsers is anyone on the internet, allAuthenticatedUsers any Google account; https://cloud.google.com/iam/docs/principals-overview"""
    ev = evaluate(org(), project(), bucket("b", iam=policy(binding("roles/storage.objectViewer", "allUsers",
                                                                     "allAuthenticatedUsers", "domain:corp.example"))))
    kinds = {p: ev.principals[p].kind for p in ("allUsers", "allAuthenticatedUsers", "domain:corp.example")}
    assert kinds == {"allUsers": PrincipalKind.PUBLIC, "allAuthenticatedUsers": PrincipalKind.ANY_AUTHENTICATED,
                     "domain:corp.example": PrincipalKind.DOMAIN}


def test_unreadable_org_policies_are_a_gap_not_safe() -> None:
    """An org policy list that could not be read is a coverage gap; https://cloud.google.com/storage/docs/public-access-prevention"""
    from seenby.policies import evaluate as evaluate_all
    from tests.gcp.builders import snapshot

    ev = evaluate_all(snapshot(*public_bucket(org_policies=DENIED_POLICIES)()))
    assert any(g.resource == ORG and g.read == "org_policies" for g in ev.gaps)


def test_plain_view_reexposes_nothing() -> None:
    """A view that no dataset authorizes gives its readers nothing of its sources; https://cloud.google.com/bigquery/docs/authorized-views"""
    ev = evaluate(org(), project(), bq_dataset("src"), bq_dataset("shared"),
                  bq_table("shared", "v", kind="VIEW", query=f"SELECT * FROM `{PROJECT}.src.t`"), bq_table("src", "t"))
    assert ev.reexposures == []
