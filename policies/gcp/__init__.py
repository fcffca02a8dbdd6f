"""Google Cloud access semantics: IAM bindings, GCS ACLs and prevention, BigQuery access entries.

Imported as ``seenby.policies.gcp``.  The one entry point is
:func:`seenby.policies.gcp.provider.evaluate_snapshot`; the modules, smallest first:

``roles``        role catalogue (``data/roles.json``) and permissions → access levels
``members``      IAM members, ACL entities, access entries → principals
``cel``          partial evaluation of IAM Conditions (CEL) against known resource attributes
``conditions``   IAM Conditions → per-level decision: unconditional, conditional, or not a grant
``bindings``     allow-policy bindings one member at a time
``hierarchy``    organisation → folders → project: inherited bindings, organisation policies
``storage``      Cloud Storage buckets
``bigquery``     BigQuery datasets, tables, authorized views
``identity``     Cloud Identity groups, directory domains
``convenience``  projectViewer:/projectEditor:/projectOwner: membership edges
``hmac_keys``    Cloud Storage HMAC keys → edges into their service accounts
``provider``     ``evaluate_snapshot``
"""

__all__ = ["evaluate_snapshot"]


def __getattr__(name: str):  # lazy, so importing a submodule does not import them all
    if name == "evaluate_snapshot":
        from seenby.policies.gcp.provider import evaluate_snapshot

        return evaluate_snapshot
    raise AttributeError(name)
