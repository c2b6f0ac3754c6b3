"""Date ranges, comparison ranges and period buckets, resolved in a report's time zone.

Every range is half-open ``[start, end)`` and expressed as timezone-aware UTC timestamps, so the
engine compares it directly with the canonical UTC datetime columns. Calendar arithmetic (what
"last month" or "this week" means) happens in the report's IANA time zone.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from sheets_sync.errors import MetricError
from sheets_sync.metrics.query import COMPARISONS, DATE_PRESETS, GRANULARITIES, DateRange

#: Where ``all_time`` starts before the engine narrows it to the earliest date in the data.
ALL_TIME_START = pd.Timestamp("1970-01-01", tz="UTC")

_LAST_N_DAYS = {"last_7_days": 7, "last_30_days": 30, "last_90_days": 90, "last_365_days": 365}
_CALENDAR = {
    "this_month": ("month", 0),
    "last_month": ("month", -1),
    "this_quarter": ("quarter", 0),
    "last_quarter": ("quarter", -1),
    "this_year": ("year", 0),
    "last_year": ("year", -1),
}
_MONTHS_PER = {"month": 1, "quarter": 3, "year": 12}


def zone(timezone: str) -> tzinfo:
    """Return the IANA zone ``timezone`` or raise a :class:`MetricError` naming it."""
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise MetricError(
            f"unknown time zone {timezone!r}; use an IANA name such as 'Europe/Paris' or 'UTC'"
        ) from None


def to_utc(now: datetime | pd.Timestamp | None) -> pd.Timestamp:
    """Return ``now`` (default: the current time) as a UTC timestamp; naive means UTC."""
    stamp = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def local_midnight(day: pd.Timestamp, tz: tzinfo) -> pd.Timestamp:
    """Return the UTC instant of local midnight starting the (naive) calendar ``day``."""
    naive = pd.Timestamp(day.year, day.month, day.day)
    # A DST jump at midnight makes it nonexistent; the day then starts at the first valid instant.
    local = naive.tz_localize(tz, nonexistent="shift_forward", ambiguous=True)
    return local.tz_convert("UTC")


def _month_start(day: pd.Timestamp, unit: str, shift: int) -> pd.Timestamp:
    months = _MONTHS_PER[unit]
    index = day.year * 12 + day.month - 1
    first = index - index % months + shift * months
    return pd.Timestamp(first // 12, first % 12 + 1, 1)


def resolve_range(
    date_range: DateRange, timezone: str, now: datetime | pd.Timestamp | None = None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the half-open UTC bounds ``[start, end)`` of ``date_range`` in ``timezone``.

    ``last_N_days`` ends with today (inclusive) and spans N local days; ``this_*`` is the full
    calendar month / quarter / year containing today, ``last_*`` the one before it;
    ``year_to_date`` runs from 1 January to the end of today; ``all_time`` from 1970 to the end
    of today; ``custom`` from local midnight of ``start`` to the end of ``end`` (inclusive).
    """
    tz = zone(timezone)
    local_now = to_utc(now).tz_convert(tz)
    today = pd.Timestamp(local_now.year, local_now.month, local_now.day)
    tomorrow = today + pd.Timedelta(days=1)
    preset = date_range.preset
    if preset in _LAST_N_DAYS:
        first, after = today - pd.Timedelta(days=_LAST_N_DAYS[preset] - 1), tomorrow
    elif preset in _CALENDAR:
        unit, shift = _CALENDAR[preset]
        first = _month_start(today, unit, shift)
        after = _month_start(first, unit, 1)
    elif preset == "year_to_date":
        first, after = pd.Timestamp(today.year, 1, 1), tomorrow
    elif preset == "all_time":
        return ALL_TIME_START, local_midnight(tomorrow, tz)
    elif preset == "custom":
        if date_range.start is None or date_range.end is None:
            raise MetricError("date range 'custom' needs both start and end dates (YYYY-MM-DD)")
        first = pd.Timestamp(date_range.start)
        after = pd.Timestamp(date_range.end) + pd.Timedelta(days=1)
        if after <= first:
            raise MetricError(
                f"custom date range ends ({date_range.end}) before it starts ({date_range.start})"
            )
    else:
        raise MetricError(f"unknown date preset {preset!r}; use one of: {', '.join(DATE_PRESETS)}")
    return local_midnight(first, tz), local_midnight(after, tz)


