"""The local workbook destination: a rendered report written to an .xlsx file, all or nothing.

The report is written to a temp file in the target's folder and moved over the old workbook with
one ``os.replace``; until then the previous file is never opened for writing, so any failure
(a bad value, a full disk, an interrupted process) leaves it byte-for-byte as it was and removes
the temp file. Sheets the user added to the workbook are carried over; sheets-sync rewrites only
the sheets it recorded as its own (see :mod:`sheets_sync.destinations.xlsx_book`).
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from connectors.base import ProgressFn, no_progress
from sheets_sync.destinations.base import Destination, WriteResult
from sheets_sync.destinations.xlsx_book import (
    add_managed_sheets,
    load_existing,
    new_book,
    record_managed,
    release_streams,
    save_book,
)
from sheets_sync.destinations.xlsx_styles import StyleKit
from sheets_sync.destinations.xlsx_tabs import EXCEL_MAX_ROWS, RenderContext, tab_renderer
from sheets_sync.document import Workbook
from sheets_sync.errors import DestinationError
from sheets_sync.layout import layout_tab

EXCEL_MAX_SHEET_NAME = 31
_FORBIDDEN_IN_SHEET_NAMES = set("[]:*?/\\")


class XlsxDestination(Destination):
    """Writes reports to the .xlsx file at ``path`` (parent folders are created as needed)."""

    type: ClassVar[str] = "xlsx"

    def __init__(self, path: str | os.PathLike[str], *, row_limit: int = EXCEL_MAX_ROWS) -> None:
        """``row_limit`` is Excel's rows per sheet; only tests have a reason to lower it."""
        self.path = Path(path).expanduser()
        self.row_limit = row_limit

    def location(self) -> str:
        """The absolute path of the workbook."""
        return str(self.path.resolve())

    def write(self, workbook: Workbook, progress: ProgressFn = no_progress) -> WriteResult:
        """Write every tab of ``workbook``; on any failure the previous file is left untouched."""
        _check_tab_names(workbook)
        kit = StyleKit.from_theme(workbook.theme)
        _check_timezone(workbook.timezone)
        folder = self._prepare_folder()
        fd, temp_name = _temp_file(folder, self.path.name)
        os.close(fd)
        temp = Path(temp_name)
        streams: list[WriteOnlyWorksheet] = []
        try:
            book, managed_at = (
                load_existing(self.path) if self.path.exists() else (new_book(), None)
            )
            names = [tab.name for tab in workbook.tabs]
            streams = add_managed_sheets(book, names, managed_at, self.path)
            record_managed(book, names)
            book.properties.title = workbook.title
            ctx = RenderContext(
                kit=kit, timezone=workbook.timezone, progress=progress, max_rows=self.row_limit
            )
            cells = 0
            for done, (tab, ws) in enumerate(zip(workbook.tabs, streams)):
                progress("xlsx: tabs", done, len(workbook.tabs))
                cells += tab_renderer(tab)(ws, layout_tab(tab), ctx)
                ws.close()  # flush the streamed rows now, so memory stays flat across tabs
            progress("xlsx: saving", len(workbook.tabs), len(workbook.tabs))
            save_book(book, temp)
            _keep_permissions(temp, self.path)
            _fsync(temp)
            os.replace(temp, self.path)
        except BaseException as err:
            temp.unlink(missing_ok=True)
            if isinstance(err, OSError):
                raise DestinationError(
                    f"could not write {self.path}: {err.strerror or err}; the previous workbook "
                    "was left unchanged"
                ) from err
            raise
        finally:
            release_streams(streams)
        return WriteResult(
            location=self.location(),
            tabs_written=names,
            bytes_sent=self.path.stat().st_size,
            cells_written=cells,
            warnings=list(dict.fromkeys(ctx.warnings)),
        )

    def _prepare_folder(self) -> Path:
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise DestinationError(
                f"cannot create folder {folder} for {self.path.name}: {err.strerror or err}; "
                "choose a path in a writable folder"
            ) from err
        if self.path.is_dir():
            raise DestinationError(f"{self.path} is a folder; give a file path ending in .xlsx")
        return folder


def _temp_file(folder: Path, name: str) -> tuple[int, str]:
    """Create a new hidden temp file next to the target; the kernel applies the umask."""
    path = folder / f".{name}.{secrets.token_hex(6)}.tmp"
    try:
        return os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666), str(path)
    except OSError as err:
        raise DestinationError(
            f"cannot write in folder {folder}: {err.strerror or err}; choose a writable folder "
            "(the previous workbook was left unchanged)"
        ) from err


def _keep_permissions(temp: Path, target: Path) -> None:
    """An overwritten workbook keeps its mode; a new one keeps the umask default."""
    if target.exists():
        os.chmod(temp, stat.S_IMODE(target.stat().st_mode))


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _check_tab_names(workbook: Workbook) -> None:
    seen: set[str] = set()
    for tab in workbook.tabs:
        name = tab.name
        bad = sorted(_FORBIDDEN_IN_SHEET_NAMES & set(name))
        if not name or len(name) > EXCEL_MAX_SHEET_NAME or bad or name.startswith("'"):
            raise DestinationError(
                f"tab name {name!r} is not a valid Excel sheet name; use 1-31 characters "
                "without [ ] : * ? / \\ and no leading apostrophe"
            )
        if name.casefold() in seen:
            raise DestinationError(f"tab name {name!r} is used twice; tab names must be unique")
        seen.add(name.casefold())


def _check_timezone(timezone: str) -> None:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise DestinationError(
            f"workbook time zone {timezone!r} is unknown; use an IANA name like 'Europe/Paris'"
        ) from err
