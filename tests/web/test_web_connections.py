"""Connections CRUD through the sidebar API."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from tests.web.helpers import DEMO_OPTIONS, FILE_MAPPING, call, demo_connection, report


def test_create_list_read_rename_delete(client: FlaskClient, ana: dict[str, str]) -> None:
    assert call(client, "GET", "/connections", ana).get_json() == {"connections": []}
    connection_id = demo_connection(client, ana)
    listed = call(client, "GET", "/connections", ana).get_json()["connections"]
    assert [c["id"] for c in listed] == [connection_id]
    assert listed[0]["options"] == DEMO_OPTIONS
    renamed = call(
        client,
        "PATCH",
        "/connections/{connection_id}",
        ana,
        {"label": "Demo company"},
        connection_id=connection_id,
    ).get_json()
    assert renamed["label"] == "Demo company"
    assert renamed["name"] == "demo"
    got = call(client, "GET", "/connections/{connection_id}", ana, connection_id=connection_id)
    assert got.get_json()["label"] == "Demo company"
    deleted = call(
        client, "DELETE", "/connections/{connection_id}", ana, connection_id=connection_id
    )
    assert deleted.status_code == 204
    gone = call(client, "GET", "/connections/{connection_id}", ana, connection_id=connection_id)
    assert gone.status_code == 404
    assert gone.get_json()["error"]["code"] == "connection_not_found"


def test_invalid_connections_are_refused_with_a_reason(
    client: FlaskClient, ana: dict[str, str]
) -> None:
    cases = [
        ({"type": "demo", "name": "Demo!"}, 422, "invalid_name"),
        ({"type": "ftp", "name": "x"}, 422, "invalid_type"),
        ({"type": "demo", "name": "d", "options": {"size": 5}}, 422, "invalid_options"),
        ({"type": "demo", "name": "d", "colour": "red"}, 422, "invalid_request"),
        (
            {"type": "file", "name": "f", "options": {"mapping": "/etc/mapping.yaml"}},
            422,
            "invalid_options",
        ),
    ]
    for body, status, code in cases:
        response = call(client, "POST", "/connections", ana, body)
        assert (response.status_code, response.get_json()["error"]["code"]) == (status, code)
        message = response.get_json()["error"]["message"]
        assert message
        assert "\n" not in message
    demo_connection(client, ana)
    again = call(client, "POST", "/connections", ana, {"type": "demo", "name": "demo"})
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "connection_name_taken")
    not_json = client.post("/api/connections", headers=ana, data="x")
    assert not_json.status_code == 400
    assert not_json.get_json()["error"]["code"] == "bad_request"


def test_file_connection_paths_stay_inside_the_users_uploads(
    client: FlaskClient, ana: dict[str, str]
) -> None:
    mapping = {
        "version": 1,
        "files": {"deals": {"path": "../../other-user/deals.csv"}},
        "tables": {"deals": {"from": "deals", "columns": {"deal_id": "id"}}},
    }
    body = {"type": "file", "name": "crm", "options": {"mapping": mapping}}
    response = call(client, "POST", "/connections", ana, body)
    assert response.status_code == 422
    assert "mapping.files.deals.path" in response.get_json()["error"]["message"]


def test_secrets_are_write_only(client: FlaskClient, ana: dict[str, str]) -> None:
    body = {
        "type": "hubspot",
        "name": "hubspot",
        "options": {"portal_id": "123"},
        "secrets": {"access_token": "pat-na1-SECRET-VALUE"},
    }
    created = call(client, "POST", "/connections", ana, body)
    assert created.status_code == 201
    assert b"SECRET-VALUE" not in created.data
    assert created.get_json()["secret_names"] == ["access_token"]
    connection_id = created.get_json()["id"]
    patched = call(
        client,
        "PATCH",
        "/connections/{connection_id}",
        ana,
        {"secrets": {"access_token": None, "refresh_token": "r-SECRET"}},
        connection_id=connection_id,
    )
    assert patched.get_json()["secret_names"] == ["refresh_token"]
    assert b"SECRET" not in patched.data


def test_connection_test_reports_the_connector_check(
    client: FlaskClient, ana: dict[str, str], tmp_path: Path
) -> None:
    connection_id = demo_connection(client, ana)
    outcome = call(
        client, "POST", "/connections/{connection_id}/test", ana, connection_id=connection_id
    ).get_json()
    assert outcome["ok"] is True
    created = call(
        client,
        "POST",
        "/connections",
        ana,
        {"type": "file", "name": "crm", "options": {"mapping": FILE_MAPPING}},
    )
    assert created.status_code == 201, created.get_json()
    missing = call(
        client,
        "POST",
        "/connections/{connection_id}/test",
        ana,
        connection_id=created.get_json()["id"],
    ).get_json()
    assert missing["ok"] is False
    assert "deals.csv" in missing["message"]


def test_a_connection_used_by_a_report_cannot_be_deleted(
    client: FlaskClient, ana: dict[str, str]
) -> None:
    connection_id = demo_connection(client, ana)
    report(client, ana, [connection_id])
    response = call(
        client, "DELETE", "/connections/{connection_id}", ana, connection_id=connection_id
    )
    assert (response.status_code, response.get_json()["error"]["code"]) == (
        409,
        "connection_in_use",
    )
    assert "Executive" in response.get_json()["error"]["message"]
