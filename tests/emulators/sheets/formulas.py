"""Minimal formula evaluation: direct cell references such as ``='Raw data'!B5`` or ``=C3``.

Enough to prove that a user's formula still points at the right cell after a refresh, and to
rewrite references when a sheet is renamed, as Sheets does. Other formulas evaluate to nothing.
"""

from __future__ import annotations

import re
from typing import Any

from tests.emulators.sheets.model import Book, Sheet, col_index, col_letters, quote_title

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


_ANY_REF = re.compile(
    r"(?<![A-Za-z0-9_.$'!])(?:(?:'((?:[^']|'')+)'|([A-Za-z][A-Za-z0-9_]*))!)?"
    r"(\$?[A-Za-z]{1,3}\$?\d+)(?::(\$?[A-Za-z]{1,3}\$?\d+))?(?![A-Za-z0-9_(])"
)
_CELL = re.compile(r"(\$?)([A-Za-z]+)(\$?)(\d+)")
_STRING = re.compile(r'("(?:[^"]|"")*")')


def shift_references(book: Book, target: Sheet, rows: bool, start: int, count: int) -> None:
    """Move references to rows/columns at or after ``start`` of ``target`` on by ``count``.

    This is what Sheets does to every formula when rows or columns are inserted. References
    inside string literals are left alone.
    """

    def moved(ref: str) -> str:
        dollar_col, letters, dollar_row, digits = _CELL.fullmatch(ref).groups()  # type: ignore[union-attr]
        col, row = col_index(letters), int(digits) - 1
        if rows and row >= start:
            row += count
        elif not rows and col >= start:
            col += count
        return f"{dollar_col}{col_letters(col)}{dollar_row}{row + 1}"

    def rewrite(home: Sheet, text: str) -> str:
        def one(match: re.Match[str]) -> str:
            quoted, bare, first, second = match.groups()
            title = quoted.replace("''", "'") if quoted else bare
            sheet = home if title is None else book.sheet_by_title(title)
            if sheet is not target:
                return match.group(0)
            prefix = match.group(0)[: match.start(3) - match.start(0)]
            return prefix + moved(first) + (":" + moved(second) if second else "")

        return _ANY_REF.sub(one, text)

    for sheet in book.sheets:
        for key, cell in list(sheet.cells.items()):
            formula = cell.get("userEnteredValue", {}).get("formulaValue")
            if not formula:
                continue
            parts = _STRING.split(formula)
            updated = "".join(p if i % 2 else rewrite(sheet, p) for i, p in enumerate(parts))
            if updated != formula:
                sheet.cells[key] = {**cell, "userEnteredValue": {"formulaValue": updated}}
