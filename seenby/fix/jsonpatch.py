"""A small RFC 6902 JSON Patch applier (add, remove, replace, test) and RFC 6901 pointers.

Only what seenby's fixes emit; ``move`` and ``copy`` are refused.  Patches are applied to a
deep copy: the document passed in is never changed.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["PatchError", "apply_patch", "pointer", "tokens"]


class PatchError(ValueError):
    """A patch that does not apply to its document (RFC 6902 §5: the whole patch fails)."""


def pointer(parts: Iterable[str | int]) -> str:
    """The RFC 6901 pointer of ``parts`` (``~`` as ``~0``, ``/`` as ``~1``)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def tokens(path: str) -> list[str]:
    """The reference tokens of an RFC 6901 pointer (``""`` is the whole document)."""
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"JSON pointer {path!r} must start with /")
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def _index(container: list[Any], token: str, *, adding: bool) -> int:
    if adding and token == "-":
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise PatchError(f"{token!r} is not an array index")
    at = int(token)
    if at > len(container) or (not adding and at == len(container)):
        raise PatchError(f"array index {at} out of range")
    return at


def _parent(doc: Any, parts: Sequence[str]) -> Any:
    node = doc
    for token in parts:
        if isinstance(node, dict):
            if token not in node:
                raise PatchError(f"no member {token!r}")
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, adding=False)]
        else:
            raise PatchError(f"cannot descend into a {type(node).__name__} at {token!r}")
    return node


def _get(doc: Any, parts: Sequence[str]) -> Any:
    return _parent(doc, parts)


def apply_patch(document: Any, patch: Iterable[Mapping[str, Any]]) -> Any:
    """``document`` with ``patch`` applied (a new value); raises :class:`PatchError` when it does not apply."""
    doc = copy.deepcopy(document)
    for op in patch:
        name = op.get("op")
        path = tokens(str(op.get("path", "")))
        if name == "test":
            if _get(doc, path) != op.get("value"):
                raise PatchError(f"test failed at {op.get('path')!r}")
            continue
        if name not in ("add", "remove", "replace"):
            raise PatchError(f"unsupported operation {name!r}")
        value = copy.deepcopy(op.get("value"))
        if not path:  # the whole document
            if name == "remove":
                raise PatchError("cannot remove the whole document")
            doc = value
            continue
        parent, last = _parent(doc, path[:-1]), path[-1]
        if isinstance(parent, dict):
            if name != "add" and last not in parent:
                raise PatchError(f"no member {last!r} to {name}")
            if name == "remove":
                del parent[last]
            else:
                parent[last] = value
        elif isinstance(parent, list):
            at = _index(parent, last, adding=name == "add")
            if name == "add":
                parent.insert(at, value)
            elif name == "remove":
                del parent[at]
            else:
                parent[at] = value
        else:
            raise PatchError(f"cannot {name} inside a {type(parent).__name__}")
    return doc
