"""The add-on's Code.gs run in Node against the real service.

Apps Script is not available here, so ``addon_harness.js`` runs Code.gs in a Node VM with
stand-ins for the Apps Script services; its ``UrlFetchApp.fetch`` makes real, synchronous HTTP
requests to a live local service. Skipped only when Node.js is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.live_server import LiveServer, start_live_server
from tests.web.helpers import DEMO_OPTIONS

HERE = Path(__file__).resolve().parent
CODE_GS = HERE.parents[1] / "addon" / "Code.gs"
NODE = shutil.which("node")
BACKEND = "https://sheets-sync.test"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    if NODE is None:
        pytest.skip("Node.js is missing: the add-on script cannot be run")
    live = start_live_server(tmp_path)
    yield live
    live.stop()


def run_addon(server: LiveServer, call: str, **scenario: Any) -> dict[str, Any]:
    values = {
        "call": call,
        "token": server.dev_token("ana@example.com"),
        "spreadsheetId": "sheet-1",
        "backend": BACKEND,
        "server": server.url,
        "properties": {"SHEETS_SYNC_BACKEND_URL": BACKEND + "/"},
        **scenario,
    }
    done = subprocess.run(
        [str(NODE), str(HERE / "addon_harness.js"), str(CODE_GS), json.dumps(values)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def bind_demo_report(server: LiveServer, spreadsheet_id: str) -> dict[str, str]:
    client = server.app.test_client()
    headers = {"Authorization": f"Bearer {server.dev_token('ana@example.com')}"}
    connection = client.post(
        "/api/connections",
        headers=headers,
        json={"type": "demo", "name": "demo", "options": DEMO_OPTIONS},
    )
    assert connection.status_code == 201, connection.get_json()
    report = client.post(
        "/api/reports",
        headers=headers,
        json={
            "spreadsheet_id": spreadsheet_id,
            "template_id": "sales_pipeline",
            "connection_ids": [connection.get_json()["id"]],
            "title": "Pipeline",
        },
    )
    assert report.status_code == 201, report.get_json()
    return {"report": report.get_json()["id"]}


def test_menu_has_the_three_items(server: LiveServer) -> None:
    log = run_addon(server, "onOpen")
    assert log["menu"] == [
        ["Open sidebar", "showSidebar"],
        ["Refresh now", "refreshNow"],
        ["Schedule", "showSchedule"],
    ]


def test_refresh_now_refreshes_the_spreadsheets_report(server: LiveServer) -> None:
    ids = bind_demo_report(server, "sheet-1")
    log = run_addon(server, "refreshNow")
    assert log["outcome"] == "returned", log
    calls = [(f["method"], f["url"].removeprefix(BACKEND)) for f in log["fetches"]]
    assert calls[:2] == [("get", "/api/reports"), ("post", f"/api/reports/{ids['report']}/refresh")]
    assert {path for _, path in calls[2:]} <= {p for _, p in calls if p.startswith("/api/runs/")}
    sent = {f["headers"]["Authorization"] for f in log["fetches"]}
    assert len(sent) == 1 and sent.pop().startswith("Bearer dev.")  # the identity token
    assert log["toasts"][0] == "Refreshing Pipeline..."
    assert log["toasts"][-1].startswith("Refreshed in "), log["toasts"]
    token = server.dev_token("ana@example.com")
    history = server.app.test_client().get(
        f"/api/reports/{ids['report']}/runs", headers={"Authorization": f"Bearer {token}"}
    )
    assert [r["status"] for r in history.get_json()["runs"]] == ["succeeded"]


def test_refresh_now_without_a_report_says_to_open_the_sidebar(server: LiveServer) -> None:
    bind_demo_report(server, "another-sheet")
    log = run_addon(server, "refreshNow")
    assert log["outcome"] == "returned"
    assert len(log["fetches"]) == 1  # only the report lookup
    assert "no sheets-sync report yet" in log["alerts"][0]


def test_a_refused_token_surfaces_the_services_message(server: LiveServer) -> None:
    log = run_addon(server, "refreshNow", token="dev.not-a-real-token")
    assert log["outcome"] == "threw"
    assert log["code"] == "invalid_signature"
    assert "token" in log["error"].lower()


def test_a_missing_backend_address_names_the_script_property(server: LiveServer) -> None:
    log = run_addon(server, "refreshNow", properties={})
    assert log["outcome"] == "threw"
    assert "SHEETS_SYNC_BACKEND_URL" in log["error"]
    assert log["fetches"] == []
