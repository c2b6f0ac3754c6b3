"""Turn Sheets and Drive failures into :class:`DestinationError` messages a user can act on."""

from __future__ import annotations

import json
from typing import Any

import requests
from googleapiclient.errors import HttpError
from gspread.exceptions import APIError

from sheets_sync.errors import DestinationError


def _status_and_message(err: BaseException) -> tuple[int | None, str]:
    if isinstance(err, APIError):
        return err.response.status_code, _google_message(err.response.content)
    if isinstance(err, HttpError):
        return int(err.resp.status), _google_message(err.content)
    return None, ""


def _google_message(content: Any) -> str:
    try:
        body = json.loads(content)
        return str(body["error"]["message"]).splitlines()[0][:300]
    except (ValueError, KeyError, TypeError):
        return ""


def translate(err: BaseException, file_id: str, attempts: int = 1) -> DestinationError:
    """A one-line :class:`DestinationError` for a failed call about ``file_id``."""
    if isinstance(err, (requests.ConnectionError, requests.Timeout)):
        return DestinationError(
            f"could not reach Google Sheets for spreadsheet {file_id} after {attempts} "
            "attempt(s) (network error); the previous report is intact, refresh again later"
        )
    status, message = _status_and_message(err)
    detail = f": {message}" if message else ""
    if status == 403:
        return DestinationError(
            f"no access to spreadsheet {file_id}; ask its owner to share it with the connected "
            "Google account (as Editor for reports), or reconnect Google with Sheets access"
        )
    if status == 404:
        return DestinationError(
            f"spreadsheet {file_id} was not found (deleted, in the trash or a wrong id); "
            "restore it or create a new report from the template"
        )
    if status == 401:
        return DestinationError(
            "Google refused the credentials (expired or revoked); reconnect the Google account"
        )
    if status == 429:
        return DestinationError(
            f"Google Sheets quota exhausted for spreadsheet {file_id} after {attempts} "
            "attempt(s); the previous report is intact, refresh again in a few minutes"
        )
    if status is not None and status >= 500:
        return DestinationError(
            f"Google Sheets failed (HTTP {status}) for spreadsheet {file_id} after {attempts} "
            "attempt(s); the previous report is intact, refresh again later"
        )
    return DestinationError(
        f"Google Sheets rejected the update of spreadsheet {file_id} (HTTP {status}){detail}"
    )
