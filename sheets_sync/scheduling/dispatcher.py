"""The dispatcher: claim due schedules exactly once, create their runs, hand them to a queue.

One :func:`dispatch` call does three things, each in its own short transaction:

1. **recover** runs whose worker died (``running`` with an expired lease): retried, or failed
   once they used every attempt;
2. **claim** due schedules: ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL (a schedule
   locked by another dispatcher is skipped, not waited for), a single-writer ``BEGIN IMMEDIATE``
   transaction on SQLite. The same transaction advances ``next_run_at`` and inserts a queued run,
   so a schedule is claimed by exactly one dispatcher. A report that is already refreshing is
   deferred: its schedule stays due and is claimed once that refresh ends, so refreshes of one
   report never interleave (the partial unique index on active runs guarantees it);
3. **hand over** the new runs, plus queued runs that are due for a retry or whose hand-over was
   lost (a dispatcher that died between commit and enqueue), under deterministic task names.

:func:`hand_over` is also how a "refresh now" reaches the queue: its run, named and marked as
handed over in the transaction that creates it, is enqueued the same way, and a failed or lost
enqueue is picked up by step 3 of the next dispatch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, exists, not_, or_, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session, sessionmaker

from sheets_sync.db.models import ACTIVE_RUN_STATUSES, Run, Schedule, new_id
from sheets_sync.db.types import utcnow
from sheets_sync.scheduling.failures import RetryPolicy
from sheets_sync.scheduling.tasks import Enqueuer, RefreshTask, run_task_name, task_name
from sheets_sync.scheduling.times import Cadence

log = logging.getLogger(__name__)

BATCH = 500
# A queued run handed over this long ago and still not started is handed over again (same task
# name, so a task that does exist is not duplicated).
REDELIVER_AFTER = timedelta(minutes=10)
# The predicate of the active-run index, spelled literally: ON CONFLICT must match it, and an
# expanding IN parameter cannot be sent as executemany.
_ACTIVE = text("status IN ('queued', 'running')")
INTERRUPTED_MESSAGE = (
    "The refresh stopped before it finished because the worker running it stopped; refresh again."
)


@dataclass
class DispatchResult:
    """What one dispatch did."""

    recovered: int = 0
    claimed: int = 0
    redelivered: int = 0
    enqueued: int = 0
    failed_enqueue: list[str] = field(default_factory=list)
    task_names: list[str] = field(default_factory=list)


def dispatch(
    factory: sessionmaker[Session],
    enqueuer: Enqueuer,
    *,
    now: datetime | None = None,
    policy: RetryPolicy | None = None,
    batch: int = BATCH,
    max_batches: int = 100,
) -> DispatchResult:
    """Recover stale runs, claim every due schedule (in batches), hand the runs over."""
    now = now or utcnow()
    policy = policy or RetryPolicy()
    result = DispatchResult(recovered=recover_stale_runs(factory, now, policy))
    for _ in range(max_batches):
        tasks = claim_due(factory, now, batch)
        result.claimed += len(tasks)
        _hand_over(factory, enqueuer, tasks, result)
        if len(tasks) < batch:
            break
    pending = claim_undelivered(factory, now, batch)
    result.redelivered = len(pending)
    _hand_over(factory, enqueuer, pending, result)
    return result


def claim_due(factory: sessionmaker[Session], now: datetime, limit: int) -> list[RefreshTask]:
    """Claim up to ``limit`` due schedules of idle reports; returns the queued runs' tasks."""
    busy = exists().where(Run.report_id == Schedule.report_id, Run.status.in_(ACTIVE_RUN_STATUSES))
    with factory() as session, session.begin():
        rows = session.execute(
            select(
                Schedule.id,
                Schedule.report_id,
                Schedule.user_id,
                Schedule.frequency,
                Schedule.time_of_day,
                Schedule.weekday,
                Schedule.timezone,
                Schedule.next_run_at,
            )
            .where(Schedule.paused.is_(False), Schedule.next_run_at <= now, not_(busy))
            .order_by(Schedule.next_run_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Schedule)
        ).all()
        if not rows:
            return []
        postgres = session.get_bind().dialect.name == "postgresql"
        inserted = (_insert_runs_pg if postgres else _insert_runs)(session, rows, now)
        started = {report_id for report_id, _, _ in inserted}
        # Schedules sharing a cadence share their next slot: compute it once per cadence.
        next_slots: dict[Cadence, datetime] = {}
        advanced = [
            (row.id, _next_slot(next_slots, row_cadence(row), now), row.next_run_at)
            for row in rows
            if row.report_id in started
        ]
        if advanced:
            (_advance_pg if postgres else _advance)(session, advanced)
    return [RefreshTask(run_id, name) for _, run_id, name in inserted]


