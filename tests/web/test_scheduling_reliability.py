"""Scheduled refreshes that fail: retries with backoff, dead workers, revoked access, overlap."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

import sheets_sync.destinations.xlsx as xlsx_module
from connectors.common.errors import CredentialsError
from connectors.demo import DemoSource
from sheets_sync.db.types import utcnow
from sheets_sync.destinations.xlsx import XlsxDestination
from sheets_sync.errors import DestinationError
from sheets_sync.scheduling.dispatcher import dispatch
from sheets_sync.scheduling.execution import perform_run
from sheets_sync.scheduling.failures import RetryPolicy
from sheets_sync.scheduling.tasks import NullEnqueuer
from sheets_sync.web.extensions import db
from sheets_sync.web.scheduling import scheduler
from tests.web.helpers import call, demo_connection, report, wait_for_run
from tests.web.scheduling_support import runs_of, schedule_of, set_due

FAST = RetryPolicy(max_attempts=3, base_seconds=0.2, max_delay_seconds=1.0, lease_seconds=1.0)


class WorkerKilled(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the refresh catches it."""


def _scheduled_report(app: Flask, client: FlaskClient, ana: dict[str, str]) -> str:
    report_id = report(client, ana, [demo_connection(client, ana)])
    body = {"frequency": "daily", "time": "07:00"}
    call(client, "POST", "/reports/{report_id}/schedule", ana, body, report_id=report_id)
    return report_id


def _claim(app: Flask, report_id: str) -> str:
    """Make the schedule due, dispatch, return the queued run's id."""
    set_due(db.factory_for(app), report_id, utcnow() - timedelta(seconds=1))
    enqueuer = NullEnqueuer()
    dispatch(db.factory_for(app), enqueuer, policy=FAST)
    (run,) = [r for r in runs_of(db.factory_for(app), report_id) if r.status == "queued"]
    return run.id


