"""Refresh endpoints: refresh now, run status and progress, run history."""

from __future__ import annotations

from flask import Response, request, url_for

from sheets_sync.db.models import Run
from sheets_sync.web.api import bp
from sheets_sync.web.api.body import send
from sheets_sync.web.api.schemas import ErrorDetail, Progress, Requests, RunList, RunOut
from sheets_sync.web.auth import current_user_id
from sheets_sync.web.extensions import db, runner
from sheets_sync.web.scheduling import scheduler
from sheets_sync.web.services import runs as service
from sheets_sync.web.services.errors import InvalidInput

MAX_HISTORY = 100


def run_out(run: Run) -> RunOut:
    """The API view of ``run``."""
    seconds = (
        (run.finished_at - run.started_at).total_seconds()
        if run.started_at and run.finished_at
        else None
    )
    error = (
        ErrorDetail(code=run.error_code or "refresh_failed", message=run.error_message or "")
        if run.status == "failed"
        else None
    )
    return RunOut(
        id=run.id,
        report_id=run.report_id,
        trigger=run.trigger,
        status=run.status,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        seconds=seconds,
        progress=Progress(step=run.progress_step, done=run.progress_done, total=run.progress_total),
        row_counts=run.row_counts,
        requests=Requests(source=run.source_requests, write=run.write_requests),
        warnings=run.warnings,
        location=run.location,
        error=error,
    )


@bp.post("/reports/<report_id>/refresh")
def refresh_report(report_id: str) -> tuple[Response, int]:
    """Start a refresh and return at once (202) with the run to poll; 409 if one is running.

    In production (or with a task queue) the run goes to the scheduler's queue, to run under a
    lease with retries; locally it runs in this process's thread pool.
    """
    queued = scheduler.takes_clicks()
    run = service.start_run(db.session, current_user_id(), report_id, for_queue=queued)
    db.session.commit()
    if queued:
        scheduler.hand_over(run.id, run.task_name or "")
    else:
        runner.submit(run.id)
    response, status = send(run_out(run), 202)
    response.headers["Location"] = url_for("api.get_run", run_id=run.id)
    return response, status


@bp.get("/runs/<run_id>")
def get_run(run_id: str) -> tuple[Response, int]:
    """A run's status, progress and outcome."""
    return send(run_out(service.get_run(db.session, current_user_id(), run_id)))


@bp.get("/reports/<report_id>/runs")
def list_runs(report_id: str) -> tuple[Response, int]:
    """A report's refresh history, newest first (``?limit=``, at most 100)."""
    raw = request.args.get("limit", "20")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_HISTORY:
        raise InvalidInput(f"limit must be a whole number from 1 to {MAX_HISTORY}.", "bad_limit")
    found = service.list_runs(db.session, current_user_id(), report_id, int(raw))
    return send(RunList(runs=[run_out(r) for r in found]))
