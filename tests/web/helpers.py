"""Small helpers of the API tests: create resources, wait for runs, check the OpenAPI document."""

from __future__ import annotations

import re
import time
from typing import Any

from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from werkzeug.test import TestResponse

from sheets_sync.web.api.openapi import openapi_spec

DEMO_OPTIONS = {"size": 200, "seed": 7, "as_of": "2026-10-31", "flavor": "salesforce"}
# An inline mapping of one small deals export (files live in the user's upload folder).
FILE_MAPPING = {
    "version": 1,
    "files": {"deals": {"path": "deals.csv"}},
    "tables": {
        "deals": {
            "from": "deals",
            "columns": {
                "deal_id": "id",
                "status": {
                    "column": "stage",
                    "values": {"Won": "won", "Lost": "lost"},
                    "default": "open",
                },
                "created_at": "created",
                "amount": "amount",
            },
        }
    },
}


def documented(response: TestResponse, path: str, method: str) -> TestResponse:
    """Assert ``response`` is documented for ``method path`` and its body fits the schema."""
    spec = openapi_spec()
    operation = spec["paths"][path.partition("?")[0]][method.lower()]
    status = str(response.status_code)
    assert status in operation["responses"], f"{method} {path} answered undocumented {status}"
    content = operation["responses"][status].get("content")
    if content is None:
        assert response.data == b""
        return response
    schema = {**content["application/json"]["schema"], "components": spec["components"]}
    Draft202012Validator(schema).validate(response.get_json())
    return response


def call(
    client: FlaskClient,
    method: str,
    path: str,
    headers: dict[str, str],
    json: Any = None,
    **ids: str,
) -> TestResponse:
    """Call ``method path`` (an OpenAPI path template) and check it against the document."""
    url = "/api" + re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)
    response = client.open(url, method=method, headers=headers, json=json)
    return documented(response, path, method)


def demo_connection(client: FlaskClient, headers: dict[str, str], name: str = "demo") -> str:
    """Create a demo connection; returns its id."""
    response = call(
        client,
        "POST",
        "/connections",
        headers,
        {"type": "demo", "name": name, "label": "Demo CRM", "options": DEMO_OPTIONS},
    )
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def report(
    client: FlaskClient,
    headers: dict[str, str],
    connection_ids: list[str],
    sheet: str = "1AbCdEfGhIjKlMnOpQrStUvWxYz",
    template: str = "executive_overview",
) -> str:
    """Bind ``sheet`` to ``template`` reading ``connection_ids``; returns the report id."""
    response = call(
        client,
        "POST",
        "/reports",
        headers,
        {
            "spreadsheet_id": sheet,
            "template_id": template,
            "connection_ids": connection_ids,
            "settings": {"timezone": "Europe/Paris", "currency": "USD"},
        },
    )
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def wait_for_run(
    client: FlaskClient, headers: dict[str, str], run_id: str, timeout: float = 180
) -> dict[str, Any]:
    """Poll the run until it finishes; returns its final JSON."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = call(client, "GET", "/runs/{run_id}", headers, run_id=run_id).get_json()
        if body["status"] in ("succeeded", "failed"):
            return dict(body)
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish within {timeout}s")
