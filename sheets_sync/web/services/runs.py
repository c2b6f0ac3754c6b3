"""Refresh runs: start one, execute it, report its progress and history.

:func:`start_run` records a queued run and returns at once; at most one queued or running run
exists per report (a partial unique index enforces it in the database, so the guarantee holds
across threads and processes). :func:`execute_run` then performs it with
:func:`sheets_sync.refresh.refresh`, the same function the CLI uses, recording progress as it
goes and the outcome at the end. Whoever executes runs calls :func:`execute_run` with the run
id: the local thread pool directly, a Cloud Tasks task (or the scheduler's threads) through
:func:`sheets_sync.scheduling.execution.perform_run`, which adds a lease and retries.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from sheets_sync.db.cursors import DbCursorStore
from sheets_sync.db.models import ACTIVE_RUN_STATUSES, Report, Run
from sheets_sync.db.types import utcnow
from sheets_sync.destinations.base import Destination
from sheets_sync.errors import (
    ConfigError,
    DestinationError,
    MetricError,
    SchemaError,
    SheetsSyncError,
    SourceError,
    TemplateError,
)
from sheets_sync.refresh import RefreshResult, build_destination, refresh
from sheets_sync.scheduling.failures import ACCESS_REVOKED, access_revoked
from sheets_sync.scheduling.status_notes import with_recent_failures
from sheets_sync.scheduling.tasks import run_task_name
from sheets_sync.secrets import KeyRing, SecretsError
from sheets_sync.web.services.connections import user_upload_dir
from sheets_sync.web.services.errors import Conflict, NotFound, ServiceError
from sheets_sync.web.services.oauth_google import GoogleReauthorizationNeeded
from sheets_sync.web.services.record_stores import database_record_stores
from sheets_sync.web.services.reports import get_report, refresh_config

log = logging.getLogger(__name__)

INTERNAL_ERROR_MESSAGE = (
    "The refresh stopped because of an internal error; try again, and contact the service's "
    "administrator if it keeps happening."
)
# The run's error code tells the UI what kind of action helps; the message says which.
_ERROR_CODES: tuple[tuple[type[Exception], str], ...] = (
    (SecretsError, "secret_unreadable"),
    (GoogleReauthorizationNeeded, "google_reauthorization_needed"),
    (SourceError, "source_failed"),
    (DestinationError, "write_failed"),
    (SchemaError, "source_data_invalid"),
    (TemplateError, "template_invalid"),
    (MetricError, "template_invalid"),
    (ConfigError, "settings_invalid"),
    (ServiceError, "settings_invalid"),
)
PROGRESS_INTERVAL_SECONDS = 0.5


@dataclass(frozen=True)
class RunEnvironment:
    """What executing a run needs from the service: sessions, keys, folders, a destination.

    ``destination_for`` returns the destination options of a report's refresh config (the
    local service writes an .xlsx file per report; the Google Sheets destination plugs in
    here once users can authorise the service to write as them).
    """

    factory: sessionmaker[Session]
    keyring: KeyRing
    data_dir: Path
    destination_for: Callable[[Report, Path], Mapping[str, Any]]


def xlsx_destination(report: Report, data_dir: Path) -> dict[str, Any]:
    """The local destination: ``<data_dir>/reports/<user id>/<report id>.xlsx``."""
    path = data_dir / "reports" / report.user_id / f"{report.id}.xlsx"
    return {"type": "xlsx", "path": str(path.resolve())}


def get_run(session: Session, user_id: str, run_id: str) -> Run:
    """The user's run ``run_id``, or :class:`NotFound`."""
    run = session.scalar(select(Run).where(Run.id == run_id, Run.user_id == user_id))
    if run is None:
        raise NotFound("This refresh does not exist or its report was deleted.", "run_not_found")
    return run


def list_runs(session: Session, user_id: str, report_id: str, limit: int = 20) -> list[Run]:
    """A report's runs, newest first."""
    report = get_report(session, user_id, report_id)
    return list(
        session.scalars(
            select(Run)
            .where(Run.report_id == report.id, Run.user_id == user_id)
            .order_by(Run.created_at.desc(), Run.id)
            .limit(limit)
        )
    )


def start_run(
    session: Session,
    user_id: str,
    report_id: str,
    trigger: str = "manual",
    *,
    for_queue: bool = False,
) -> Run:
    """Queue a refresh of the user's report; :class:`Conflict` while another one is active.

    ``for_queue`` names the run's queue task and marks it handed over, in the caller's
    transaction, for :func:`sheets_sync.scheduling.dispatcher.hand_over` to enqueue after the
    commit: if that enqueue then fails or the process dies first, the dispatcher enqueues it.
    """
    report = get_report(session, user_id, report_id)
    run = Run(report_id=report.id, user_id=user_id, trigger=trigger, status="queued")
    session.add(run)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(
            "This report is already refreshing; wait for that refresh to finish.",
            "refresh_in_progress",
        ) from None
    if for_queue:
        run.task_name = run_task_name(run.id)
        run.enqueued_at = utcnow()
    return run


