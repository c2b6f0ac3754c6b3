"""Schedule times: hourly, daily and weekly slots in IANA time zones, across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from sheets_sync.errors import ConfigError
from sheets_sync.scheduling.times import Cadence, cadence

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def _runs(spec: Cadence, start: datetime, end: datetime) -> list[datetime]:
    found, cursor = [], start
    while (cursor := spec.next_after(cursor)) < end:
        found.append(cursor)
    return found


def _local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone).astimezone(UTC)  # type: ignore[misc]


def test_daily_on_an_ordinary_day_runs_at_the_local_time() -> None:
    spec = cadence("daily", "Europe/Paris", time_of_day="07:30")
    after = _local(PARIS, 2026, 6, 10, 8, 0)
    assert spec.next_after(after) == datetime(2026, 6, 11, 5, 30, tzinfo=UTC)  # CEST is UTC+2
    winter = _local(PARIS, 2026, 12, 10, 7, 0)
    assert spec.next_after(winter) == datetime(2026, 12, 10, 6, 30, tzinfo=UTC)  # CET is UTC+1


def test_daily_time_skipped_by_spring_forward_runs_once_at_the_change() -> None:
    # 29 March 2026: Paris clocks jump from 02:00 to 03:00, so 02:30 never happens.
    spec = cadence("daily", "Europe/Paris", time_of_day="02:30")
    runs = _runs(spec, _local(PARIS, 2026, 3, 28, 12, 0), _local(PARIS, 2026, 3, 31, 12, 0))
    local = [r.astimezone(PARIS).strftime("%d %H:%M %Z") for r in runs]
    assert local == ["29 03:00 CEST", "30 02:30 CEST", "31 02:30 CEST"]


def test_daily_time_repeated_by_fall_back_runs_once_at_its_first_occurrence() -> None:
    # 1 November 2026: New York clocks go from 02:00 EDT back to 01:00 EST; 01:30 happens twice.
    spec = cadence("daily", "America/New_York", time_of_day="01:30")
    runs = _runs(spec, _local(NEW_YORK, 2026, 10, 31, 12, 0), _local(NEW_YORK, 2026, 11, 3, 0))
    assert [r.astimezone(NEW_YORK).strftime("%d %H:%M %Z") for r in runs] == [
        "01 01:30 EDT",
        "02 01:30 EST",
    ]
    assert runs[0] == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_new_york_spring_forward_and_paris_fall_back() -> None:
    ny = cadence("daily", "America/New_York", time_of_day="02:15")
    day = _runs(ny, _local(NEW_YORK, 2026, 3, 7, 12, 0), _local(NEW_YORK, 2026, 3, 9, 0))
    assert [r.astimezone(NEW_YORK).strftime("%d %H:%M") for r in day] == ["08 03:00"]
    paris = cadence("daily", "Europe/Paris", time_of_day="02:30")
    runs = _runs(paris, _local(PARIS, 2026, 10, 24, 12, 0), _local(PARIS, 2026, 10, 26, 12, 0))
    assert runs == [
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 26, 1, 30, tzinfo=UTC),
    ]


def test_hourly_runs_every_real_hour_across_both_changes() -> None:
    spec = cadence("hourly", "America/New_York", minute=15)
    fall = _runs(
        spec,
        datetime(2026, 11, 1, 0, 0, tzinfo=NEW_YORK),
        datetime(2026, 11, 2, 0, 0, tzinfo=NEW_YORK),
    )
    assert len(fall) == 25  # the fall-back day has 25 hours
    spring = _runs(
        spec,
        datetime(2026, 3, 8, 0, 0, tzinfo=NEW_YORK),
        datetime(2026, 3, 9, 0, 0, tzinfo=NEW_YORK),
    )
    assert len(spring) == 23
    for runs in (fall, spring):
        assert all(r.astimezone(NEW_YORK).minute == 15 for r in runs)
        assert all(b - a == timedelta(hours=1) for a, b in pairwise(runs))


def test_hourly_in_a_half_hour_zone_keeps_the_local_minute() -> None:
    spec = cadence("hourly", "Asia/Kolkata", minute=0)
    first = spec.next_after(datetime(2026, 5, 1, 4, 0, tzinfo=UTC))
    assert first == datetime(2026, 5, 1, 4, 30, tzinfo=UTC)
    assert first.astimezone(ZoneInfo("Asia/Kolkata")).minute == 0


def test_weekly_runs_on_its_day_across_a_change() -> None:
    spec = cadence("weekly", "Europe/Paris", time_of_day="09:00", weekday="monday")
    runs = _runs(spec, _local(PARIS, 2026, 3, 20, 0, 0), _local(PARIS, 2026, 4, 7, 0, 0))
    assert [r.astimezone(PARIS).strftime("%a %d %H:%M") for r in runs] == [
        "Mon 23 09:00",
        "Mon 30 09:00",
        "Mon 06 09:00",
    ]
    assert runs[0].hour == 8 and runs[1].hour == 7  # UTC+1, then UTC+2 after the change


def test_next_after_is_strictly_after() -> None:
    spec = cadence("daily", "UTC", time_of_day="06:00")
    slot = datetime(2026, 1, 1, 6, 0, tzinfo=UTC)
    assert spec.next_after(slot) == slot + timedelta(days=1)
    assert spec.next_after(slot - timedelta(seconds=1)) == slot


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"frequency": "monthly", "timezone": "UTC"}, "frequency must be one of"),
        ({"frequency": "daily", "timezone": "Mars/Olympus", "time_of_day": "07:00"}, "IANA"),
        ({"frequency": "daily", "timezone": "UTC", "time_of_day": "7h"}, "HH:MM"),
        ({"frequency": "daily", "timezone": "UTC", "time_of_day": "24:00"}, "HH:MM"),
        ({"frequency": "hourly", "timezone": "UTC", "minute": 60}, "0 to 59"),
        (
            {"frequency": "hourly", "timezone": "UTC", "minute": 5, "time_of_day": "01:00"},
            "minute only",
        ),
        ({"frequency": "weekly", "timezone": "UTC", "time_of_day": "07:00"}, "weekday"),
        (
            {"frequency": "weekly", "timezone": "UTC", "time_of_day": "07:00", "weekday": 7},
            "weekday",
        ),
        ({"frequency": "daily", "timezone": "UTC", "minute": 3}, "not minute"),
    ],
)
def test_invalid_schedules_name_the_field(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        cadence(**kwargs)  # type: ignore[arg-type]
