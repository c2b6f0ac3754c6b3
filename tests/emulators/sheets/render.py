"""Read-side rendering: spreadsheets.get JSON, ``fields`` selection and values ranges."""

from __future__ import annotations

import copy
from typing import Any

from tests.emulators.sheets.formulas import effective_value
from tests.emulators.sheets.model import Book, Sheet, a1, quote_title
from tests.emulators.sheets.user_objects import sheet_json as user_objects_json

FieldTree = dict[str, Any]


def parse_fields(mask: str) -> FieldTree:
    """Parse a partial-response mask like ``sheets(properties(title),charts)`` into a tree."""
    pos = 0

    def parse() -> FieldTree:
        nonlocal pos
        tree: FieldTree = {}
        while pos < len(mask):
            start = pos
            while pos < len(mask) and mask[pos] not in ",()":
                pos += 1
            name = mask[start:pos].strip()
            sub = None
            if pos < len(mask) and mask[pos] == "(":
                pos += 1
                sub = parse()
                pos += 1
            if name:
                node = tree
                parts = name.split(".")
                for part in parts[:-1]:
                    node = node.setdefault(part, {}) if node.get(part, {}) is not None else {}
                node[parts[-1]] = sub
            if pos < len(mask) and mask[pos] == ",":
                pos += 1
            elif pos < len(mask) and mask[pos] == ")":
                return tree
        return tree

    return parse()


def select(value: Any, tree: FieldTree | None) -> Any:
    """Keep only the parts of ``value`` named by ``tree`` (``None`` keeps everything)."""
    if tree is None:
        return value
    if isinstance(value, list):
        return [select(item, tree) for item in value]
    if isinstance(value, dict):
        if "*" in tree:
            return value
        return {k: select(value[k], sub) for k, sub in tree.items() if k in value}
    return value


def formatted(value: Any) -> str:
    """A display string for an effective value (plain, ignoring number formats)."""
    if value is None:
        return ""
    if "boolValue" in value:
        return "TRUE" if value["boolValue"] else "FALSE"
    if "numberValue" in value:
        number = float(value["numberValue"])
        return str(int(number)) if number.is_integer() else repr(number)
    if "errorValue" in value:
        return "#" + value["errorValue"].get("type", "ERROR") + "!"
    return str(value.get("stringValue", ""))


def unformatted(value: Any) -> Any:
    """An effective value as a JSON scalar (``UNFORMATTED_VALUE``)."""
    if value is None:
        return ""
    for key in ("numberValue", "boolValue", "stringValue"):
        if key in value:
            return value[key]
    return formatted(value)


def sheet_json(book: Book, sheet: Sheet, grid: bool) -> dict[str, Any]:
    """One sheet as spreadsheets.get returns it."""
    out: dict[str, Any] = {"properties": copy.deepcopy(sheet.properties)}
    if sheet.merges:
        out["merges"] = copy.deepcopy(sheet.merges)
    if sheet.conditional_formats:
        out["conditionalFormats"] = copy.deepcopy(sheet.conditional_formats)
    if sheet.charts:
        out["charts"] = copy.deepcopy(sheet.charts)
    if sheet.developer_metadata:
        out["developerMetadata"] = copy.deepcopy(sheet.developer_metadata)
    out.update(user_objects_json(sheet))
    if grid:
        rows = max((r for r, _ in sheet.cells), default=-1) + 1
        row_data = []
        for r in range(rows):
            cols = max((c for (rr, c) in sheet.cells if rr == r), default=-1) + 1
            values = []
            for c in range(cols):
                cell = copy.deepcopy(sheet.cells.get((r, c), {}))
                value = effective_value(book, sheet, r, c)
                if value is not None:
                    cell["effectiveValue"] = copy.deepcopy(value)
                    cell["formattedValue"] = formatted(value)
                values.append(cell)
            row_data.append({"values": values} if values else {})
        out["data"] = [{"startRow": 0, "startColumn": 0, "rowData": row_data}]
    return out


def book_json(book: Book, grid: bool = False) -> dict[str, Any]:
    """A whole spreadsheet as spreadsheets.get returns it."""
    out: dict[str, Any] = {
        "spreadsheetId": book.spreadsheet_id,
        "properties": copy.deepcopy(book.properties),
        "sheets": [sheet_json(book, s, grid) for s in book.sheets],
        "spreadsheetUrl": book.url(),
    }
    if book.developer_metadata:
        out["developerMetadata"] = copy.deepcopy(book.developer_metadata)
    return out


def values_range(
    book: Book, sheet: Sheet, r0: int, r1: int, c0: int, c1: int, render: str
) -> dict[str, Any]:
    """A ValueRange over the given bounds with trailing empty rows and cells trimmed."""
    by_row: dict[int, dict[int, Any]] = {}
    for (r, c), cell in sheet.cells.items():
        if r0 <= r < r1 and c0 <= c < c1 and "userEnteredValue" in cell:
            if render == "FORMULA" and "formulaValue" in cell["userEnteredValue"]:
                shown: Any = cell["userEnteredValue"]["formulaValue"]
            else:
                value = effective_value(book, sheet, r, c)
                if value is None:
                    continue
                shown = unformatted(value) if render != "FORMATTED_VALUE" else formatted(value)
            by_row.setdefault(r, {})[c] = shown
    values = []
    if by_row:
        for r in range(r0, max(by_row) + 1):
            cells = by_row.get(r, {})
            width = max(cells) - c0 + 1 if cells else 0
            values.append([cells.get(c0 + i, "") for i in range(width)])
    out: dict[str, Any] = {
        "range": f"{quote_title(sheet.title)}!{a1(r0, c0)}:{a1(max(r1 - 1, r0), max(c1 - 1, c0))}",
        "majorDimension": "ROWS",
    }
    if values:
        out["values"] = values
    return out
