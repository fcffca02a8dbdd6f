"""Outputs are written atomically and owner-only, and never replace a device or pipe."""

from __future__ import annotations

import os
import stat
import threading

from seenby.fileio import write_private


def test_regular_file_is_owner_only_and_complete(tmp_path):
    """A new output file is mode 0600 and holds exactly the text."""
    path = tmp_path / "report.json"
    write_private(path, "{}\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text() == "{}\n"


def test_existing_file_is_replaced_and_tightened(tmp_path):
    """An existing world-readable file is replaced and becomes owner-only."""
    path = tmp_path / "report.json"
    path.write_text("old")
    path.chmod(0o644)
    write_private(path, "new")
    assert path.read_text() == "new" and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_pipe_stays_a_pipe(tmp_path):
    """Writing to a named pipe writes through it instead of renaming a file over it."""
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    write_private(fifo, "through the pipe")
    reader.join(timeout=10)
    assert received == ["through the pipe"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_no_temporary_file_is_left_behind(tmp_path):
    """After a write, the directory holds only the output."""
    write_private(tmp_path / "a.txt", "x")
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
