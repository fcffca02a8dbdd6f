"""Importers: documents exported elsewhere (Terraform plans, Cloud Asset Inventory, IAM GAAD) in, snapshots out.

Each importer turns an export into :class:`seenby.snapshot.Snapshot` resources in the
exact document shapes of ``docs/snapshot.md``, so the evaluators judge them like a scan.
"""
