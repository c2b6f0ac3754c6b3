"""Refresh now: 202 at once, progress and outcome polled, one refresh per report at a time."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from sheets_sync.db.models import Run
from sheets_sync.web.extensions import db
from tests.web.helpers import FILE_MAPPING, call, demo_connection, report, wait_for_run


def test_refresh_runs_in_the_background_and_writes_the_workbook(
    client: FlaskClient, ana: dict[str, str]
) -> None:
    report_id = report(client, ana, [demo_connection(client, ana)])
    started = call(client, "POST", "/reports/{report_id}/refresh", ana, report_id=report_id)
    assert started.status_code == 202
    run = started.get_json()
    assert run["status"] in ("queued", "running")
    assert started.headers["Location"] == f"/api/runs/{run['id']}"
    finished = wait_for_run(client, ana, run["id"])
    assert finished["status"] == "succeeded", finished["error"]
    assert finished["error"] is None
    assert finished["row_counts"]["demo"]["deals"] > 0
    assert finished["seconds"] > 0
    assert finished["progress"]["step"] == "done"
    workbook = load_workbook(finished["location"], read_only=True)
    assert "Sync status" in workbook.sheetnames
    assert "Overview" in workbook.sheetnames
    history = call(client, "GET", "/reports/{report_id}/runs", ana, report_id=report_id)
    assert [r["id"] for r in history.get_json()["runs"]] == [run["id"]]


def test_a_second_refresh_while_one_is_active_is_409(
    app: Flask, client: FlaskClient, ana: dict[str, str]
) -> None:
    report_id = report(client, ana, [demo_connection(client, ana)])
    # An active run recorded by another worker (or another process): no thread races here.
    with app.app_context():
        user_id = call(client, "GET", "/me", ana).get_json()["id"]
        db.session.add(Run(report_id=report_id, user_id=user_id, status="running"))
        db.session.commit()
    refused = call(client, "POST", "/reports/{report_id}/refresh", ana, report_id=report_id)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "refresh_in_progress"
    runs = call(client, "GET", "/reports/{report_id}/runs", ana, report_id=report_id)
    assert len(runs.get_json()["runs"]) == 1


def test_a_failed_refresh_records_an_error_the_user_understands(
    client: FlaskClient, ana: dict[str, str]
) -> None:
    created = call(
        client,
        "POST",
        "/connections",
        ana,
        {"type": "file", "name": "crm", "options": {"mapping": FILE_MAPPING}},
    )
    report_id = report(client, ana, [created.get_json()["id"]], template="sales_pipeline")
    run = call(client, "POST", "/reports/{report_id}/refresh", ana, report_id=report_id).get_json()
    finished = wait_for_run(client, ana, run["id"])
    assert finished["status"] == "failed"
    assert finished["error"]["code"] == "source_failed"
    assert "deals.csv" in finished["error"]["message"]
    assert "Traceback" not in finished["error"]["message"]
    # The report can be refreshed again once the failed run is over.
    again = call(client, "POST", "/reports/{report_id}/refresh", ana, report_id=report_id)
    assert again.status_code == 202
    wait_for_run(client, ana, again.get_json()["id"])


def test_a_file_connection_reads_the_users_uploads(
    app: Flask, client: FlaskClient, ana: dict[str, str]
) -> None:
    user_id = call(client, "GET", "/me", ana).get_json()["id"]
    uploads = Path(app.config["SHEETS_SYNC"].data_dir) / "uploads" / user_id
    uploads.mkdir(parents=True)
    (uploads / "deals.csv").write_text(
        "id,stage,created,amount\n"
        "D1,Won,2026-09-01,1000\nD2,Lost,2026-09-15,500\nD3,Open,2026-10-01,250\n",
        encoding="utf-8",
    )
    created = call(
        client,
        "POST",
        "/connections",
        ana,
        {"type": "file", "name": "crm", "options": {"mapping": FILE_MAPPING}},
    )
    report_id = report(client, ana, [created.get_json()["id"]], template="sales_pipeline")
    run = call(client, "POST", "/reports/{report_id}/refresh", ana, report_id=report_id).get_json()
    finished = wait_for_run(client, ana, run["id"])
    assert finished["status"] == "succeeded", finished["error"]
    assert finished["row_counts"]["crm"]["deals"] == 3


def test_history_limit_is_checked(client: FlaskClient, ana: dict[str, str]) -> None:
    report_id = report(client, ana, [demo_connection(client, ana)])
    bad = client.get(f"/api/reports/{report_id}/runs?limit=1000", headers=ana)
    assert (bad.status_code, bad.get_json()["error"]["code"]) == (422, "bad_limit")


def test_simultaneous_refresh_clicks_start_exactly_one_run(
    app: Flask, client: FlaskClient, ana: dict[str, str]
) -> None:
    report_id = report(client, ana, [demo_connection(client, ana)])
    barrier = threading.Barrier(5)
    statuses: list[int] = []

    def click() -> None:
        own = app.test_client()  # one client per thread, as separate browser tabs would be
        barrier.wait()
        statuses.append(own.post(f"/api/reports/{report_id}/refresh", headers=ana).status_code)

    threads = [threading.Thread(target=click) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [202, 409, 409, 409, 409]
    runs = call(client, "GET", "/reports/{report_id}/runs", ana, report_id=report_id)
    [run] = runs.get_json()["runs"]
    assert wait_for_run(client, ana, run["id"])["status"] == "succeeded"
