"""`sheets-sync worker`: the dispatcher in a loop, refreshes in process, against the service DB."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from sheets_sync.cli import main
from sheets_sync.db.types import utcnow
from sheets_sync.scheduling.failures import RetryPolicy
from sheets_sync.scheduling.worker import run_worker
from sheets_sync.web.extensions import db
from sheets_sync.web.scheduling import scheduler
from tests.web.helpers import call, demo_connection, report
from tests.web.scheduling_support import runs_of, set_due


def _due_report(app: Flask, client: FlaskClient, headers: dict[str, str], sheet: str) -> str:
    report_id = report(client, headers, [demo_connection(client, headers, name="demo")], sheet)
    body = {"frequency": "weekly", "time": "08:00", "weekday": "monday"}
    call(client, "POST", "/reports/{report_id}/schedule", headers, body, report_id=report_id)
    set_due(db.factory_for(app), report_id, utcnow() - timedelta(minutes=2))
    return report_id


def test_worker_once_runs_the_due_refresh(
    app: Flask,
    client: FlaskClient,
    ana: dict[str, str],
    settings_values: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report_id = _due_report(app, client, ana, "1WorkerSheet")
    for key, value in settings_values.items():
        monkeypatch.setenv(f"SHEETS_SYNC_{key.upper()}", str(value))
    result = CliRunner().invoke(main, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "ran 1 scheduled refresh(es)" in result.output
    (run,) = runs_of(db.factory_for(app), report_id)
    assert (run.trigger, run.status) == ("schedule", "succeeded"), run.error_message
    again = CliRunner().invoke(main, ["worker", "--once"])
    assert "ran 0 scheduled refresh(es)" in again.output


def test_worker_loop_stops_when_asked(app: Flask, client: FlaskClient, ana: dict[str, str]) -> None:
    report_id = _due_report(app, client, ana, "1LoopSheet")
    env = scheduler.state(app).env
    stop = threading.Event()
    seen: list[int] = []

    def report_tick(result: Any) -> None:
        seen.append(result.claimed)
        if len(seen) >= 2:
            stop.set()

    started = run_worker(env, RetryPolicy(), interval=0.05, stop=stop, report=report_tick)
    assert started == 1 and seen[:2] == [1, 0]
    assert [r.status for r in runs_of(db.factory_for(app), report_id)] == ["succeeded"]
