"""Tenant isolation: another user's connection, report or run is a 404 in every endpoint."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sheets_sync.db.models import Run
from sheets_sync.db.types import utcnow
from sheets_sync.web.extensions import db
from tests.web.helpers import call, demo_connection, report

OWNED = ("connection_id", "report_id", "run_id")
# Every endpoint that takes the id of something a user owns, with a body where it needs one.
ENDPOINTS: list[tuple[str, str, Any]] = [
    ("GET", "/connections/{connection_id}", None),
    ("PATCH", "/connections/{connection_id}", {"label": "taken over"}),
    ("DELETE", "/connections/{connection_id}", None),
    ("POST", "/connections/{connection_id}/test", None),
    ("GET", "/reports/{report_id}", None),
    ("PATCH", "/reports/{report_id}", {"title": "taken over"}),
    ("DELETE", "/reports/{report_id}", None),
    ("POST", "/reports/{report_id}/refresh", None),
    ("GET", "/reports/{report_id}/runs", None),
    ("GET", "/runs/{run_id}", None),
    ("GET", "/reports/{report_id}/schedule", None),
    ("POST", "/reports/{report_id}/schedule", {"frequency": "daily", "time": "07:00"}),
    ("PATCH", "/reports/{report_id}/schedule", {"time": "08:00"}),
    ("DELETE", "/reports/{report_id}/schedule", None),
    ("POST", "/reports/{report_id}/schedule/pause", None),
    ("POST", "/reports/{report_id}/schedule/resume", None),
]


@pytest.fixture
def anas_things(app: Flask, client: FlaskClient, ana: dict[str, str]) -> dict[str, str]:
    """Ana's connection, report and finished run."""
    connection_id = demo_connection(client, ana)
    report_id = report(client, ana, [connection_id])
    user_id = call(client, "GET", "/me", ana).get_json()["id"]
    with app.app_context():
        run = Run(
            report_id=report_id,
            user_id=user_id,
            status="succeeded",
            started_at=utcnow(),
            finished_at=utcnow(),
        )
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    return {"connection_id": connection_id, "report_id": report_id, "run_id": run_id}


def _snapshot(client: FlaskClient, headers: dict[str, str], ids: dict[str, str]) -> list[Any]:
    return [
        call(client, "GET", "/connections/{connection_id}", headers, **ids).get_json(),
        call(client, "GET", "/reports/{report_id}", headers, **ids).get_json(),
        call(client, "GET", "/reports/{report_id}/runs", headers, **ids).get_json(),
    ]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=lambda v: str(v))
def test_other_users_resources_are_404(
    client: FlaskClient,
    ana: dict[str, str],
    bob: dict[str, str],
    anas_things: dict[str, str],
    method: str,
    path: str,
    body: Any,
) -> None:
    before = _snapshot(client, ana, anas_things)
    response = call(client, method, path, bob, body, **anas_things)
    assert response.status_code == 404, response.get_json()
    assert response.get_json()["error"]["code"].endswith("_not_found")
    assert _snapshot(client, ana, anas_things) == before


def test_other_users_connections_cannot_be_bound_to_a_report(
    client: FlaskClient, ana: dict[str, str], bob: dict[str, str], anas_things: dict[str, str]
) -> None:
    stolen = {
        "spreadsheet_id": "1BobsSheetId",
        "template_id": "executive_overview",
        "connection_ids": [anas_things["connection_id"]],
    }
    response = call(client, "POST", "/reports", bob, stolen)
    assert (response.status_code, response.get_json()["error"]["code"]) == (
        404,
        "connection_not_found",
    )
    bobs_report = report(client, bob, [demo_connection(client, bob)], sheet="1BobsSheetId")
    patched = call(
        client,
        "PATCH",
        "/reports/{report_id}",
        bob,
        {"connection_ids": [anas_things["connection_id"]]},
        report_id=bobs_report,
    )
    assert patched.status_code == 404


def test_lists_show_only_the_callers_own(
    client: FlaskClient, ana: dict[str, str], bob: dict[str, str], anas_things: dict[str, str]
) -> None:
    assert call(client, "GET", "/connections", bob).get_json() == {"connections": []}
    assert call(client, "GET", "/reports", bob).get_json() == {"reports": []}
    assert len(call(client, "GET", "/reports", ana).get_json()["reports"]) == 1


def test_every_endpoint_taking_an_owned_id_is_covered(app: Flask) -> None:
    covered = {(method, path) for method, path, _ in ENDPOINTS}
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and set(rule.arguments) & set(OWNED):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api"))
            found |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert found == covered
