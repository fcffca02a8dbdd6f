"""Entry point of the Google Cloud semantics: ``evaluate_snapshot(snapshot) -> Evaluation``.

Order: role catalogue (with the scan's custom roles) and hierarchy first; then buckets and
BigQuery, their convenience members (``projectViewer:`` and kin) expanded into the basic
roles' holders (:mod:`.convenience`), narrowed by the hierarchy's IAM deny policies
(:mod:`.deny`); Cloud Identity groups and directory domains; HMAC keys into their service
accounts (:mod:`.hmac_keys`).  Coverage gaps are not produced here:
:func:`seenby.policies.evaluate` collects them generically for every provider.
"""

from __future__ import annotations

from datetime import datetime

from seenby.model import Evaluation
from seenby.policies.gcp.bigquery import evaluate_bigquery
from seenby.policies.gcp.context import Context
from seenby.policies.gcp.convenience import Missing, add_holder_edges, expand_convenience_grants
from seenby.policies.gcp.deny import apply_deny_policies
from seenby.policies.gcp.hierarchy import Hierarchy
from seenby.policies.gcp.hmac_keys import add_hmac_edges
from seenby.policies.gcp.identity import evaluate_domains, evaluate_groups
from seenby.policies.gcp.roles import RoleCatalog, custom_roles_from_snapshot, default_catalog
from seenby.policies.gcp.storage import evaluate_bucket
from seenby.registry import TypeName
from seenby.snapshot import Snapshot

__all__ = ["evaluate_snapshot"]


def _observed_at(snapshot: Snapshot) -> datetime | None:
    """The instant the snapshot observed, at which ``request.time`` conditions are decided.

    A Terraform plan (collector mode ``plan``) observed nothing: it describes a state that holds
    from whenever it is applied, so ``request.time`` stays open there (conditional, as written).
    """
    return None if _is_plan(snapshot) else snapshot.collected_at_dt


def _is_plan(snapshot: Snapshot) -> bool:
    return snapshot.collector.get("mode") == "plan"


def evaluate_snapshot(snapshot: Snapshot, *, catalog: RoleCatalog | None = None) -> Evaluation:
    """Datasets, principals, grants, edges and re-exposures of every GCP resource in ``snapshot``."""
    out = Evaluation()
    roles = (catalog or default_catalog()).with_custom(custom_roles_from_snapshot(snapshot))
    hierarchy = Hierarchy(snapshot)
    ctx = Context(catalog=roles, hierarchy=hierarchy, out=out, at=_observed_at(snapshot))
    for bucket in snapshot.of_type(TypeName.GCP_STORAGE_BUCKET):
        evaluate_bucket(bucket, ctx)
    evaluate_bigquery(snapshot, ctx)
    missing = Missing.OUTSIDE_THE_PLAN if _is_plan(snapshot) else Missing.GAP
    # projectViewer: and kin → holders
    expand_convenience_grants(out, hierarchy, at=ctx.at, missing=missing, cel=ctx.cel)
    apply_deny_policies(snapshot, out, hierarchy, roles)  # deny before allow: narrows the grants above
    evaluate_groups(snapshot, out)
    evaluate_domains(snapshot, out)
    add_hmac_edges(snapshot, out)
    add_holder_edges(out, hierarchy, at=ctx.at, cel=ctx.cel)
    return out
