"""Renderers: one per output format over one findings model. Imported as ``seenby.reports``."""
