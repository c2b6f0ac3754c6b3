"""The schedule endpoints of the sidebar API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient

from sheets_sync.db.models import Schedule
from sheets_sync.web.extensions import db
from tests.web.helpers import call, demo_connection, report

PATH = "/reports/{report_id}/schedule"


def _report(client: FlaskClient, headers: dict[str, str], sheet: str = "1SchedSheet") -> str:
    return report(client, headers, [demo_connection(client, headers)], sheet=sheet)


def test_create_read_list_a_daily_schedule_in_the_reports_time_zone(
    client: FlaskClient, ana: dict[str, str]
) -> None:
    report_id = _report(client, ana)
    created = call(
        client, "POST", PATH, ana, {"frequency": "daily", "time": "06:45"}, report_id=report_id
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["timezone"] == "Europe/Paris"  # the report's own time zone
    assert (body["frequency"], body["time"], body["minute"], body["weekday"]) == (
        "daily",
        "06:45",
        None,
        None,
    )
    next_run = datetime.fromisoformat(body["next_run_at"])
    assert next_run > datetime.now(UTC)
    assert next_run.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M") == "06:45"
    assert call(client, "GET", PATH, ana, report_id=report_id).get_json() == body
    listed = call(client, "GET", "/schedules", ana).get_json()["schedules"]
    assert [s["report_id"] for s in listed] == [report_id]
    again = call(
        client, "POST", PATH, ana, {"frequency": "hourly", "minute": 5}, report_id=report_id
    )
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "schedule_exists")


def test_hourly_and_weekly_schedules_and_changing_frequency(
    client: FlaskClient, ana: dict[str, str]
) -> None:
    report_id = _report(client, ana)
    hourly = call(
        client,
        "POST",
        PATH,
        ana,
        {"frequency": "hourly", "minute": 20, "timezone": "America/New_York"},
        report_id=report_id,
    ).get_json()
    assert (hourly["minute"], hourly["time"], hourly["timezone"]) == (20, None, "America/New_York")
    assert datetime.fromisoformat(hourly["next_run_at"]).minute == 20
    weekly = call(
        client,
        "PATCH",
        PATH,
        ana,
        {"frequency": "weekly", "time": "09:00", "weekday": "friday"},
        report_id=report_id,
    )
    assert weekly.status_code == 200, weekly.get_json()
    body = weekly.get_json()
    assert (body["frequency"], body["time"], body["weekday"], body["minute"]) == (
        "weekly",
        "09:00",
        "friday",
        None,
    )
    local = datetime.fromisoformat(body["next_run_at"]).astimezone(ZoneInfo("America/New_York"))
    assert (local.strftime("%A %H:%M")) == "Friday 09:00"
    moved = call(client, "PATCH", PATH, ana, {"time": "10:30"}, report_id=report_id).get_json()
    assert (moved["weekday"], moved["time"]) == ("friday", "10:30")


def test_invalid_schedules_are_422_with_the_field_named(
    client: FlaskClient, ana: dict[str, str]
) -> None:
    report_id = _report(client, ana)
    cases = [
        ({"frequency": "daily", "time": "25:00"}, "HH:MM"),
        ({"frequency": "daily", "time": "07:00", "timezone": "Paris"}, "IANA"),
        ({"frequency": "weekly", "time": "07:00"}, "weekday"),
        ({"frequency": "hourly"}, "minute"),
        ({"frequency": "monthly"}, "frequency"),
    ]
    for body, words in cases:
        response = call(client, "POST", PATH, ana, body, report_id=report_id)
        assert response.status_code == 422, body
        assert words in response.get_json()["error"]["message"], response.get_json()
    missing = call(client, "GET", PATH, ana, report_id=report_id)
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (404, "schedule_not_found")


def test_pause_resume_and_delete(app: Flask, client: FlaskClient, ana: dict[str, str]) -> None:
    report_id = _report(client, ana)
    call(client, "POST", PATH, ana, {"frequency": "daily", "time": "07:00"}, report_id=report_id)
    paused = call(client, "POST", PATH + "/pause", ana, report_id=report_id).get_json()
    assert paused["paused"] is True and paused["next_run_at"] is None
    assert "resume" in paused["paused_reason"]
    with app.app_context():
        # A paused schedule is never due, whatever its stored next_run_at says.
        stored = db.session.query(Schedule).one()
        stored.next_run_at = datetime(2020, 1, 1, tzinfo=UTC)
        db.session.commit()
    resumed = call(client, "POST", PATH + "/resume", ana, report_id=report_id).get_json()
    assert resumed["paused"] is False and resumed["paused_reason"] is None
    assert datetime.fromisoformat(resumed["next_run_at"]) > datetime.now(UTC)  # no catch-up
    assert call(client, "DELETE", PATH, ana, report_id=report_id).status_code == 204
    assert call(client, "GET", PATH, ana, report_id=report_id).status_code == 404
    assert call(client, "GET", "/schedules", ana).get_json() == {"schedules": []}


def test_another_users_schedule_is_invisible_and_untouchable(
    client: FlaskClient, ana: dict[str, str], bob: dict[str, str]
) -> None:
    report_id = _report(client, ana)
    call(client, "POST", PATH, ana, {"frequency": "daily", "time": "07:00"}, report_id=report_id)
    before = call(client, "GET", PATH, ana, report_id=report_id).get_json()
    for method, path, body in [
        ("GET", PATH, None),
        ("PATCH", PATH, {"time": "01:00"}),
        ("POST", PATH + "/pause", None),
        ("DELETE", PATH, None),
    ]:
        response = call(client, method, path, bob, body, report_id=report_id)
        assert (response.status_code, response.get_json()["error"]["code"]) == (
            404,
            "report_not_found",
        )
    assert call(client, "GET", "/schedules", bob).get_json() == {"schedules": []}
    assert call(client, "GET", PATH, ana, report_id=report_id).get_json() == before


def test_deleting_the_report_deletes_its_schedule(client: FlaskClient, ana: dict[str, str]) -> None:
    report_id = _report(client, ana)
    call(client, "POST", PATH, ana, {"frequency": "daily", "time": "07:00"}, report_id=report_id)
    assert (
        call(client, "DELETE", "/reports/{report_id}", ana, report_id=report_id).status_code == 204
    )
    assert call(client, "GET", "/schedules", ana).get_json() == {"schedules": []}
