"""The managed-tabs registry: which sheets of a spreadsheet sheets-sync owns.

Each managed sheet carries sheet-level developer metadata ``sheets_sync.tab`` whose value records
the tab's report name, the columns it manages, how many conditional-format rules and which charts
it created. Developer metadata follows the sheet when a user renames or moves it, so a renamed
managed tab is still found, and every other sheet is the user's and is never touched. Hidden
staging sheets carry ``sheets_sync.staging`` so an interrupted refresh can be cleaned up later.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

TAB_KEY = "sheets_sync.tab"
STAGING_KEY = "sheets_sync.staging"
STAGING_PREFIX = "~sheets-sync staging"

METADATA_FIELDS = (
    "spreadsheetId,spreadsheetUrl,properties(title),"
    "sheets(properties(sheetId,title,index,hidden,gridProperties(rowCount,columnCount)),"
    "charts(chartId),conditionalFormats(ranges(sheetId)),developerMetadata)"
)
"""The ``fields`` mask of the one metadata read a refresh makes."""


def stable_id(*parts: str) -> int:
    """A deterministic positive 31-bit id (sheets, charts, metadata) derived from ``parts``."""
    return (zlib.crc32("\x1f".join(parts).encode()) & 0x3FFFFFFF) + 1


@dataclass
class ManagedInfo:
    """What the registry remembers about one managed tab."""

    name: str
    cols: int = 0
    rules: int = 0
    charts: list[int] = field(default_factory=list)

    def to_json(self) -> str:
        """The metadata value stored on the sheet."""
        return json.dumps(
            {"name": self.name, "cols": self.cols, "rules": self.rules, "charts": self.charts},
            separators=(",", ":"),
        )


@dataclass
class SheetInfo:
    """One sheet as the metadata read returned it."""

    sheet_id: int
    title: str
    index: int
    rows: int
    cols: int
    hidden: bool = False
    chart_ids: set[int] = field(default_factory=set)
    rule_count: int = 0
    managed: ManagedInfo | None = None
    metadata_id: int | None = None
    staging: bool = False

    @property
    def cells(self) -> int:
        """Cells of this sheet's grid, as counted against the spreadsheet limit."""
        return self.rows * self.cols


@dataclass
class SpreadsheetState:
    """The parts of a spreadsheet a refresh needs to plan its requests."""

    spreadsheet_id: str
    url: str
    sheets: list[SheetInfo]

    def managed_by_name(self) -> dict[str, SheetInfo]:
        """Managed sheets keyed by their report tab name (not their current title)."""
        return {s.managed.name: s for s in self.sheets if s.managed is not None}

    def by_title(self, title: str) -> SheetInfo | None:
        """The sheet currently titled ``title``."""
        return next((s for s in self.sheets if s.title == title), None)

    def staging(self) -> list[SheetInfo]:
        """Staging sheets left behind by an interrupted refresh."""
        return [s for s in self.sheets if s.staging]

    def sheet_ids(self) -> set[int]:
        """Every sheet id in use."""
        return {s.sheet_id for s in self.sheets}

    def free_id(self, *parts: str, taken: Iterable[int] = ()) -> int:
        """A stable id for ``parts`` that no sheet uses yet."""
        used = self.sheet_ids() | set(taken)
        candidate = stable_id(*parts)
        while candidate in used:
            candidate = candidate % 0x3FFFFFFF + 1
        return candidate


def parse_state(meta: dict[str, Any]) -> SpreadsheetState:
    """Read a ``spreadsheets.get`` reply (with :data:`METADATA_FIELDS`) into a state."""
    sheets = []
    for sheet in meta.get("sheets", []):
        props = sheet.get("properties", {})
        grid = props.get("gridProperties", {})
        info = SheetInfo(
            sheet_id=int(props.get("sheetId", 0)),
            title=str(props.get("title", "")),
            index=int(props.get("index", 0)),
            rows=int(grid.get("rowCount", 0)),
            cols=int(grid.get("columnCount", 0)),
            hidden=bool(props.get("hidden", False)),
            chart_ids={int(c["chartId"]) for c in sheet.get("charts", []) if "chartId" in c},
            rule_count=len(sheet.get("conditionalFormats", [])),
        )
        for item in sheet.get("developerMetadata", []):
            key = item.get("metadataKey")
            if key == TAB_KEY:
                info.managed = _parse_managed(item.get("metadataValue", ""))
                info.metadata_id = item.get("metadataId")
            elif key == STAGING_KEY:
                info.staging = True
        if info.title.startswith(STAGING_PREFIX):
            info.staging = True
        sheets.append(info)
    spreadsheet_id = str(meta.get("spreadsheetId", ""))
    url = meta.get("spreadsheetUrl") or f"https://docs.google.com/spreadsheets/d/{spreadsheet_id}"
    return SpreadsheetState(spreadsheet_id, url, sheets)


def _parse_managed(value: str) -> ManagedInfo | None:
    try:
        data = json.loads(value)
        return ManagedInfo(
            name=str(data["name"]),
            cols=int(data.get("cols", 0)),
            rules=int(data.get("rules", 0)),
            charts=[int(c) for c in data.get("charts", [])],
        )
    except (ValueError, KeyError, TypeError):
        # A user edited the value by hand; treat the sheet as the user's rather than guess.
        return None


def tab_metadata(sheet_id: int, metadata_id: int, info: ManagedInfo) -> dict[str, Any]:
    """``createDeveloperMetadata`` marking ``sheet_id`` as a managed tab."""
    return {
        "createDeveloperMetadata": {
            "developerMetadata": {
                "metadataId": metadata_id,
                "metadataKey": TAB_KEY,
                "metadataValue": info.to_json(),
                "location": {"sheetId": sheet_id},
                "visibility": "DOCUMENT",
            }
        }
    }


def update_tab_metadata(metadata_id: int, info: ManagedInfo) -> dict[str, Any]:
    """``updateDeveloperMetadata`` rewriting the registry value of a managed tab."""
    return {
        "updateDeveloperMetadata": {
            "dataFilters": [{"developerMetadataLookup": {"metadataId": metadata_id}}],
            "developerMetadata": {"metadataValue": info.to_json()},
            "fields": "metadataValue",
        }
    }


def staging_metadata(sheet_id: int, tab_name: str) -> dict[str, Any]:
    """``createDeveloperMetadata`` marking ``sheet_id`` as a staging sheet of ``tab_name``."""
    return {
        "createDeveloperMetadata": {
            "developerMetadata": {
                "metadataKey": STAGING_KEY,
                "metadataValue": tab_name,
                "location": {"sheetId": sheet_id},
                "visibility": "DOCUMENT",
            }
        }
    }
