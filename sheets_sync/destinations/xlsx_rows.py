"""Fast serialisation of raw-data rows straight to SpreadsheetML ``<row>`` elements.

openpyxl builds a Python cell object and an lxml element per value, which tops out at a few
tens of thousands of cells per second. A raw-data tab only ever holds plain typed values with one
style per column, so its rows are formatted here as text into an anonymous temp file and spliced
into the sheet openpyxl writes (see :class:`~sheets_sync.destinations.xlsx_book.StreamSheet`).
Text is always written as an inline string, never a formula.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from typing import IO, Any
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

ROWS_PER_FLUSH = 2_000


class RowFile:
    """``<row>`` elements for one sheet, in an anonymous temp file deleted when closed."""

    def __init__(self) -> None:
        # Anonymous, so the OS deletes it even if the process dies; closed by close().
        self.file: IO[bytes] = tempfile.TemporaryFile(prefix="sheets-sync-rows.")  # noqa: SIM115
        self.rows = 0
        self.max_col = 0
        self._buffer: list[str] = []

    def add(self, values: Sequence[Any], styles: Sequence[int]) -> int:
        """Append one row (``None`` = empty cell); return how many cells it holds."""
        self.rows += 1
        row = self.rows
        parts = [f'<row r="{row}">']
        written = 0
        for index, (value, style) in enumerate(zip(values, styles)):
            if value is None:
                continue
            parts.append(_cell(f"{_letter(index)}{row}", style, value))
            written += 1
        parts.append("</row>")
        self.max_col = max(self.max_col, len(values))
        self._buffer.append("".join(parts))
        if len(self._buffer) >= ROWS_PER_FLUSH:
            self.flush()
        return written

    def flush(self) -> None:
        """Write buffered rows to the temp file."""
        if self._buffer:
            self.file.write("".join(self._buffer).encode("utf-8"))
            self._buffer.clear()

    @property
    def dimension(self) -> str:
        """The sheet's used range, e.g. ``A1:J200001``."""
        if not self.rows:
            return "A1"
        return f"A1:{get_column_letter(max(self.max_col, 1))}{self.rows}"

    def close(self) -> None:
        """Delete the temp file."""
        self.file.close()


_LETTERS: list[str] = []


def _letter(index: int) -> str:
    while len(_LETTERS) <= index:
        _LETTERS.append(get_column_letter(len(_LETTERS) + 1))
    return _LETTERS[index]


def _cell(ref: str, style: int, value: Any) -> str:
    kind = type(value)
    if kind is float or kind is int:
        return f'<c r="{ref}" s="{style}"><v>{value!r}</v></c>'
    if kind is str:
        space = ' xml:space="preserve"' if value != value.strip() else ""
        return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>'
    if kind is bool:
        return f'<c r="{ref}" s="{style}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return f'<c r="{ref}" s="{style}"><v>{to_excel(value)!r}</v></c>'
    if isinstance(value, int | float):  # int/float subclasses, e.g. numpy scalars
        return _cell(ref, style, float(value) if isinstance(value, float) else int(value))
    raise TypeError(f"cannot write a {kind.__name__} value to an .xlsx cell")
