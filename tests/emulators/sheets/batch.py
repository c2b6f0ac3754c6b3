"""``spreadsheets.batchUpdate`` request kinds, applied to a working copy of a :class:`Book`.

Only the request kinds sheets-sync and common clients use are implemented; any other kind is
answered with a 400 so a test notices instead of silently passing.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from tests.emulators.sheets import user_objects
from tests.emulators.sheets.formulas import rename_references, shift_references
from tests.emulators.sheets.model import MAX_CELL_CHARS, ApiError, Book, Cell, Sheet, bad

CELL_FIELDS = {
    "userEnteredValue",
    "userEnteredFormat",
    "note",
    "hyperlink",
    "textFormatRuns",
    "dataValidation",
    "pivotTable",
}
DEFAULT_ROWS, DEFAULT_COLS = 1000, 26


def _paths(fields: str | None) -> list[list[str]]:
    if not fields:
        raise bad("At least one field must be updated, but none were specified.")
    # Sheets accepts both "a.b" and "a/b" (gspread sends the latter).
    return [re.split(r"[./]", path.strip()) for path in fields.split(",") if path.strip()]


def apply_mask(target: dict[str, Any], source: dict[str, Any], fields: str | None) -> None:
    """Copy the masked paths of ``source`` onto ``target`` (missing in source = cleared)."""
    for path in _paths(fields):
        if path == ["*"]:
            target.clear()
            target.update(copy.deepcopy(source))
            continue
        src: Any = source
        dst = target
        for part in path[:-1]:
            src = src.get(part, {}) if isinstance(src, dict) else {}
            dst = dst.setdefault(part, {})
        leaf = path[-1]
        if isinstance(src, dict) and leaf in src:
            dst[leaf] = copy.deepcopy(src[leaf])
        else:
            dst.pop(leaf, None)


def _check_cell_fields(fields: str | None) -> None:
    for path in _paths(fields):
        if path != ["*"] and path[0] not in CELL_FIELDS:
            raise bad(f"Invalid field mask: {'.'.join(path)}")


def _check_chars(cell: Cell) -> None:
    value = cell.get("userEnteredValue", {})
    for key in ("stringValue", "formulaValue"):
        if len(value.get(key, "")) > MAX_CELL_CHARS:
            raise bad(
                f"Your input contains more than the maximum of {MAX_CELL_CHARS} characters "
                "in a single cell."
            )


def _masked(cell: Cell, source: Cell, paths: list[list[str]]) -> Cell:
    """``cell`` with the masked paths taken from ``source``, copying only what changes.

    Cell dicts are shared between a book and its working copies, so nothing is mutated in place.
    """
    out = dict(cell)
    for path in paths:
        if path == ["*"]:
            out = dict(source)
            continue
        src: Any = source
        for part in path[:-1]:
            src = src.get(part, {}) if isinstance(src, dict) else {}
        parents = [out]
        for part in path[:-1]:
            child = dict(parents[-1].get(part) or {})
            parents[-1][part] = child
            parents.append(child)
        leaf = path[-1]
        if isinstance(src, dict) and leaf in src:
            parents[-1][leaf] = src[leaf]
        else:
            parents[-1].pop(leaf, None)
        for depth in range(len(path) - 1, 0, -1):  # drop parents left empty
            if not parents[depth]:
                parents[depth - 1].pop(path[depth - 1], None)
    return {k: v for k, v in out.items() if v != {}}


def _put(sheet: Sheet, key: tuple[int, int], new: Cell, fields: str) -> None:
    cell = _masked(sheet.cells.get(key) or {}, new, _parsed_paths(fields))
    _check_chars(cell)
    if cell:
        sheet.cells[key] = cell
    else:
        sheet.cells.pop(key, None)


@cache
def _parsed_paths(fields: str) -> list[list[str]]:
    return _paths(fields)


def update_cells(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    rows = req.get("rows", [])
    fields = req.get("fields")
    _check_cell_fields(fields)
    if "range" in req:
        sheet = book.sheet(req["range"].get("sheetId"))
        r0, r1, c0, c1 = sheet.bounds(req["range"])
        if len(rows) > r1 - r0 or any(len(r.get("values", [])) > c1 - c0 for r in rows):
            raise bad("Invalid requests: updateCells rows do not fit in the given range")
    elif "start" in req:
        sheet = book.sheet(req["start"].get("sheetId"))
        r0, c0 = int(req["start"].get("rowIndex", 0)), int(req["start"].get("columnIndex", 0))
        r1 = r0 + len(rows)
        c1 = c0 + max((len(r.get("values", [])) for r in rows), default=0)
        sheet.check_range(r0, r1, c0, c1)
    else:
        raise bad("Invalid requests: updateCells needs a range or a start")
    covered = set()
    for dr, row in enumerate(rows):
        for dc, cell in enumerate(row.get("values", [])):
            key = (r0 + dr, c0 + dc)
            covered.add(key)
            _put(sheet, key, cell, str(fields))
    user_objects.check_pivot_sources(book, sheet, sorted(covered))
    if "range" in req:
        # Cells of the range the rows do not cover are cleared for the masked fields.
        stale = [k for k in sheet.cells if r0 <= k[0] < r1 and c0 <= k[1] < c1 and k not in covered]
        for key in stale:
            _put(sheet, key, {}, str(fields))
    return {}


def repeat_cell(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    sheet = book.sheet(req["range"].get("sheetId"))
    r0, r1, c0, c1 = sheet.bounds(req["range"])
    _check_cell_fields(req.get("fields"))
    for r in range(r0, r1):
        for c in range(c0, c1):
            _put(sheet, (r, c), req.get("cell", {}), str(req["fields"]))
    return {}


def copy_paste(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    source = book.sheet(req["source"].get("sheetId"))
    sr0, sr1, sc0, sc1 = source.bounds(req["source"])
    dest = book.sheet(req["destination"].get("sheetId"))
    dr0 = int(req["destination"].get("startRowIndex", 0))
    dc0 = int(req["destination"].get("startColumnIndex", 0))
    dest.check_range(dr0, dr0 + sr1 - sr0, dc0, dc0 + sc1 - sc0)
    kind = req.get("pasteType", "PASTE_NORMAL")
    fields = {
        "PASTE_NORMAL": "userEnteredValue,userEnteredFormat",
        "PASTE_VALUES": "userEnteredValue",
        "PASTE_FORMAT": "userEnteredFormat",
    }.get(kind)
    if fields is None:
        raise bad(f"pasteType {kind} is not supported by the emulator")
    block = {
        (r - sr0, c - sc0): cell
        for (r, c), cell in source.cells.items()
        if sr0 <= r < sr1 and sc0 <= c < sc1
    }
    for key in [
        k for k in dest.cells if dr0 <= k[0] < dr0 + sr1 - sr0 and dc0 <= k[1] < dc0 + sc1 - sc0
    ]:
        if (key[0] - dr0, key[1] - dc0) not in block:
            _put(dest, key, {}, fields)
    for (r, c), cell in block.items():
        _put(dest, (dr0 + r, dc0 + c), cell, fields)
    return {}


def _new_id(used: set[int]) -> int:
    while True:
        candidate = random.randint(1, 2**31 - 1)
        if candidate not in used:
            return candidate


def add_sheet(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    props = copy.deepcopy(req.get("properties", {}))
    used = {s.sheet_id for s in book.sheets}
    if "sheetId" in props:
        if int(props["sheetId"]) in used:
            raise bad(
                f"Invalid requests: addSheet: A sheet with id {props['sheetId']} already exists"
            )
    else:
        props["sheetId"] = _new_id(used)
    title = props.setdefault("title", f"Sheet{len(book.sheets) + 1}")
    if book.sheet_by_title(title) is not None:
        raise bad(
            f'Invalid requests: addSheet: A sheet with the name "{title}" already exists. '
            "Please enter another name."
        )
    props.setdefault("sheetType", "GRID")
    grid = props.setdefault("gridProperties", {})
    grid.setdefault("rowCount", DEFAULT_ROWS)
    grid.setdefault("columnCount", DEFAULT_COLS)
    _check_frozen(grid)
    index = min(int(props.get("index", len(book.sheets))), len(book.sheets))
    book.sheets.insert(index, Sheet(props))
    book.reindex()
    return {"addSheet": {"properties": copy.deepcopy(props)}}


def _check_frozen(grid: dict[str, Any]) -> None:
    if grid.get("frozenRowCount", 0) >= grid["rowCount"] and grid.get("frozenRowCount"):
        raise bad("You can't freeze all visible rows on the sheet.")
    if grid.get("frozenColumnCount", 0) >= grid["columnCount"] and grid.get("frozenColumnCount"):
        raise bad("You can't freeze all visible columns on the sheet.")


def delete_sheet(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    sheet = book.sheet(req.get("sheetId"))
    book.sheets.remove(sheet)
    user_objects.sheet_deleted(book, sheet.sheet_id)
    if not any(not s.properties.get("hidden") for s in book.sheets):
        raise bad("You can't remove all the visible sheets in a document.")
    book.reindex()
    return {}


def update_sheet_properties(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    props = req.get("properties", {})
    sheet = book.sheet(props.get("sheetId"))
    old_title = sheet.title
    old_rows, old_cols = sheet.rows, sheet.cols
    apply_mask(sheet.properties, props, req.get("fields"))
    sheet.properties["sheetId"] = sheet.sheet_id
    if sheet.title != old_title:
        other = book.sheet_by_title(sheet.title)
        if other is not None and other is not sheet:
            raise bad(
                f'A sheet with the name "{sheet.title}" already exists. Please enter another name.'
            )
        rename_references(book, old_title, sheet.title)
    _check_frozen(sheet.properties["gridProperties"])
    if not any(not s.properties.get("hidden") for s in book.sheets):
        raise bad("You can't hide all the sheets in a document.")
    user_objects.resized(book, sheet, old_rows, old_cols)
    sheet.trim_to_grid()
    return {}


def update_spreadsheet_properties(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    apply_mask(book.properties, req.get("properties", {}), req.get("fields"))
    return {}


def append_dimension(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    sheet = book.sheet(req.get("sheetId"))
    key = "rowCount" if req.get("dimension") == "ROWS" else "columnCount"
    sheet.properties["gridProperties"][key] += int(req.get("length", 0))
    return {}


def _dimension_range(book: Book, rng: dict[str, Any]) -> tuple[Sheet, int, int, bool]:
    """A DimensionRange as its sheet, start and end index, and whether it spans rows."""
    start, end = int(rng.get("startIndex", 0)), int(rng["endIndex"])
    return book.sheet(rng.get("sheetId")), start, end, rng.get("dimension") == "ROWS"


def delete_dimension(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    sheet, start, end, rows = _dimension_range(book, req["range"])
    axis, key = (0, "rowCount") if rows else (1, "columnCount")
    count = end - start
    moved: dict[tuple[int, int], Cell] = {}
    for (r, c), cell in sheet.cells.items():
        pos = (r, c)[axis]
        if start <= pos < end:
            continue
        if pos >= end:
            r, c = (r - count, c) if rows else (r, c - count)
        moved[(r, c)] = cell
    sheet.cells = moved
    sheet.properties["gridProperties"][key] -= count
    user_objects.adjust(
        book, sheet.sheet_id, str(req["range"].get("dimension")), start, count, False
    )
    return {}


def insert_dimension(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    """Insert rows/columns before ``startIndex``; cells at or after it move on."""
    sheet, start, end, rows = _dimension_range(book, req["range"])
    axis, key = (0, "rowCount") if rows else (1, "columnCount")
    if not 0 <= start < end or start > sheet.properties["gridProperties"][key]:
        raise bad(f"Invalid requests: insertDimension: range {start}:{end} is invalid")
    if req.get("inheritFromBefore") and start == 0:
        raise bad("Invalid requests: insertDimension: cannot inherit from before index 0")
    count = end - start
    moved: dict[tuple[int, int], Cell] = {}
    for (r, c), cell in sheet.cells.items():
        if (r, c)[axis] >= start:
            r, c = (r + count, c) if rows else (r, c + count)
        moved[(r, c)] = cell
    sheet.cells = moved
    sheet.properties["gridProperties"][key] += count
    shift_references(book, sheet, rows, start, count)
    user_objects.adjust(
        book, sheet.sheet_id, str(req["range"].get("dimension")), start, count, True
    )
    return {}


def _all_charts(book: Book) -> list[tuple[Sheet, dict[str, Any]]]:
    return [(s, c) for s in book.sheets for c in s.charts]


def _check_sources(book: Book, spec: Any) -> None:
    """Every GridRange a chart reads must point at an existing sheet."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "sources":
                for rng in value:
                    book.sheet(rng.get("sheetId")).bounds(rng)
            else:
                _check_sources(book, value)
    elif isinstance(spec, list):
        for item in spec:
            _check_sources(book, item)


