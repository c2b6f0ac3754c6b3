"""Date presets, comparison ranges and period buckets in the report time zone."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sheets_sync.errors import MetricError
from sheets_sync.metrics.periods import buckets, floor_to, previous_range, resolve_range
from sheets_sync.metrics.query import DATE_PRESETS, DateRange

NOW = pd.Timestamp("2024-05-15T10:00:00Z")


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


PRESETS = {
    "last_7_days": ("2024-05-09", "2024-05-16"),
    "last_30_days": ("2024-04-16", "2024-05-16"),
    "last_90_days": ("2024-02-16", "2024-05-16"),
    "last_365_days": ("2023-05-17", "2024-05-16"),  # 2024 is a leap year
    "this_month": ("2024-05-01", "2024-06-01"),
    "last_month": ("2024-04-01", "2024-05-01"),
    "this_quarter": ("2024-04-01", "2024-07-01"),
    "last_quarter": ("2024-01-01", "2024-04-01"),
    "this_year": ("2024-01-01", "2025-01-01"),
    "last_year": ("2023-01-01", "2024-01-01"),
    "year_to_date": ("2024-01-01", "2024-05-16"),
    "all_time": ("1970-01-01", "2024-05-16"),
}


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_preset_against_fixed_now(preset):
    start, end = resolve_range(DateRange(preset), "UTC", NOW)
    assert (start, end) == (utc(PRESETS[preset][0]), utc(PRESETS[preset][1]))


def test_every_preset_is_covered():
    assert set(PRESETS) | {"custom"} == set(DATE_PRESETS)


def test_custom_range_is_inclusive_of_its_end_date():
    start, end = resolve_range(DateRange("custom", date(2024, 3, 1), date(2024, 3, 31)), "UTC")
    assert (start, end) == (utc("2024-03-01"), utc("2024-04-01"))


def test_custom_range_in_paris_spans_the_dst_change():
    start, end = resolve_range(
        DateRange("custom", date(2024, 3, 1), date(2024, 3, 31)), "Europe/Paris"
    )
    # CET (+1) on 1 March, CEST (+2) from 31 March: April starts at 22:00 UTC.
    assert (start, end) == (utc("2024-02-29T23:00"), utc("2024-03-31T22:00"))


def test_today_is_the_local_day_of_the_report_zone():
    late = pd.Timestamp("2024-05-15T23:30:00Z")  # already 16 May in Tokyo (+9)
    start, end = resolve_range(DateRange("last_7_days"), "Asia/Tokyo", late)
    assert (start, end) == (utc("2024-05-09T15:00"), utc("2024-05-16T15:00"))


@pytest.mark.parametrize(
    ("date_range", "message"),
    [
        (DateRange("custom"), "needs both start and end"),
        (DateRange("custom", date(2024, 3, 2), date(2024, 3, 1)), "before it starts"),
        (DateRange("last_week"), "unknown date preset 'last_week'"),
    ],
)
def test_bad_ranges_are_clear_errors(date_range, message):
    with pytest.raises(MetricError, match=message):
        resolve_range(date_range, "UTC", NOW)


def test_unknown_time_zone_names_it():
    with pytest.raises(MetricError, match="Mars/Olympus"):
        resolve_range(DateRange("last_7_days"), "Mars/Olympus", NOW)


def test_previous_period_has_the_same_length_just_before():
    assert previous_range(utc("2024-03-01"), utc("2024-04-01"), "previous_period") == (
        utc("2024-01-30"),
        utc("2024-03-01"),
    )


def test_previous_year_uses_the_same_local_dates():
    start, end = resolve_range(
        DateRange("custom", date(2024, 3, 1), date(2024, 3, 31)), "Europe/Paris"
    )
    before = previous_range(start, end, "previous_year", "Europe/Paris")
    # 2023: CET on 1 March, CEST from 26 March.
    assert before == (utc("2023-02-28T23:00"), utc("2023-03-31T22:00"))


def test_previous_year_maps_29_february_to_28():
    assert previous_range(utc("2024-02-29"), utc("2024-03-01"), "previous_year") == (
        utc("2023-02-28"),
        utc("2023-03-01"),
    )


def test_unknown_comparison_is_an_error():
    with pytest.raises(MetricError, match="previous_quarter"):
        previous_range(utc("2024-02-29"), utc("2024-03-01"), "previous_quarter")


@pytest.mark.parametrize(
    ("granularity", "expected"),
    [
        ("day", "2024-03-06"),
        ("week", "2024-03-04"),  # Wednesday -> Monday
        ("month", "2024-03-01"),
        ("quarter", "2024-01-01"),
        ("year", "2024-01-01"),
    ],
)
def test_floor_to_bucket_start(granularity, expected):
    values = np.array(["2024-03-06T17:45"], dtype="datetime64[ns]")
    assert pd.Timestamp(floor_to(values, granularity)[0]) == pd.Timestamp(expected)


def test_week_of_a_sunday_starts_on_the_monday_before():
    values = np.array(["2024-03-10T23:59"], dtype="datetime64[ns]")
    assert pd.Timestamp(floor_to(values, "week")[0]) == pd.Timestamp("2024-03-04")


def test_buckets_are_clipped_to_the_range():
    spans = buckets(utc("2024-03-15"), utc("2024-05-10"), "month", "UTC")
    assert [s[0] for s in spans] == [pd.Timestamp(f"2024-0{m}-01") for m in (3, 4, 5)]
    assert spans[0][1:] == (utc("2024-03-15"), utc("2024-04-01"))
    assert spans[-1][1:] == (utc("2024-05-01"), utc("2024-05-10"))


def test_buckets_follow_local_midnight():
    start, end = resolve_range(
        DateRange("custom", date(2024, 3, 1), date(2024, 4, 30)), "Europe/Paris"
    )
    spans = buckets(start, end, "month", "Europe/Paris")
    assert [s[1] for s in spans] == [utc("2024-02-29T23:00"), utc("2024-03-31T22:00")]
