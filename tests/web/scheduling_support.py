"""Helpers of the scheduling tests: seed due schedules, build a production app, read runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sheets_sync.db.models import Report, Run, Schedule, User, new_id
from sheets_sync.db.types import utcnow

QUEUE = "projects/demo-project/locations/europe-west1/queues/refresh"


def seed_due_schedules(
    factory: sessionmaker[Session], count: int, due: datetime | None = None
) -> list[str]:
    """``count`` reports of one user, each with a daily schedule due at ``due``; their ids."""
    due = due or utcnow() - timedelta(minutes=1)
    with factory() as session, session.begin():
        user = User(subject=f"seed-{new_id()}", email="seed@example.com")
        session.add(user)
        session.flush()
        reports = [
            Report(user_id=user.id, spreadsheet_id=f"sheet{i}", template_id="t", title=f"r{i}")
            for i in range(count)
        ]
        session.add_all(reports)
        session.flush()
        session.add_all(
            Schedule(
                report_id=r.id,
                user_id=user.id,
                frequency="daily",
                time_of_day="07:00",
                timezone="Europe/Paris",
                next_run_at=due,
            )
            for r in reports
        )
        return [r.id for r in reports]


def runs_of(factory: sessionmaker[Session], report_id: str | None = None) -> list[Run]:
    """Every run (of one report), oldest first."""
    with factory() as session:
        query = select(Run).order_by(Run.created_at, Run.id)
        if report_id:
            query = query.where(Run.report_id == report_id)
        return list(session.scalars(query))


def schedule_of(factory: sessionmaker[Session], report_id: str) -> Schedule:
    """The schedule of ``report_id``."""
    with factory() as session:
        found = session.scalar(select(Schedule).where(Schedule.report_id == report_id))
        assert found is not None
        return found


def set_due(factory: sessionmaker[Session], report_id: str, when: datetime) -> None:
    """Make the report's schedule due at ``when``."""
    with factory() as session, session.begin():
        schedule = session.scalar(select(Schedule).where(Schedule.report_id == report_id))
        assert schedule is not None
        schedule.next_run_at = when


def production_values(settings_values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Settings of a production app on the test database (migrated at start for the test)."""
    return {**settings_values, "env": "production", "migrate_on_start": True, **extra}