def add_chart(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    chart = copy.deepcopy(req["chart"])
    used = {c["chartId"] for _, c in _all_charts(book)}
    if "chartId" in chart and chart["chartId"] in used:
        raise bad(f"Invalid requests: addChart: an object with id {chart['chartId']} exists")
    chart.setdefault("chartId", _new_id(used))
    position = chart.get("position", {})
    anchor = position.get("overlayPosition", {}).get("anchorCell", {})
    sheet = book.sheet(anchor.get("sheetId", position.get("sheetId")))
    _check_sources(book, chart.get("spec", {}))
    sheet.charts.append(chart)
    return {"addChart": {"chart": copy.deepcopy(chart)}}


def update_chart_spec(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    for _, chart in _all_charts(book):
        if chart["chartId"] == req.get("chartId"):
            _check_sources(book, req.get("spec", {}))
            chart["spec"] = copy.deepcopy(req.get("spec", {}))
            return {}
    raise bad(f"No chart with id: {req.get('chartId')}")


def delete_embedded_object(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    for sheet, chart in _all_charts(book):
        if chart["chartId"] == req.get("objectId"):
            sheet.charts.remove(chart)
            return {}
    raise bad(f"No object with id: {req.get('objectId')}")


def add_conditional_format_rule(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    rule = copy.deepcopy(req["rule"])
    sheet_ids = {r.get("sheetId", 0) for r in rule.get("ranges", [])}
    if len(sheet_ids) != 1:
        raise bad("Invalid requests: addConditionalFormatRule: all ranges must be on one sheet")
    sheet = book.sheet(next(iter(sheet_ids)))
    for rng in rule["ranges"]:
        sheet.bounds(rng)
    index = int(req.get("index", 0))
    if index > len(sheet.conditional_formats):
        raise bad(f"Invalid requests: addConditionalFormatRule: index {index} out of bounds")
    sheet.conditional_formats.insert(index, rule)
    return {}


def delete_conditional_format_rule(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    sheet = book.sheet(req.get("sheetId"))
    index = int(req.get("index", 0))
    if index >= len(sheet.conditional_formats):
        raise bad(f"No conditional format on sheet: {sheet.sheet_id} at index: {index}")
    rule = sheet.conditional_formats.pop(index)
    return {"deleteConditionalFormatRule": {"rule": rule}}


def _metadata_slots(book: Book) -> list[list[dict[str, Any]]]:
    return [book.developer_metadata, *(s.developer_metadata for s in book.sheets)]


def _matches(item: dict[str, Any], lookup: dict[str, Any]) -> bool:
    for key in ("metadataId", "metadataKey", "metadataValue"):
        if key in lookup and item.get(key) != lookup[key]:
            return False
    return bool(lookup)


def create_developer_metadata(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    item = copy.deepcopy(req["developerMetadata"])
    if "metadataKey" not in item or "visibility" not in item:
        raise bad("Invalid requests: developer metadata needs a metadataKey and a visibility")
    used = {m["metadataId"] for slot in _metadata_slots(book) for m in slot}
    if "metadataId" in item and item["metadataId"] in used:
        raise bad(f"Invalid requests: developer metadata with id {item['metadataId']} exists")
    item.setdefault("metadataId", _new_id(used))
    location = item.get("location", {})
    if "sheetId" in location:
        slot = book.sheet(location["sheetId"]).developer_metadata
        item["location"] = {"locationType": "SHEET", "sheetId": int(location["sheetId"])}
    elif location.get("spreadsheet"):
        slot = book.developer_metadata
        item["location"] = {"locationType": "SPREADSHEET", "spreadsheet": True}
    else:
        raise bad("Invalid requests: developer metadata location must be a sheet or spreadsheet")
    slot.append(item)
    return {"createDeveloperMetadata": {"developerMetadata": copy.deepcopy(item)}}


def update_developer_metadata(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    changed = []
    for data_filter in req.get("dataFilters", []):
        lookup = data_filter.get("developerMetadataLookup", {})
        for slot in _metadata_slots(book):
            for item in slot:
                if _matches(item, lookup):
                    apply_mask(item, req.get("developerMetadata", {}), req.get("fields"))
                    changed.append(copy.deepcopy(item))
    if not changed:
        raise bad("No developer metadata matches the data filters")
    return {"updateDeveloperMetadata": {"developerMetadata": changed}}


def delete_developer_metadata(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    lookup = req.get("dataFilter", {}).get("developerMetadataLookup", {})
    deleted = []
    for slot in _metadata_slots(book):
        for item in [m for m in slot if _matches(m, lookup)]:
            slot.remove(item)
            deleted.append(item)
    return {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": deleted}}


def merge_cells(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    sheet = book.sheet(req["range"].get("sheetId"))
    sheet.bounds(req["range"])
    sheet.merges.append(copy.deepcopy(req["range"]))
    return {}


def unmerge_cells(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    sheet = book.sheet(req["range"].get("sheetId"))
    r0, r1, c0, c1 = sheet.bounds(req["range"])
    sheet.merges = [
        m
        for m in sheet.merges
        if not (
            r0 <= m.get("startRowIndex", 0)
            and m.get("endRowIndex", 0) <= r1
            and c0 <= m.get("startColumnIndex", 0)
            and m.get("endColumnIndex", 0) <= c1
        )
    ]
    return {}


HANDLERS: dict[str, Callable[[Book, dict[str, Any]], dict[str, Any]]] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "updateCells": update_cells,
    "repeatCell": repeat_cell,
    "copyPaste": copy_paste,
    "appendDimension": append_dimension,
    "deleteDimension": delete_dimension,
    "insertDimension": insert_dimension,
    "setBasicFilter": user_objects.set_basic_filter,
    "clearBasicFilter": user_objects.clear_basic_filter,
    "addFilterView": user_objects.add_filter_view,
    "deleteFilterView": user_objects.delete_filter_view,
    "addChart": add_chart,
    "updateChartSpec": update_chart_spec,
    "deleteEmbeddedObject": delete_embedded_object,
    "addConditionalFormatRule": add_conditional_format_rule,
    "deleteConditionalFormatRule": delete_conditional_format_rule,
    "createDeveloperMetadata": create_developer_metadata,
    "updateDeveloperMetadata": update_developer_metadata,
    "deleteDeveloperMetadata": delete_developer_metadata,
    "mergeCells": merge_cells,
    "unmergeCells": unmerge_cells,
}


def apply_batch(book: Book, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply ``requests`` in order to ``book`` (a working copy); return the replies."""
    replies = []
    for index, request in enumerate(requests):
        if len(request) != 1:
            raise bad(f"Invalid requests[{index}]: exactly one kind of request must be set")
        kind, body = next(iter(request.items()))
        handler = HANDLERS.get(kind)
        if handler is None:
            raise bad(f"Invalid requests[{index}]: {kind} is not supported by the emulator")
        try:
            replies.append(handler(book, body))
        except ApiError as err:
            if err.message.startswith("Invalid requests"):
                err.message = err.message.replace(
                    "Invalid requests", f"Invalid requests[{index}]", 1
                )
            else:
                err.message = f"Invalid requests[{index}].{kind}: {err.message}"
            raise
        except (KeyError, TypeError, ValueError) as err:
            raise bad(f"Invalid requests[{index}].{kind}: missing or malformed {err}") from err
    book.check_limits()
    return replies
