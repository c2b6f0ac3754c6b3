"""Objects a user builds on top of a sheet: basic filters, filter views and pivot tables.

Their ranges, and those of conditional-format rules and chart sources, follow row and column
inserts and deletes as in Sheets.

Sheets stores a basic filter and filter views on the sheet they filter, and a pivot table in the
``pivotTable`` of its anchor cell (on any sheet), with a ``source`` GridRange. Sheets keeps these
ranges pointing at the same data when the grid changes, and this module does the same:

- inserting rows/columns strictly inside a range (or before it) widens (or shifts) it; inserting
  at or after its end, or growing ``rowCount``/``columnCount``, leaves it as it was;
- deleting rows/columns (or shrinking the grid, which deletes trailing ones) clips the range; a
  filter whose range disappears entirely is removed;
- writing cells (``updateCells``, ``copyPaste``) never touches a filter;
- deleting a sheet removes its filters, and pivot tables reading it show ``#REF!``.

Unbounded sides of a range (no start or end index) stay unbounded and so follow the grid.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.emulators.sheets.model import Book, Sheet, bad

_KEYS = {
    "ROWS": ("startRowIndex", "endRowIndex"),
    "COLUMNS": ("startColumnIndex", "endColumnIndex"),
}


def _check_range(book: Book, rng: dict[str, Any]) -> Sheet:
    sheet = book.sheet(rng.get("sheetId"))
    sheet.bounds(rng)
    return sheet


def set_basic_filter(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    """``setBasicFilter``: replaces the sheet's basic filter."""
    flt = copy.deepcopy(req["filter"])
    sheet = _check_range(book, flt.get("range", {}))
    flt["range"].setdefault("sheetId", sheet.sheet_id)
    sheet.basic_filter = flt
    return {}


