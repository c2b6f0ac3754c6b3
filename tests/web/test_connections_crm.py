"""HubSpot (OAuth install flow and private-app token) and Dynamics (client credentials)
connections, each checked through its connector against the emulators."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.emulators.dynamics.server import CLIENT_ID as D365_CLIENT_ID
from tests.emulators.dynamics.server import CLIENT_SECRET as D365_SECRET
from tests.emulators.dynamics.server import TENANT, DataverseEmulator
from tests.emulators.hubspot import server as hs
from tests.web.crm_oauth import OAuthHubSpotEmulator
from tests.web.helpers import call


@pytest.fixture
def hubspot() -> Iterator[OAuthHubSpotEmulator]:
    emulator = OAuthHubSpotEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def settings_values(
    settings_values: dict[str, Any], hubspot: OAuthHubSpotEmulator
) -> dict[str, Any]:
    return {
        **settings_values,
        "hubspot_client_id": hs.CLIENT_ID,
        "hubspot_client_secret": hs.CLIENT_SECRET,
        "hubspot_auth_uri": hubspot.auth_uri,
        "hubspot_api_url": hubspot.base_url,
    }


def _test(client: FlaskClient, headers: dict[str, str], connection_id: str) -> dict[str, Any]:
    reply = call(
        client, "POST", "/connections/{connection_id}/test", headers, connection_id=connection_id
    )
    assert reply.status_code == 200
    return dict(reply.get_json())


def test_hubspot_install_flow_creates_a_working_connection_and_delete_revokes(
    client: FlaskClient, ana: dict[str, str], hubspot: OAuthHubSpotEmulator
) -> None:
    link = call(
        client,
        "POST",
        "/oauth/{provider}/authorize",
        ana,
        {"name": "hubspot", "label": "Marketing portal"},
        provider="hubspot",
    )
    opened = client.get(link.get_json()["authorization_url"])
    assert "code_challenge" not in opened.location  # HubSpot has no PKCE; state still applies
    answer = hubspot.authorize(opened.location)
    forged = client.get("/oauth/hubspot/callback", query_string={**answer, "state": "x" * 43})
    assert forged.status_code == 400
    page = client.get("/oauth/hubspot/callback", query_string=answer)
    assert page.status_code == 200, page.get_data(as_text=True)

    (connection,) = call(client, "GET", "/connections", ana).get_json()["connections"]
    assert connection["type"] == "hubspot" and connection["label"] == "Marketing portal"
    assert connection["options"]["auth"] == "oauth"
    outcome = _test(client, ana, connection["id"])
    assert outcome["ok"] is True, outcome

    deleted = call(
        client, "DELETE", "/connections/{connection_id}", ana, connection_id=connection["id"]
    )
    assert deleted.status_code == 204
    assert hubspot.revoked == [hs.REFRESH_TOKEN]


def test_hubspot_private_app_token(
    client: FlaskClient, ana: dict[str, str], hubspot: OAuthHubSpotEmulator
) -> None:
    body = {
        "type": "hubspot",
        "name": "hs-private",
        "options": {"auth": "private_app", "host": hubspot.base_url},
        "secrets": {"access_token": hs.PRIVATE_TOKEN},
    }
    created = call(client, "POST", "/connections", ana, body)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["secret_names"] == ["access_token"]
    assert _test(client, ana, created.get_json()["id"])["ok"] is True

    wrong = call(
        client,
        "PATCH",
        "/connections/{connection_id}",
        ana,
        {"secrets": {"access_token": "pat-revoked-token"}},
        connection_id=created.get_json()["id"],
    )
    assert wrong.status_code == 200
    outcome = _test(client, ana, created.get_json()["id"])
    assert outcome["ok"] is False
    assert "pat-revoked-token" not in outcome["message"]
    # Nothing to revoke for a private-app token: deleting makes no vendor call.
    calls = len(hubspot.requests)
    call(
        client,
        "DELETE",
        "/connections/{connection_id}",
        ana,
        connection_id=created.get_json()["id"],
    )
    assert len(hubspot.requests) == calls


@pytest.fixture
def dynamics(tmp_path: Path) -> Iterator[DataverseEmulator]:
    emulator = DataverseEmulator(tmp_path / "tls").start()
    yield emulator
    emulator.stop()


def test_dynamics_client_credentials(
    client: FlaskClient, ana: dict[str, str], dynamics: DataverseEmulator
) -> None:
    body = {
        "type": "dynamics",
        "name": "d365",
        "label": "Contoso",
        "options": {
            "org_url": dynamics.base_url,
            "authority_host": dynamics.base_url,
            "tenant_id": TENANT,
            "client_id": D365_CLIENT_ID,
            "ca_bundle": str(dynamics.cert),
        },
        "secrets": {"client_secret": D365_SECRET},
    }
    created = call(client, "POST", "/connections", ana, body)
    assert created.status_code == 201, created.get_json()
    connection_id = created.get_json()["id"]
    assert _test(client, ana, connection_id)["ok"] is True

    call(
        client,
        "PATCH",
        "/connections/{connection_id}",
        ana,
        {"secrets": {"client_secret": "not-the-secret"}},
        connection_id=connection_id,
    )
    outcome = _test(client, ana, connection_id)
    assert outcome["ok"] is False and "not-the-secret" not in outcome["message"]
