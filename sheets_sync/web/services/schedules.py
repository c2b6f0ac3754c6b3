"""Schedules: when a report refreshes by itself, in the user's IANA time zone.

One schedule per report: hourly at a minute, daily at a time, or weekly on a day at a time.
Every function takes the signed-in user's id and finds the report through
:func:`~sheets_sync.web.services.reports.get_report`, so another user's report is a 404 here
too. ``next_run_at`` is computed in UTC by :mod:`sheets_sync.scheduling.times`; pausing keeps
the schedule, resuming starts again from the next slot (missed slots are not caught up).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sheets_sync.db.models import Report, Schedule
from sheets_sync.db.types import utcnow
from sheets_sync.errors import ConfigError
from sheets_sync.scheduling.times import WEEKDAYS, Cadence, cadence
from sheets_sync.web.services.errors import Conflict, InvalidInput, NotFound
from sheets_sync.web.services.reports import get_report

PAUSED_BY_USER = "Paused by you; resume the schedule to refresh again."
_UNSET: Any = object()


def list_schedules(session: Session, user_id: str) -> list[Schedule]:
    """The user's schedules, soonest first (paused ones last)."""
    return list(
        session.scalars(
            select(Schedule)
            .where(Schedule.user_id == user_id)
            .order_by(Schedule.paused, Schedule.next_run_at, Schedule.id)
        )
    )


def get_schedule(session: Session, user_id: str, report_id: str) -> Schedule:
    """The schedule of the user's report ``report_id``, or :class:`NotFound`."""
    report = get_report(session, user_id, report_id)
    schedule = _schedule_of(session, report)
    if schedule is None:
        raise NotFound("This report has no schedule; create one first.", "schedule_not_found")
    return schedule


def create_schedule(
    session: Session,
    user_id: str,
    report_id: str,
    *,
    frequency: str,
    minute: int | None = None,
    time_of_day: str | None = None,
    weekday: int | str | None = None,
    timezone: str | None = None,
    now: datetime | None = None,
) -> Schedule:
    """Schedule the user's report; the time zone defaults to the report's own."""
    report = get_report(session, user_id, report_id)
    if _schedule_of(session, report) is not None:
        raise Conflict(
            "This report already has a schedule; change or delete that one.",
            "schedule_exists",
        )
    zone = timezone or str(report.settings.get("timezone") or "UTC")
    spec = _cadence(frequency, zone, minute, time_of_day, weekday)
    schedule = Schedule(report_id=report.id, user_id=user_id, paused=False)
    _apply(schedule, spec, now or utcnow())
    session.add(schedule)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(
            "This report already has a schedule; change or delete that one.",
            "schedule_exists",
        ) from None
    return schedule


def update_schedule(
    session: Session,
    user_id: str,
    report_id: str,
    *,
    frequency: str | None = None,
    minute: Any = _UNSET,
    time_of_day: Any = _UNSET,
    weekday: Any = _UNSET,
    timezone: str | None = None,
    now: datetime | None = None,
) -> Schedule:
    """Change a schedule; fields left out keep their value, unless the frequency changes
    (then the fields the new frequency does not take are dropped)."""
    schedule = get_schedule(session, user_id, report_id)
    current = describe(schedule)
    new_frequency = frequency or schedule.frequency
    same = new_frequency == schedule.frequency

    def pick(given: Any, key: str) -> Any:
        return given if given is not _UNSET else (current[key] if same else None)

    spec = _cadence(
        new_frequency,
        timezone or schedule.timezone,
        pick(minute, "minute"),
        pick(time_of_day, "time"),
        pick(weekday, "weekday"),
    )
    _apply(schedule, spec, now or utcnow())
    session.flush()
    return schedule


def pause_schedule(session: Session, user_id: str, report_id: str) -> Schedule:
    """Stop a schedule from running until it is resumed."""
    schedule = get_schedule(session, user_id, report_id)
    schedule.paused = True
    schedule.paused_reason = PAUSED_BY_USER
    session.flush()
    return schedule


def resume_schedule(
    session: Session, user_id: str, report_id: str, now: datetime | None = None
) -> Schedule:
    """Run a paused schedule again from its next slot (slots missed while paused are skipped)."""
    schedule = get_schedule(session, user_id, report_id)
    schedule.paused = False
    schedule.paused_reason = None
    schedule.next_run_at = schedule_cadence(schedule).next_after(now or utcnow())
    session.flush()
    return schedule


def delete_schedule(session: Session, user_id: str, report_id: str) -> None:
    """Remove a report's schedule (its run history stays)."""
    session.delete(get_schedule(session, user_id, report_id))
    session.flush()


def schedule_cadence(schedule: Schedule) -> Cadence:
    """The :class:`Cadence` a stored schedule describes."""
    fields = describe(schedule)
    return cadence(
        schedule.frequency,
        schedule.timezone,
        minute=fields["minute"],
        time_of_day=fields["time"],
        weekday=fields["weekday"],
    )


def describe(schedule: Schedule) -> dict[str, Any]:
    """A schedule's fields as the API shows them: minute, time (HH:MM) and weekday name."""
    hourly = schedule.frequency == "hourly"
    minute = int((schedule.time_of_day or "00:00")[3:]) if hourly else None
    return {
        "minute": minute,
        "time": None if hourly else schedule.time_of_day,
        "weekday": WEEKDAYS[schedule.weekday] if schedule.weekday is not None else None,
    }


def _schedule_of(session: Session, report: Report) -> Schedule | None:
    return session.scalar(select(Schedule).where(Schedule.report_id == report.id))


def _cadence(frequency: str, zone: str, minute: Any, time_of_day: Any, weekday: Any) -> Cadence:
    try:
        return cadence(frequency, zone, minute=minute, time_of_day=time_of_day, weekday=weekday)
    except ConfigError as err:
        raise InvalidInput(f"{str(err)[0].upper()}{str(err)[1:]}.", "invalid_schedule") from None


def _apply(schedule: Schedule, spec: Cadence, now: datetime) -> None:
    # Hourly schedules keep their minute as "00:MM" in the time-of-day column.
    schedule.frequency = spec.frequency
    schedule.timezone = spec.timezone
    schedule.time_of_day = spec.at.strftime("%H:%M")
    schedule.weekday = spec.weekday
    if not schedule.paused:
        schedule.next_run_at = spec.next_after(now)