# A click may have started a refresh since the SELECT: such a report's row is skipped by
# ON CONFLICT (its schedule stays due) instead of failing the whole batch on the active-run index.
_PG_INSERT = text(
    """
    INSERT INTO runs (id, report_id, user_id, trigger, status, created_at, progress_done,
        row_counts, source_requests, write_requests, warnings, attempts, scheduled_for,
        task_name, enqueued_at)
    SELECT v.id, v.report_id, v.user_id, 'schedule', 'queued', :now, 0, '{}', 0, 0, 0, 1,
        v.slot, v.task_name, :now
    FROM unnest(CAST(:ids AS varchar[]), CAST(:report_ids AS varchar[]),
        CAST(:user_ids AS varchar[]), CAST(:slots AS timestamptz[]),
        CAST(:names AS varchar[])) AS v(id, report_id, user_id, slot, task_name)
    ON CONFLICT (report_id) WHERE status IN ('queued', 'running') DO NOTHING
    RETURNING report_id, id, task_name
    """
)
_PG_ADVANCE = text(
    """
    UPDATE schedules AS s SET next_run_at = v.next_at, last_run_at = v.last_at
    FROM unnest(CAST(:ids AS varchar[]), CAST(:next_at AS timestamptz[]),
        CAST(:last_at AS timestamptz[])) AS v(id, next_at, last_at)
    WHERE s.id = v.id
    """
)

Claimed = list[tuple[str, str, str]]
Advanced = list[tuple[str, datetime, datetime]]


def _insert_runs_pg(session: Session, rows: Sequence[Any], now: datetime) -> Claimed:
    # PostgreSQL: one short statement with one array per column, whatever the batch size
    # (a multi-row VALUES list costs more to build and parse than the insert itself).
    result = session.execute(
        _PG_INSERT,
        {
            "now": now,
            "ids": [new_id() for _ in rows],
            "report_ids": [row.report_id for row in rows],
            "user_ids": [row.user_id for row in rows],
            "slots": [row.next_run_at for row in rows],
            "names": [task_name(row.report_id, row.next_run_at) for row in rows],
        },
    )
    return [(r[0], r[1], r[2]) for r in result]


def _insert_runs(session: Session, rows: Sequence[Any], now: datetime) -> Claimed:
    values = [
        {
            "id": new_id(),
            "report_id": row.report_id,
            "user_id": row.user_id,
            "trigger": "schedule",
            "status": "queued",
            "created_at": now,
            "progress_done": 0,
            "row_counts": {},
            "source_requests": 0,
            "write_requests": 0,
            "warnings": 0,
            "attempts": 1,
            "scheduled_for": row.next_run_at,
            "task_name": task_name(row.report_id, row.next_run_at),
            "enqueued_at": now,
        }
        for row in rows
    ]
    statement = (
        sqlite.insert(Run)
        .on_conflict_do_nothing(index_elements=[Run.report_id], index_where=_ACTIVE)
        .returning(Run.report_id, Run.id, Run.task_name)
    )
    result = session.connection().execute(statement, values)
    return [(str(r[0]), str(r[1]), str(r[2])) for r in result]


def _advance_pg(session: Session, advanced: Advanced) -> None:
    ids, next_at, last_at = (list(column) for column in zip(*advanced, strict=True))
    session.execute(_PG_ADVANCE, {"ids": ids, "next_at": next_at, "last_at": last_at})


def _advance(session: Session, advanced: Advanced) -> None:
    session.connection().execute(
        update(Schedule)
        .where(Schedule.id == bindparam("schedule_id"))
        .values(next_run_at=bindparam("next_at"), last_run_at=bindparam("last_at")),
        [{"schedule_id": i, "next_at": n, "last_at": last} for i, n, last in advanced],
    )


