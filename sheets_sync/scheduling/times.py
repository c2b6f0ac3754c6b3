"""When a schedule runs: hourly at a minute, daily at a time, weekly on a day at a time.

Times are wall-clock times in the user's IANA time zone; every instant computed here is UTC.
Daylight-saving changes follow two rules:

- a daily or weekly time that does not exist on a spring-forward day (02:30 in Paris on the last
  Sunday of March) runs once, at the first valid local time after it (03:00, the transition);
- a time that occurs twice on a fall-back day runs once, at its first occurrence.

Hourly schedules run every real hour at the given local minute, so a fall-back day has one more
run and a spring-forward day one fewer, and no two runs are less than an hour apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sheets_sync.errors import ConfigError

FREQUENCIES = ("hourly", "daily", "weekly")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Cadence:
    """A validated schedule: ``minute`` for hourly, ``at`` (and ``weekday``) otherwise.

    ``weekday`` is 0 for Monday to 6 for Sunday, as :meth:`datetime.date.weekday` counts.
    """

    frequency: str
    timezone: str
    at: time
    weekday: int | None = None

    @property
    def zone(self) -> ZoneInfo:
        """The time zone as a :class:`ZoneInfo`."""
        return ZoneInfo(self.timezone)

    def next_after(self, after: datetime) -> datetime:
        """The first run strictly after ``after`` (timezone-aware), in UTC."""
        if after.tzinfo is None:
            raise ValueError("next_after needs a timezone-aware datetime")
        after = after.astimezone(UTC)
        if self.frequency == "hourly":
            return _next_hourly(self.at.minute, self.zone, after)
        return _next_daily(self.at, self.weekday, self.zone, after)


def cadence(
    frequency: str,
    timezone: str,
    *,
    time_of_day: str | None = None,
    minute: int | None = None,
    weekday: int | str | None = None,
) -> Cadence:
    """Check a schedule's fields and return its :class:`Cadence`; errors name the field."""
    if frequency not in FREQUENCIES:
        raise ConfigError(f"frequency must be one of {', '.join(FREQUENCIES)}, not {frequency!r}")
    zone_name = check_timezone(timezone)
    if frequency == "hourly":
        if minute is None or not 0 <= minute <= 59:
            raise ConfigError("an hourly schedule needs minute, a whole number from 0 to 59")
        if time_of_day is not None or weekday is not None:
            raise ConfigError("an hourly schedule takes minute only, not time or weekday")
        return Cadence("hourly", zone_name, time(0, minute))
    if minute is not None:
        raise ConfigError(f"a {frequency} schedule takes time (HH:MM), not minute")
    at = parse_time(time_of_day)
    if frequency == "daily":
        if weekday is not None:
            raise ConfigError("a daily schedule takes no weekday; use a weekly schedule")
        return Cadence("daily", zone_name, at)
    return Cadence("weekly", zone_name, at, weekday_number(weekday))


def parse_time(value: str | None) -> time:
    """``"HH:MM"`` (24-hour clock) as a :class:`time`."""
    match = _TIME.match(value or "")
    if not match:
        raise ConfigError(f"time must be HH:MM on a 24-hour clock, such as 07:30, not {value!r}")
    return time(int(match.group(1)), int(match.group(2)))


def weekday_number(value: int | str | None) -> int:
    """A weekday name (``monday``) or number (0 = Monday) as its number."""
    if isinstance(value, str) and value.lower() in WEEKDAYS:
        return WEEKDAYS.index(value.lower())
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    raise ConfigError(f"a weekly schedule needs weekday, one of {', '.join(WEEKDAYS)}")


def check_timezone(name: str) -> str:
    """``name`` if it is an IANA time zone such as Europe/Paris."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"timezone {name!r} is not an IANA time zone; use a name such as Europe/Paris"
        ) from None
    return name


def _next_hourly(minute: int, zone: ZoneInfo, after: datetime) -> datetime:
    # Walk real (UTC) hours: each one holds exactly one instant whose local minute is `minute`,
    # also in zones whose offset is not a whole number of hours.
    hour = after.replace(minute=0, second=0, microsecond=0)
    for step in range(-1, 4):
        start = hour + timedelta(hours=step)
        shift = (minute - start.astimezone(zone).minute) % 60
        candidate = start + timedelta(minutes=shift)
        if candidate > after and candidate.astimezone(zone).minute == minute:
            return candidate
    raise AssertionError("an hourly schedule always runs within the next hours")


def _next_daily(at: time, weekday: int | None, zone: ZoneInfo, after: datetime) -> datetime:
    first_day = after.astimezone(zone).date() - timedelta(days=1)
    for offset in range(10):
        day = first_day + timedelta(days=offset)
        if weekday is not None and day.weekday() != weekday:
            continue
        slot = local_slot(day, at, zone)
        if slot > after:
            return slot
    raise AssertionError("a daily or weekly schedule always runs within ten days")


def local_slot(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall time ``at`` on ``day``: its first occurrence, or the end of a gap."""
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    return _gap_end(wall, zone)


def _gap_end(wall: datetime, zone: ZoneInfo) -> datetime:
    # `wall` was skipped by a spring-forward change. With fold=1 it maps through the offset after
    # the change (an instant before it), with fold=0 through the offset before (after it); the
    # change itself, the first valid time after `wall`, lies in between: bisect on seconds.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    after_offset = wall.replace(tzinfo=zone, fold=1).utcoffset()
    while (high - low) > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle <= low:
            break
        if middle.astimezone(zone).utcoffset() == after_offset:
            high = middle
        else:
            low = middle
    return high
