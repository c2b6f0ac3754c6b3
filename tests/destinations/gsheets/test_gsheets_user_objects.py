"""Filters, filter views and pivot tables a user built on a managed tab survive every refresh.

The user works through the plain Sheets API (gspread) against the emulator: a basic filter and a
filter view on the managed ``Raw deals`` tab, and a pivot table on their own tab whose source is
``Raw deals``. What a refresh guarantees, checked here for a single-batch and a staged refresh,
with more rows and with fewer rows:

- each object still exists, with its id, criteria, sort and pivot layout unchanged;
- its range still reads the managed tab's ``sheetId``, starting at the header row, over the same
  columns, and ending at the tab's last row: the range follows the grid when it grows or shrinks;
- a refresh that fails at any request leaves all three exactly as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gspread
import pytest
from google.oauth2.credentials import Credentials

from sheets_sync.destinations.gsheets import GoogleSheetsDestination
from sheets_sync.errors import DestinationError
from tests.destinations.gsheets.helpers import written_as_user
from tests.destinations.gsheets.workbooks import workbook
from tests.emulators.sheets import SheetsEmulator

Make = Callable[..., GoogleSheetsDestination]
SMALL = {"rows": 20, "payload_limit": 1_800_000}
STAGED = {"rows": 120, "payload_limit": 10_000}
RAW_COLS = 6  # deal_id, name, amount, won, close_date, stage
FILTER_SPECS = [{"columnIndex": 5, "filterCriteria": {"hiddenValues": ["Prospecting"]}}]
SORT_SPECS = [{"dimensionIndex": 2, "sortOrder": "DESCENDING"}]
VIEW_SPECS = [
    {
        "columnIndex": 3,
        "filterCriteria": {"condition": {"type": "TEXT_EQ", "values": [{"userEnteredValue": "T"}]}},
    }
]
OBJECT_FIELDS = (
    "sheets(properties(sheetId,title),basicFilter,filterViews,"
    "data.rowData.values(pivotTable,effectiveValue))"
)


def _data_range(sheet_id: int, rows: int) -> dict[str, int]:
    """The whole data region of ``Raw deals``: header row plus ``rows`` deals, every column."""
    return {
        "sheetId": sheet_id,
        "startRowIndex": 0,
        "endRowIndex": rows + 1,
        "startColumnIndex": 0,
        "endColumnIndex": RAW_COLS,
    }


def _pivot(source: dict[str, int]) -> dict[str, Any]:
    return {
        "source": source,
        "rows": [{"sourceColumnOffset": 5, "showTotals": True, "sortOrder": "ASCENDING"}],
        "values": [{"summarizeFunction": "SUM", "sourceColumnOffset": 2}],
        "valueLayout": "HORIZONTAL",
    }


def _build_user_objects(spreadsheet: gspread.Spreadsheet, rows: int) -> int:
    """What a user does in the UI, as API calls; returns the raw tab's sheetId."""
    raw_id = spreadsheet.worksheet("Raw deals").id
    pivot_tab = spreadsheet.add_worksheet("My pivot", rows=20, cols=4)
    source = _data_range(raw_id, rows)
    reply = spreadsheet.batch_update(
        {
            "requests": [
                {
                    "setBasicFilter": {
                        "filter": {
                            "range": source,
                            "sortSpecs": SORT_SPECS,
                            "filterSpecs": FILTER_SPECS,
                        }
                    }
                },
                {
                    "addFilterView": {
                        "filter": {"title": "Won deals", "range": source, "filterSpecs": VIEW_SPECS}
                    }
                },
                {
                    "updateCells": {
                        "start": {"sheetId": pivot_tab.id, "rowIndex": 0, "columnIndex": 0},
                        "rows": [{"values": [{"pivotTable": _pivot(source)}]}],
                        "fields": "pivotTable",
                    }
                },
            ]
        }
    )
    assert reply["replies"][1]["addFilterView"]["filter"]["filterViewId"]
    return raw_id


def _user_objects(spreadsheet: gspread.Spreadsheet) -> dict[str, Any]:
    """The basic filter, filter views and pivot anchor cell, as spreadsheets.get returns them."""
    meta = spreadsheet.fetch_sheet_metadata(
        params={"includeGridData": "true", "fields": OBJECT_FIELDS}
    )
    sheets = {s["properties"]["title"]: s for s in meta["sheets"]}
    raw, pivot_tab = sheets["Raw deals"], sheets["My pivot"]
    return {
        "basicFilter": raw.get("basicFilter"),
        "filterViews": raw.get("filterViews", []),
        "pivotCell": pivot_tab["data"][0]["rowData"][0]["values"][0],
    }


def _assert_cover(objects: dict[str, Any], raw_id: int, rows: int) -> None:
    expected = _data_range(raw_id, rows)
    basic = objects["basicFilter"]
    assert basic == {"range": expected, "sortSpecs": SORT_SPECS, "filterSpecs": FILTER_SPECS}
    (view,) = objects["filterViews"]
    assert view["title"] == "Won deals" and view["filterSpecs"] == VIEW_SPECS
    assert view["range"] == expected
    assert objects["pivotCell"] == {"pivotTable": _pivot(expected)}  # no #REF! error either


