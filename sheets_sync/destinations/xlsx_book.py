"""The workbook around the managed tabs: the user's own sheets, the record of which sheets
sheets-sync manages, and saving a workbook that mixes both kinds of sheet.

Which sheets are managed is recorded in the workbook's custom document properties
(``sheets_sync.managed_tab.<n>`` = sheet name), invisible to users but kept by Excel. On the next
write only the user's sheets are parsed from the old file; the managed ones are skipped unread,
which keeps re-writing a workbook with a large raw-data tab cheap.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED, BadZipFile, ZipFile

from openpyxl import Workbook as OpenpyxlWorkbook
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.packaging.custom import StringProperty
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.writer.excel import ExcelWriter

from sheets_sync.destinations.xlsx_rows import RowFile
from sheets_sync.errors import DestinationError

MANAGED_PREFIX = "sheets_sync.managed_tab."


def managed_names(wb: OpenpyxlWorkbook) -> list[str]:
    """The sheet names an earlier write recorded as managed, in their recorded order."""
    props = [p for p in wb.custom_doc_props.props if p.name.startswith(MANAGED_PREFIX)]
    props.sort(key=lambda p: int(p.name[len(MANAGED_PREFIX) :] or 0))
    return [str(p.value) for p in props]


def record_managed(wb: OpenpyxlWorkbook, names: Sequence[str]) -> None:
    """Replace the managed-sheet record with ``names`` (other custom properties are kept)."""
    for name in list(wb.custom_doc_props.names):
        if name.startswith(MANAGED_PREFIX):
            del wb.custom_doc_props[name]
    for index, name in enumerate(names):
        wb.custom_doc_props.append(StringProperty(name=f"{MANAGED_PREFIX}{index}", value=name))


class StreamSheet(WriteOnlyWorksheet):
    """A streaming sheet whose rows are lists of prepared cells (``None`` for an empty cell).

    openpyxl's own write-only sheet converts each appended value, and takes a raised-and-caught
    exception per ready-made cell; skipping that conversion is most of the speed on large tabs.
    """

    rows_file: RowFile | None = None
    """Pre-serialised rows spliced into ``<sheetData>`` on save (used by raw-data tabs)."""

    def _values_to_row(self, values: Any, row_idx: int) -> Iterator[Any]:
        for col_idx, cell in enumerate(values, 1):
            if cell is None:
                continue
            cell.row = row_idx
            cell.column = col_idx
            yield cell


class _UserSheetsReader(ExcelReader):
    """Reads a workbook but leaves the managed sheets unparsed (empty placeholders).

    Placeholders keep every sheet at its index, so sheet-scoped defined names and print titles
    of the user's sheets still bind to the right sheet.
    """

    placeholders: list[Any]

    def read_worksheets(self) -> None:
        managed = set(managed_names(self.wb))
        self.placeholders = []
        find_all = self.parser.find_sheets

        def user_sheets_only() -> Iterator[Any]:
            for sheet, rel in find_all():
                if sheet.name in managed:
                    self.placeholders.append(self.wb.create_sheet(sheet.name))
                    continue
                yield sheet, rel

        self.parser.find_sheets = user_sheets_only
        super().read_worksheets()


def load_existing(path: Path) -> tuple[OpenpyxlWorkbook, int | None]:
    """Load ``path`` with only the user's sheets; return it and the index the managed tabs had.

    The index is ``None`` when the file holds no managed sheet yet (a workbook the user made).
    """
    try:
        # A file object, not a name: openpyxl would otherwise refuse names not ending in .xlsx.
        with open(path, "rb") as handle:
            reader = _UserSheetsReader(handle, read_only=False, keep_vba=False, data_only=False)
            reader.read()
    except (BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as err:
        raise DestinationError(
            f"{path} exists but is not a readable .xlsx workbook ({type(err).__name__}); "
            "move it away or choose another output path"
        ) from err
    wb = reader.wb
    first = None
    if reader.placeholders:
        first = min(wb._sheets.index(ws) for ws in reader.placeholders)
    for ws in reader.placeholders:
        wb.remove(ws)
    return wb, first


def new_book() -> OpenpyxlWorkbook:
    """An empty workbook (no default sheet) to receive the managed tabs."""
    wb = OpenpyxlWorkbook()
    wb.remove(wb.active)
    return wb


def add_managed_sheets(
    wb: OpenpyxlWorkbook, names: Sequence[str], at: int | None, path: Path
) -> list[WriteOnlyWorksheet]:
    """Create one streaming sheet per managed tab, in order, starting at index ``at``.

    A sheet the user made that has a managed tab's name is never overwritten: that is an error.
    """
    taken = {ws.title.casefold(): ws.title for ws in wb._sheets}
    clashes = [taken[n.casefold()] for n in names if n.casefold() in taken]
    if clashes:
        raise DestinationError(
            f"{path} already has sheet(s) {clashes} that sheets-sync did not create; rename them "
            "or write the report to another file"
        )
    index = 0 if at is None else min(at, len(wb._sheets))
    sheets = []
    for offset, name in enumerate(names):
        ws = StreamSheet(parent=wb, title=name)
        wb._add_sheet(ws, index + offset)
        sheets.append(ws)
    for ws in wb.worksheets:  # chartsheets have no tab selection to clear
        ws.sheet_view.tabSelected = False
    if sheets:
        wb.active = wb._sheets.index(sheets[0])
        sheets[0].sheet_view.tabSelected = True
    return sheets


def release_streams(sheets: Sequence[WriteOnlyWorksheet]) -> None:
    """Close and delete the temp files of streaming sheets (safe to call after a save or a
    failure, and more than once)."""
    for ws in sheets:
        if isinstance(ws, StreamSheet) and ws.rows_file is not None:
            ws.rows_file.close()
        writer = ws._writer
        if writer is None:
            continue
        with contextlib.suppress(Exception):  # already failing: the first error is what matters
            writer.close()
        if Path(writer.out).exists():
            writer.cleanup()


class _MixedWriter(ExcelWriter):
    """Saves a workbook holding both ordinary (user) sheets and streamed (managed) sheets.

    openpyxl picks one way to save all sheets from the workbook's write-only flag; here each sheet
    is saved the way it was built.
    """

    def write_worksheet(self, ws: Any) -> None:
        if not isinstance(ws, WriteOnlyWorksheet):
            super().write_worksheet(ws)
            return
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        if not ws.closed:
            ws.close()
        writer = ws._writer
        ws._rels = writer._rels
        if isinstance(ws, StreamSheet) and ws.rows_file is not None:
            _splice_rows(self._archive, ws.path[1:], Path(writer.out), ws.rows_file)
        else:
            self._archive.write(writer.out, ws.path[1:])
        self.manifest.append(ws)
        writer.cleanup()


_EMPTY_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData>\s*</sheetData>")
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"\s*/>')
_COPY_CHUNK = 1 << 20


def _with_dimension(head: bytes, ref: str) -> bytes:
    """Set the sheet's used range, so readers can size it without scanning every row."""
    element = f'<dimension ref="{ref}"/>'.encode()
    if _DIMENSION.search(head):
        return _DIMENSION.sub(element, head)
    views = head.find(b"<sheetViews")  # the schema puts <dimension> right before the views
    return head if views < 0 else head[:views] + element + head[views:]


def _splice_rows(archive: ZipFile, name: str, sheet_xml: Path, rows: RowFile) -> None:
    """Store ``sheet_xml`` with its empty ``<sheetData>`` filled from ``rows``."""
    xml = sheet_xml.read_bytes()  # small: openpyxl wrote everything but the rows
    match = _EMPTY_SHEET_DATA.search(xml)
    if match is None:
        raise DestinationError(f"internal: no empty sheetData in {name}; please report this bug")
    head = _with_dimension(xml[: match.start()], rows.dimension)
    rows.flush()
    rows.file.seek(0)
    with archive.open(name, "w", force_zip64=True) as out:
        out.write(head + b"<sheetData>")
        while chunk := rows.file.read(_COPY_CHUNK):
            out.write(chunk)
        out.write(b"</sheetData>" + xml[match.end() :])


def save_book(wb: OpenpyxlWorkbook, target: Path) -> None:
    """Write ``wb`` as an .xlsx package to ``target`` (a temp file the caller renames)."""
    with ZipFile(target, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        _MixedWriter(wb, archive).save()
