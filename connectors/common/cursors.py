"""Incremental cursors: parse, format, propose.

A cursor is an ISO 8601 UTC timestamp string (``2024-05-01T12:00:00.000Z``) naming the last
modification a stream has seen. Sources only *propose* cursors in ``SourceResult.cursors``; the
refresh engine commits them after the destination write, so a failed refresh re-reads the same
changes. :func:`propose_cursor` never returns a value past the sync's start time: a record
modified while the sync ran is read again next time rather than skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pandas as pd

from sheets_sync.errors import ConfigError


def parse_ts(text: str) -> datetime:
    """Parse a vendor or cursor timestamp into an aware UTC datetime; raise ConfigError if bad."""
    try:
        stamp = pd.Timestamp(text)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"cursor {text!r} is not an ISO 8601 timestamp") from err
    if pd.isna(stamp):
        raise ConfigError(f"cursor {text!r} is not an ISO 8601 timestamp")
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.tz_convert("UTC").to_pydatetime()


def format_ts(moment: datetime) -> str:
    """Format ``moment`` as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (SOQL and OData accept it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def max_timestamp(values: Iterable[object]) -> datetime | None:
    """The latest timestamp among ``values`` (strings or datetimes); blanks are ignored."""
    stamps = pd.to_datetime(
        pd.Series(list(values), dtype=object), utc=True, errors="coerce", format="ISO8601"
    )
    stamps = stamps.dropna()
    if stamps.empty:
        return None
    return stamps.max().to_pydatetime()


def propose_cursor(
    seen: Iterable[object], started_at: datetime, previous: str | None = None
) -> str | None:
    """The cursor to propose after a read: the latest ``seen`` value, capped at ``started_at``.

    When nothing was seen the previous committed cursor is kept (``None`` if there was none).
    """
    latest = max_timestamp(seen)
    if latest is None:
        return previous
    if previous is not None:
        latest = max(latest, parse_ts(previous))
    return format_ts(min(latest, started_at.astimezone(UTC)))
