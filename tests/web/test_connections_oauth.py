"""CRM connections per user: Salesforce OAuth (PKCE, state), re-authorise, test, delete+revoke;
HubSpot private-app and Dynamics client-credential connections; tenant isolation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from sheets_sync.db.models import Connection
from sheets_sync.web.extensions import db
from tests.emulators.salesforce import server as sf
from tests.emulators.salesforce.seed import seed
from tests.web.crm_oauth import OAuthSalesforceEmulator
from tests.web.helpers import call


@pytest.fixture
def salesforce(tmp_path: Path) -> Iterator[OAuthSalesforceEmulator]:
    emulator = OAuthSalesforceEmulator(tmp_path / "tls").start()
    emulator.auth_codes, emulator.revoked = {}, []
    seed(emulator.org, 5)
    yield emulator
    emulator.stop()


@pytest.fixture
def settings_values(
    settings_values: dict[str, Any], salesforce: OAuthSalesforceEmulator
) -> dict[str, Any]:
    return {
        **settings_values,
        "salesforce_client_id": sf.CLIENT_ID,
        "salesforce_client_secret": sf.CLIENT_SECRET,
        "salesforce_login_url": salesforce.base_url,
        "salesforce_ca_bundle": str(salesforce.cert),
    }


def _connect(
    client: FlaskClient, headers: dict[str, str], emu: OAuthSalesforceEmulator, body: dict[str, Any]
) -> Any:
    link = call(client, "POST", "/oauth/{provider}/authorize", headers, body, provider="salesforce")
    assert link.status_code == 200, link.get_json()
    opened = client.get(link.get_json()["authorization_url"])
    assert opened.status_code == 302, opened.get_data(as_text=True)
    answer = emu.authorize(opened.headers["Location"])
    return client.get("/oauth/salesforce/callback", query_string=answer)


def _only_connection(client: FlaskClient, headers: dict[str, str]) -> dict[str, Any]:
    (connection,) = call(client, "GET", "/connections", headers).get_json()["connections"]
    return dict(connection)


def test_salesforce_oauth_creates_a_working_connection(
    app: Flask, client: FlaskClient, ana: dict[str, str], salesforce: OAuthSalesforceEmulator
) -> None:
    page = _connect(client, ana, salesforce, {"name": "sfdc", "label": "Acme Salesforce"})
    assert page.status_code == 200, page.get_data(as_text=True)
    assert "Salesforce is connected" in page.get_data(as_text=True)
    connection = _only_connection(client, ana)
    assert (connection["type"], connection["name"], connection["label"]) == (
        "salesforce",
        "sfdc",
        "Acme Salesforce",
    )
    assert connection["secret_names"] == ["client_secret", "refresh_token"]
    assert connection["options"]["login_url"] == salesforce.base_url
    with app.app_context():
        stored = db.session.scalars(select(Connection.secrets_encrypted)).one()
    assert stored and sf.REFRESH_TOKEN not in stored

    check = call(
        client, "POST", "/connections/{connection_id}/test", ana, connection_id=connection["id"]
    )
    assert check.get_json()["ok"] is True, check.get_json()


def test_a_replayed_salesforce_answer_is_refused(
    client: FlaskClient, ana: dict[str, str], salesforce: OAuthSalesforceEmulator
) -> None:
    link = call(
        client, "POST", "/oauth/{provider}/authorize", ana, {"name": "sfdc"}, provider="salesforce"
    )
    answer = salesforce.authorize(client.get(link.get_json()["authorization_url"]).location)
    assert client.get("/oauth/salesforce/callback", query_string=answer).status_code == 200
    replay = client.get("/oauth/salesforce/callback", query_string=answer)
    assert replay.status_code == 400
    # A Google callback cannot complete a Salesforce state either.
    other = client.get("/oauth/google/callback", query_string=answer)
    assert other.status_code == 400
    assert len(call(client, "GET", "/connections", ana).get_json()["connections"]) == 1


def test_reauthorize_keeps_the_connection_and_delete_revokes(
    client: FlaskClient, ana: dict[str, str], salesforce: OAuthSalesforceEmulator
) -> None:
    assert _connect(client, ana, salesforce, {"name": "sfdc"}).status_code == 200
    first = _only_connection(client, ana)
    rename = call(
        client,
        "PATCH",
        "/connections/{connection_id}",
        ana,
        {"label": "Sales org"},
        connection_id=first["id"],
    )
    assert rename.get_json()["label"] == "Sales org"
    again = _connect(client, ana, salesforce, {"connection_id": first["id"]})
    assert again.status_code == 200, again.get_data(as_text=True)
    second = _only_connection(client, ana)
    assert second["id"] == first["id"] and second["label"] == "Sales org"

    deleted = call(client, "DELETE", "/connections/{connection_id}", ana, connection_id=first["id"])
    assert deleted.status_code == 204
    assert salesforce.revoked == [sf.REFRESH_TOKEN]
    assert call(client, "GET", "/connections", ana).get_json() == {"connections": []}


def test_another_user_cannot_reauthorize_a_connection(
    client: FlaskClient,
    ana: dict[str, str],
    bob: dict[str, str],
    salesforce: OAuthSalesforceEmulator,
) -> None:
    assert _connect(client, ana, salesforce, {"name": "sfdc"}).status_code == 200
    anas = _only_connection(client, ana)
    stolen = call(
        client,
        "POST",
        "/oauth/{provider}/authorize",
        bob,
        {"connection_id": anas["id"]},
        provider="salesforce",
    )
    assert stolen.status_code == 404
    assert stolen.get_json()["error"]["code"] == "connection_not_found"


def test_a_new_connection_needs_a_name(
    client: FlaskClient, ana: dict[str, str], salesforce: OAuthSalesforceEmulator
) -> None:
    reply = call(client, "POST", "/oauth/{provider}/authorize", ana, {}, provider="salesforce")
    assert reply.status_code == 422
    assert "name" in reply.get_json()["error"]["message"]


def test_sandbox_uses_the_sandbox_host(
    client: FlaskClient, ana: dict[str, str], salesforce: OAuthSalesforceEmulator
) -> None:
    link = call(
        client,
        "POST",
        "/oauth/{provider}/authorize",
        ana,
        {"name": "sandbox", "sandbox": True},
        provider="salesforce",
    )
    opened = client.get(link.get_json()["authorization_url"])
    assert opened.location.startswith("https://test.salesforce.com/services/oauth2/authorize?")
