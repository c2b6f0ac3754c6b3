"""A report over a Salesforce connection, refreshed through the service against the emulator.

The connection's OAuth secrets are stored encrypted and decrypted only into the connector's
options for the refresh; the sources' cursors land in the database cursor store and the next
refresh reads incrementally from them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from sheets_sync.db.models import SyncCursor
from sheets_sync.web.extensions import db
from tests.emulators.salesforce import SalesforceEmulator
from tests.emulators.salesforce import server as emu_server
from tests.emulators.salesforce.seed import seed
from tests.web.helpers import call, report, wait_for_run

SHARED_FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[SalesforceEmulator]:
    """A running Salesforce emulator seeded with a small org."""
    fixtures = SHARED_FIXTURES if SHARED_FIXTURES.is_dir() else None
    emu = SalesforceEmulator(tmp_path / "tls", fixtures).start()
    seed(emu.org, 30)
    yield emu
    emu.stop()


def test_salesforce_report_refreshes_with_stored_secrets_and_db_cursors(
    app: Flask, client: FlaskClient, ana: dict[str, str], emulator: SalesforceEmulator
) -> None:
    body = {
        "type": "salesforce",
        "name": "sfdc",
        "label": "Acme Salesforce",
        "options": {
            "auth": "refresh_token",
            "login_url": emulator.base_url,
            "client_id": emu_server.CLIENT_ID,
            "ca_bundle": str(emulator.cert),
            "page_size": 10,
            "bulk_poll_seconds": 0.01,
            "retry_base_delay": 0.01,
        },
        "secrets": {
            "client_secret": emu_server.CLIENT_SECRET,
            "refresh_token": emu_server.REFRESH_TOKEN,
        },
    }
    created = call(client, "POST", "/connections", ana, body)
    assert created.status_code == 201, created.get_json()
    report_id = report(client, ana, [created.get_json()["id"]], template="sales_pipeline")

    run = call(client, "POST", "/reports/{report_id}/refresh", ana, report_id=report_id)
    first = wait_for_run(client, ana, run.get_json()["id"])
    assert first["status"] == "succeeded", first["error"]
    assert first["row_counts"]["sfdc"]["deals"] == 30
    assert first["requests"]["source"] > 0
    with app.app_context():
        cursors = {
            c.stream: c.value
            for c in db.session.scalars(select(SyncCursor).where(SyncCursor.report_id == report_id))
        }
    assert cursors.get("opportunities")

    run = call(client, "POST", "/reports/{report_id}/refresh", ana, report_id=report_id)
    second = wait_for_run(client, ana, run.get_json()["id"])
    assert second["status"] == "succeeded", second["error"]
    assert second["row_counts"]["sfdc"]["deals"] == 30
    history = call(client, "GET", "/reports/{report_id}/runs", ana, report_id=report_id)
    assert [r["id"] for r in history.get_json()["runs"]] == [second["id"], first["id"]]


def test_refused_credentials_fail_the_run_without_showing_them(
    client: FlaskClient, ana: dict[str, str], emulator: SalesforceEmulator
) -> None:
    body = {
        "type": "salesforce",
        "name": "sfdc",
        "options": {
            "auth": "refresh_token",
            "login_url": emulator.base_url,
            "client_id": emu_server.CLIENT_ID,
            "ca_bundle": str(emulator.cert),
            "retry_base_delay": 0.01,
        },
        "secrets": {"client_secret": "wrong-SECRET-1", "refresh_token": "revoked-SECRET-2"},
    }
    connection_id = call(client, "POST", "/connections", ana, body).get_json()["id"]
    report_id = report(client, ana, [connection_id], template="sales_pipeline")
    run = call(client, "POST", "/reports/{report_id}/refresh", ana, report_id=report_id)
    finished = wait_for_run(client, ana, run.get_json()["id"])
    assert finished["status"] == "failed"
    # Refused credentials are classified as revoked access (schedules pause on it).
    assert finished["error"]["code"] == "access_revoked"
    assert "SECRET" not in finished["error"]["message"]
    assert "reconnect Salesforce" in finished["error"]["message"]
