"""Scanners: read-only API calls into a snapshot. Imported as ``seenby.scanners``."""
