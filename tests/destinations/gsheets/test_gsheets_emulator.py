"""The emulator itself: schema validation, atomic batches, limits, formulas, auth and faults."""

from __future__ import annotations

from typing import Any

import gspread
import pytest
import requests
from google.oauth2.credentials import Credentials
from gspread.exceptions import APIError

from tests.destinations.gsheets.helpers import user_client
from tests.emulators.sheets import SheetsEmulator
from tests.emulators.sheets.schema import validation_error


@pytest.fixture
def spreadsheet(emulator: SheetsEmulator, credentials: Credentials) -> gspread.Spreadsheet:
    client = user_client(emulator, credentials)
    reply = client.http_client.request(
        "post", "https://sheets.googleapis.com/v4/spreadsheets", json={"properties": {"title": "T"}}
    ).json()
    return client.open_by_key(reply["spreadsheetId"])


def _error(spreadsheet: gspread.Spreadsheet, requests_: list[dict[str, Any]]) -> APIError:
    with pytest.raises(APIError) as err:
        spreadsheet.batch_update({"requests": requests_})
    return err.value


def test_unknown_fields_and_wrong_types_are_rejected_like_google(
    spreadsheet: gspread.Spreadsheet,
) -> None:
    err = _error(spreadsheet, [{"updateCells": {"rangee": {}, "fields": "*"}}])
    assert err.response.status_code == 400
    body = err.response.json()["error"]
    assert body["status"] == "INVALID_ARGUMENT"
    assert body["message"] == (
        "Invalid JSON payload received. Unknown name \"rangee\" at 'requests[0].update_cells': "
        "Cannot find field."
    )
    err = _error(spreadsheet, [{"addSheet": {"properties": {"gridProperties": {"rowCount": "x"}}}}])
    assert "requests[0].add_sheet.properties.grid_properties.row_count" in str(err)
    err = _error(
        spreadsheet,
        [{"addChart": {"chart": {"spec": {"basicChart": {"chartType": "DONUT"}}}}}],
    )
    assert "(TYPE_ENUM)" in str(err)


def test_discovery_conversion_covers_drive_and_int64_fields() -> None:
    assert validation_error("drive.v3", "File", {"name": "x", "parents": ["a"]}) is None
    assert "Unknown name" in str(validation_error("drive.v3", "File", {"title": "x"}))
    assert (
        validation_error("sheets.v4", "DeleteDimensionRequest", {"range": {"sheetId": 1}}) is None
    )


def test_batch_update_is_atomic(emulator: SheetsEmulator, spreadsheet: gspread.Spreadsheet) -> None:
    err = _error(
        spreadsheet,
        [{"addSheet": {"properties": {"title": "New"}}}, {"deleteSheet": {"sheetId": 424242}}],
    )
    assert "requests[1]" in str(err)
    assert [s.title for s in emulator.book(spreadsheet.id).sheets] == ["Sheet1"]


def test_cell_and_character_limits_are_enforced(spreadsheet: gspread.Spreadsheet) -> None:
    big = {"rowCount": 400_000, "columnCount": 26}
    err = _error(spreadsheet, [{"addSheet": {"properties": {"gridProperties": big}}}])
    assert "above the limit of 10000000 cells" in str(err)
    cell = {"userEnteredValue": {"stringValue": "x" * 50_001}}
    err = _error(
        spreadsheet,
        [{"updateCells": {"start": {"sheetId": 0}, "rows": [{"values": [cell]}], "fields": "*"}}],
    )
    assert "maximum of 50000 characters" in str(err)


def test_direct_references_evaluate_and_follow_renames(
    emulator: SheetsEmulator, spreadsheet: gspread.Spreadsheet
) -> None:
    data = spreadsheet.add_worksheet("Data tab", rows=5, cols=3)
    data.update([["a", 1], ["b", 2]], "A1:B2")
    sheet1 = spreadsheet.worksheet("Sheet1")
    sheet1.update_acell("A1", "='Data tab'!B2")
    sheet1.update_acell("A2", "=A1")
    assert sheet1.get("A1:A2", value_render_option="UNFORMATTED_VALUE") == [[2], [2]]
    data.update_title("Renamed")
    assert sheet1.acell("A1", value_render_option="FORMULA").value == "=Renamed!B2"
    assert sheet1.acell("A1").value == "2"
    spreadsheet.del_worksheet(spreadsheet.worksheet("Renamed"))
    assert sheet1.acell("A1").value == "#REF!"


def test_requests_without_a_token_get_401(emulator: SheetsEmulator) -> None:
    reply = requests.get(f"{emulator.url}/v4/spreadsheets/x", timeout=5)
    assert reply.status_code == 401
    assert reply.json()["error"]["status"] == "UNAUTHENTICATED"


def test_faults_answer_429_with_retry_after_500_or_drop(emulator: SheetsEmulator) -> None:
    headers = {"Authorization": "Bearer t"}
    url = f"{emulator.url}/v4/spreadsheets/missing"
    emulator.fail_next(1, "429", retry_after=3)
    emulator.fail_next(2, "500")
    emulator.fail_next(3, "drop")
    first = requests.get(url, headers=headers, timeout=5)
    assert first.status_code == 429 and first.headers["Retry-After"] == "3"
    assert first.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert requests.get(url, headers=headers, timeout=5).status_code == 500
    with pytest.raises(requests.ConnectionError):
        requests.get(url, headers=headers, timeout=5)
    assert requests.get(url, headers=headers, timeout=5).status_code == 404
