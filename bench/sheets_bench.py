"""Requests and bytes per Google Sheets refresh: sheets-sync against set_with_dataframe.

For every bundled template, on demo data of 1k and 100k deals, this refreshes a spreadsheet held
by the loopback Sheets emulator (tests/emulators/sheets) twice and measures the second refresh:

- ``sheets-sync``: :class:`GoogleSheetsDestination` (one batchUpdate up to the payload limit,
  staged chunks above it);
- ``baseline``: the common alternative, per tab ``worksheet.clear()`` then one
  ``gspread_dataframe.set_with_dataframe(..., resize=True)`` of the tab's laid-out grid.

Both talk HTTP to the same emulator, which validates every body; requests and bytes are counted
by the emulator. Seconds are wall time on this machine and only comparable within one run. The
write limiters are lifted for the run (they would only add waiting, not requests).

Usage: python bench/sheets_bench.py [--sizes 1000,100000] [--templates sales_pipeline,...]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gspread
from google.oauth2.credentials import Credentials
from gspread_dataframe import set_with_dataframe

from connectors.base import ReadContext
from connectors.demo import DemoSource
from sheets_sync.blend import blend
from sheets_sync.dataset import Dataset
from sheets_sync.destinations.gsheets import (
    GoogleSheetsDestination,
    GoogleSheetsSettings,
    QuotaLimiters,
)
from sheets_sync.destinations.gsheets.client import SheetsApi
from sheets_sync.document import Tab, Workbook
from sheets_sync.layout import layout_tab
from sheets_sync.report import ReportSettings, build_workbook
from sheets_sync.templates import list_templates
from tests.emulators.sheets import SheetsEmulator

NOW = pd.Timestamp("2026-11-28 12:00", tz="UTC")


@dataclass
class Measure:
    """One measured refresh."""

    requests: int
    bytes: int
    seconds: float
    failed: str = ""


def demo_dataset(deals: int) -> Dataset:
    """Two demo CRMs and a spend source blended, with about ``deals`` deals in total."""
    context = ReadContext(started_at=NOW.to_pydatetime())
    parts = [("sfdc", "salesforce", deals), ("hubspot", "hubspot", deals), ("ads", "spend", 200)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return blend(
            [
                (
                    name,
                    DemoSource(name, {"size": size, "as_of": "2026-11-28", "flavor": flavor}).read(
                        context
                    ),
                )
                for name, flavor, size in parts
            ]
        )


def tab_grid(tab: Tab) -> pd.DataFrame:
    """The tab's laid-out cells as one frame (what one set_with_dataframe call writes)."""
    layout = layout_tab(tab)
    grid: list[list[Any]] = [[""] * layout.n_cols for _ in range(layout.n_rows)]
    if layout.title_row is not None:
        grid[layout.title_row][0] = tab.title
    if layout.subtitle_row is not None:
        grid[layout.subtitle_row][0] = tab.subtitle
    for table in tab.tables:
        place = layout.placements[table.id]
        if place.title_row is not None:
            grid[place.title_row][place.left_col] = table.title
        for i, column in enumerate(table.frame.columns):
            grid[place.header_row][place.left_col + i] = str(column)
        for r, record in enumerate(table.frame.itertuples(index=False, name=None)):
            row = grid[place.first_data_row + r]
            for c, value in enumerate(record):
                # Plain Python scalars, as a caller of set_with_dataframe would hand over.
                plain = value.item() if hasattr(value, "item") else value
                row[place.left_col + c] = "" if pd.isna(value) else plain
        if table.note:
            grid[place.first_data_row + place.n_rows][place.left_col] = table.note
    return pd.DataFrame(grid)


def window(emulator: SheetsEmulator, start: int, began: float, failed: str = "") -> Measure:
    logged = emulator.api_requests()[start:]
    return Measure(
        len(logged), sum(r.body_bytes for r in logged), time.perf_counter() - began, failed
    )


def ours(emulator: SheetsEmulator, creds: Credentials, workbook: Workbook) -> Measure:
    settings = GoogleSheetsSettings(
        sheets_endpoint=emulator.sheets_endpoint, drive_endpoint=emulator.drive_endpoint
    )
    unlimited = QuotaLimiters(user_limit=10**9, project_limit=10**9)
    dest = GoogleSheetsDestination(credentials=creds, settings=settings, limiters=unlimited)
    dest.write(workbook)
    start, began = len(emulator.api_requests()), time.perf_counter()
    dest.write(workbook)
    return window(emulator, start, began)


def baseline(emulator: SheetsEmulator, creds: Credentials, workbook: Workbook) -> Measure:
    settings = GoogleSheetsSettings(
        sheets_endpoint=emulator.sheets_endpoint, drive_endpoint=emulator.drive_endpoint
    )
    api = SheetsApi(creds, settings, QuotaLimiters(user_limit=10**9, project_limit=10**9))
    client = gspread.Client(None, session=api.session)  # type: ignore[arg-type]
    body = {"properties": {"title": workbook.title}}
    created = client.http_client.request(
        "post", "https://sheets.googleapis.com/v4/spreadsheets", json=body
    ).json()
    frames = [(tab.name, tab_grid(tab)) for tab in workbook.tabs]

    def refresh() -> None:
        spreadsheet = client.open_by_key(created["spreadsheetId"])
        existing = {ws.title: ws for ws in spreadsheet.worksheets()}
        for name, frame in frames:
            worksheet = existing.get(name) or spreadsheet.add_worksheet(name, 1, 1)
            worksheet.clear()
            set_with_dataframe(worksheet, frame, include_column_header=False, resize=True)

    failed = ""
    try:
        refresh()
    except gspread.exceptions.APIError as err:
        failed = str(err).split("]: ", 1)[-1][:60]
    start, began = len(emulator.api_requests()), time.perf_counter()
    if not failed:
        try:
            refresh()
        except gspread.exceptions.APIError as err:
            failed = str(err).split("]: ", 1)[-1][:60]
    return window(emulator, start, began, failed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--templates", default="")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    wanted = {t for t in args.templates.split(",") if t}
    templates = [t for t in list_templates() if not wanted or t.id in wanted]
    emulator = SheetsEmulator(keep_bodies=False).start()
    creds = Credentials(token="bench", token_uri=emulator.token_uri)
    header = (
        f"{'template':<22} {'deals':>7} {'cells':>9} | {'ours req':>8} {'ours MB':>8} {'s':>6} | "
        f"{'base req':>8} {'base MB':>8} {'s':>6} | {'req ratio':>9} {'MB ratio':>8}"
    )
    print(header)
    print("-" * len(header))
    try:
        for size in sizes:
            dataset = demo_dataset(size)
            settings = ReportSettings(raw_data_max_rows=size)
            for template in templates:
                workbook = build_workbook(template, dataset, settings, NOW)
                cells = sum(layout_tab(t).n_rows * layout_tab(t).n_cols for t in workbook.tabs)
                mine = ours(emulator, creds, workbook)
                base = baseline(emulator, creds, workbook)
                if base.failed:
                    tail = f"{'fails':>8} {'':>8} {'':>6} | baseline: {base.failed}"
                else:
                    tail = (
                        f"{base.requests:>8} {base.bytes / 1e6:>8.2f} {base.seconds:>6.1f} | "
                        f"{base.requests / mine.requests:>8.1f}x {base.bytes / mine.bytes:>7.2f}x"
                    )
                print(
                    f"{template.id:<22} {len(dataset.table('deals')):>7} {cells:>9} | "
                    f"{mine.requests:>8} {mine.bytes / 1e6:>8.2f} {mine.seconds:>6.1f} | {tail}",
                    flush=True,
                )
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