@pytest.mark.parametrize("shape", [SMALL, STAGED], ids=["small", "staged"])
@pytest.mark.parametrize("factor", [1.5, 0.5], ids=["more_rows", "fewer_rows"])
def test_filters_and_pivot_follow_the_managed_tab_across_refreshes(
    emulator: SheetsEmulator,
    make_destination: Make,
    credentials: Credentials,
    shape: dict[str, int],
    factor: float,
) -> None:
    rows = shape["rows"]
    dest = make_destination(payload_limit=shape["payload_limit"])
    _, spreadsheet = written_as_user(emulator, dest, credentials, rows)
    raw_id = _build_user_objects(spreadsheet, rows)
    before = _user_objects(spreadsheet)
    _assert_cover(before, raw_id, rows)

    new_rows = int(rows * factor)
    result = dest.write(workbook(new_rows, tag="v2"))

    assert (result.requests > 2) == (shape is STAGED)  # staged: chunks before the final swap
    after = _user_objects(spreadsheet)
    _assert_cover(after, raw_id, new_rows)
    assert after["filterViews"][0]["filterViewId"] == before["filterViews"][0]["filterViewId"]
    assert emulator.grid(str(dest.spreadsheet_id), "Raw deals")[new_rows][0] == (
        f"sfdc:v2-{new_rows - 1}"
    )

    dest.write(workbook(rows, tag="v3"))  # and back again
    _assert_cover(_user_objects(spreadsheet), raw_id, rows)


@pytest.mark.parametrize("shape", [SMALL, STAGED], ids=["small", "staged"])
def test_a_failed_refresh_leaves_filters_and_pivot_untouched(
    emulator: SheetsEmulator,
    make_destination: Make,
    credentials: Credentials,
    shape: dict[str, int],
) -> None:
    rows = shape["rows"]
    dest = make_destination(payload_limit=shape["payload_limit"])
    _, spreadsheet = written_as_user(emulator, dest, credentials, rows)
    raw_id = _build_user_objects(spreadsheet, rows)
    before = _user_objects(spreadsheet)
    total = dest.write(workbook(rows, tag="v1")).requests
    assert _user_objects(spreadsheet) == before

    for k in range(1, total + 1):
        for new_rows in (rows * 2, rows // 2):
            emulator.fail_next(k, "500", retry_after=0)
            with pytest.raises(DestinationError):
                dest.write(workbook(new_rows, tag="v2"))
            emulator.clear_faults()
            assert _user_objects(spreadsheet) == before, f"failed request {k} of {total}"
    _assert_cover(before, raw_id, rows)


def test_deleting_the_source_tab_shows_ref_in_the_pivot_and_drops_its_filters(
    emulator: SheetsEmulator, make_destination: Make, credentials: Credentials
) -> None:
    """The emulator's model of what Sheets does, which the refresh must never trigger."""
    dest = make_destination()
    _, spreadsheet = written_as_user(emulator, dest, credentials)
    raw_id = _build_user_objects(spreadsheet, 5)
    spreadsheet.batch_update({"requests": [{"deleteSheet": {"sheetId": raw_id}}]})

    meta = spreadsheet.fetch_sheet_metadata(
        params={"includeGridData": "true", "fields": OBJECT_FIELDS}
    )
    pivot_tab = next(s for s in meta["sheets"] if s["properties"]["title"] == "My pivot")
    cell = pivot_tab["data"][0]["rowData"][0]["values"][0]
    assert cell["effectiveValue"]["errorValue"]["type"] == "REF"
    assert not any("basicFilter" in s or "filterViews" in s for s in meta["sheets"])


def test_formulas_reaching_the_last_row_follow_it_and_others_stay(
    emulator: SheetsEmulator, make_destination: Make, credentials: Credentials
) -> None:
    dest = make_destination()
    sid, spreadsheet = written_as_user(emulator, dest, credentials)
    notes = spreadsheet.add_worksheet("Notes", 5, 3)
    # Row 6 is the last deal; row 3 the second; the string literal is not a reference.
    notes.update(
        [["='Raw deals'!A6", "='Raw deals'!A3", "=CONCAT(\"A6\", 'Raw deals'!$B$6:C6)"]],
        "A1:C1",
        raw=False,
    )

    dest.write(workbook(8, tag="v2"))

    assert emulator.grid(sid, "Notes")[0] == [
        "='Raw deals'!A9",
        "='Raw deals'!A3",
        "=CONCAT(\"A6\", 'Raw deals'!$B$9:C9)",
    ]
    assert notes.acell("A1").value == "sfdc:v2-7"  # still the last deal
    assert notes.acell("B1").value == "sfdc:v2-1"


def test_with_user_columns_cells_never_move_and_filters_keep_their_rows(
    emulator: SheetsEmulator, make_destination: Make, credentials: Credentials
) -> None:
    """The documented exception: the grid only grows, so ranges over the old rows stay put."""
    dest = make_destination()
    sid, spreadsheet = written_as_user(emulator, dest, credentials)
    raw = spreadsheet.worksheet("Raw deals")
    raw.add_cols(1)
    raw.update_acell("G2", "first")
    raw.update_acell("G6", "last")
    raw_id = _build_user_objects(spreadsheet, 5)

    dest.write(workbook(9, tag="v2"))

    grid = emulator.grid(sid, "Raw deals")
    assert (grid[1][6], grid[5][6]) == ("first", "last")
    assert grid[9][0] == "sfdc:v2-8"
    _assert_cover(_user_objects(spreadsheet), raw_id, 5)