def _redeliver(app: Flask, policy: RetryPolicy = FAST) -> list[str]:
    """Dispatch until the retried run is handed over again (its delay is short)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        enqueuer = NullEnqueuer()
        result = dispatch(db.factory_for(app), enqueuer, policy=policy)
        if result.redelivered:
            return enqueuer.names
        time.sleep(0.1)
    raise AssertionError("the retry was never handed over again")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _status_texts(path: Path) -> list[str]:
    book = load_workbook(path, read_only=True)
    sheet = next(ws for ws in book.worksheets if "status" in ws.title.lower())
    return [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]


def test_a_transient_failure_is_retried_with_backoff_then_succeeds(
    app: Flask, client: FlaskClient, ana: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = scheduler.state(app).env
    report_id = _scheduled_report(app, client, ana)
    run_id = _claim(app, report_id)
    real_write = XlsxDestination.write
    calls: list[int] = []

    def flaky(self: XlsxDestination, workbook: Any, progress: Any = None) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise DestinationError("the disk answered slowly (test); refresh again later")
        return real_write(self, workbook)

    monkeypatch.setattr(XlsxDestination, "write", flaky)
    before = utcnow()
    first = perform_run(env, run_id, FAST)
    assert first is not None
    assert (first.status, first.attempts, first.error_code) == ("queued", 2, "write_failed")
    assert first.not_before is not None and first.not_before >= before + timedelta(seconds=0.2)
    assert first.task_name and first.task_name.endswith("-a2")
    # Too early: the run is not handed over nor executed before its backoff ends.
    assert perform_run(env, run_id, FAST, now=before).status == "queued"  # type: ignore[union-attr]
    assert _redeliver(app) == [first.task_name]
    done = perform_run(env, run_id, FAST)
    assert done is not None and (done.status, done.attempts) == ("succeeded", 2)
    assert schedule_of(db.factory_for(app), report_id).paused is False
    texts = _status_texts(Path(done.location or ""))
    assert "Failed refreshes since the last success" in texts
    assert any("the disk answered slowly" in t for t in texts)


def test_failures_stop_after_the_last_attempt_and_show_on_the_next_success(
    app: Flask, client: FlaskClient, ana: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = scheduler.state(app).env
    report_id = _scheduled_report(app, client, ana)
    run_id = _claim(app, report_id)
    real_write = XlsxDestination.write

    def broken(self: XlsxDestination, workbook: Any, progress: Any = None) -> Any:
        raise DestinationError("the shared drive is full (test); free some space")

    monkeypatch.setattr(XlsxDestination, "write", broken)
    for attempt in (1, 2):
        run = perform_run(env, run_id, FAST)
        assert run is not None and (run.status, run.attempts) == ("queued", attempt + 1)
        _redeliver(app)
    final = perform_run(env, run_id, FAST)
    assert final is not None and (final.status, final.attempts) == ("failed", 3)
    failed = call(client, "GET", "/runs/{run_id}", ana, run_id=run_id).get_json()
    assert failed["error"] == {
        "code": "write_failed",
        "message": "the shared drive is full (test); free some space",
    }
    monkeypatch.setattr(XlsxDestination, "write", real_write)
    again = call(client, "POST", "/reports/{report_id}/refresh", ana, report_id=report_id)
    finished = wait_for_run(client, ana, again.get_json()["id"])
    assert finished["status"] == "succeeded"
    texts = _status_texts(Path(finished["location"]))
    assert "Failed refreshes since the last success" in texts
    assert any("the shared drive is full" in t for t in texts)


def test_a_worker_dying_mid_write_leaves_the_old_workbook_and_the_run_is_retried(
    app: Flask, client: FlaskClient, ana: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = scheduler.state(app).env
    report_id = _scheduled_report(app, client, ana)
    first = call(client, "POST", "/reports/{report_id}/refresh", ana, report_id=report_id)
    workbook = Path(wait_for_run(client, ana, first.get_json()["id"])["location"])
    old = _digest(workbook)
    run_id = _claim(app, report_id)
    real_fsync = xlsx_module._fsync

    def die_after_writing(temp: Path) -> None:
        assert temp.stat().st_size > 0  # the new workbook is half way to replacing the old one
        raise WorkerKilled

    monkeypatch.setattr(xlsx_module, "_fsync", die_after_writing)
    with pytest.raises(WorkerKilled):
        perform_run(env, run_id, FAST)
    monkeypatch.setattr(xlsx_module, "_fsync", real_fsync)
    (stuck,) = [r for r in runs_of(db.factory_for(app), report_id) if r.id == run_id]
    assert stuck.status == "running"
    assert _digest(workbook) == old  # never half-written
    assert [p.name for p in workbook.parent.iterdir()] == [workbook.name]
    # A click meanwhile is refused: the dead run still holds the report until its lease ends.
    clash = call(client, "POST", "/reports/{report_id}/refresh", ana, report_id=report_id)
    assert (clash.status_code, clash.get_json()["error"]["code"]) == (409, "refresh_in_progress")
    deadline = time.monotonic() + 30
    while dispatch(db.factory_for(app), NullEnqueuer(), policy=FAST).recovered == 0:
        assert time.monotonic() < deadline, "the expired lease was never recovered"
        time.sleep(0.2)
    (recovered,) = [r for r in runs_of(db.factory_for(app), report_id) if r.id == run_id]
    assert (recovered.status, recovered.attempts, recovered.error_code) == (
        "queued",
        2,
        "interrupted",
    )
    _redeliver(app)
    done = perform_run(env, run_id, FAST)
    assert done is not None and (done.status, done.attempts) == ("succeeded", 2)
    assert _digest(workbook) != old


def test_revoked_credentials_pause_the_schedule_with_the_reason(
    app: Flask, client: FlaskClient, ana: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = scheduler.state(app).env
    report_id = _scheduled_report(app, client, ana)
    run_id = _claim(app, report_id)

    def refused(self: DemoSource, context: Any) -> Any:
        raise CredentialsError(
            "Salesforce refused the credentials (401); reconnect the account", "Salesforce", 401
        )

    monkeypatch.setattr(DemoSource, "read", refused)
    run = perform_run(env, run_id, FAST)
    assert run is not None
    assert (run.status, run.attempts, run.error_code) == ("failed", 1, "access_revoked")
    schedule = call(client, "GET", "/reports/{report_id}/schedule", ana, report_id=report_id)
    body = schedule.get_json()
    assert body["paused"] is True and body["next_run_at"] is None
    assert "reconnect the account" in body["paused_reason"]
    set_due(db.factory_for(app), report_id, utcnow() - timedelta(minutes=5))
    assert dispatch(db.factory_for(app), NullEnqueuer(), policy=FAST).claimed == 0


def test_a_task_delivered_twice_refreshes_once(
    app: Flask, client: FlaskClient, ana: dict[str, str]
) -> None:
    env = scheduler.state(app).env
    report_id = _scheduled_report(app, client, ana)
    run_id = _claim(app, report_id)
    first = perform_run(env, run_id, FAST)
    second = perform_run(env, run_id, FAST)
    assert first is not None and second is not None
    assert first.status == second.status == "succeeded"
    assert second.finished_at == first.finished_at
    assert len(runs_of(db.factory_for(app), report_id)) == 1
