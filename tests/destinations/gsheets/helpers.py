"""Helpers for the Google Sheets tests: a first refresh opened as the user, and assertions
reading the emulator's stored spreadsheets."""

from __future__ import annotations

from typing import Any

import gspread
from google.oauth2.credentials import Credentials

from sheets_sync.destinations.gsheets import (
    GoogleSheetsDestination,
    GoogleSheetsSettings,
    QuotaLimiters,
)
from sheets_sync.destinations.gsheets.client import SheetsApi
from tests.destinations.gsheets.workbooks import workbook
from tests.emulators.sheets import SheetsEmulator

MANAGED = ("Summary", "Raw deals")


def live_values(emulator: SheetsEmulator, spreadsheet_id: str) -> dict[str, Any]:
    """The values of every managed tab (what a reader of the report sees)."""
    return {title: emulator.grid(spreadsheet_id, title) for title in MANAGED}


def snapshot(emulator: SheetsEmulator, spreadsheet_id: str) -> dict[str, Any]:
    """Everything stored for a spreadsheet except the volatile ids of staging sheets."""
    book = emulator.book(spreadsheet_id)
    return {
        "properties": book.properties,
        "sheets": [
            {
                "properties": s.properties,
                "cells": dict(sorted(s.cells.items())),
                "charts": s.charts,
                "rules": s.conditional_formats,
                "metadata": s.developer_metadata,
            }
            for s in book.sheets
        ],
    }


def user_client(emulator: SheetsEmulator, credentials: Credentials) -> gspread.Client:
    """A plain gspread client for acting as the user in the emulator."""
    settings = GoogleSheetsSettings(
        sheets_endpoint=emulator.sheets_endpoint, drive_endpoint=emulator.drive_endpoint
    )
    api = SheetsApi(credentials, settings, QuotaLimiters())
    return gspread.Client(None, session=api.session)  # type: ignore[arg-type]


def written_as_user(
    emulator: SheetsEmulator,
    dest: GoogleSheetsDestination,
    credentials: Credentials,
    rows: int = 5,
) -> tuple[str, gspread.Spreadsheet]:
    """Write a ``rows``-deal report with ``dest``, then open the spreadsheet as its user would:
    its id and the user's gspread handle on it."""
    dest.write(workbook(rows))
    spreadsheet_id = str(dest.spreadsheet_id)
    return spreadsheet_id, user_client(emulator, credentials).open_by_key(spreadsheet_id)
