"""Reachability graph over principals and datasets. Imported as ``seenby.graph``."""