def clear_basic_filter(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    """``clearBasicFilter``."""
    book.sheet(req.get("sheetId")).basic_filter = None
    return {}


def add_filter_view(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    """``addFilterView``: the reply carries the view with its id."""
    view = copy.deepcopy(req["filter"])
    sheet = _check_range(book, view.get("range", {}))
    used = {v["filterViewId"] for s in book.sheets for v in s.filter_views}
    view.setdefault("filterViewId", max(used, default=0) + 1)
    if view["filterViewId"] in used:
        raise bad(f"Invalid requests: addFilterView: a filter view with id {view['filterViewId']}")
    view["range"].setdefault("sheetId", sheet.sheet_id)
    sheet.filter_views.append(view)
    return {"addFilterView": {"filter": copy.deepcopy(view)}}


def delete_filter_view(book: Book, req: dict[str, Any]) -> dict[str, Any]:
    """``deleteFilterView``."""
    for sheet in book.sheets:
        for view in sheet.filter_views:
            if view["filterViewId"] == req.get("filterId"):
                sheet.filter_views.remove(view)
                return {}
    raise bad(f"No filter with id: {req.get('filterId')}")


def check_pivot_sources(book: Book, sheet: Sheet, keys: list[tuple[int, int]]) -> None:
    """Every pivot table just written must read an existing range."""
    for key in keys:
        pivot = sheet.cells.get(key, {}).get("pivotTable")
        if pivot is not None:
            _check_range(book, pivot.get("source", {}))


def _shift(rng: dict[str, Any], dimension: str, start: int, count: int, insert: bool) -> bool:
    """Adjust ``rng`` in place for an insert or delete; ``False`` when nothing is left of it."""
    if "sheetId" not in rng:
        return True
    lo_key, hi_key = _KEYS[dimension]
    lo = rng.get(lo_key)
    hi = rng.get(hi_key)
    if insert:
        if start <= (lo or 0):  # before the range: it moves
            if lo is not None:
                rng[lo_key] = lo + count
            if hi is not None:
                rng[hi_key] = hi + count
        elif hi is not None and start < hi:  # strictly inside: it widens
            rng[hi_key] = hi + count
        return True
    end = start + count

    def after_delete(index: int) -> int:
        return index - max(0, min(index, end) - start)

    if lo is not None:
        rng[lo_key] = after_delete(lo)
    if hi is not None:
        rng[hi_key] = after_delete(hi)
    return not (hi is not None and rng[hi_key] <= rng.get(lo_key, 0))


def adjust(book: Book, sheet_id: int, dimension: str, start: int, count: int, insert: bool) -> None:
    """Follow an insert or delete of ``count`` rows/columns at ``start`` of ``sheet_id``."""
    sheet = book.sheet(sheet_id)
    flt = sheet.basic_filter
    if flt is not None:
        flt = copy.deepcopy(flt)
        sheet.basic_filter = flt if _shift(flt["range"], dimension, start, count, insert) else None
    views = []
    for view in copy.deepcopy(sheet.filter_views):
        if _shift(view["range"], dimension, start, count, insert):
            views.append(view)
    sheet.filter_views = views
    rules = []
    for rule in copy.deepcopy(sheet.conditional_formats):
        rule["ranges"] = [
            r for r in rule.get("ranges", []) if _shift(r, dimension, start, count, insert)
        ]
        if rule["ranges"]:  # Sheets drops a rule once nothing is left of its ranges
            rules.append(rule)
    sheet.conditional_formats = rules
    for other in book.sheets:
        for chart in other.charts:
            _shift_sources(chart.get("spec"), sheet_id, dimension, start, count, insert)

        for key, cell in list(other.cells.items()):
            pivot = cell.get("pivotTable")
            if pivot is None or pivot.get("source", {}).get("sheetId") != sheet_id:
                continue
            new = copy.deepcopy(cell)  # cells are shared with the stored book: replace, not mutate
            if not _shift(new["pivotTable"]["source"], dimension, start, count, insert):
                new["effectiveValue"] = _ref_error("the pivot table's source range was deleted")
            other.cells[key] = new


def _shift_sources(
    spec: Any, sheet_id: int, dimension: str, start: int, count: int, insert: bool
) -> None:
    """Adjust every chart source range on ``sheet_id`` (a fully deleted one is left empty)."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "sources":
                for rng in value:
                    if rng.get("sheetId") == sheet_id:
                        _shift(rng, dimension, start, count, insert)
            else:
                _shift_sources(value, sheet_id, dimension, start, count, insert)
    elif isinstance(spec, list):
        for item in spec:
            _shift_sources(item, sheet_id, dimension, start, count, insert)


def resized(book: Book, sheet: Sheet, old_rows: int, old_cols: int) -> None:
    """A shrink of ``rowCount``/``columnCount`` deletes the trailing rows/columns."""
    if sheet.rows < old_rows:
        adjust(book, sheet.sheet_id, "ROWS", sheet.rows, old_rows - sheet.rows, insert=False)
    if sheet.cols < old_cols:
        adjust(book, sheet.sheet_id, "COLUMNS", sheet.cols, old_cols - sheet.cols, insert=False)


def sheet_deleted(book: Book, sheet_id: int) -> None:
    """Pivot tables reading a deleted sheet show ``#REF!`` (their filters left with the sheet)."""
    for other in book.sheets:
        for key, cell in list(other.cells.items()):
            pivot = cell.get("pivotTable")
            if pivot is not None and pivot.get("source", {}).get("sheetId") == sheet_id:
                other.cells[key] = {**cell, "effectiveValue": _ref_error("Unresolved sheet name")}


def _ref_error(message: str) -> dict[str, Any]:
    return {"errorValue": {"type": "REF", "message": message}}


def sheet_json(sheet: Sheet) -> dict[str, Any]:
    """The ``basicFilter`` and ``filterViews`` members of a sheet in spreadsheets.get."""
    out: dict[str, Any] = {}
    if sheet.basic_filter is not None:
        out["basicFilter"] = copy.deepcopy(sheet.basic_filter)
    if sheet.filter_views:
        out["filterViews"] = copy.deepcopy(sheet.filter_views)
    return out
