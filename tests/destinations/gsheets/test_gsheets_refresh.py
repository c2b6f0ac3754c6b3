"""Creating and refreshing reports through gspread and the Drive client against the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from google.oauth2.credentials import Credentials

from sheets_sync.destinations.gsheets import GoogleSheetsDestination
from sheets_sync.destinations.gsheets.registry import TAB_KEY
from sheets_sync.document import Theme
from sheets_sync.errors import ConfigError, DestinationError
from tests.destinations.gsheets.helpers import snapshot, user_client, written_as_user
from tests.destinations.gsheets.workbooks import TRICKY_NAMES, workbook
from tests.emulators.sheets import SheetsEmulator

Make = Callable[..., GoogleSheetsDestination]


def test_create_builds_the_whole_report_in_two_requests(
    emulator: SheetsEmulator, make_destination: Make
) -> None:
    theme = Theme(primary_color="#112233", font="Roboto", logo="https://example.com/logo.png")
    dest = make_destination()
    result = dest.write(workbook(5, theme=theme))
    assert result.requests == 2  # spreadsheets.create + one batchUpdate
    assert dest.spreadsheet_id and dest.spreadsheet_id in result.location
    book = emulator.book(dest.spreadsheet_id)
    assert [s.title for s in book.sheets] == ["Summary", "Raw deals"]
    summary, raw = book.sheets
    assert len(summary.charts) == 2
    kinds = {next(k for k in c["spec"] if k.endswith("Chart")) for c in summary.charts}
    assert kinds == {"basicChart", "pieChart"}
    assert len(summary.conditional_formats) == 2  # good and bad change colours
    assert raw.properties["gridProperties"]["frozenRowCount"] == 1
    assert (raw.rows, raw.cols) == (6, 6)
    assert book.properties["spreadsheetTheme"]["primaryFontFamily"] == "Roboto"
    assert all(m["metadataKey"] == TAB_KEY for s in book.sheets for m in s.developer_metadata)
    title_row = emulator.grid(dest.spreadsheet_id, "Summary")[0]
    assert title_row[0] == "Sales overview"
    assert title_row[-1] == '=IMAGE("https://example.com/logo.png")'


def test_values_are_typed_and_formula_lookalikes_stay_text(
    emulator: SheetsEmulator, make_destination: Make
) -> None:
    dest = make_destination()
    dest.write(workbook(5))
    raw = emulator.book(str(dest.spreadsheet_id)).sheet_by_title("Raw deals")
    assert raw is not None
    for row, name in enumerate(TRICKY_NAMES, start=1):
        assert raw.cells[(row, 1)]["userEnteredValue"] == {"stringValue": name}
    assert raw.cells[(1, 2)]["userEnteredValue"] == {"numberValue": 1000.0}
    assert raw.cells[(1, 2)]["userEnteredFormat"]["numberFormat"]["type"] == "CURRENCY"
    assert raw.cells[(1, 3)]["userEnteredValue"] == {"boolValue": True}
    # 2024-01-01 is serial 45292 in Sheets' 1899-12-30 epoch.
    assert raw.cells[(1, 4)]["userEnteredValue"] == {"numberValue": 45292.0}
    assert raw.cells[(1, 4)]["userEnteredFormat"]["numberFormat"] == {
        "type": "DATE",
        "pattern": "yyyy-mm-dd",
    }
    client = user_client(emulator, dest.credentials)  # type: ignore[arg-type]
    shown = client.open_by_key(str(dest.spreadsheet_id)).worksheet("Raw deals").get("B2:B5")
    assert [r[0] for r in shown] == TRICKY_NAMES


def test_second_refresh_is_idempotent(emulator: SheetsEmulator, make_destination: Make) -> None:
    dest = make_destination()
    dest.write(workbook(20))
    first = snapshot(emulator, str(dest.spreadsheet_id))
    result = dest.write(workbook(20))
    assert result.requests == 2  # metadata read + one batchUpdate
    assert snapshot(emulator, str(dest.spreadsheet_id)) == first


def test_user_tab_column_and_formula_survive_a_refresh(
    emulator: SheetsEmulator, make_destination: Make, credentials: Credentials
) -> None:
    dest = make_destination()
    sid, spreadsheet = written_as_user(emulator, dest, credentials)
    notes = spreadsheet.add_worksheet("My notes", rows=10, cols=3)
    notes.update_acell("A1", "='Raw deals'!C2")
    notes.update_acell("B1", "keep me")
    raw = spreadsheet.worksheet("Raw deals")
    raw.add_cols(1)
    raw.update_acell("G2", "my comment")
    assert notes.acell("A1").value == "1000"

    result = dest.write(workbook(3, tag="v2"))

    assert not any("recreated" in w for w in result.warnings)
    assert emulator.grid(sid, "My notes") == [["='Raw deals'!C2", "keep me"]]
    assert notes.acell("A1").value == "1007"  # the formula reads the refreshed cell
    raw_grid = emulator.grid(sid, "Raw deals")
    assert raw_grid[1][6] == "my comment"
    assert raw_grid[1][1] == TRICKY_NAMES[0] and raw_grid[3][0] == "sfdc:v2-2"
    assert all(len(row) <= 1 or row[0] == "" for row in raw_grid[4:])  # old rows cleared


def test_renamed_managed_tab_is_found_restored_and_formulas_follow(
    emulator: SheetsEmulator, make_destination: Make, credentials: Credentials
) -> None:
    dest = make_destination()
    sid, spreadsheet = written_as_user(emulator, dest, credentials)
    notes = spreadsheet.add_worksheet("My notes", rows=5, cols=2)
    notes.update_acell("A1", "='Raw deals'!A3")
    spreadsheet.worksheet("Raw deals").update_title("Deals (renamed)")

    result = dest.write(workbook(5, tag="v2"))

    assert any("renamed" in w for w in result.warnings)
    titles = [s.title for s in emulator.book(sid).sheets]
    assert titles.count("Raw deals") == 1 and "Deals (renamed)" not in titles
    assert notes.acell("A1").value == "sfdc:v2-1"


def test_deleted_managed_tab_is_recreated_with_a_warning(
    emulator: SheetsEmulator, make_destination: Make, credentials: Credentials
) -> None:
    dest = make_destination()
    sid, spreadsheet = written_as_user(emulator, dest, credentials)
    spreadsheet.del_worksheet(spreadsheet.worksheet("Summary"))

    result = dest.write(workbook(5))

    assert any("'Summary' was missing" in w for w in result.warnings)
    assert emulator.grid(sid, "Summary")[0][0] == "Sales overview"
    assert len(emulator.book(sid).sheet_by_title("Summary").charts) == 2  # type: ignore[union-attr]


def test_charts_and_rules_are_updated_in_place_and_user_rules_kept(
    emulator: SheetsEmulator, make_destination: Make, credentials: Credentials
) -> None:
    dest = make_destination()
    dest.write(workbook(5))
    sid = str(dest.spreadsheet_id)
    summary = emulator.book(sid).sheet_by_title("Summary")
    assert summary is not None
    chart_ids = sorted(c["chartId"] for c in summary.charts)
    user_rule = {
        "ranges": [{"sheetId": summary.sheet_id, "startRowIndex": 0, "endRowIndex": 1}],
        "booleanRule": {
            "condition": {"type": "NOT_BLANK"},
            "format": {"textFormat": {"bold": True}},
        },
    }
    user_client(emulator, credentials).open_by_key(sid).batch_update(
        {"requests": [{"addConditionalFormatRule": {"rule": user_rule, "index": 2}}]}
    )
    for _ in range(2):
        dest.write(workbook(5, tag="v2"))
    summary = emulator.book(sid).sheet_by_title("Summary")
    assert summary is not None
    assert sorted(c["chartId"] for c in summary.charts) == chart_ids
    assert len(summary.conditional_formats) == 3
    assert summary.conditional_formats[2] == user_rule


def test_cell_budget_truncates_raw_data_with_a_visible_note(
    emulator: SheetsEmulator, make_destination: Make
) -> None:
    dest = make_destination(max_cells=900)
    result = dest.write(workbook(100))
    book = emulator.book(str(dest.spreadsheet_id))
    assert book.cell_count() <= 900
    raw = emulator.grid(str(dest.spreadsheet_id), "Raw deals")
    assert raw[-1][0].startswith("Showing the first ") and "of 100 rows" in raw[-1][0]
    assert any("Raw deals" in w and "100 rows" in w for w in result.warnings)


def test_text_longer_than_the_cell_limit_is_cut_visibly(
    emulator: SheetsEmulator, make_destination: Make
) -> None:
    wb = workbook(5)
    frame = wb.tabs[1].tables[0].frame
    frame.loc[4, "name"] = "x" * 500
    dest = make_destination(max_cell_chars=100)
    result = dest.write(wb)
    cell = emulator.grid(str(dest.spreadsheet_id), "Raw deals")[5][1]
    assert len(cell) == 100 and cell.endswith("[truncated]")
    assert any("1 cell(s) exceeded" in w for w in result.warnings)


def test_copy_of_a_master_lands_in_the_folder_and_adopts_its_tabs(
    emulator: SheetsEmulator, make_destination: Make
) -> None:
    master = make_destination()
    master.write(workbook(5))
    folder = emulator.add_folder("Client reports")
    dest = make_destination(
        destination_kwargs={"master_id": master.spreadsheet_id, "folder_id": folder}
    )
    created = dest.create(workbook(5))
    assert created.spreadsheet_id != master.spreadsheet_id
    assert emulator.book(created.spreadsheet_id).parents == [folder]
    result = dest.write(workbook(8, tag="v2"))
    titles = [s.title for s in emulator.book(created.spreadsheet_id).sheets]
    assert titles == ["Summary", "Raw deals"] and not result.warnings
    assert len(emulator.grid(created.spreadsheet_id, "Raw deals")) == 9
    assert len(emulator.grid(str(master.spreadsheet_id), "Raw deals")) == 6  # master untouched


def test_new_report_in_a_folder_replaces_the_blank_default_sheet(
    emulator: SheetsEmulator, make_destination: Make
) -> None:
    folder = emulator.add_folder("Reports")
    dest = make_destination(destination_kwargs={"folder_id": folder})
    dest.write(workbook(5))
    book = emulator.book(str(dest.spreadsheet_id))
    assert [s.title for s in book.sheets] == ["Summary", "Raw deals"]
    assert book.parents == [folder]


def test_existing_report_is_moved_into_a_folder(
    emulator: SheetsEmulator, make_destination: Make
) -> None:
    dest = make_destination()
    dest.write(workbook(3))
    folder = emulator.add_folder("Archive")
    dest._api(dest.last_stats).move_file(str(dest.spreadsheet_id), folder)
    assert emulator.book(str(dest.spreadsheet_id)).parents == [folder]


def test_no_access_and_deleted_files_give_actionable_errors(
    emulator: SheetsEmulator, make_destination: Make
) -> None:
    dest = make_destination()
    dest.write(workbook(3))
    emulator.forbidden.add(str(dest.spreadsheet_id))
    with pytest.raises(DestinationError, match=r"no access to spreadsheet .*share it"):
        dest.write(workbook(3))
    missing = make_destination("does-not-exist")
    with pytest.raises(DestinationError, match=r"does-not-exist was not found .*restore it"):
        missing.write(workbook(3))


def test_every_request_body_validated_and_under_two_megabytes(
    emulator: SheetsEmulator, make_destination: Make, credentials: Credentials
) -> None:
    dest = make_destination()
    dest.write(workbook(50))
    dest.write(workbook(40, tag="v2"))
    before = len(emulator.api_requests())
    staged = make_destination(str(dest.spreadsheet_id), payload_limit=10_000)
    staged.write(workbook(200, tag="v3"))
    requests = emulator.api_requests()
    assert len(requests) - before >= 4
    assert all(r.status == 200 for r in requests), [r.error for r in requests if r.error]
    assert max(r.body_bytes for r in requests) <= 2_000_000
    assert max(r.body_bytes for r in requests[before:]) <= 10_000
    kinds = {k for r in requests if r.body for q in r.body.get("requests", []) for k in q}
    assert {"addSheet", "updateCells", "copyPaste", "addChart", "updateChartSpec"} <= kinds


def test_destination_from_refresh_config_options(
    emulator: SheetsEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_file = tmp_path / "google.json"
    token_file.write_text(json.dumps({"token": "access", "token_uri": emulator.token_uri}))
    options = {
        "credentials": str(token_file),
        "sheets_endpoint": emulator.sheets_endpoint,
        "drive_endpoint": emulator.drive_endpoint,
        "user_key": "ana@example.com",
    }
    dest = GoogleSheetsDestination.from_options(options)
    assert dest.settings.user_key == "ana@example.com"
    result = dest.write(workbook(3))
    assert result.tabs_written == ["Summary", "Raw deals"] and dest.spreadsheet_id
    with pytest.raises(ConfigError, match=r"unknown key.*sheet_id"):
        GoogleSheetsDestination.from_options({**options, "sheet_id": "x"})
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    with pytest.raises(ConfigError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        GoogleSheetsDestination.from_options({"spreadsheet_id": "x"})


def test_staged_refresh_keeps_values_typed_and_text_as_text(
    emulator: SheetsEmulator, make_destination: Make
) -> None:
    dest = make_destination(payload_limit=10_000)
    result = dest.write(workbook(200))
    sid = str(dest.spreadsheet_id)
    bodies = [r.body for r in emulator.api_requests() if r.path.endswith("values:batchUpdate")]
    assert len(bodies) >= 2 and all(b["valueInputOption"] == "RAW" for b in bodies)
    assert result.requests == 2 + len(bodies) + 1  # create, staging sheets, chunks, swap
    raw = emulator.book(sid).sheet_by_title("Raw deals")
    assert raw is not None
    for row, name in enumerate(TRICKY_NAMES, start=1):
        assert raw.cells[(row, 1)]["userEnteredValue"] == {"stringValue": name}
    assert raw.cells[(1, 4)]["userEnteredValue"] == {"numberValue": 45292.0}
    assert raw.cells[(1, 4)]["userEnteredFormat"]["numberFormat"]["type"] == "DATE"
    assert raw.cells[(0, 0)]["userEnteredFormat"]["textFormat"]["bold"] is True
    assert raw.cells[(1, 3)]["userEnteredValue"] == {"boolValue": True}
    assert len(emulator.grid(sid, "Raw deals")) == 201
    assert [s.title for s in emulator.book(sid).sheets] == ["Summary", "Raw deals"]
