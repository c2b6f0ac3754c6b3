"""Schedule endpoints: list, create, read, change, pause, resume, delete a report's schedule.

The request and response models and the OpenAPI operations live here too;
:mod:`sheets_sync.web.api.openapi` merges :func:`operations` into the document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import Response
from pydantic import BaseModel, ConfigDict, Field

from sheets_sync.db.models import Schedule
from sheets_sync.scheduling.times import WEEKDAYS
from sheets_sync.web.api import bp
from sheets_sync.web.api.body import parse, send
from sheets_sync.web.auth import current_user_id
from sheets_sync.web.extensions import db
from sheets_sync.web.services import schedules as service

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
assert tuple(Weekday.__args__) == WEEKDAYS  # type: ignore[attr-defined]


class ScheduleIn(BaseModel):
    """A new schedule: ``minute`` for hourly, ``time`` for daily, ``time`` and ``weekday`` for
    weekly; ``timezone`` (IANA) defaults to the report's."""

    model_config = ConfigDict(extra="forbid")

    frequency: Literal["hourly", "daily", "weekly"]
    minute: int | None = Field(default=None, description="0-59, hourly schedules only")
    time: str | None = Field(default=None, description="HH:MM, 24-hour clock", examples=["07:30"])
    weekday: Weekday | None = None
    timezone: str | None = Field(default=None, examples=["Europe/Paris"])


class SchedulePatch(BaseModel):
    """Changes to a schedule (omitted fields stay as they are)."""

    model_config = ConfigDict(extra="forbid")

    frequency: Literal["hourly", "daily", "weekly"] | None = None
    minute: int | None = None
    time: str | None = None
    weekday: Weekday | None = None
    timezone: str | None = None


class ScheduleOut(BaseModel):
    """A report's schedule; ``next_run_at`` and ``last_run_at`` are UTC."""

    report_id: str
    frequency: str
    minute: int | None
    time: str | None
    weekday: str | None
    timezone: str
    paused: bool
    paused_reason: str | None
    next_run_at: datetime | None
    last_run_at: datetime | None
    created_at: datetime


class ScheduleList(BaseModel):
    """The user's schedules."""

    schedules: list[ScheduleOut]


def schedule_out(schedule: Schedule) -> ScheduleOut:
    """The API view of ``schedule``."""
    return ScheduleOut(
        report_id=schedule.report_id,
        frequency=schedule.frequency,
        timezone=schedule.timezone,
        paused=schedule.paused,
        paused_reason=schedule.paused_reason,
        next_run_at=None if schedule.paused else schedule.next_run_at,
        last_run_at=schedule.last_run_at,
        created_at=schedule.created_at,
        **service.describe(schedule),
    )


def operations() -> dict[str, dict[str, Any]]:
    """The OpenAPI operations of these endpoints (merged into the document)."""
    from sheets_sync.web.api.openapi import Operation

    return {
        "/schedules": {"get": Operation("List schedules, soonest first", ScheduleList)},
        "/reports/{report_id}/schedule": {
            "get": Operation("A report's schedule", ScheduleOut, errors=(404,)),
            "post": Operation(
                "Schedule a report (hourly, daily or weekly, in an IANA time zone)",
                ScheduleOut,
                201,
                ScheduleIn,
                (400, 404, 409, 422),
            ),
            "patch": Operation(
                "Change a schedule", ScheduleOut, body=SchedulePatch, errors=(400, 404, 422)
            ),
            "delete": Operation("Delete a schedule", None, 204, errors=(404,)),
        },
        "/reports/{report_id}/schedule/pause": {
            "post": Operation("Pause a schedule", ScheduleOut, errors=(404,)),
        },
        "/reports/{report_id}/schedule/resume": {
            "post": Operation("Resume a paused schedule", ScheduleOut, errors=(404,)),
        },
    }


@bp.get("/schedules")
def list_schedules() -> tuple[Response, int]:
    """The user's schedules."""
    found = service.list_schedules(db.session, current_user_id())
    return send(ScheduleList(schedules=[schedule_out(s) for s in found]))


@bp.get("/reports/<report_id>/schedule")
def get_schedule(report_id: str) -> tuple[Response, int]:
    """One report's schedule."""
    return send(schedule_out(service.get_schedule(db.session, current_user_id(), report_id)))


@bp.post("/reports/<report_id>/schedule")
def create_schedule(report_id: str) -> tuple[Response, int]:
    """Schedule a report."""
    body = parse(ScheduleIn)
    schedule = service.create_schedule(
        db.session,
        current_user_id(),
        report_id,
        frequency=body.frequency,
        minute=body.minute,
        time_of_day=body.time,
        weekday=body.weekday,
        timezone=body.timezone,
    )
    db.session.commit()
    return send(schedule_out(schedule), 201)


@bp.patch("/reports/<report_id>/schedule")
def update_schedule(report_id: str) -> tuple[Response, int]:
    """Change a schedule; only the fields sent change."""
    body = parse(SchedulePatch)
    sent = body.model_fields_set
    renamed = {"time": "time_of_day"}
    changes = {
        renamed.get(k, k): getattr(body, k) for k in ("minute", "time", "weekday") if k in sent
    }
    schedule = service.update_schedule(
        db.session,
        current_user_id(),
        report_id,
        frequency=body.frequency,
        timezone=body.timezone,
        **changes,
    )
    db.session.commit()
    return send(schedule_out(schedule))


@bp.post("/reports/<report_id>/schedule/pause")
def pause_schedule(report_id: str) -> tuple[Response, int]:
    """Pause a schedule."""
    schedule = service.pause_schedule(db.session, current_user_id(), report_id)
    db.session.commit()
    return send(schedule_out(schedule))


@bp.post("/reports/<report_id>/schedule/resume")
def resume_schedule(report_id: str) -> tuple[Response, int]:
    """Resume a schedule from its next slot."""
    schedule = service.resume_schedule(db.session, current_user_id(), report_id)
    db.session.commit()
    return send(schedule_out(schedule))


@bp.delete("/reports/<report_id>/schedule")
def delete_schedule(report_id: str) -> tuple[str, int]:
    """Delete a schedule."""
    service.delete_schedule(db.session, current_user_id(), report_id)
    db.session.commit()
    return "", 204
