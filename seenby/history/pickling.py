"""Pickling seenby's models for the caches next to the history store.

Pickle refuses ``MappingProxyType`` (the read-only mappings some frozen models hold);
:func:`dumps` writes one as a call that rebuilds it.  What is loaded, and when it may be
(owner-only files, checked digests), is the callers' concern: ``view_cache``, ``graph_index``.
"""

from __future__ import annotations

import copyreg
import io
import pickle
from types import MappingProxyType
from typing import Any

__all__ = ["dumps"]


def _read_only_mapping(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(items)


def _reduce_proxy(proxy: MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return _read_only_mapping, (dict(proxy),)


def dumps(obj: object) -> bytes:
    """Pickle ``obj`` (highest protocol); read-only mappings as themselves."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, MappingProxyType: _reduce_proxy}
    pickler.dump(obj)
    return buffer.getvalue()
