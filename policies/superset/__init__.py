"""Apache Superset's access semantics (docs/superset.md): roles, owners, DASHBOARD_RBAC, RLS, embedding."""
