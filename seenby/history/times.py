"""Time arguments (``--at``, ``seenby diff`` times): ISO dates and date-times, UTC when naive."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from seenby.errors import UsageError

__all__ = ["format_age", "format_time", "parse_time", "parse_timestamp"]

_EXAMPLES = "e.g. 2026-03-01, 2026-03-01T09:30, 2026-03-01T09:30:00Z or 2026-03-01T10:30:00+01:00"


def parse_time(text: str, *, option: str = "--at") -> datetime:
    """An aware UTC datetime from an ISO date or date-time.

    A date alone means the **end** of that day (UTC): "as of 2026-03-01" includes a scan
    taken that afternoon.  A date-time without a zone is UTC.  Anything else is a
    :class:`~seenby.errors.UsageError` (exit 2) that names the option and shows examples.
    """
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day, time.max, tzinfo=UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not an ISO date or date-time ({_EXAMPLES})") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_timestamp(text: str) -> datetime:
    """A snapshot's ``collected_at`` as an aware UTC datetime (ValueError when it is not ISO 8601)."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_time(when: datetime) -> str:
    """``2026-03-01T09:00:00Z`` (seconds, UTC)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_age(delta: timedelta) -> str:
    """A duration for people: ``3 days 4 hours``, ``12 minutes``, ``0 seconds``."""
    seconds = max(0, int(delta.total_seconds()))
    units = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))
    parts = []
    for name, size in units:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {name}{'s' if count != 1 else ''}")
        if len(parts) == 2:
            break
    return " ".join(parts) or "0 seconds"
