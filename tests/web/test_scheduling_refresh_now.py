"""Refresh now in production: the click's run goes through Cloud Tasks like a scheduled one.

The app runs in production mode against three loopback emulators: Cloud Tasks (the queue),
Google's OAuth server (the user's grant) and Sheets/Drive (the report's spreadsheet). Tasks are
delivered to ``/internal/tasks/refresh`` by the emulator with the headers App Engine sets.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sheets_sync.db.models import Run
from sheets_sync.db.types import utcnow
from sheets_sync.scheduling.dispatcher import requeue
from sheets_sync.scheduling.failures import RetryPolicy
from sheets_sync.web import create_app
from sheets_sync.web.extensions import db, runner
from sheets_sync.web.scheduling import scheduler
from sheets_sync.web.settings import load_settings
from tests.emulators.cloudtasks import CloudTasksEmulator
from tests.emulators.google_oauth.server import GoogleOAuthEmulator
from tests.emulators.sheets.server import SheetsEmulator
from tests.web.helpers import call, demo_connection, report, wait_for_run
from tests.web.oauth_flow import connect_google, google_settings
from tests.web.scheduling_support import QUEUE, production_values, runs_of

TEMPLATE = "executive_overview"
TASK_PATH = "/internal/tasks/refresh"


@pytest.fixture
def tasks() -> Iterator[CloudTasksEmulator]:
    """A Cloud Tasks emulator with the refresh queue."""
    server = CloudTasksEmulator([QUEUE])
    yield server
    server.stop()


@pytest.fixture
def production(
    settings_values: dict[str, Any],
    tasks: CloudTasksEmulator,
    google: GoogleOAuthEmulator,
    sheets: SheetsEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Flask]:
    """A production app whose queue is the emulator; the local pool must never be used."""
    monkeypatch.setattr(runner, "submit", _local_pool)
    values = production_values(
        settings_values,
        **google_settings(google),
        tasks_queue=QUEUE,
        tasks_endpoint=tasks.url,
        sheets_endpoint=sheets.sheets_endpoint,
        drive_endpoint=sheets.drive_endpoint,
    )
    app = create_app(load_settings(environ={}, **values))
    yield app
    runner.shutdown(app)
    scheduler.shutdown(app)
    db.engine_for(app).dispose()


def _local_pool(run_id: str) -> None:
    raise AssertionError(f"run {run_id} went to the web instance's thread pool")


def _spreadsheet_report(client: FlaskClient, ana: dict[str, str], google: Any) -> dict[str, Any]:
    """Authorise Google, connect the demo CRM, copy a template; returns the new report."""
    assert connect_google(client, ana, google).status_code == 200
    copied = call(
        client,
        "POST",
        "/templates/{template_id}/copy",
        ana,
        {"connection_ids": [demo_connection(client, ana)], "settings": {"timezone": "UTC"}},
        template_id=TEMPLATE,
    )
    assert copied.status_code == 201, copied.get_json()
    return dict(copied.get_json()["report"])


def _click(client: FlaskClient, ana: dict[str, str], report_id: str) -> Any:
    return call(client, "POST", "/reports/{report_id}/refresh", ana, report_id=report_id)


def _deliver(tasks: CloudTasksEmulator, client: FlaskClient) -> list[int]:
    """Deliver every waiting task to the app, with the headers App Engine adds."""
    return tasks.deliver(
        QUEUE,
        lambda path, data, headers: client.post(path, data=data, headers=headers).status_code,
    )


def _task_ids(tasks: CloudTasksEmulator) -> list[str]:
    return [task["name"].rsplit("/", 1)[1] for task in tasks.tasks(QUEUE)]


def test_refresh_now_is_one_named_task_that_the_task_handler_runs(
    production: Flask,
    tasks: CloudTasksEmulator,
    google: GoogleOAuthEmulator,
    sheets: SheetsEmulator,
    ana: dict[str, str],
) -> None:
    client = production.test_client()
    report = _spreadsheet_report(client, ana, google)
    clicked = _click(client, ana, report["id"])
    assert clicked.status_code == 202, clicked.get_json()
    run_id = clicked.get_json()["id"]
    assert clicked.headers["Location"].endswith(f"/api/runs/{run_id}")

    assert _task_ids(tasks) == [f"refresh-run-{run_id}"]
    (task,) = tasks.tasks(QUEUE)
    assert task["appEngineHttpRequest"]["relativeUri"] == TASK_PATH
    (run,) = runs_of(db.factory_for(production), report["id"])
    assert (run.status, run.trigger, run.task_name) == ("queued", "manual", _task_ids(tasks)[0])
    assert run.enqueued_at is not None and run.lease_expires_at is None

    again = _click(client, ana, report["id"])
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "refresh_in_progress")
    assert tasks.create_calls == 1

    assert _deliver(tasks, client) == [200]
    finished = call(client, "GET", "/runs/{run_id}", ana, run_id=run_id).get_json()
    assert (finished["status"], finished["error"]) == ("succeeded", None), finished
    assert finished["location"].startswith("https://docs.google.com/spreadsheets/d/")
    assert len(sheets.grid(report["spreadsheet_id"], "Sync status")) > 1
    assert tasks.tasks(QUEUE) == []

    # Delivered again (Cloud Tasks delivers at least once): answered 200, not refreshed twice.
    writes = len(sheets.api_requests())
    duplicate = client.post(
        TASK_PATH, json={"run_id": run_id}, headers={"X-AppEngine-QueueName": "refresh"}
    )
    assert duplicate.get_json() == {"run_id": run_id, "status": "succeeded", "attempts": 1}
    assert len(sheets.api_requests()) == writes

    # The report is free again: the next click is a new run under its own task name.
    second = _click(client, ana, report["id"])
    assert second.status_code == 202
    assert _task_ids(tasks) == [f"refresh-run-{second.get_json()['id']}"]


def test_a_failed_enqueue_is_handed_over_by_the_next_dispatch(
    production: Flask,
    tasks: CloudTasksEmulator,
    google: GoogleOAuthEmulator,
    ana: dict[str, str],
) -> None:
    client = production.test_client()
    report = _spreadsheet_report(client, ana, google)
    tasks.fail_next = 5  # Cloud Tasks is unavailable while the user clicks
    clicked = _click(client, ana, report["id"])
    assert clicked.status_code == 202, clicked.get_json()
    assert clicked.get_json()["status"] == "queued"
    run_id = clicked.get_json()["id"]
    assert tasks.tasks(QUEUE) == []
    (run,) = runs_of(db.factory_for(production), report["id"])
    # Not handed over: the dispatcher's redelivery picks it up at once, not after 10 minutes.
    assert (run.status, run.task_name, run.enqueued_at) == ("queued", f"refresh-run-{run_id}", None)
    assert _click(client, ana, report["id"]).status_code == 409

    tasks.fail_next = 0
    cron = client.get("/internal/cron/dispatch", headers={"X-Appengine-Cron": "true"})
    assert cron.get_json() | {} == {
        "recovered": 0,
        "claimed": 0,
        "redelivered": 1,
        "enqueued": 1,
        "failed_enqueue": 0,
    }
    assert _task_ids(tasks) == [f"refresh-run-{run_id}"]
    assert _deliver(tasks, client) == [200]
    finished = call(client, "GET", "/runs/{run_id}", ana, run_id=run_id).get_json()
    assert finished["status"] == "succeeded", finished


def test_a_lost_enqueue_answer_still_makes_exactly_one_task(
    production: Flask,
    tasks: CloudTasksEmulator,
    google: GoogleOAuthEmulator,
    ana: dict[str, str],
) -> None:
    client = production.test_client()
    report = _spreadsheet_report(client, ana, google)
    tasks.lose_answers = 1  # the task is created, but the app sees a 503
    run_id = _click(client, ana, report["id"]).get_json()["id"]
    cron = client.get("/internal/cron/dispatch", headers={"X-Appengine-Cron": "true"})
    assert cron.get_json()["redelivered"] == 1  # ALREADY_EXISTS: counted as handed over
    assert _task_ids(tasks) == [f"refresh-run-{run_id}"]
    assert tasks.create_calls == 2
    assert _deliver(tasks, client) == [200]
    assert _deliver(tasks, client) == []
    (run,) = runs_of(db.factory_for(production), report["id"])
    assert (run.status, run.attempts) == ("succeeded", 1), run.error_message


def test_local_mode_with_a_queue_hands_clicks_to_it(
    settings_values: dict[str, Any],
    tasks: CloudTasksEmulator,
    ana: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner, "submit", _local_pool)
    app = create_app(
        load_settings(environ={}, **settings_values, tasks_queue=QUEUE, tasks_endpoint=tasks.url)
    )
    try:
        client = app.test_client()
        report_id = report(client, ana, [demo_connection(client, ana)])
        run_id = _click(client, ana, report_id).get_json()["id"]
        assert _task_ids(tasks) == [f"refresh-run-{run_id}"]
        assert _deliver(tasks, client) == [200]  # local mode: no queue header needed
        (run,) = runs_of(db.factory_for(app), report_id)
        assert (run.status, run.task_name) == ("succeeded", f"refresh-run-{run_id}")
    finally:
        runner.shutdown(app)
        scheduler.shutdown(app)
        db.engine_for(app).dispose()


def test_local_mode_without_a_queue_keeps_clicks_in_the_thread_pool(
    app: Flask, client: FlaskClient, ana: dict[str, str]
) -> None:
    report_id = report(client, ana, [demo_connection(client, ana)])
    run_id = _click(client, ana, report_id).get_json()["id"]
    assert wait_for_run(client, ana, run_id)["status"] == "succeeded"
    (run,) = runs_of(db.factory_for(app), report_id)
    assert run.task_name is None  # owned by this process: a restart fails it, no dispatcher


def test_a_retried_click_is_named_after_its_run_and_attempt() -> None:
    now = utcnow()
    run = Run(id="ab" * 16, report_id="r" * 32, user_id="u", attempts=1, created_at=now)
    run.task_name = "refresh-run-" + "ab" * 16
    requeue(run, now, RetryPolicy(base_seconds=30))
    assert (run.status, run.attempts) == ("queued", 2)
    assert run.task_name == "refresh-run-" + "ab" * 16 + "-a2"
    assert run.not_before == now + timedelta(seconds=30)
