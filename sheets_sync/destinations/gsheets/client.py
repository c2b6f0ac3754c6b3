"""Endpoint wrappers for the few Sheets and Drive calls the destination makes.

Sheets calls go through gspread's ``HTTPClient`` and Drive calls through google-api-python-client,
both over one :class:`~.transport.ApiSession`, so every request is routed, rate-limited, counted
and retried the same way. Failures become :class:`DestinationError` (see :mod:`.errors`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import google.auth.credentials
import gspread
import requests
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from gspread.exceptions import APIError
from gspread.urls import SPREADSHEETS_API_V4_BASE_URL

from sheets_sync.destinations.gsheets.errors import translate
from sheets_sync.destinations.gsheets.quota import QuotaLimiters
from sheets_sync.destinations.gsheets.retry import RetryPolicy
from sheets_sync.destinations.gsheets.settings import GoogleSheetsSettings
from sheets_sync.destinations.gsheets.transport import ApiSession, RequestStats, SessionHttp
from sheets_sync.errors import DestinationError

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"


class SheetsApi:
    """Sheets v4 and Drive v3 calls for one unit of work, sharing one request counter."""

    def __init__(
        self,
        credentials: google.auth.credentials.Credentials,
        settings: GoogleSheetsSettings,
        limiters: QuotaLimiters,
        stats: RequestStats | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.stats = stats or RequestStats()
        self.session = ApiSession(credentials, settings, limiters, self.stats, policy, sleep)
        self.http = gspread.Client(None, session=self.session).http_client  # type: ignore[arg-type]
        self._drive: Any = None

    @contextmanager
    def _call(self, file_id: str) -> Iterator[None]:
        try:
            yield
        except (APIError, HttpError, requests.ConnectionError, requests.Timeout) as err:
            if self.session.resent_after_transport_error and isinstance(err, APIError):
                raise DestinationError(
                    f"Google Sheets did not answer a write to spreadsheet {file_id} in time and "
                    "rejected the resent copy, so the first one was probably applied; refresh "
                    "again to make sure the report is complete"
                ) from err
            raise translate(err, file_id, self.session.policy.max_attempts) from err

    def drive(self) -> Any:
        """The Drive v3 service, built from the discovery document shipped with the client."""
        if self._drive is None:
            self._drive = build(
                "drive",
                "v3",
                http=SessionHttp(self.session),
                client_options={"api_endpoint": self.settings.drive_base},
                static_discovery=True,
                cache_discovery=False,
            )
        return self._drive

    def get(self, spreadsheet_id: str, fields: str) -> dict[str, Any]:
        """``spreadsheets.get`` limited to ``fields`` (no grid data)."""
        with self._call(spreadsheet_id):
            reply: dict[str, Any] = self.http.spreadsheets_get(
                spreadsheet_id, params={"fields": fields, "includeGridData": "false"}
            )
        return reply

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """``spreadsheets.create``; returns the new spreadsheet."""
        with self._call("(new)"):
            reply: dict[str, Any] = self.http.request(
                "post", SPREADSHEETS_API_V4_BASE_URL, json=body
            ).json()
        return reply

    def batch_update(self, spreadsheet_id: str, requests_: list[dict[str, Any]]) -> dict[str, Any]:
        """One atomic ``spreadsheets.batchUpdate``."""
        with self._call(spreadsheet_id):
            reply: dict[str, Any] = self.http.batch_update(spreadsheet_id, {"requests": requests_})
        return reply

    def values_batch_update_raw(
        self, spreadsheet_id: str, data: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """``values.batchUpdate`` with RAW input: strings are stored as-is, never parsed."""
        with self._call(spreadsheet_id):
            reply: dict[str, Any] = self.http.values_batch_update(
                spreadsheet_id, {"valueInputOption": "RAW", "data": data}
            )
        return reply

    def values_get(self, spreadsheet_id: str, a1_range: str) -> dict[str, Any]:
        """``spreadsheets.values.get`` with unformatted values and dates as serial numbers."""
        with self._call(spreadsheet_id):
            reply: dict[str, Any] = self.http.values_get(
                spreadsheet_id,
                a1_range,
                params={
                    "valueRenderOption": "UNFORMATTED_VALUE",
                    "dateTimeRenderOption": "SERIAL_NUMBER",
                    "majorDimension": "ROWS",
                },
            )
        return reply

    def create_file(self, name: str, folder_id: str | None) -> dict[str, Any]:
        """Drive ``files.create`` of an empty spreadsheet, directly inside ``folder_id``."""
        body: dict[str, Any] = {"name": name, "mimeType": SPREADSHEET_MIME}
        if folder_id:
            body["parents"] = [folder_id]
        with self._call(folder_id or "(new)"):
            reply: dict[str, Any] = (
                self.drive()
                .files()
                .create(body=body, fields="id,name,parents", supportsAllDrives=True)
                .execute()
            )
        return reply

    def copy_file(self, master_id: str, name: str, folder_id: str | None) -> dict[str, Any]:
        """Drive ``files.copy`` of a master spreadsheet, placed in ``folder_id`` when given."""
        body: dict[str, Any] = {"name": name}
        if folder_id:
            body["parents"] = [folder_id]
        with self._call(master_id):
            reply: dict[str, Any] = (
                self.drive()
                .files()
                .copy(fileId=master_id, body=body, fields="id,name,parents", supportsAllDrives=True)
                .execute()
            )
        return reply

    def move_file(self, file_id: str, folder_id: str) -> dict[str, Any]:
        """Move ``file_id`` into ``folder_id`` (Drive ``files.update`` with add/removeParents)."""
        files = self.drive().files()
        with self._call(file_id):
            current = files.get(fileId=file_id, fields="parents", supportsAllDrives=True).execute()
            reply: dict[str, Any] = files.update(
                fileId=file_id,
                addParents=folder_id,
                removeParents=",".join(current.get("parents", [])),
                fields="id,parents",
                supportsAllDrives=True,
                body={},
            ).execute()
        return reply
