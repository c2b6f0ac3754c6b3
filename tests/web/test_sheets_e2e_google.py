"""End to end as a user: sign in, authorise Google, connect the demo CRM, copy a template into a
new spreadsheet (Sheets emulator), refresh it, and see a revoked grant ask to re-authorise."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from sheets_sync.db import make_engine, upgrade
from sheets_sync.web import create_app
from sheets_sync.web.extensions import db, runner
from sheets_sync.web.settings import load_settings
from tests.emulators.google_oauth.server import GoogleOAuthEmulator
from tests.emulators.sheets.server import SheetsEmulator
from tests.web.helpers import call, demo_connection, wait_for_run
from tests.web.oauth_flow import connect_google, google_settings

TEMPLATE = "executive_overview"


@pytest.fixture
def settings_values(
    settings_values: dict[str, Any], google: GoogleOAuthEmulator, sheets: SheetsEmulator
) -> dict[str, Any]:
    return {
        **settings_values,
        **google_settings(google),
        "gsheets_locally": True,
        "sheets_endpoint": sheets.sheets_endpoint,
        "drive_endpoint": sheets.drive_endpoint,
    }


def _copy(client: FlaskClient, headers: dict[str, str], connection_id: str) -> Any:
    return call(
        client,
        "POST",
        "/templates/{template_id}/copy",
        headers,
        {"connection_ids": [connection_id], "settings": {"timezone": "Europe/Paris"}},
        template_id=TEMPLATE,
    )


def test_copy_then_refresh_writes_the_tabs_as_the_user(
    client: FlaskClient,
    ana: dict[str, str],
    google: GoogleOAuthEmulator,
    sheets: SheetsEmulator,
) -> None:
    assert connect_google(client, ana, google).status_code == 200
    connection_id = demo_connection(client, ana)

    copied = _copy(client, ana, connection_id)
    assert copied.status_code == 201, copied.get_json()
    body = copied.get_json()
    spreadsheet_id = body["report"]["spreadsheet_id"]
    book = sheets.book(spreadsheet_id)  # created in the emulated Drive
    template = call(client, "GET", "/templates/{template_id}", ana, template_id=TEMPLATE)
    tab_names = [tab["name"] for tab in template.get_json()["tabs"]]
    assert [s.title for s in book.sheets] == tab_names
    assert spreadsheet_id in body["url"]

    run = call(
        client, "POST", "/reports/{report_id}/refresh", ana, report_id=body["report"]["id"]
    ).get_json()
    finished = wait_for_run(client, ana, run["id"])
    assert finished["status"] == "succeeded", finished
    assert spreadsheet_id in finished["location"]
    first_tab = sheets.grid(spreadsheet_id, tab_names[0])
    assert len(first_tab) > 3 and any(cell not in ("", None) for cell in first_tab[0])
    # Every API call carried an access token the OAuth server issued for this user.
    assert sheets.api_requests() and all(r.status < 400 for r in sheets.api_requests())


def test_a_revoked_grant_fails_the_run_asking_to_reauthorize(
    client: FlaskClient,
    ana: dict[str, str],
    google: GoogleOAuthEmulator,
    sheets: SheetsEmulator,
) -> None:
    assert connect_google(client, ana, google).status_code == 200
    copied = _copy(client, ana, demo_connection(client, ana)).get_json()
    google.revoke_all()  # the user removed the app at myaccount.google.com
    writes_before = len(sheets.api_requests())

    run = call(
        client, "POST", "/reports/{report_id}/refresh", ana, report_id=copied["report"]["id"]
    ).get_json()
    finished = wait_for_run(client, ana, run["id"])
    assert finished["status"] == "failed"
    assert finished["error"]["code"] == "google_reauthorization_needed", finished["error"]
    assert "re-authorize Google" in finished["error"]["message"]
    assert len(sheets.api_requests()) == writes_before


def test_copying_without_google_authorisation_says_to_authorise(
    client: FlaskClient, ana: dict[str, str], sheets: SheetsEmulator
) -> None:
    reply = _copy(client, ana, demo_connection(client, ana))
    assert reply.status_code == 422
    assert "re-authorize Google" in reply.get_json()["error"]["message"]
    assert sheets.books == {}


def test_copy_refuses_another_users_connection_before_creating_anything(
    client: FlaskClient,
    ana: dict[str, str],
    bob: dict[str, str],
    google: GoogleOAuthEmulator,
    sheets: SheetsEmulator,
) -> None:
    anas = demo_connection(client, ana)
    reply = _copy(client, bob, anas)
    assert reply.status_code == 404
    assert reply.get_json()["error"]["code"] == "connection_not_found"
    assert sheets.books == {}


def test_production_writes_every_report_to_google_sheets(
    settings_values: dict[str, Any],
    ana: dict[str, str],
    google: GoogleOAuthEmulator,
    sheets: SheetsEmulator,
) -> None:
    values = {**settings_values, "env": "production", "gsheets_locally": False}
    upgrade(make_engine(values["database_url"]))  # production never migrates on start
    app = create_app(load_settings(environ={}, **values))
    try:
        client = app.test_client()
        assert connect_google(client, ana, google).status_code == 200
        copied = _copy(client, ana, demo_connection(client, ana)).get_json()
        run = call(
            client, "POST", "/reports/{report_id}/refresh", ana, report_id=copied["report"]["id"]
        ).get_json()
        finished = wait_for_run(client, ana, run["id"])
        assert finished["status"] == "succeeded", finished
        assert finished["location"].startswith("https://docs.google.com/spreadsheets/d/")
        assert len(sheets.grid(copied["report"]["spreadsheet_id"], "Sync status")) > 1
    finally:
        runner.shutdown(app)
        db.engine_for(app).dispose()
