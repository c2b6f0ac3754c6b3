"""In-memory spreadsheets: sheets, cells, charts, rules and developer metadata.

Cells are stored sparsely as ``{(row, col): CellData}``. A :class:`Book` is cloned before a
batchUpdate is applied (cell dicts are shared and never mutated in place, only replaced), so a
failing request leaves the stored book untouched: batchUpdate is atomic, as in Sheets.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

MAX_CELLS = 10_000_000
MAX_CELL_CHARS = 50_000

Cell = dict[str, Any]


class ApiError(Exception):
    """An error answered to the client in Google's JSON shape."""

    STATUS: ClassVar[dict[int, str]] = {
        400: "INVALID_ARGUMENT",
        401: "UNAUTHENTICATED",
        403: "PERMISSION_DENIED",
        404: "NOT_FOUND",
        429: "RESOURCE_EXHAUSTED",
        500: "INTERNAL",
        503: "UNAVAILABLE",
    }

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        """The JSON error body Google sends."""
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "status": self.STATUS.get(self.code, "UNKNOWN"),
            }
        }


def bad(message: str) -> ApiError:
    """A 400 INVALID_ARGUMENT."""
    return ApiError(400, message)


@dataclass
class Sheet:
    """One grid sheet."""

    properties: dict[str, Any]
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    charts: list[dict[str, Any]] = field(default_factory=list)
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)
    developer_metadata: list[dict[str, Any]] = field(default_factory=list)
    merges: list[dict[str, Any]] = field(default_factory=list)
    basic_filter: dict[str, Any] | None = None
    filter_views: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sheet_id(self) -> int:
        return int(self.properties["sheetId"])

    @property
    def title(self) -> str:
        return str(self.properties["title"])

    @property
    def rows(self) -> int:
        return int(self.properties["gridProperties"]["rowCount"])

    @property
    def cols(self) -> int:
        return int(self.properties["gridProperties"]["columnCount"])

    def clone(self) -> Sheet:
        """A copy sharing cell dicts (they are replaced, never mutated)."""
        return Sheet(
            copy.deepcopy(self.properties),
            dict(self.cells),
            copy.deepcopy(self.charts),
            copy.deepcopy(self.conditional_formats),
            copy.deepcopy(self.developer_metadata),
            copy.deepcopy(self.merges),
            copy.deepcopy(self.basic_filter),
            copy.deepcopy(self.filter_views),
        )

    def trim_to_grid(self) -> None:
        """Drop cells outside the grid (after a shrink)."""
        rows, cols = self.rows, self.cols
        if any(r >= rows or c >= cols for r, c in self.cells):
            self.cells = {k: v for k, v in self.cells.items() if k[0] < rows and k[1] < cols}

    def bounds(self, rng: dict[str, Any]) -> tuple[int, int, int, int]:
        """A GridRange as (r0, r1, c0, c1) with unbounded sides closed at the grid edge; 400
        when it is reversed or leaves the grid."""
        r0 = int(rng.get("startRowIndex", 0))
        r1 = int(rng.get("endRowIndex", self.rows))
        c0 = int(rng.get("startColumnIndex", 0))
        c1 = int(rng.get("endColumnIndex", self.cols))
        if r1 < r0 or c1 < c0:
            raise bad("Invalid range: end index before start index")
        self.check_range(r0, r1, c0, c1)
        return r0, r1, c0, c1

    def check_range(self, r0: int, r1: int, c0: int, c1: int) -> None:
        """400 when the range leaves the grid, worded like Sheets."""
        if r1 > self.rows or c1 > self.cols or r0 < 0 or c0 < 0:
            raise bad(
                f"Range ('{self.title}'!{a1(r0, c0)}:{a1(r1 - 1, c1 - 1)}) exceeds grid limits. "
                f"Max rows: {self.rows}, max columns: {self.cols}"
            )


