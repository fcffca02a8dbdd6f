"""seenby: who can see your data.

Finds buckets, tables and dashboards whose effective audience is broader than the
audience declared for them.  Pipeline: scanners -> snapshot -> policies -> graph
-> audit (rules.yaml) -> reports.  See DESIGN.md in the shared folder and README.md.
"""

__version__ = "0.1.0"
