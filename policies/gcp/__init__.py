"""Google Cloud access semantics: IAM bindings, GCS ACLs and prevention, BigQuery access entries."""
