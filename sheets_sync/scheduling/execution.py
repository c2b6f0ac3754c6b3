"""Executing a delivered refresh: hold a lease, run it, then retry, give up or pause.

:func:`perform_run` is what the Cloud Tasks handler and the local worker call for a run the
dispatcher handed over. It takes a lease on the run (renewed by a heartbeat thread while the
refresh works), calls :func:`sheets_sync.web.services.runs.execute_run` (the same function a
click uses), and then applies the :class:`~sheets_sync.scheduling.failures.RetryPolicy`: a
retryable failure puts the run back in the queue as its next attempt; credentials the user
revoked pause the report's schedule with the reason. If the worker dies instead, its lease runs
out and the dispatcher recovers the run (see :func:`~.dispatcher.recover_stale_runs`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from sheets_sync.db.models import ACTIVE_RUN_STATUSES, Run, Schedule
from sheets_sync.db.types import utcnow
from sheets_sync.scheduling.dispatcher import requeue
from sheets_sync.scheduling.failures import ACCESS_REVOKED, RetryPolicy
from sheets_sync.web.services.runs import RunEnvironment, execute_run

log = logging.getLogger(__name__)


def perform_run(
    env: RunEnvironment, run_id: str, policy: RetryPolicy, *, now: datetime | None = None
) -> Run | None:
    """Execute the handed-over run ``run_id`` under a lease; returns the run afterwards.

    ``None`` means the run does not exist (its report was deleted). A run that is not queued,
    or whose retry is not due yet, is returned untouched, so a task delivered twice runs once.
    """
    if not take_lease(env.factory, run_id, policy, now or utcnow()):
        with env.factory() as session:
            return session.get(Run, run_id)
    with heartbeat(env.factory, run_id, policy):
        run = execute_run(env, run_id, now=now)
    if run is not None and run.status == "failed":
        return after_failure(env.factory, run_id, policy)
    return run


def take_lease(
    factory: sessionmaker[Session], run_id: str, policy: RetryPolicy, now: datetime
) -> bool:
    """Lease the queued, due run ``run_id``; ``False`` if it is not (or no longer) available."""
    with factory() as session, session.begin():
        result = session.execute(
            update(Run)
            .where(
                Run.id == run_id,
                Run.status == "queued",
                or_(Run.not_before.is_(None), Run.not_before <= now),
            )
            .values(lease_expires_at=now + timedelta(seconds=policy.lease_seconds))
        )
        return bool(getattr(result, "rowcount", 0))


@contextmanager
def heartbeat(factory: sessionmaker[Session], run_id: str, policy: RetryPolicy) -> Iterator[None]:
    """Renew the run's lease every third of the lease while the block runs."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(policy.lease_seconds / 3):
            try:
                with factory() as session, session.begin():
                    session.execute(
                        update(Run)
                        .where(Run.id == run_id, Run.status.in_(ACTIVE_RUN_STATUSES))
                        .values(lease_expires_at=utcnow() + timedelta(seconds=policy.lease_seconds))
                    )
            except Exception:
                # A missed beat only shortens the lease; the refresh itself goes on.
                log.warning("could not renew the lease of run %s", run_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"lease-{run_id[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def after_failure(factory: sessionmaker[Session], run_id: str, policy: RetryPolicy) -> Run | None:
    """Retry the failed run ``run_id``, or pause its schedule if access was revoked."""
    now = utcnow()
    try:
        with factory() as session, session.begin():
            run = session.scalar(select(Run).where(Run.id == run_id).with_for_update())
            if run is None or run.status != "failed":
                return run
            if run.error_code == ACCESS_REVOKED:
                pause_schedule(session, run.report_id, run.error_message or "Access was revoked.")
            elif run.task_name and policy.should_retry(run.error_code, run.attempts):
                requeue(run, now, policy)
                log.info(
                    "run %s failed (%s); retry %d at %s",
                    run_id,
                    run.error_code,
                    run.attempts,
                    run.not_before,
                )
            return run
    except IntegrityError:
        # Someone started a refresh of the report meanwhile: that refresh replaces the retry.
        with factory() as session:
            return session.get(Run, run_id)


def pause_schedule(session: Session, report_id: str, reason: str) -> None:
    """Pause the report's schedule (if it has one) with ``reason``, shown in the sidebar."""
    session.execute(
        update(Schedule)
        .where(Schedule.report_id == report_id)
        .values(paused=True, paused_reason=f"Paused because a refresh failed: {reason}")
    )
