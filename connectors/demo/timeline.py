"""Time in the demo company: the three-year window, seasonality, growth and quarter ends.

All instants are ``numpy.datetime64[ns]`` in UTC, missing ones ``NaT``; builders do their date
arithmetic on these arrays and only the final frames become timezone-aware pandas columns.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

DAY = np.timedelta64(1, "D").astype("m8[ns]")
HOUR = np.timedelta64(1, "h").astype("m8[ns]")
YEARS = 3
# Relative volume per calendar month (Jan..Dec): summer dip, Q4 peak.
MONTH_FACTOR = np.array([0.92, 1.0, 1.08, 1.0, 1.0, 0.93, 0.78, 0.74, 1.04, 1.14, 1.2, 1.08])
# Relative volume per weekday (Mon..Sun): B2B work happens on business days.
WEEKDAY_FACTOR = np.array([1.0, 1.05, 1.05, 1.0, 0.9, 0.18, 0.12])
ANNUAL_GROWTH = 0.35


def rng_for(seed: int, size: int, part: str) -> np.random.Generator:
    """A generator for one part of the universe, independent of the other parts' draw counts."""
    return np.random.default_rng([seed, size, zlib.crc32(part.encode())])


@dataclass(frozen=True)
class Window:
    """The span of the demo data: ``YEARS`` years ending with the day ``as_of`` (inclusive)."""

    as_of: date

    @property
    def start(self) -> np.datetime64:
        """Midnight UTC of the first day."""
        day = min(self.as_of.day, 28) if self.as_of.month == 2 else self.as_of.day
        first = self.as_of.replace(year=self.as_of.year - YEARS, day=day)
        return np.datetime64(first, "D").astype("M8[ns]")

    @property
    def end(self) -> np.datetime64:
        """Midnight UTC after ``as_of``: the exclusive end of the window, the demo's "now"."""
        return (np.datetime64(self.as_of, "D") + 1).astype("M8[ns]")

    @property
    def days(self) -> int:
        """Number of days in the window."""
        return int((self.end - self.start) // DAY)

    def day_weights(self, weekday: bool = True) -> np.ndarray:
        """Relative activity of each day: growth trend x month seasonality x weekday pattern."""
        days = np.arange(self.days)
        dates = self.start.astype("M8[D]") + days
        month = dates.astype("M8[M]").astype(int) % 12
        weights = np.exp(np.log1p(ANNUAL_GROWTH) * days / 365.25) * MONTH_FACTOR[month]
        if weekday:
            # 1970-01-01 was a Thursday: shift so that Monday is 0.
            weights = weights * WEEKDAY_FACTOR[(dates.astype(int) + 3) % 7]
        return weights / weights.sum()

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` unsorted instants in the window, seasonal and within business hours."""
        day = rng.choice(self.days, size=n, p=self.day_weights())
        return self.start + day * DAY + business_hours(rng, n)


def business_hours(rng: np.random.Generator, n: int) -> np.ndarray:
    """Offsets into a day between 07:00 and 19:00, peaking late morning."""
    hours = 7.0 + 12.0 * rng.beta(2.2, 2.8, size=n)
    return (hours * 3.6e12).astype("m8[ns]")


def lognormal_days(rng: np.random.Generator, median: np.ndarray, sigma: float) -> np.ndarray:
    """Durations (as timedelta64[ns]) with the given per-row median in days."""
    days = median * np.exp(sigma * rng.standard_normal(len(median)))
    return (days * 86400e9).astype("m8[ns]")


def quarter_end(instants: np.ndarray) -> np.ndarray:
    """The last day (midnight) of the calendar quarter each instant falls in."""
    month = instants.astype("M8[M]")
    month_no = month.astype(int) % 12
    last_month = month + (2 - month_no % 3)
    return ((last_month + 1).astype("M8[D]") - 1).astype("M8[ns]")


def clip_time(values: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """``values`` kept within ``[low, high]`` element-wise (NaT stays NaT)."""
    out = np.where(values < low, low, values)
    return np.where(out > high, high, out)


def in_time_order(parts: list[dict[str, np.ndarray]], by: str) -> dict[str, np.ndarray]:
    """The columns of ``parts`` end to end, rows in stable order of column ``by``.

    Empties ``parts`` as it goes: each part's array is freed as soon as its column is stacked,
    instead of every column being held three times over (parts, stacked, sorted).
    """
    order = np.argsort(np.concatenate([p[by] for p in parts]), kind="stable")
    return {name: np.concatenate([p.pop(name) for p in parts])[order] for name in list(parts[0])}


def to_utc(values: np.ndarray) -> pd.Series:
    """A timezone-aware UTC pandas column from datetime64[ns] values."""
    # CRMs store whole seconds.
    return pd.Series(values.astype("M8[s]").astype("M8[ns]")).dt.tz_localize("UTC")
