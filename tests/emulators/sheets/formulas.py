"""Minimal formula evaluation: direct cell references such as ``='Raw data'!B5`` or ``=C3``.

Enough to prove that a user's formula still points at the right cell after a refresh, and to
rewrite references when a sheet is renamed, as Sheets does. Other formulas evaluate to nothing.
"""

from __future__ import annotations

import re
from typing import Any

from tests.emulators.sheets.model import Book, Sheet, col_index, quote_title

_REF = re.compile(r"^=\s*(?:(?:'((?:[^']|'')+)'|([A-Za-z0-9_]+))!)?\$?([A-Za-z]+)\$?(\d+)\s*$")


def effective_value(book: Book, sheet: Sheet, row: int, col: int, depth: int = 0) -> Any:
    """The computed ``ExtendedValue`` of a cell, or ``None`` when empty."""
    cell = sheet.cells.get((row, col))
    if not cell or "userEnteredValue" not in cell:
        return None
    value = cell["userEnteredValue"]
    formula = value.get("formulaValue")
    if formula is None:
        return value
    match = _REF.match(formula)
    if not match or depth > 50:
        return None
    quoted, bare, letters, digits = match.groups()
    title = quoted.replace("''", "'") if quoted else bare
    target = sheet if title is None else book.sheet_by_title(title)
    if target is None:
        return {"errorValue": {"type": "REF", "message": f"Unresolved sheet name '{title}'."}}
    return effective_value(book, target, int(digits) - 1, col_index(letters), depth + 1)


def rename_references(book: Book, old: str, new: str) -> None:
    """Rewrite formulas that name sheet ``old`` to name ``new``."""
    pattern = re.compile(r"(?:" + re.escape(quote_title(old)) + r"|\b" + re.escape(old) + r")!")
    for sheet in book.sheets:
        for key, cell in list(sheet.cells.items()):
            formula = cell.get("userEnteredValue", {}).get("formulaValue")
            if formula and pattern.search(formula):
                updated = pattern.sub(quote_title(new) + "!", formula)
                sheet.cells[key] = {**cell, "userEnteredValue": {"formulaValue": updated}}
