"""What every renderer shares: the formats, the options, and the one protocol."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from enum import StrEnum
from importlib import import_module
from typing import Any, Protocol, TextIO, TypeVar

__all__ = ["OutputFormat", "RenderOptions", "Renderer", "lazy_renderer"]


class OutputFormat(StrEnum):
    """The values of ``--format``."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    SARIF = "sarif"
    JUNIT = "junit"
    HTML = "html"
    TSV = "tsv"  # audit and who-can-read: a header, one tab-separated record per line


@dataclass(frozen=True, kw_only=True, slots=True)
class RenderOptions:
    """How to render.

    ``color`` turns on terminal styling (table format only); set it only when the
    output is a terminal.  ``width`` is the terminal width (``None``: 100 columns).
    ``show_waived`` includes findings that a live waiver hides, marked as waived;
    the summary counts of every format count them either way.
    """

    color: bool = False
    width: int | None = None
    show_waived: bool = False

    def __post_init__(self) -> None:
        if self.width is not None and self.width < 40:
            raise ValueError(f"render width {self.width} is too narrow (at least 40 columns)")

    @classmethod
    def for_stream(cls, stream: TextIO, *, show_waived: bool = False) -> RenderOptions:
        """Colour and width for ``stream``: colour only on a terminal and when NO_COLOR is unset."""
        tty = stream.isatty()
        color = tty and not os.environ.get("NO_COLOR")
        width = max(40, shutil.get_terminal_size().columns) if tty else None
        return cls(color=color, width=width, show_waived=show_waived)


Subject = TypeVar("Subject", contravariant=True)


class Renderer(Protocol[Subject]):
    """A renderer turns one model (an AuditResult, an AudienceReport) into the text of one format."""

    def __call__(self, subject: Subject, options: RenderOptions, /) -> str: ...


def lazy_renderer(module: str, name: str) -> Renderer[Any]:
    """The renderer ``name`` of ``seenby.reports.<module>``, imported on first use (the HTML renderers
    load jinja2 and their templates: a query answered in JSON does not pay for them)."""

    def render(subject: Any, options: RenderOptions, /) -> str:
        renderer: Renderer[Any] = getattr(import_module(f"seenby.reports.{module}"), name)
        return renderer(subject, options)

    render.__name__ = render.__qualname__ = f"{module}.{name}"
    return render