@dataclass
class Book:
    """One spreadsheet (also a Drive file)."""

    spreadsheet_id: str
    properties: dict[str, Any]
    sheets: list[Sheet] = field(default_factory=list)
    developer_metadata: list[dict[str, Any]] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)

    def clone(self, new_id: str | None = None) -> Book:
        """A working copy for a transaction (or a Drive copy with ``new_id``)."""
        return Book(
            new_id or self.spreadsheet_id,
            copy.deepcopy(self.properties),
            [s.clone() for s in self.sheets],
            copy.deepcopy(self.developer_metadata),
            list(self.parents),
        )

    def sheet(self, sheet_id: Any) -> Sheet:
        """The sheet with ``sheet_id`` or a 400 like Sheets sends."""
        for sheet in self.sheets:
            if sheet.sheet_id == int(sheet_id or 0):
                return sheet
        raise bad(f"No grid with id: {sheet_id}")

    def sheet_by_title(self, title: str) -> Sheet | None:
        """The sheet titled ``title`` (case-insensitive, as Sheets resolves ranges)."""
        for sheet in self.sheets:
            if sheet.title.lower() == title.lower():
                return sheet
        return None

    def reindex(self) -> None:
        """Renumber sheet indexes after an insert or delete."""
        for index, sheet in enumerate(self.sheets):
            sheet.properties["index"] = index

    def cell_count(self) -> int:
        """Cells over every sheet's grid."""
        return sum(s.rows * s.cols for s in self.sheets)

    def check_limits(self) -> None:
        """400 when the book exceeds the cell limit."""
        if self.cell_count() > MAX_CELLS:
            raise bad(
                "This action would increase the number of cells in the workbook above the limit "
                f"of {MAX_CELLS} cells."
            )

    def url(self) -> str:
        return f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit"


def col_letters(col: int) -> str:
    """0-based column index as letters (0 -> A, 26 -> AA)."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    """Letters as a 0-based column index."""
    value = 0
    for char in letters.upper():
        value = value * 26 + ord(char) - 64
    return value - 1


def a1(row: int, col: int) -> str:
    """0-based (row, col) as A1."""
    return f"{col_letters(col)}{row + 1}"


_RANGE = re.compile(r"^(?:([A-Za-z]+)?(\d+)?)(?::([A-Za-z]+)?(\d+)?)?$")


def split_sheet(a1_range: str) -> tuple[str | None, str]:
    """``'My tab'!A1:B2`` -> (``My tab``, ``A1:B2``)."""
    if "!" not in a1_range:
        return None, a1_range
    sheet, _, cells = a1_range.rpartition("!")
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, cells


def parse_range(book: Book, a1_range: str) -> tuple[Sheet, int, int, int, int]:
    """Resolve an A1 range to (sheet, r0, r1, c0, c1), half open, clipped to the grid."""
    title, cells = split_sheet(a1_range)
    if title is None:
        bare = cells[1:-1].replace("''", "'") if cells.startswith("'") else cells
        if book.sheet_by_title(bare) is not None:
            title, cells = bare, ""
    sheet = book.sheet_by_title(title) if title is not None else book.sheets[0]
    if sheet is None:
        raise bad(f"Unable to parse range: {a1_range}")
    if not cells:
        return sheet, 0, sheet.rows, 0, sheet.cols
    match = _RANGE.match(cells)
    if not match:
        raise bad(f"Unable to parse range: {a1_range}")
    c0s, r0s, c1s, r1s = match.groups()
    c0 = col_index(c0s) if c0s else 0
    r0 = int(r0s) - 1 if r0s else 0
    if ":" in cells:
        c1 = col_index(c1s) + 1 if c1s else sheet.cols
        r1 = int(r1s) if r1s else sheet.rows
    else:
        c1, r1 = c0 + 1, r0 + 1
    return sheet, r0, min(r1, sheet.rows), c0, min(c1, sheet.cols)


def quote_title(title: str) -> str:
    """A sheet title as it appears in A1 notation (quoted only when it needs to be)."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title):
        return title
    return "'" + title.replace("'", "''") + "'"
