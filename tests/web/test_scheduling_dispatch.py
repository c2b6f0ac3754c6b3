"""The dispatcher: exactly-once claims, deferral of busy reports, deterministic Cloud Tasks."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from sheets_sync.db.models import Run, Schedule
from sheets_sync.db.types import utcnow
from sheets_sync.scheduling.dispatcher import REDELIVER_AFTER, dispatch
from sheets_sync.scheduling.execution import pause_schedule
from sheets_sync.scheduling.tasks import CloudTasksEnqueuer, NullEnqueuer, task_name
from sheets_sync.web.extensions import db
from tests.emulators.cloudtasks import CloudTasksEmulator
from tests.web.scheduling_support import (
    QUEUE,
    runs_of,
    schedule_of,
    seed_due_schedules,
    set_due,
)


@pytest.fixture
def emulator() -> Iterator[CloudTasksEmulator]:
    """A Cloud Tasks emulator with the refresh queue."""
    server = CloudTasksEmulator([QUEUE])
    yield server
    server.stop()


def test_due_schedule_gets_one_queued_run_and_advances(app: Flask) -> None:
    factory = db.factory_for(app)
    now = utcnow()
    (report_id,) = seed_due_schedules(factory, 1, due=now - timedelta(hours=30))
    enqueuer = NullEnqueuer()
    result = dispatch(factory, enqueuer, now=now)
    assert (result.claimed, result.enqueued) == (1, 1)
    (run,) = runs_of(factory, report_id)
    assert (run.status, run.trigger, run.attempts) == ("queued", "schedule", 1)
    assert run.scheduled_for == now - timedelta(hours=30)
    assert enqueuer.names == [task_name(report_id, now - timedelta(hours=30))]
    schedule = schedule_of(factory, report_id)
    assert schedule.last_run_at == run.scheduled_for
    # Missed slots are not caught up: the next run is the next 07:00 in Paris after now.
    assert now < schedule.next_run_at <= now + timedelta(days=1)
    assert dispatch(factory, enqueuer, now=now).claimed == 0


def test_paused_and_future_schedules_are_not_claimed(app: Flask) -> None:
    factory = db.factory_for(app)
    paused, future = seed_due_schedules(factory, 2)
    with factory() as session, session.begin():
        pause_schedule(session, paused, "test")
    set_due(factory, future, utcnow() + timedelta(hours=1))
    assert dispatch(factory, NullEnqueuer()).claimed == 0
    assert runs_of(factory) == []


def test_a_busy_report_is_deferred_not_interleaved(app: Flask) -> None:
    factory = db.factory_for(app)
    busy, idle = seed_due_schedules(factory, 2)
    user_id = schedule_of(factory, busy).user_id
    with factory() as session, session.begin():
        session.add(Run(report_id=busy, user_id=user_id, status="running", started_at=utcnow()))
    due_before = schedule_of(factory, busy).next_run_at
    result = dispatch(factory, NullEnqueuer())
    assert result.claimed == 1
    assert [r.status for r in runs_of(factory, busy)] == ["running"]
    assert schedule_of(factory, busy).next_run_at == due_before  # still due, deferred
    with factory() as session, session.begin():
        for run in session.query(Run).filter(Run.report_id == busy):
            run.status = "succeeded"
    assert dispatch(factory, NullEnqueuer()).claimed == 1
    assert [r.trigger for r in runs_of(factory, busy)] == ["manual", "schedule"]
    assert len(runs_of(factory, idle)) == 1


def test_concurrent_dispatchers_claim_each_schedule_exactly_once(app: Flask) -> None:
    factory = db.factory_for(app)
    reports = seed_due_schedules(factory, 120)
    names: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def dispatcher() -> None:
        enqueuer = NullEnqueuer()
        try:
            start.wait(timeout=30)
            for _ in range(3):  # cron may fire again while the first dispatch still runs
                dispatch(factory, enqueuer, batch=10)
        except BaseException as err:  # surfaced below with the thread's failure
            errors.append(err)
        with lock:
            names.extend(enqueuer.names)

    threads = [threading.Thread(target=dispatcher) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(names) == len(set(names)) == len(reports)
    runs = runs_of(factory)
    assert Counter(r.report_id for r in runs) == Counter(reports)
    assert all(schedule_of(factory, r).next_run_at > utcnow() for r in reports[:5])


def test_dispatching_twice_creates_one_task(app: Flask, emulator: CloudTasksEmulator) -> None:
    factory = db.factory_for(app)
    (report_id,) = seed_due_schedules(factory, 1)
    enqueuer = CloudTasksEnqueuer(QUEUE, endpoint=emulator.url)
    now = utcnow()
    first = dispatch(factory, enqueuer, now=now)
    second = dispatch(factory, enqueuer, now=now)
    assert (first.enqueued, second.claimed, second.enqueued) == (1, 0, 0)
    (task,) = emulator.tasks(QUEUE)
    (run,) = runs_of(factory, report_id)
    assert task["name"] == f"{QUEUE}/tasks/{run.task_name}"
    assert task["appEngineHttpRequest"]["relativeUri"] == "/internal/tasks/refresh"
    # A dispatcher that died after its commit never marked the hand-over: the next one hands
    # the run over again under the same name, and Cloud Tasks' ALREADY_EXISTS keeps one task.
    later = now + REDELIVER_AFTER + timedelta(seconds=1)
    again = dispatch(factory, enqueuer, now=later)
    assert (again.redelivered, again.enqueued, again.failed_enqueue) == (1, 1, [])
    assert emulator.create_calls == 2
    assert len(emulator.tasks(QUEUE)) == 1


def test_a_lost_create_answer_is_retried_without_a_duplicate(
    app: Flask, emulator: CloudTasksEmulator
) -> None:
    factory = db.factory_for(app)
    seed_due_schedules(factory, 1)
    enqueuer = CloudTasksEnqueuer(QUEUE, endpoint=emulator.url)
    emulator.lose_answers = 1  # the task is created, but the dispatcher sees a 503
    first = dispatch(factory, enqueuer)
    # The failed hand-over clears its mark, so the same dispatch hands the run over again.
    assert (len(first.failed_enqueue), first.redelivered, first.enqueued) == (1, 1, 1)
    assert emulator.create_calls == 2
    assert dispatch(factory, enqueuer).enqueued == 0
    assert len(emulator.tasks(QUEUE)) == 1


def test_an_unavailable_queue_leaves_runs_for_the_next_dispatch(
    app: Flask, emulator: CloudTasksEmulator
) -> None:
    factory = db.factory_for(app)
    seed_due_schedules(factory, 2)
    enqueuer = CloudTasksEnqueuer(QUEUE, endpoint=emulator.url)
    emulator.fail_next = 4  # the claim's hand-over and the same dispatch's second try
    assert len(dispatch(factory, enqueuer).failed_enqueue) == 4
    assert emulator.tasks(QUEUE) == []
    assert dispatch(factory, enqueuer).enqueued == 2
    assert len(emulator.tasks(QUEUE)) == 2


def _set_cadence(factory: Any, report_id: str, zone: str, at: str, due: datetime) -> None:
    with factory() as session, session.begin():
        schedule = session.scalar(select(Schedule).where(Schedule.report_id == report_id))
        schedule.timezone, schedule.time_of_day, schedule.next_run_at = zone, at, due


def _finish_runs(factory: Any) -> None:
    with factory() as session, session.begin():
        session.execute(update(Run).values(status="succeeded"))


def test_dispatch_runs_once_on_fall_back_and_spring_forward_days(app: Flask) -> None:
    factory = db.factory_for(app)
    new_york, paris = seed_due_schedules(factory, 2)
    # New York, 1 November 2026: 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST).
    first_0130 = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    _set_cadence(factory, new_york, "America/New_York", "01:30", first_0130)
    # Paris, 29 March 2026: 02:30 does not exist; the run is at 03:00 CEST (01:00 UTC).
    _set_cadence(factory, paris, "Europe/Paris", "02:30", datetime(2026, 3, 29, 1, 0, tzinfo=UTC))
    spring = datetime(2026, 3, 29, 1, 0, 30, tzinfo=UTC)
    assert dispatch(factory, NullEnqueuer(), now=spring).claimed == 1
    assert schedule_of(factory, paris).next_run_at == datetime(2026, 3, 30, 0, 30, tzinfo=UTC)
    _finish_runs(factory)
    # New York's first 01:30, and Paris once for all the months it missed.
    assert dispatch(factory, NullEnqueuer(), now=first_0130 + timedelta(minutes=1)).claimed == 2
    _finish_runs(factory)
    second_0130 = datetime(2026, 11, 1, 6, 31, tzinfo=UTC)
    assert dispatch(factory, NullEnqueuer(), now=second_0130).claimed == 0
    assert schedule_of(factory, new_york).next_run_at == datetime(2026, 11, 2, 6, 30, tzinfo=UTC)
    assert schedule_of(factory, new_york).last_run_at == first_0130
