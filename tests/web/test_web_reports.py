"""Reports CRUD and the template gallery through the sidebar API."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.web.helpers import call, demo_connection, report


def test_gallery_lists_templates_with_tabs_and_metrics(
    client: FlaskClient, ana: dict[str, str]
) -> None:
    gallery = call(client, "GET", "/templates", ana).get_json()["templates"]
    ids = {t["id"] for t in gallery}
    assert {"executive_overview", "sales_pipeline", "data_quality"} <= ids
    overview = next(t for t in gallery if t["id"] == "executive_overview")
    assert overview["audience"] == "executive"
    assert overview["use_case"]
    assert overview["tabs"][0]["name"]
    assert all(m["label"] and m["family"] for m in overview["metrics"])
    analysts = call(client, "GET", "/templates?audience=analyst", ana).get_json()["templates"]
    assert analysts
    assert {t["audience"] for t in analysts} == {"analyst"}
    one = call(client, "GET", "/templates/{template_id}", ana, template_id="sales_pipeline")
    assert one.get_json()["id"] == "sales_pipeline"
    missing = call(client, "GET", "/templates/{template_id}", ana, template_id="nope")
    assert missing.status_code == 404
    assert "executive_overview" in missing.get_json()["error"]["message"]


def test_create_read_update_list_delete(client: FlaskClient, ana: dict[str, str]) -> None:
    first = demo_connection(client, ana, "demo")
    second = demo_connection(client, ana, "demo-two")
    report_id = report(client, ana, [first])
    got = call(client, "GET", "/reports/{report_id}", ana, report_id=report_id).get_json()
    assert got["connection_ids"] == [first]
    assert got["title"] == "Executive overview" or got["title"]
    assert got["settings"] == {"timezone": "Europe/Paris", "currency": "USD"}
    changed = call(
        client,
        "PATCH",
        "/reports/{report_id}",
        ana,
        {
            "connection_ids": [second, first],
            "template_id": "sales_pipeline",
            "title": "Pipeline",
            "settings": {"timezone": "UTC", "date_range": "last_30_days"},
        },
        report_id=report_id,
    ).get_json()
    assert changed["connection_ids"] == [second, first]
    assert changed["template_id"] == "sales_pipeline"
    assert changed["title"] == "Pipeline"
    listed = call(client, "GET", "/reports", ana).get_json()["reports"]
    assert [r["id"] for r in listed] == [report_id]
    assert (
        call(client, "DELETE", "/reports/{report_id}", ana, report_id=report_id).status_code == 204
    )
    assert call(client, "GET", "/reports", ana).get_json() == {"reports": []}


def test_invalid_reports_are_refused_with_a_reason(
    client: FlaskClient, ana: dict[str, str]
) -> None:
    connection_id = demo_connection(client, ana)
    base = {
        "spreadsheet_id": "1AbCdEfGhIjKlMnOpQrStUvWxYz",
        "template_id": "executive_overview",
        "connection_ids": [connection_id],
    }
    cases = [
        ({"template_id": "nope"}, 404, "template_not_found"),
        ({"connection_ids": ["0" * 32]}, 404, "connection_not_found"),
        ({"connection_ids": []}, 422, "invalid_request"),
        ({"connection_ids": [connection_id, connection_id]}, 422, "duplicate_connection"),
        ({"spreadsheet_id": "https://evil/"}, 422, "invalid_spreadsheet_id"),
        ({"settings": {"timezone": "Mars/Olympus"}}, 422, "invalid_settings"),
        ({"settings": {"custom_metrics": ["/etc/passwd"]}}, 422, "invalid_settings"),
        ({"settings": {"theme": {"logo": "/etc/logo.png"}}}, 422, "invalid_settings"),
        ({"settings": {"template": "support"}}, 422, "invalid_settings"),
    ]
    for override, status, code in cases:
        response = call(client, "POST", "/reports", ana, {**base, **override})
        assert (response.status_code, response.get_json()["error"]["code"]) == (status, code)
    timezone = call(client, "POST", "/reports", ana, {**base, "settings": {"timezone": "Mars/X"}})
    assert "IANA" in timezone.get_json()["error"]["message"]
    assert call(client, "POST", "/reports", ana, base).status_code == 201
    again = call(client, "POST", "/reports", ana, base)
    assert (again.status_code, again.get_json()["error"]["code"]) == (
        409,
        "spreadsheet_already_bound",
    )
