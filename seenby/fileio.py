"""Files: writing what seenby produces (atomically, owner-only, never half-written) and reading
JSON input within limits (size, nesting depth, number length), so bad input is one line, not a crash."""

from __future__ import annotations

import codecs
import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote

__all__ = [
    "MAX_INPUT_BYTES", "MAX_JSON_DEPTH", "MAX_NUMBER_CHARS", "InputLimit", "decode_text", "load_embedded_json",
    "load_json", "read_limited", "write_private",
]

MAX_INPUT_BYTES = 2 << 30  # 2 GiB: far above any plan or snapshot seen; a bigger file is refused, not read
MAX_JSON_DEPTH = 256  # Terraform plans and snapshots nest a few dozen levels
MAX_NUMBER_CHARS = 64  # no account id, port or size needs more; thousands of digits are an attack or a mistake

_UTF16_FIX = ("it looks UTF-16 (PowerShell 5's `>` writes UTF-16): write it from a UTF-8 shell with "
              "`terraform show -json plan > plan.json`, or with `| Out-File -Encoding utf8`")


class InputLimit(ValueError):
    """Input beyond one of the limits above; ``where`` says where when known."""

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where


def decode_text(raw: bytes) -> str:
    """Bytes → text: UTF-8 (a byte-order mark is dropped) or UTF-16 with a byte-order mark.

    Anything else is :class:`InputLimit` naming the encoding problem and the fix.
    """
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputLimit(f"UTF-16 text that does not decode (byte {exc.start}); {_UTF16_FIX}") from None
    looks_utf16 = len(raw) >= 4 and (raw[1:4:2] == b"\0\0" or raw[0:3:2] == b"\0\0")
    if looks_utf16:  # ASCII in UTF-16 without a byte-order mark: every other byte is NUL
        raise InputLimit(f"not UTF-8 text: {_UTF16_FIX}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputLimit(f"not UTF-8 text (byte {exc.start}): save it as UTF-8") from None


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise InputLimit(f"a number of {len(text):,} characters (seenby reads at most {MAX_NUMBER_CHARS})")
    return int(text)


def _float(text: str) -> float:
    value = float(text) if len(text) <= MAX_NUMBER_CHARS else math.inf
    if not math.isfinite(value):
        raise InputLimit(f"a number too large to represent ({text[:20]}…, {len(text):,} characters)")
    return value


def _constant(text: str) -> Any:
    raise InputLimit(f"{text} is not a JSON value")


_LONG_DIGITS = re.compile(rf"[0-9]{{{MAX_NUMBER_CHARS + 1},}}")


def load_embedded_json(text: str) -> Any:
    """A JSON document held in a string (a policy) within the limits above: :class:`InputLimit` or
    :class:`json.JSONDecodeError` otherwise.

    Cheap for ordinary documents: the limited parse and the depth walk run only when the text
    could exceed a limit (more brackets than the depth allows, or a run of digits too long).
    """
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH and _LONG_DIGITS.search(text) is None:
        return json.loads(text)
    try:
        data = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError:
        raise InputLimit(f"nested more than {MAX_JSON_DEPTH} levels deep") from None
    if type(data) in (dict, list):
        _check_depth(data, embedded=False)
    return data


def _check_embedded(text: str) -> None:
    """A string that is itself JSON (a policy document) within the same limits.

    Policy documents travel as strings (``{"Policy": "<json>"}``, URL-encoded in IAM); the
    evaluators decode them later, so they are checked here, where bad input is still one line.
    """
    if text[:3] in ("%7B", "%7b", "%5B", "%5b"):
        text = unquote(text)
    try:
        load_embedded_json(text)
    except InputLimit as exc:
        verb = "is" if exc.message.startswith("nested") else "holds"
        raise InputLimit(f"a JSON document in a string {verb} {exc.message}") from None
    except ValueError:
        return  # not JSON: the evaluators read it as the text it is


def _check_depth(value: Any, *, embedded: bool) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, level = pop()
        if level > MAX_JSON_DEPTH:
            raise InputLimit(f"nested more than {MAX_JSON_DEPTH} levels deep")
        children = node.values() if type(node) is dict else node
        for child in children:
            kind = type(child)
            if kind is dict or kind is list:
                push((child, level + 1))
            elif embedded and kind is str and len(child) > MAX_NUMBER_CHARS and child[:1] in _EMBEDDED_START:
                _check_embedded(child)


_EMBEDDED_START = frozenset("{[%")


def load_json(raw: bytes | str, *, embedded: bool = False) -> Any:
    """Decode JSON within the limits above; :class:`InputLimit` or :class:`json.JSONDecodeError` otherwise.

    ``embedded``: strings that are themselves JSON documents (policies in a snapshot) are held
    to the same limits.
    """
    if len(raw) > MAX_INPUT_BYTES:
        raise InputLimit(f"{len(raw):,} bytes; seenby reads files of at most {MAX_INPUT_BYTES:,} bytes")
    text = decode_text(raw) if isinstance(raw, bytes) else raw
    try:
        data = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError:
        raise InputLimit(f"nested more than {MAX_JSON_DEPTH} levels deep") from None
    if type(data) in (dict, list):
        _check_depth(data, embedded=embedded)
    return data


def read_limited(path: Path) -> bytes:
    """The bytes of ``path``, refusing a file larger than :data:`MAX_INPUT_BYTES` before reading it."""
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > MAX_INPUT_BYTES:
            raise InputLimit(f"{size:,} bytes; seenby reads files of at most {MAX_INPUT_BYTES:,} bytes")
        raw = fh.read(MAX_INPUT_BYTES + 1)
    if len(raw) > MAX_INPUT_BYTES:
        raise InputLimit(f"more than {MAX_INPUT_BYTES:,} bytes; seenby reads files of at most that")
    return raw


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 through a temporary file and a rename.

    A crash or an error leaves either the old file or none, never a partial one.  A path
    that exists and is not a regular file (``/dev/null``, ``/dev/stdout``, a pipe) is
    written in place: renaming over it would replace the device with a file.
    """
    path = Path(path)
    if path.exists() and not path.is_file():
        with path.open("w", encoding="utf-8") as fh:
            fh.write(text)
        return
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        os.chmod(path, 0o600)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
