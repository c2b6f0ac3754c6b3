"""Executing runs: outcomes recorded, double delivery harmless, deletion mid-run harmless."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient

from connectors.base import ProgressFn, no_progress
from sheets_sync.db.models import Report, Run
from sheets_sync.destinations.base import Destination, WriteResult
from sheets_sync.document import Workbook
from sheets_sync.errors import DestinationError
from sheets_sync.web.extensions import db, runner
from sheets_sync.web.services.runs import RunEnvironment, execute_run, start_run
from tests.web.helpers import call, demo_connection, report

NOW = datetime(2026, 10, 31, 12, tzinfo=UTC)


class MemoryDestination(Destination):
    """Keeps the written workbook; ``during_write`` runs inside the write."""

    type = "memory"

    def __init__(self, during_write: Callable[[], None] = lambda: None) -> None:
        self.written: Workbook | None = None
        self.during_write = during_write

    def write(self, workbook: Workbook, progress: ProgressFn = no_progress) -> WriteResult:
        self.during_write()
        self.written = workbook
        return WriteResult("memory://report", [t.name for t in workbook.tabs], requests=3)

    def location(self) -> str:
        return "memory://report"


def _queued(app: Flask, client: FlaskClient, headers: dict[str, str]) -> tuple[str, str]:
    report_id = report(client, headers, [demo_connection(client, headers)])
    user_id = call(client, "GET", "/me", headers).get_json()["id"]
    with app.app_context():
        run = start_run(db.session, user_id, report_id)
        db.session.commit()
        return report_id, run.id


def _env(app: Flask) -> RunEnvironment:
    env: RunEnvironment = app.extensions[runner.key][1]
    return env


def test_success_records_counts_requests_and_tabs(
    app: Flask, client: FlaskClient, ana: dict[str, str]
) -> None:
    _, run_id = _queued(app, client, ana)
    target = MemoryDestination()
    run = execute_run(_env(app), run_id, now=NOW, destination=target)
    assert run is not None
    assert (run.status, run.write_requests, run.location) == ("succeeded", 3, "memory://report")
    assert target.written is not None
    assert target.written.tabs[-1].name == "Sync status"
    assert run.started_at is not None
    assert run.finished_at is not None
    assert run.finished_at >= run.started_at
    assert run.row_counts["demo"]["deals"] > 0


def test_a_run_delivered_twice_refreshes_once(
    app: Flask, client: FlaskClient, ana: dict[str, str]
) -> None:
    _, run_id = _queued(app, client, ana)
    first = MemoryDestination()
    execute_run(_env(app), run_id, now=NOW, destination=first)
    second = MemoryDestination()
    again = execute_run(_env(app), run_id, now=NOW, destination=second)
    assert again is not None
    assert again.status == "succeeded"
    assert first.written is not None
    assert second.written is None


def test_a_destination_failure_is_recorded_for_the_user(
    app: Flask, client: FlaskClient, ana: dict[str, str]
) -> None:
    _, run_id = _queued(app, client, ana)

    def refuse() -> None:
        raise DestinationError("the spreadsheet was deleted; bind the report to another one")

    run = execute_run(_env(app), run_id, now=NOW, destination=MemoryDestination(refuse))
    assert run is not None
    assert (run.status, run.error_code) == ("failed", "write_failed")
    assert run.error_message == "the spreadsheet was deleted; bind the report to another one"


def test_an_unexpected_crash_is_a_generic_message(
    app: Flask, client: FlaskClient, ana: dict[str, str]
) -> None:
    _, run_id = _queued(app, client, ana)

    def crash() -> None:
        raise KeyError("internal detail /srv/secret/path")

    run = execute_run(_env(app), run_id, now=NOW, destination=MemoryDestination(crash))
    assert run is not None
    assert (run.status, run.error_code) == ("failed", "internal_error")
    assert "secret" not in (run.error_message or "")


def test_deleting_the_report_during_the_run_is_harmless(
    app: Flask, client: FlaskClient, ana: dict[str, str]
) -> None:
    report_id, run_id = _queued(app, client, ana)

    def delete_report() -> None:
        with app.app_context():
            db.session.delete(db.session.get(Report, report_id))
            db.session.commit()

    assert (
        execute_run(_env(app), run_id, now=NOW, destination=MemoryDestination(delete_report))
        is None
    )
    with app.app_context():
        assert db.session.get(Run, run_id) is None


def test_progress_is_visible_while_the_run_is_going(
    app: Flask, client: FlaskClient, ana: dict[str, str]
) -> None:
    _, run_id = _queued(app, client, ana)
    seen: list[tuple[str, str | None]] = []

    def look() -> None:
        # What a sidebar polling GET /api/runs/{id} sees during the write.
        body = call(client, "GET", "/runs/{run_id}", ana, run_id=run_id).get_json()
        seen.append((body["status"], body["progress"]["step"]))

    execute_run(_env(app), run_id, now=NOW, destination=MemoryDestination(look))
    assert seen == [("running", "writing")]
    final = call(client, "GET", "/runs/{run_id}", ana, run_id=run_id).get_json()
    assert (final["status"], final["progress"]["step"]) == ("succeeded", "done")
