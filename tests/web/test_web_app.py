"""The app factory: blueprints per surface, local migration, restart recovery, JSON errors."""

from __future__ import annotations

from typing import Any

from alembic.script import ScriptDirectory
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from sheets_sync.db import current_revision
from sheets_sync.db.migrate import alembic_config
from sheets_sync.db.models import Run
from sheets_sync.web import create_app
from sheets_sync.web.extensions import db, runner
from sheets_sync.web.settings import load_settings
from tests.web.helpers import call, demo_connection, report


def test_one_blueprint_per_surface(app: Flask) -> None:
    assert {"api", "oauth", "internal", "ui"} <= set(app.blueprints)
    prefixes = {bp.name: bp.url_prefix for bp in app.blueprints.values()}
    assert prefixes == {
        "api": "/api",
        "oauth": "/oauth",
        "internal": "/internal",
        "scheduling": "/internal",  # cron and task handlers, beside the health check
        "ui": "/ui",
    }


def test_local_app_migrates_its_database(app: Flask) -> None:
    engine = db.engine_for(app)
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head is not None and current_revision(engine) == head


def test_placeholders_and_health(client: FlaskClient) -> None:
    assert client.get("/internal/health").get_json() == {"status": "ok"}
    oauth = client.get("/oauth/google/callback?code=x&state=y")
    assert oauth.status_code == 400 and b"never started" in oauth.data  # an unknown state
    page = client.get("/ui/")
    assert page.status_code == 200
    assert b'<html lang="en">' in page.data
    assert b"/api/openapi.json" in page.data


def test_unknown_api_paths_and_methods_answer_json(
    client: FlaskClient, ana: dict[str, str]
) -> None:
    missing = client.get("/api/nothing-here", headers=ana)
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    wrong = client.put("/api/reports", headers=ana)
    assert (wrong.status_code, wrong.get_json()["error"]["code"]) == (405, "method_not_allowed")


def test_a_restart_fails_runs_the_previous_process_left_active(
    app: Flask, client: FlaskClient, ana: dict[str, str], settings_values: dict[str, Any]
) -> None:
    report_id = report(client, ana, [demo_connection(client, ana)])
    user_id = call(client, "GET", "/me", ana).get_json()["id"]
    with app.app_context():
        db.session.add(Run(report_id=report_id, user_id=user_id, status="running"))
        db.session.commit()
    restarted = create_app(load_settings(environ={}, **settings_values))
    try:
        with restarted.app_context():
            run = db.session.scalars(select(Run)).one()
            assert (run.status, run.error_code) == ("failed", "interrupted")
        assert (
            call(
                restarted.test_client(),
                "POST",
                "/reports/{report_id}/refresh",
                ana,
                report_id=report_id,
            ).status_code
            == 202
        )
    finally:
        runner.shutdown(restarted)
        db.engine_for(restarted).dispose()


def test_unexpected_errors_are_a_generic_json_500(
    client: FlaskClient, ana: dict[str, str], monkeypatch: Any
) -> None:
    from sheets_sync.web.services import reports as service

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("connection to db-password-hunter2 lost")

    monkeypatch.setattr(service, "list_reports", broken)
    response = client.get("/api/reports", headers=ana)
    assert response.status_code == 500
    error = response.get_json()["error"]
    assert error["code"] == "internal_error"
    assert "hunter2" not in error["message"]


def test_oversized_bodies_are_refused_as_json(client: FlaskClient, ana: dict[str, str]) -> None:
    big = {"type": "demo", "name": "demo", "options": {"padding": "x" * (3 * 1024 * 1024)}}
    response = client.post("/api/connections", headers=ana, json=big)
    assert (response.status_code, response.get_json()["error"]["code"]) == (413, "too_large")