def previous_range(
    start: pd.Timestamp, end: pd.Timestamp, comparison: str, timezone: str = "UTC"
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the range ``[start, end)`` is compared with.

    ``previous_period`` is the span of the same length ending where the range starts;
    ``previous_year`` is the same local dates one year earlier (29 February maps to 28).
    """
    if comparison == "previous_period":
        return start - (end - start), start
    if comparison == "previous_year":
        tz = zone(timezone)

        def shift(stamp: pd.Timestamp) -> pd.Timestamp:
            local = stamp.tz_convert(tz).tz_localize(None) - pd.DateOffset(years=1)
            return local.tz_localize(tz, nonexistent="shift_forward", ambiguous=True).tz_convert(
                "UTC"
            )

        return shift(start), shift(end)
    raise MetricError(f"unknown comparison {comparison!r}; use one of: {', '.join(COMPARISONS)}")


def local_naive(values: pd.Series, timezone: str) -> np.ndarray:
    """Return UTC datetimes as naive ``datetime64[ns]`` wall-clock times in ``timezone``."""
    if timezone == "UTC":
        return values.dt.tz_localize(None).to_numpy()
    return values.dt.tz_convert(zone(timezone)).dt.tz_localize(None).to_numpy()


def floor_to(local: np.ndarray, granularity: str) -> np.ndarray:
    """Floor naive local datetimes to the start of their ``granularity`` bucket (vectorised)."""
    if granularity == "day":
        out = local.astype("datetime64[D]")
    elif granularity == "week":
        days = local.astype("datetime64[D]").astype(np.int64)
        # 1970-01-01 was a Thursday: (days + 3) % 7 is the number of days since Monday.
        out = (days - (days + 3) % 7).astype("datetime64[D]")
    elif granularity == "month":
        out = local.astype("datetime64[M]")
    elif granularity == "quarter":
        months = local.astype("datetime64[M]").astype(np.int64)
        out = (months - months % 3).astype("datetime64[M]")
    elif granularity == "year":
        out = local.astype("datetime64[Y]")
    else:
        raise MetricError(
            f"unknown granularity {granularity!r}; use one of: {', '.join(GRANULARITIES)}"
        )
    return out.astype("datetime64[ns]")


def _next_bucket(bucket: pd.Timestamp, granularity: str) -> pd.Timestamp:
    if granularity == "day":
        return bucket + pd.Timedelta(days=1)
    if granularity == "week":
        return bucket + pd.Timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[granularity]
    return bucket + pd.DateOffset(months=months)


def buckets(
    start: pd.Timestamp, end: pd.Timestamp, granularity: str, timezone: str
) -> list[tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]]:
    """Return ``(label, window_start, window_end)`` for every bucket overlapping ``[start, end)``.

    ``label`` is the naive local start of the bucket; the window is the bucket clipped to the
    range, in UTC, so the first and last buckets may be partial.
    """
    tz = zone(timezone)
    if end <= start:
        return []
    first_local = pd.Series([start]).dt.tz_convert(tz).dt.tz_localize(None).to_numpy()
    label = pd.Timestamp(floor_to(first_local, granularity)[0])
    out = []
    while True:
        label_start = local_midnight(label, tz)
        if label_start >= end:
            break
        following = _next_bucket(label, granularity)
        window_end = min(end, local_midnight(following, tz))
        out.append((label, max(start, label_start), window_end))
        label = following
    return out
