"""Command-line options shared by every command that reads the history store (light: click only).

``@time_travel_options`` adds ``--at TIME`` and ``--store PATH`` (parameters ``at`` and
``store``); pass them to :func:`seenby.history.select.choose_snapshot`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from seenby.history.paths import DEMO_STORE, default_store_path, demo_store_path

__all__ = ["record_option", "store_option", "store_path", "time_travel_options"]

F = TypeVar("F", bound=Callable[..., Any])


def store_path(store: str | None) -> Path:
    """``--store PATH``, ``--store demo`` (the store ``seenby demo`` records into), or the default
    store under the user's data directory."""
    if store == DEMO_STORE:
        return demo_store_path()
    return Path(store).expanduser() if store else default_store_path()


def store_option(fn: F) -> F:
    """Adds ``--store PATH`` (parameter ``store``)."""
    return click.option(
        "--store",
        type=click.Path(dir_okay=False),
        help=(
            "History store (default: $XDG_DATA_HOME/seenby/history.sqlite3; "
            "`demo`: the one `seenby demo` records into)."
        ),
    )(fn)


def time_travel_options(fn: F) -> F:
    """Adds ``--at TIME`` (parameter ``at``) and ``--store PATH`` (parameter ``store``)."""
    fn = click.option(
        "--at",
        metavar="TIME",
        help="Answer from the latest recorded scan at or before TIME (ISO date or date-time; UTC if no zone).",
    )(fn)
    return store_option(fn)


def record_option(default: bool) -> Callable[[F], F]:
    """``--record/--no-record``: keep the snapshot in the history store (parameter ``record``)."""
    return click.option(
        "--record/--no-record",
        default=default,
        show_default=True,
        help="Record the snapshot in the history store (--store) for who-can-read --at, exposure and diff.",
    )