def fail_interrupted_runs(factory: sessionmaker[Session]) -> int:
    """Mark the local pool's queued and running runs failed (a restarting process owns them).

    Runs handed over to a task queue or worker (they have a ``task_name``) are left alone: the
    dispatcher recovers those through their lease.
    """
    with factory() as session, session.begin():
        result = session.execute(
            update(Run)
            .where(Run.status.in_(ACTIVE_RUN_STATUSES), Run.task_name.is_(None))
            .values(
                status="failed",
                finished_at=utcnow(),
                error_code="interrupted",
                error_message="The service restarted during this refresh; refresh again.",
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


def execute_run(
    env: RunEnvironment,
    run_id: str,
    *,
    now: datetime | None = None,
    destination: Destination | None = None,
) -> Run | None:
    """Perform the queued run ``run_id`` and record its outcome; returns the finished run.

    A run that is not queued (already taken, or finished) is returned untouched, so delivering
    the same run twice never refreshes twice. ``None`` means the report (and so the run) was
    deleted while it ran. ``destination`` replaces the report's own (tests, and the Sheets
    destination once it needs per-user credentials).
    """
    with env.factory() as session, session.begin():
        run = session.scalar(select(Run).where(Run.id == run_id).with_for_update())
        if run is None:
            raise NotFound(f"run {run_id} does not exist", "run_not_found")
        if run.status != "queued":
            return run
        run.status = "running"
        run.started_at = utcnow()
        report_id, user_id = run.report_id, run.user_id
    recorder = ProgressRecorder(env.factory, run_id)
    try:
        with env.factory() as session:
            report = get_report(session, user_id, report_id)
            upload_dir = user_upload_dir(env.data_dir, user_id)
            config = refresh_config(
                report,
                env.keyring,
                upload_dir,
                env.data_dir / "state" / report.id,
                env.destination_for(report, env.data_dir),
            )
        target = with_recent_failures(
            env.factory, report_id, run_id, destination or build_destination(config)
        )
        result = refresh(
            config,
            destination=target,
            cursors=DbCursorStore(env.factory, report_id),
            now=now,
            progress=recorder,
            record_store=database_record_stores(env.factory, report_id),
        )
    except SheetsSyncError as err:
        return _finish(env.factory, run_id, error=(_error_code(err), str(err)))
    except Exception:
        log.exception("refresh run %s failed unexpectedly", run_id)
        return _finish(env.factory, run_id, error=("internal_error", INTERNAL_ERROR_MESSAGE))
    return _finish(env.factory, run_id, result=result)


def _error_code(err: Exception) -> str:
    for cls, code in _ERROR_CODES:
        if isinstance(err, cls):
            # Refused credentials need the user, not a retry: the scheduler pauses on this code.
            if code in ("source_failed", "write_failed") and access_revoked(err):
                return ACCESS_REVOKED
            return code
    return "refresh_failed"


def _finish(
    factory: sessionmaker[Session],
    run_id: str,
    *,
    result: RefreshResult | None = None,
    error: tuple[str, str] | None = None,
) -> Run | None:
    with factory() as session, session.begin():
        run = session.get(Run, run_id)
        if run is None:
            log.info("run %s was deleted with its report before it finished", run_id)
            return None
        run.finished_at = utcnow()
        if result is not None:
            run.status = "succeeded"
            run.row_counts = result.row_counts
            run.source_requests = result.source_requests
            run.write_requests = result.write.requests
            run.location = result.location
            run.warnings = sum(1 for issue in result.issues if issue.severity != "info")
            run.progress_step = "done"
        elif error is not None:
            run.status = "failed"
            run.error_code, run.error_message = error
        return run


class ProgressRecorder:
    """A refresh progress callback that writes the current step to the run's row.

    Writes are throttled (a step change always writes; counts at most every half second) so a
    connector reporting every page does not turn into a database write per page.
    """

    def __init__(self, factory: sessionmaker[Session], run_id: str) -> None:
        self._factory = factory
        self._run_id = run_id
        self._last_step: str | None = None
        self._last_write = 0.0

    def __call__(self, what: str, done: int, total: int | None) -> None:
        clock = time.monotonic()
        if what == self._last_step and clock - self._last_write < PROGRESS_INTERVAL_SECONDS:
            return
        self._last_step, self._last_write = what, clock
        try:
            with self._factory() as session, session.begin():
                session.execute(
                    update(Run)
                    .where(Run.id == self._run_id)
                    .values(progress_step=what[:200], progress_done=done, progress_total=total)
                )
        except Exception:
            # Progress is informative only: a failed write must not fail the refresh.
            log.warning("could not record progress of run %s", self._run_id, exc_info=True)
