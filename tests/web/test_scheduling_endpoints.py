"""The cron dispatch and Cloud Tasks handler endpoints: who may call them, what they do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sheets_sync.web import create_app
from sheets_sync.web.extensions import db, runner
from sheets_sync.web.scheduling import scheduler
from sheets_sync.web.settings import load_settings
from tests.emulators.cloudtasks import CloudTasksEmulator
from tests.web.google_certs import SigningKey
from tests.web.helpers import call, demo_connection, report
from tests.web.scheduling_support import (
    QUEUE,
    production_values,
    runs_of,
    seed_due_schedules,
)

SERVICE_ACCOUNT = "tasks@demo-project.iam.gserviceaccount.com"
TASK_URL = "https://sheets-sync.example/internal/tasks/refresh"


def _app(values: dict[str, Any]) -> Flask:
    return create_app(load_settings(environ={}, **values))


def _close(app: Flask) -> None:
    runner.shutdown(app)
    scheduler.shutdown(app)
    db.engine_for(app).dispose()


@pytest.fixture
def emulator() -> Iterator[CloudTasksEmulator]:
    """A Cloud Tasks emulator with the refresh queue."""
    server = CloudTasksEmulator([QUEUE])
    yield server
    server.stop()


@pytest.fixture
def production(settings_values: dict[str, Any], emulator: CloudTasksEmulator) -> Iterator[Flask]:
    """A production app whose dispatcher enqueues to the emulator."""
    app = _app(production_values(settings_values, tasks_queue=QUEUE, tasks_endpoint=emulator.url))
    yield app
    _close(app)


def test_production_refuses_spoofed_cron_and_task_calls(production: Flask) -> None:
    client = production.test_client()
    seed_due_schedules(db.factory_for(production), 1)
    for headers in ({}, {"X-Appengine-Cron": "false"}, {"X-CloudTasks-QueueName": "refresh"}):
        response = client.post("/internal/cron/dispatch", headers=headers)
        assert (response.status_code, response.get_json()["error"]["code"]) == (403, "not_cron")
    assert runs_of(db.factory_for(production)) == []  # nothing was claimed
    body = {"run_id": "0" * 32}
    for headers in (
        {},
        {"X-Appengine-Cron": "true"},
        {"X-CloudTasks-QueueName": "another-queue"},
        {"X-AppEngine-QueueName": "default"},
    ):
        response = client.post("/internal/tasks/refresh", json=body, headers=headers)
        assert (response.status_code, response.get_json()["error"]["code"]) == (
            403,
            "not_cloud_tasks",
        )


def test_production_cron_dispatches_to_cloud_tasks(
    production: Flask, emulator: CloudTasksEmulator
) -> None:
    client = production.test_client()
    reports = seed_due_schedules(db.factory_for(production), 3)
    response = client.get("/internal/cron/dispatch", headers={"X-Appengine-Cron": "true"})
    assert response.status_code == 200
    assert response.get_json() | {} == {
        "recovered": 0,
        "claimed": 3,
        "redelivered": 0,
        "enqueued": 3,
        "failed_enqueue": 0,
    }
    names = sorted(t["name"].rsplit("/", 1)[1] for t in emulator.tasks(QUEUE))
    assert names == sorted(r.task_name for r in runs_of(db.factory_for(production)))
    assert {n.split("-")[1] for n in names} == set(reports)
    # The queue's own call passes the check; a run that no longer exists is simply done.
    statuses = emulator.deliver(
        QUEUE,
        lambda path, data, headers: (
            client.post(
                path, data=data, headers={**headers, "X-AppEngine-QueueName": "refresh"}
            ).status_code
        ),
    )
    assert statuses == [200, 200, 200]


def test_task_calls_need_a_valid_oidc_token_when_an_audience_is_set(
    settings_values: dict[str, Any], google_key: SigningKey
) -> None:
    app = _app(
        production_values(
            settings_values,
            tasks_queue=QUEUE,
            tasks_handler_url=TASK_URL,
            tasks_audience=TASK_URL,
            tasks_service_account=SERVICE_ACCOUNT,
        )
    )
    try:
        client = app.test_client()
        claims = {"aud": TASK_URL, "email": SERVICE_ACCOUNT, "sub": "1", "hd": None}
        good = google_key.token(**claims)
        cases = [
            (None, 403),
            (google_key.token(**{**claims, "aud": "https://elsewhere.example"}), 403),
            (google_key.token(**{**claims, "email": "intruder@example.com"}), 403),
            (SigningKey("forged").token(**claims), 403),
            (good, 200),
        ]
        for token, status in cases:
            headers = {"X-CloudTasks-QueueName": "refresh"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            response = client.post(
                "/internal/tasks/refresh", json={"run_id": "1" * 32}, headers=headers
            )
            assert response.status_code == status, (token, response.get_json())
        assert (
            client.post(
                "/internal/tasks/refresh",
                data=b"not json",
                headers={"X-CloudTasks-QueueName": "refresh", "Authorization": f"Bearer {good}"},
            ).status_code
            == 400
        )
    finally:
        _close(app)


def test_http_tasks_carry_the_url_and_an_oidc_token_request(
    settings_values: dict[str, Any], emulator: CloudTasksEmulator
) -> None:
    app = _app(
        {
            **settings_values,
            "tasks_queue": QUEUE,
            "tasks_endpoint": emulator.url,
            "tasks_handler_url": TASK_URL,
            "tasks_service_account": SERVICE_ACCOUNT,
        }
    )
    try:
        seed_due_schedules(db.factory_for(app), 1)
        assert app.test_client().post("/internal/cron/dispatch").status_code == 200
        (task,) = emulator.tasks(QUEUE)
        http = task["httpRequest"]
        assert http["url"] == TASK_URL
        assert http["oidcToken"] == {"serviceAccountEmail": SERVICE_ACCOUNT, "audience": TASK_URL}
    finally:
        _close(app)


def test_local_cron_runs_the_scheduled_refresh_in_process(
    app: Flask, client: FlaskClient, ana: dict[str, str]
) -> None:
    report_id = report(client, ana, [demo_connection(client, ana)])
    call(
        client,
        "POST",
        "/reports/{report_id}/schedule",
        ana,
        {"frequency": "hourly", "minute": 0},
        report_id=report_id,
    )
    from datetime import timedelta

    from sheets_sync.db.types import utcnow
    from tests.web.scheduling_support import set_due

    set_due(db.factory_for(app), report_id, utcnow() - timedelta(seconds=5))
    response = client.post("/internal/cron/dispatch")  # local mode: no cron header needed
    assert response.get_json()["claimed"] == 1
    scheduler.shutdown(app)  # waits for the in-process refresh
    (run,) = runs_of(db.factory_for(app), report_id)
    assert (run.trigger, run.status, run.attempts) == ("schedule", "succeeded", 1), (
        run.error_message
    )
    assert run.location and run.location.endswith(f"{report_id}.xlsx")
    history = call(client, "GET", "/reports/{report_id}/runs", ana, report_id=report_id)
    assert [r["trigger"] for r in history.get_json()["runs"]] == ["schedule"]
    assert json.dumps(history.get_json())  # documented and serialisable
