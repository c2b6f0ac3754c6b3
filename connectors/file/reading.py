"""Reading CSV and XLSX exports into raw frames of untyped cells, with file row numbers.

Encodings are detected (BOM, then UTF-8, then cp1252, then latin-1) and delimiters sniffed unless
the mapping sets them. Rows are kept as text (CSV) or native cell values (XLSX) so that typing is
done once, by :mod:`connectors.file.values`, with every unreadable row reported. Row numbers are
those a user sees in a spreadsheet: the header is row 1 (or ``header_row``), the first data row
the next one.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from connectors.file.mapping import FileSpec
from sheets_sync.errors import SourceError
from sheets_sync.issues import DataIssue, Severity

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DELIMITERS = ",;\t|"


@dataclass
class RawFile:
    """One file read as untyped cells: ``frame`` has one column per header, ``rows`` the file
    row number of each frame row."""

    file_id: str
    label: str
    frame: pd.DataFrame
    rows: np.ndarray
    issues: list[DataIssue] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""

    def require(self, column: str, used_for: str) -> pd.Series:
        """Return source column ``column`` or raise a :class:`SourceError` listing the columns.

        Headers whose case differs from one export to the next (``Amount`` / ``amount``) still
        match when exactly one header equals ``column`` ignoring case.
        """
        if column in self.frame.columns:
            return self.frame[column]
        same = [c for c in self.frame.columns if str(c).casefold() == column.casefold()]
        if len(same) == 1:
            return self.frame[same[0]]
        names = [str(c) for c in self.frame.columns]
        close = difflib.get_close_matches(column, names, n=1, cutoff=0.7)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise SourceError(
            f"{self.label}: column {column!r} (needed for {used_for}) not found; "
            f"{hint}columns are: {', '.join(names)}"
        )


def detect_encoding(data: bytes) -> str:
    """Name the encoding of ``data``: a BOM wins, then strict UTF-8, then cp1252, then latin-1."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    for name in ("utf-8", "cp1252"):
        try:
            data.decode(name)
        except UnicodeDecodeError:
            continue
        return name
    return "latin-1"  # decodes any byte sequence


def sniff_delimiter(sample: str) -> str:
    """Guess the delimiter of CSV text among ``, ; tab |`` (comma when undecidable)."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {d: header.count(d) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_file(file_id: str, path: Path, options: FileSpec) -> RawFile:
    """Read a CSV or XLSX file as declared in the mapping; raise :class:`SourceError` if absent."""
    if not path.is_file():
        raise SourceError(
            f"file {path.name!r} not found in {path.parent} (declared as files.{file_id}); "
            "check the path or the source's data_dir option"
        )
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(file_id, path, options)
    if path.suffix.lower() in (".xls", ".ods", ".numbers"):
        raise SourceError(
            f"{path.name}: {path.suffix} workbooks are not read; save the sheet as .xlsx or CSV"
        )
    return _read_csv(file_id, path, options)


def _read_csv(file_id: str, path: Path, options: FileSpec) -> RawFile:
    data = path.read_bytes()
    encoding = detect_encoding(data) if options.encoding == "auto" else options.encoding
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as err:
        raise SourceError(
            f"{path.name}: cannot decode as {encoding!r}; set encoding: auto or the right one"
        ) from err
    text = text.lstrip("\ufeff")
    delimiter = options.delimiter or sniff_delimiter(text[:20000])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error as err:  # e.g. a NUL byte or an unterminated quote running past the limit
        raise SourceError(
            f"{path.name}: unreadable CSV near line {reader.line_num} ({err}); "
            "check the file's quoting and encoding"
        ) from err
    raw = _from_records(file_id, path.name, records, options.header_row)
    raw.encoding, raw.delimiter = encoding, delimiter
    return raw


def _read_xlsx(file_id: str, path: Path, options: FileSpec) -> RawFile:
    import openpyxl  # imported here: CSV-only deployments never pay for it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many types for a corrupt file
        raise SourceError(
            f"{path.name}: not a readable .xlsx workbook ({type(err).__name__})"
        ) from err
    try:
        if options.sheet is None:
            sheet = book.worksheets[0]
        elif options.sheet in book.sheetnames:
            sheet = book[options.sheet]
        else:
            raise SourceError(
                f"{path.name}: sheet {options.sheet!r} not found; "
                f"sheets are: {', '.join(book.sheetnames)}"
            )
        records = [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    label = f"{path.name}[{sheet.title}]"
    return _from_records(file_id, label, records, options.header_row)


def _from_records(file_id: str, label: str, records: list[list], header_row: int) -> RawFile:
    """Build a :class:`RawFile` from rows of cells; report ragged and blank rows."""
    if len(records) < header_row:
        raise SourceError(
            f"{label}: no header row (expected at row {header_row}); is the file empty?"
        )
    header = _header(records[header_row - 1])
    issues: list[DataIssue] = []
    width = len(header)
    kept: list[list] = []
    numbers: list[int] = []
    too_long: list[int] = []
    padded: list[int] = []
    blank: list[int] = []
    for offset, record in enumerate(records[header_row:]):
        number = header_row + 1 + offset
        if all(_empty(c) for c in record):
            blank.append(number)
            continue
        if len(record) > width:
            if not all(_empty(c) for c in record[width:]):
                too_long.append(number)
                continue
            record = record[:width]
        elif len(record) < width:
            padded.append(number)
            record = list(record) + [None] * (width - len(record))
        kept.append(list(record))
        numbers.append(number)
    if too_long:
        issues.append(
            _issue(
                Severity.WARNING,
                f"{label}: {len(too_long)} row(s) have more fields than the header ({width}) "
                "and were skipped; check quoting or the delimiter",
                too_long,
            )
        )
    if padded:
        issues.append(
            _issue(
                Severity.INFO,
                f"{label}: {len(padded)} row(s) have fewer fields than the header; "
                "missing trailing cells read as blank",
                padded,
            )
        )
    _drop_tail(blank, len(records))
    if blank:
        issues.append(_issue(Severity.INFO, f"{label}: {len(blank)} empty row(s) skipped", blank))
    frame = (
        pd.DataFrame(kept, columns=header, dtype=object)
        if kept
        else pd.DataFrame(columns=header, dtype=object)
    )
    return RawFile(file_id, label, frame, np.asarray(numbers, dtype=int), issues)


def _drop_tail(blank: list[int], total: int) -> None:
    """Remove from ``blank`` the empty rows that end the file (a harmless export tail)."""
    while blank and blank[-1] == total:
        blank.pop()
        total -= 1


def _header(cells: list) -> list[str]:
    """Clean header names; name blank ones ``column_N`` and suffix duplicates ``_2``, ``_3``."""
    names: list[str] = []
    for i, cell in enumerate(cells, start=1):
        name = (
            "" if cell is None else str(cell).replace("\ufeff", "").replace("\u00a0", " ").strip()
        )
        name = name or f"column_{i}"
        base, n = name, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names


def _empty(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _issue(severity: Severity, message: str, rows: list[int]) -> DataIssue:
    return DataIssue(severity, message, rows=tuple(rows[:50]), count=len(rows))
