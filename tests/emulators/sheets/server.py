"""A loopback HTTP emulator of the Sheets v4 and Drive v3 endpoints sheets-sync uses.

Every request body is validated against JSON Schema converted from the discovery documents shipped
in google-api-python-client and answered 400 in Google's error shape when it does not conform.
batchUpdate is applied to a working copy and committed only when every request succeeds. The
emulator enforces the 10-million-cell and 50,000-character limits, checks bearer tokens, can deny
access to a file (403) and can fail the k-th request with 429 (with ``Retry-After``), 500 or a
dropped connection, either before the request is applied or after (the answer is lost).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.emulators.sheets.batch import apply_batch, apply_mask
from tests.emulators.sheets.model import (
    MAX_CELL_CHARS,
    ApiError,
    Book,
    Sheet,
    a1,
    bad,
    parse_range,
    quote_title,
)
from tests.emulators.sheets.render import book_json, parse_fields, select, values_range
from tests.emulators.sheets.schema import validation_error

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
FOLDER_MIME = "application/vnd.google-apps.folder"
MAX_REQUEST_BYTES = 10 * 1024 * 1024


@dataclass
class Fault:
    """Fail API request number ``at`` (1-based, counted since the emulator started)."""

    at: int
    kind: str  # "429", "500", "drop" (before applying) or "drop_after" (applied, no answer)
    retry_after: float | None = None


@dataclass
class LoggedRequest:
    """One API request as the emulator saw it."""

    index: int
    method: str
    path: str
    query: dict[str, list[str]]
    body_bytes: int
    status: int = 0
    body: Any = None
    error: str | None = None


@dataclass
class Folder:
    """A Drive folder (only its id and name matter here)."""

    id: str
    name: str
    parents: list[str] = field(default_factory=list)


class _Dropped(Exception):
    """Close the connection without answering."""


class SheetsEmulator:
    """Sheets and Drive in memory behind a real HTTP server on 127.0.0.1."""

    def __init__(self, tokens: set[str] | None = None, keep_bodies: bool = True) -> None:
        self.books: dict[str, Book] = {}
        self.folders: dict[str, Folder] = {}
        self.forbidden: set[str] = set()
        self.tokens = tokens
        self.keep_bodies = keep_bodies
        self.faults: list[Fault] = []
        self.log: list[LoggedRequest] = []
        self.request_count = 0
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> SheetsEmulator:
        """Start serving on a free loopback port."""
        emulator = self

        class Handler(_Handler):
            owner = emulator

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        assert self._server is not None, "emulator not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def sheets_endpoint(self) -> str:
        return self.url

    @property
    def drive_endpoint(self) -> str:
        return self.url + "/drive/v3/"

    @property
    def token_uri(self) -> str:
        return self.url + "/token"

    # -- test controls ---------------------------------------------------------------------
    def fail_next(self, k: int, kind: str, retry_after: float | None = None) -> None:
        """Fail the ``k``-th API request from now (1 = the next one)."""
        with self._lock:
            self.faults.append(Fault(self.request_count + k, kind, retry_after))

    def fail_from(self, k: int, kind: str, count: int = 100) -> None:
        """Fail ``count`` consecutive requests starting with the ``k``-th from now."""
        for offset in range(count):
            self.fail_next(k + offset, kind)

    def clear_faults(self) -> None:
        """Remove pending faults."""
        with self._lock:
            self.faults.clear()

    def add_folder(self, name: str) -> str:
        """Create a Drive folder; return its id."""
        folder = Folder(_new_file_id(), name)
        self.folders[folder.id] = folder
        return folder.id

    def book(self, spreadsheet_id: str) -> Book:
        """The stored spreadsheet (read it, don't mutate it, from tests)."""
        return self.books[spreadsheet_id]

    def grid(self, spreadsheet_id: str, title: str) -> list[list[Any]]:
        """A sheet's user-entered values as a trimmed 2-D list (for assertions)."""
        book = self.books[spreadsheet_id]
        sheet = book.sheet_by_title(title)
        if sheet is None:
            raise KeyError(title)
        return values_range(book, sheet, 0, sheet.rows, 0, sheet.cols, "FORMULA").get("values", [])

    def api_requests(self) -> list[LoggedRequest]:
        """Logged requests excluding token refreshes."""
        return [r for r in self.log if r.path != "/token"]

    # -- dispatch --------------------------------------------------------------------------
    def handle(
        self, method: str, raw_path: str, headers: Any, body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        split = urlsplit(raw_path)
        path, query = split.path, parse_qs(split.query)
        if path == "/token":
            token = secrets.token_hex(8)
            if self.tokens is not None:
                self.tokens.add(token)
            return 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}, {}
        with self._lock:
            self.request_count += 1
            entry = LoggedRequest(self.request_count, method, path, query, len(body))
            self.log.append(entry)
            fault = next((f for f in self.faults if f.at == self.request_count), None)
        if fault is not None and fault.kind != "drop_after":
            entry.status = -1 if fault.kind == "drop" else int(fault.kind)
            if fault.kind == "drop":
                raise _Dropped()
            extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            err = ApiError(
                int(fault.kind),
                "Quota exceeded" if fault.kind == "429" else "Internal error encountered.",
            )
            return err.code, err.body(), extra
        try:
            payload = self._decode(body)
            if self.keep_bodies:
                entry.body = payload
            self._authorize(headers)
            status, reply = self._route(method, path, query, payload)
        except ApiError as err:
            entry.status, entry.error = err.code, err.message
            return err.code, err.body(), {}
        entry.status = status
        if fault is not None:  # drop_after: the change is committed but the answer is lost
            raise _Dropped()
        return status, reply, {}

    def _decode(self, body: bytes) -> Any:
        if len(body) > MAX_REQUEST_BYTES:
            raise bad(f"Request payload size exceeds the limit: {MAX_REQUEST_BYTES} bytes.")
        if not body:
            return None
        try:
            return _strip_nulls(json.loads(body))
        except ValueError as err:
            raise bad(f"Invalid JSON payload received. {err}") from err

    def _authorize(self, headers: Any) -> None:
        auth = headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        if not token or (self.tokens is not None and token not in self.tokens):
            raise ApiError(
                401,
                "Request is missing required authentication credential. Expected OAuth 2 "
                "access token, login cookie or other valid authentication credential.",
            )

    def _validate(self, api: str, schema: str, payload: Any) -> None:
        message = validation_error(api, schema, payload if payload is not None else {})
        if message:
            raise bad(message)

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], payload: Any
    ) -> tuple[int, Any]:
        if path == "/v4/spreadsheets" and method == "POST":
            self._validate("sheets.v4", "Spreadsheet", payload)
            return 200, self._create(payload or {})
        match = re.match(r"^/v4/spreadsheets/([^/:]+)(.*)$", path)
        if match:
            return self._sheets(method, match.group(1), match.group(2), query, payload)
        match = re.match(r"^/drive/v3/files(?:/([^/]+))?(/copy)?$", path)
        if match:
            return self._drive(method, match.group(1), bool(match.group(2)), query, payload)
        raise ApiError(404, f"The requested URL {path} was not found on this server.")

    def _open(self, spreadsheet_id: str) -> Book:
        if spreadsheet_id in self.forbidden:
            raise ApiError(403, "The caller does not have permission")
        book = self.books.get(spreadsheet_id)
        if book is None:
            raise ApiError(404, "Requested entity was not found.")
        return book

    def _create(self, body: dict[str, Any], name: str | None = None) -> dict[str, Any]:
        props = {
            "title": "Untitled spreadsheet",
            "locale": "en_US",
            "autoRecalc": "ON_CHANGE",
            "timeZone": "Etc/GMT",
            **body.get("properties", {}),
        }
        if name:
            props["title"] = name
        book = Book(_new_file_id(), props)
        sheets = body.get("sheets") or [{"properties": {"title": "Sheet1", "sheetId": 0}}]
        from tests.emulators.sheets.batch import add_sheet

        for sheet in sheets:
            add_sheet(book, {"properties": sheet.get("properties", {})})
        book.check_limits()
        with self._lock:
            self.books[book.spreadsheet_id] = book
        return book_json(book)

    def _sheets(
        self, method: str, sid: str, rest: str, query: dict[str, list[str]], payload: Any
    ) -> tuple[int, Any]:
        book = self._open(sid)
        if rest == "" and method == "GET":
            grid = query.get("includeGridData", ["false"])[0].lower() == "true"
            reply = book_json(book, grid)
            if "fields" in query:
                reply = select(reply, parse_fields(query["fields"][0]))
            return 200, reply
        if rest == ":batchUpdate" and method == "POST":
            self._validate("sheets.v4", "BatchUpdateSpreadsheetRequest", payload)
            with self._lock:
                work = self.books[sid].clone()
                replies = apply_batch(work, payload.get("requests", []))
                self.books[sid] = work
            return 200, {"spreadsheetId": sid, "replies": replies}
        if rest == "/values:batchGet" and method == "GET":
            render = query.get("valueRenderOption", ["FORMATTED_VALUE"])[0]
            ranges = [self._values(book, r, render) for r in query.get("ranges", [])]
            return 200, {"spreadsheetId": sid, "valueRanges": ranges}
        if rest == "/values:batchClear" and method == "POST":
            self._validate("sheets.v4", "BatchClearValuesRequest", payload)
            cleared = self._write(sid, [(r, None) for r in payload.get("ranges", [])], "RAW")
            return 200, {"spreadsheetId": sid, "clearedRanges": cleared}
        if rest == "/values:batchUpdate" and method == "POST":
            self._validate("sheets.v4", "BatchUpdateValuesRequest", payload)
            option = payload.get("valueInputOption", "")
            data = [(v["range"], v.get("values", [])) for v in payload.get("data", [])]
            self._write(sid, data, option)
            return 200, {
                "spreadsheetId": sid,
                "totalUpdatedCells": sum(len(r) for _, v in data for r in v),
            }
        match = re.match(r"^/values/(.+?)(:clear)?$", rest)
        if match:
            a1_range = unquote(match.group(1))
            if match.group(2) and method == "POST":
                self._validate("sheets.v4", "ClearValuesRequest", payload)
                cleared = self._write(sid, [(a1_range, None)], "RAW")
                return 200, {"spreadsheetId": sid, "clearedRange": cleared[0]}
            if method == "GET":
                render = query.get("valueRenderOption", ["FORMATTED_VALUE"])[0]
                return 200, self._values(book, a1_range, render)
            if method == "PUT":
                self._validate("sheets.v4", "ValueRange", payload)
                option = query.get("valueInputOption", [""])[0]
                values = payload.get("values", [])
                updated = self._write(sid, [(a1_range, values)], option)[0]
                return 200, {
                    "spreadsheetId": sid,
                    "updatedRange": updated,
                    "updatedRows": len(values),
                    "updatedColumns": max((len(r) for r in values), default=0),
                    "updatedCells": sum(len(r) for r in values),
                }
        raise ApiError(404, f"The requested URL {rest} was not found on this server.")

    def _values(self, book: Book, a1_range: str, render: str) -> dict[str, Any]:
        sheet, r0, r1, c0, c1 = parse_range(book, a1_range)
        return values_range(book, sheet, r0, r1, c0, c1, render)

    def _write(self, sid: str, data: list[tuple[str, Any]], option: str) -> list[str]:
        """values.update / clear over ``(range, values or None)`` pairs, atomically."""
        if any(values is not None for _, values in data) and option not in ("RAW", "USER_ENTERED"):
            raise bad("Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
        with self._lock:
            work = self.books[sid].clone()
            done = []
            for a1_range, values in data:
                sheet, r0, r1, c0, c1 = parse_range(work, a1_range)
                if values is None:
                    for key in [k for k in sheet.cells if r0 <= k[0] < r1 and c0 <= k[1] < c1]:
                        _set_value(sheet, key, None)
                    done.append(f"{quote_title(sheet.title)}!{a1(r0, c0)}:{a1(r1 - 1, c1 - 1)}")
                    continue
                width = max((len(r) for r in values), default=0)
                sheet.check_range(r0, r0 + len(values), c0, c0 + width)
                for dr, row in enumerate(values):
                    for dc, raw in enumerate(row):
                        _set_value(sheet, (r0 + dr, c0 + dc), _input_value(raw, option))
                last = a1(r0 + max(len(values), 1) - 1, c0 + max(width, 1) - 1)
                done.append(f"{quote_title(sheet.title)}!{a1(r0, c0)}:{last}")
            self.books[sid] = work
        return done

    def _drive(
        self,
        method: str,
        file_id: str | None,
        copy_: bool,
        query: dict[str, list[str]],
        payload: Any,
    ) -> tuple[int, Any]:
        fields = query.get("fields", [None])[0]
        if file_id is None and method == "POST":
            self._validate("drive.v3", "File", payload)
            body = payload or {}
            if body.get("mimeType") == FOLDER_MIME:
                folder_id = self.add_folder(body.get("name", "Untitled folder"))
                return 200, self._file_json(folder_id, fields)
            if body.get("mimeType") != SPREADSHEET_MIME:
                raise bad("The emulator only creates spreadsheets and folders")
            created = self._create({}, body.get("name"))
            self.books[created["spreadsheetId"]].parents = list(body.get("parents", []))
            self._check_parents(body.get("parents", []))
            return 200, self._file_json(created["spreadsheetId"], fields)
        if file_id is None:
            raise ApiError(404, "files.list is not emulated")
        if file_id in self.folders:
            if method == "GET":
                return 200, self._file_json(file_id, fields)
            raise bad("Only reading folders is emulated")
        book = self._open(file_id)
        if copy_ and method == "POST":
            self._validate("drive.v3", "File", payload)
            body = payload or {}
            clone = book.clone(_new_file_id())
            clone.properties["title"] = body.get("name", f"Copy of {book.properties['title']}")
            clone.parents = list(body.get("parents", book.parents))
            self._check_parents(clone.parents)
            self.books[clone.spreadsheet_id] = clone
            return 200, self._file_json(clone.spreadsheet_id, fields)
        if method == "GET":
            return 200, self._file_json(file_id, fields)
        if method == "PATCH":
            self._validate("drive.v3", "File", payload)
            add = [p for p in query.get("addParents", [""])[0].split(",") if p]
            remove = [p for p in query.get("removeParents", [""])[0].split(",") if p]
            self._check_parents(add)
            book.parents = [p for p in book.parents if p not in remove] + add
            if payload and "name" in payload:
                book.properties["title"] = payload["name"]
            return 200, self._file_json(file_id, fields)
        if method == "DELETE":
            del self.books[file_id]
            return 204, None
        raise ApiError(404, "Method not emulated")

    def _check_parents(self, parents: list[str]) -> None:
        for parent in parents:
            if parent not in self.folders:
                raise ApiError(404, f"File not found: {parent}.")

    def _file_json(self, file_id: str, fields: str | None) -> dict[str, Any]:
        if file_id in self.folders:
            folder = self.folders[file_id]
            out = {
                "kind": "drive#file",
                "id": folder.id,
                "name": folder.name,
                "mimeType": FOLDER_MIME,
                "parents": folder.parents,
            }
        else:
            book = self.books[file_id]
            out = {
                "kind": "drive#file",
                "id": file_id,
                "name": book.properties["title"],
                "mimeType": SPREADSHEET_MIME,
                "parents": list(book.parents),
            }
        if fields:
            out = select(out, parse_fields(fields))
        elif not out["parents"]:
            del out["parents"]
        return out


def _strip_nulls(value: Any) -> Any:
    """Drop ``null`` members: Google's JSON mapping reads them as unset fields."""
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _input_value(raw: Any, option: str) -> dict[str, Any] | None:
    """A values-API cell as a userEnteredValue, parsed like Sheets for USER_ENTERED."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        return {"boolValue": raw}
    if isinstance(raw, (int, float)):
        return {"numberValue": raw}
    text = str(raw)
    if option == "USER_ENTERED":
        if text.startswith("="):
            return {"formulaValue": text}
        if text.startswith("'"):
            return {"stringValue": text[1:]}
        if text.upper() in ("TRUE", "FALSE"):
            return {"boolValue": text.upper() == "TRUE"}
        try:
            return {"numberValue": float(text.replace(",", ""))}
        except ValueError:
            pass
    if len(text) > MAX_CELL_CHARS:
        raise bad(
            f"Your input contains more than the maximum of {MAX_CELL_CHARS} characters in a "
            "single cell."
        )
    return {"stringValue": text}


def _set_value(sheet: Sheet, key: tuple[int, int], value: dict[str, Any] | None) -> None:
    cell = dict(sheet.cells.get(key, {}))
    apply_mask(cell, {"userEnteredValue": value} if value else {}, "userEnteredValue")
    if cell:
        sheet.cells[key] = cell
    else:
        sheet.cells.pop(key, None)


def _new_file_id() -> str:
    return secrets.token_urlsafe(33)[:44]


class _Handler(BaseHTTPRequestHandler):
    owner: SheetsEmulator
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            status, reply, extra = self.owner.handle(self.command, self.path, self.headers, body)
        except _Dropped:
            self.close_connection = True
            return
        data = b"" if reply is None else json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve
