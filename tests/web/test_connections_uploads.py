"""File uploads for file connections: CSV/XLSX only, size-limited, kept in the user's folder."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import Workbook

from tests.web.helpers import FILE_MAPPING, call, documented

DEALS_CSV = b"id,stage,created,amount\nD1,Won,2026-10-01,100\nD2,Open,2026-10-03,50\n"


@pytest.fixture
def settings_values(settings_values: dict[str, Any]) -> dict[str, Any]:
    return {**settings_values, "max_upload_bytes": 8192}


def _upload(client: FlaskClient, headers: dict[str, str], name: str, data: bytes) -> Any:
    response = client.post(
        "/api/uploads",
        headers=headers,
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    return documented(response, "/uploads", "POST")


def test_an_uploaded_csv_feeds_a_file_connection(
    client: FlaskClient, ana: dict[str, str], settings_values: dict[str, Any]
) -> None:
    stored = _upload(client, ana, "deals.csv", DEALS_CSV)
    assert stored.status_code == 201, stored.get_json()
    assert stored.get_json() == {"path": "deals.csv", "size": len(DEALS_CSV)}
    listed = call(client, "GET", "/uploads", ana).get_json()
    assert listed == {"files": [{"path": "deals.csv", "size": len(DEALS_CSV)}]}
    created = call(
        client,
        "POST",
        "/connections",
        ana,
        {"type": "file", "name": "exports", "options": {"mapping": FILE_MAPPING}},
    )
    assert created.status_code == 201, created.get_json()
    check = call(
        client,
        "POST",
        "/connections/{connection_id}/test",
        ana,
        connection_id=created.get_json()["id"],
    )
    assert check.get_json()["ok"] is True, check.get_json()


def test_uploads_are_per_user(
    client: FlaskClient, ana: dict[str, str], bob: dict[str, str]
) -> None:
    assert _upload(client, ana, "deals.csv", DEALS_CSV).status_code == 201
    assert call(client, "GET", "/uploads", bob).get_json() == {"files": []}


def test_a_file_over_the_limit_is_refused_and_not_kept(
    client: FlaskClient, ana: dict[str, str], settings_values: dict[str, Any]
) -> None:
    big = b"id,amount\n" + b"D1,1\n" * 2000  # over the 8192-byte per-file limit
    refused = _upload(client, ana, "big.csv", big)
    assert refused.status_code == 413
    assert refused.get_json()["error"]["code"] in ("file_too_large", "too_large")
    folder = Path(settings_values["data_dir"]) / "uploads"
    assert not any(p.name == "big.csv" for p in folder.rglob("*"))
    assert not any(p.name.startswith(".upload-") for p in folder.rglob("*"))


def test_only_csv_and_real_xlsx_files_are_accepted(
    client: FlaskClient, ana: dict[str, str]
) -> None:
    script = _upload(client, ana, "evil.sh", b"#!/bin/sh\n")
    assert (script.status_code, script.get_json()["error"]["code"]) == (422, "invalid_file_type")
    fake = _upload(client, ana, "fake.xlsx", b"not a workbook")
    assert fake.status_code == 422
    book = Workbook()
    book.active.append(["id", "amount"])
    raw = io.BytesIO()
    book.save(raw)
    assert _upload(client, ana, "deals.xlsx", raw.getvalue()).status_code == 201


def test_a_name_with_folders_stays_in_the_users_folder(
    client: FlaskClient, ana: dict[str, str], settings_values: dict[str, Any]
) -> None:
    stored = _upload(client, ana, "../../etc/deals.csv", DEALS_CSV)
    assert stored.get_json()["path"] == "deals.csv"
    data_dir = Path(settings_values["data_dir"])
    (saved,) = [p for p in data_dir.rglob("deals.csv")]
    assert saved.parent.parent == data_dir / "uploads"