def _next_slot(known: dict[Cadence, datetime], cadence: Cadence, now: datetime) -> datetime:
    if cadence not in known:
        known[cadence] = cadence.next_after(now)
    return known[cadence]


def row_cadence(row: Any) -> Cadence:
    """The :class:`Cadence` of a schedule row (hourly rows keep their minute as ``00:MM``)."""
    hours, minutes = (int(part) for part in (row.time_of_day or "00:00").split(":"))
    return Cadence(row.frequency, row.timezone, time(hours, minutes), row.weekday)


def claim_undelivered(
    factory: sessionmaker[Session], now: datetime, limit: int
) -> list[RefreshTask]:
    """Claim queued runs due for a retry, or whose hand-over was lost; returns their tasks."""
    with factory() as session, session.begin():
        runs = session.scalars(
            select(Run)
            .where(
                Run.status == "queued",
                Run.task_name.is_not(None),
                or_(Run.not_before.is_(None), Run.not_before <= now),
                or_(Run.enqueued_at.is_(None), Run.enqueued_at < now - REDELIVER_AFTER),
            )
            .order_by(Run.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for run in runs:
            run.enqueued_at = now
        return [RefreshTask(run.id, run.task_name or "") for run in runs]


def recover_stale_runs(factory: sessionmaker[Session], now: datetime, policy: RetryPolicy) -> int:
    """Retry (or fail, after the last attempt) runs whose worker stopped renewing its lease."""
    with factory() as session, session.begin():
        runs = session.scalars(
            select(Run)
            .where(
                Run.status == "running",
                and_(Run.lease_expires_at.is_not(None), Run.lease_expires_at < now),
            )
            .with_for_update(skip_locked=True)
        ).all()
        for run in runs:
            log.warning("run %s lost its worker (lease expired); recovering it", run.id)
            run.error_code, run.error_message = "interrupted", INTERRUPTED_MESSAGE
            if policy.should_retry("interrupted", run.attempts):
                requeue(run, now, policy)
            else:
                run.status, run.finished_at, run.lease_expires_at = "failed", now, None
        return len(runs)


def requeue(run: Run, now: datetime, policy: RetryPolicy) -> None:
    """Put ``run`` back in the queue as its next attempt, after the policy's delay.

    The error of the failed attempt stays on the run, so the status tab can tell the user.
    """
    run.not_before = now + policy.delay(run.attempts)
    run.attempts += 1
    run.status = "queued"
    run.started_at = run.finished_at = run.enqueued_at = run.lease_expires_at = None
    run.progress_step, run.progress_done, run.progress_total = None, 0, None
    run.task_name = attempt_task_name(run)


def attempt_task_name(run: Run) -> str:
    """The task name of ``run``'s current attempt: its schedule slot, or its id for a click."""
    if run.scheduled_for is None:
        return run_task_name(run.id, run.attempts)
    return task_name(run.report_id, run.scheduled_for, run.attempts)


def hand_over(
    factory: sessionmaker[Session], enqueuer: Enqueuer, tasks: Sequence[RefreshTask]
) -> list[str]:
    """Enqueue ``tasks`` (runs already marked handed over); returns the runs that failed.

    A failed run's hand-over mark is cleared, so the next dispatch enqueues it again at once
    (:func:`claim_undelivered`) instead of after :data:`REDELIVER_AFTER`.
    """
    if not tasks:
        return []
    try:
        failed = enqueuer.enqueue(tasks)
    except Exception:
        # An enqueuer that raises (no credentials, a network error the client does not wrap)
        # hands nothing over for sure; names already created are ALREADY_EXISTS next time.
        log.exception("could not enqueue %d refresh task(s)", len(tasks))
        failed = [task.run_id for task in tasks]
    if failed:
        with factory() as session, session.begin():
            session.execute(
                update(Run)
                .where(Run.id.in_(failed), Run.status == "queued")
                .values(enqueued_at=None)
            )
    return failed


def _hand_over(
    factory: sessionmaker[Session],
    enqueuer: Enqueuer,
    tasks: list[RefreshTask],
    result: DispatchResult,
) -> None:
    failed = hand_over(factory, enqueuer, tasks)
    result.enqueued += len(tasks) - len(failed)
    result.task_names.extend(t.name for t in tasks if t.run_id not in set(failed))
    result.failed_enqueue.extend(failed)
