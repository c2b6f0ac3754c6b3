"""Replies parsed the way recorded real Sheets and Drive traffic shows them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from gspread.exceptions import APIError

from sheets_sync.destinations.gsheets.errors import translate
from sheets_sync.destinations.gsheets.registry import parse_state
from tests.destinations.gsheets.helpers import user_client
from tests.emulators.sheets import SheetsEmulator


def _interactions(fixtures: Path, name: str) -> list[dict[str, Any]]:
    path = fixtures / "gspread" / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    interactions: list[dict[str, Any]] = json.loads(path.read_text())["interactions"]
    return interactions


def _reply(interaction: dict[str, Any]) -> Any:
    return json.loads(interaction["response"]["body"]["string"])


def _shape(value: Any) -> Any:
    """Keys and value types, recursively: what a parser relies on."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def test_recorded_spreadsheet_reply_parses_into_state(shared_fixtures: Path) -> None:
    recorded = _interactions(shared_fixtures, "ClientTest.test_create.json")
    get = next(i for i in recorded if i["request"]["uri"].startswith("https://sheets.googleapis"))
    state = parse_state(_reply(get))
    assert [(s.title, s.sheet_id, s.rows, s.cols) for s in state.sheets] == [
        ("Sheet1", 0, 1000, 26)
    ]
    assert state.url.endswith("/edit") and state.managed_by_name() == {}


def test_recorded_404_matches_the_emulator_and_reads_as_actionable(
    shared_fixtures: Path, emulator: SheetsEmulator, credentials: Credentials
) -> None:
    recorded = _interactions(
        shared_fixtures, "ClientTest.test_access_non_existing_spreadsheet.json"
    )
    missing = next(i for i in recorded if i["response"]["status"]["code"] == 404)
    client = user_client(emulator, credentials)
    with pytest.raises(APIError) as err:
        client.http_client.fetch_sheet_metadata("test")
    assert err.value.response.json() == _reply(missing)
    assert "was not found" in str(translate(err.value, "test"))


def test_add_sheet_reply_has_the_recorded_shape(
    shared_fixtures: Path, emulator: SheetsEmulator, credentials: Credentials
) -> None:
    recorded = _interactions(shared_fixtures, "SpreadsheetTest.test_add_del_worksheet.json")
    add = next(i for i in recorded if ":batchUpdate" in i["request"]["uri"])
    client = user_client(emulator, credentials)
    created = client.http_client.request(
        "post", "https://sheets.googleapis.com/v4/spreadsheets", json={}
    ).json()
    reply = client.http_client.batch_update(
        created["spreadsheetId"], json.loads(add["request"]["body"])
    )
    assert _shape(reply) == _shape(_reply(add))
    props = reply["replies"][0]["addSheet"]["properties"]
    assert props["title"] == _reply(add)["replies"][0]["addSheet"]["properties"]["title"]


def test_values_replies_have_the_recorded_shape(
    shared_fixtures: Path, emulator: SheetsEmulator, credentials: Credentials
) -> None:
    recorded = _interactions(shared_fixtures, "SpreadsheetTest.test_values_batch_get.json")
    client = user_client(emulator, credentials)
    spreadsheet_id = client.http_client.request(
        "post", "https://sheets.googleapis.com/v4/spreadsheets", json={}
    ).json()["spreadsheetId"]
    ids: dict[str, str] = {}  # recorded sheet id -> the emulator's
    for interaction in recorded:
        request = interaction["request"]
        if "/drive/" in request["uri"] or request["method"] == "DELETE":
            continue
        if request["method"] == "GET" and "values" not in request["uri"]:
            continue
        uri = request["uri"].split("/spreadsheets/", 1)[1].split("/", 1)
        tail = "/" + uri[1] if len(uri) > 1 else uri[0][uri[0].find(":") :]
        url = f"https://sheets.googleapis.com/v4/spreadsheets/{spreadsheet_id}{tail}"
        raw = request["body"] or ""
        for old, new in ids.items():
            raw = raw.replace(old, new)
        body = json.loads(raw) if raw else None
        response = client.http_client.request(request["method"].lower(), url, json=body)
        expected = _reply(interaction)
        got = response.json()
        expected.pop("spreadsheetId", None)
        got.pop("spreadsheetId", None)
        if "addSheet" in json.dumps(expected):
            assert _shape(got) == _shape(expected)
            recorded_id = expected["replies"][0]["addSheet"]["properties"]["sheetId"]
            ids[str(recorded_id)] = str(got["replies"][0]["addSheet"]["properties"]["sheetId"])
        else:
            assert got == expected, request["uri"]
