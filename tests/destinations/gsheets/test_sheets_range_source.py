"""The ``sheets`` source reading a user-maintained range through the emulator."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from google.oauth2.credentials import Credentials

from connectors.base import ReadContext
from connectors.registry import build_source
from connectors.sheets_range import SheetsRangeSource
from sheets_sync.errors import ConfigError, SchemaError, SourceError
from tests.destinations.gsheets.helpers import user_client
from tests.emulators.sheets import SheetsEmulator


@pytest.fixture
def spend_sheet(emulator: SheetsEmulator, credentials: Credentials) -> str:
    client = user_client(emulator, credentials)
    created = client.http_client.request(
        "post",
        "https://sheets.googleapis.com/v4/spreadsheets",
        json={"sheets": [{"properties": {"title": "Spend"}}, {"properties": {"title": "Targets"}}]},
    ).json()
    spreadsheet = client.open_by_key(created["spreadsheetId"])
    spreadsheet.worksheet("Spend").update(
        [
            ["Day", "Channel", "Campaign", "Cost"],
            [45292, "paid_search", "Brand", 120.5],  # a date typed in Sheets: serial 45292
            ["2024-01-02", "social", "=IMPORTXML(x)", "80"],
            ["", "", "", ""],
            [45294, "paid_search", "Brand", 99],
        ],
        "A1:D5",
        raw=True,
    )
    spreadsheet.worksheet("Targets").update(
        [["Month", "Team", "Target revenue"], [45292, "EMEA", 50000], [45323, "EMEA", 55000]],
        "A1:C3",
        raw=True,
    )
    return str(created["spreadsheetId"])


def _options(emulator: SheetsEmulator, credentials: Credentials, **extra: Any) -> dict[str, Any]:
    return {
        "credentials": credentials,
        "sheets_endpoint": emulator.sheets_endpoint,
        "drive_endpoint": emulator.drive_endpoint,
        **extra,
    }


def test_spend_range_becomes_the_canonical_spend_table(
    emulator: SheetsEmulator, credentials: Credentials, spend_sheet: str
) -> None:
    options = _options(
        emulator, credentials, spreadsheet_id=spend_sheet, range="Spend!A1:D", currency="USD"
    )
    source = build_source("sheets", "spend_sheet", options)
    assert isinstance(source, SheetsRangeSource)
    result = source.read(ReadContext())
    spend = result.tables["spend"]
    assert len(spend) == 3 and result.requests == 1
    assert list(spend["date"].dt.strftime("%Y-%m-%d")) == ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert list(spend["cost"]) == [120.5, 80.0, 99.0]
    assert list(spend["campaign"].astype(str)) == ["Brand", "=IMPORTXML(x)", "Brand"]
    assert spend["spend_id"].str.startswith("spend_sheet:").all()
    assert spend["spend_id"].is_unique and set(spend["source"]) == {"spend_sheet"}
    assert set(spend["currency"].astype(str)) == {"USD"}


def test_explicit_mapping_and_custom_table(
    emulator: SheetsEmulator, credentials: Credentials, spend_sheet: str
) -> None:
    targets = SheetsRangeSource(
        "targets",
        _options(
            emulator,
            credentials,
            spreadsheet_id=spend_sheet,
            range="Targets",
            table="revenue_targets",
            date_columns=["Month"],
        ),
    ).read(ReadContext())
    frame = targets.tables["revenue_targets"]
    assert list(frame.columns) == ["month", "team", "target_revenue", "source"]
    assert frame["month"].iloc[1] == pd.Timestamp("2024-02-01", tz="UTC")
    assert frame["target_revenue"].sum() == 105000
    mapped = SheetsRangeSource(
        "spend_sheet",
        _options(
            emulator,
            credentials,
            spreadsheet_id=spend_sheet,
            range="Spend!A1:D5",
            mapping={"date": "Day", "channel": "Campaign", "campaign": "Channel"},
        ),
    ).read(ReadContext())
    spend = mapped.tables["spend"]
    assert list(spend["channel"].astype(str)) == ["Brand", "=IMPORTXML(x)", "Brand"]
    assert spend["currency"].isna().all()  # no currency column or option: reported as info
    assert any(i.column == "currency" for i in mapped.issues)


def test_errors_name_the_problem(
    emulator: SheetsEmulator, credentials: Credentials, spend_sheet: str
) -> None:
    with pytest.raises(ConfigError, match="needs the option 'range'"):
        SheetsRangeSource("s", {"spreadsheet_id": "x", "credentials": credentials})
    with pytest.raises(ConfigError, match="unknown spend column"):
        SheetsRangeSource(
            "s",
            _options(emulator, credentials, spreadsheet_id="x", range="A:B", mapping={"x": "y"}),
        )
    no_cost = _options(emulator, credentials, spreadsheet_id=spend_sheet, range="Spend!A1:C")
    with pytest.raises(SchemaError, match="cost"):
        SheetsRangeSource("s", no_cost).read(ReadContext())
    missing = _options(emulator, credentials, spreadsheet_id="gone", range="Spend")
    with pytest.raises(SourceError, match="gone was not found"):
        SheetsRangeSource("s", missing).read(ReadContext())
    assert not SheetsRangeSource("s", missing).check().ok
