"""Typed settings of the Google Sheets destination, checked when they are built.

Endpoints are configurable so the same code can talk to Google or to a local emulator; the
defaults are Google's production endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from sheets_sync.errors import ConfigError

SHEETS_ENDPOINT = "https://sheets.googleapis.com"
DRIVE_ENDPOINT = "https://www.googleapis.com/drive/v3/"

MAX_REQUEST_BYTES = 2_000_000
"""Google's practical ceiling for one request body (about 2 MB)."""
MAX_CELLS = 10_000_000
"""Cells per spreadsheet, counted over every sheet's grid (rows x columns)."""
MAX_CELL_CHARS = 50_000
"""Characters per cell."""
USER_WRITES_PER_MINUTE = 60
PROJECT_WRITES_PER_MINUTE = 300


@dataclass(frozen=True)
class GoogleSheetsSettings:
    """How the destination reaches Google and how far it may go.

    ``payload_limit`` is the body size one batchUpdate may carry; it stays below
    :data:`MAX_REQUEST_BYTES` to leave room for the JSON envelope and headers.
    ``user_key`` names whose per-user quota the requests count against (an e-mail or user id).
    """

    sheets_endpoint: str = SHEETS_ENDPOINT
    drive_endpoint: str = DRIVE_ENDPOINT
    timeout_seconds: float = 120.0
    payload_limit: int = 1_800_000
    max_cells: int = MAX_CELLS
    max_cell_chars: int = MAX_CELL_CHARS
    max_attempts: int = 5
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 32.0
    user_writes_per_minute: int = USER_WRITES_PER_MINUTE
    project_writes_per_minute: int = PROJECT_WRITES_PER_MINUTE
    user_key: str = "default"

    def __post_init__(self) -> None:
        for name in ("sheets_endpoint", "drive_endpoint"):
            url = urlparse(getattr(self, name))
            if url.scheme not in ("http", "https") or not url.netloc:
                raise ConfigError(
                    f"gsheets {name} {getattr(self, name)!r} is not an http(s) URL; "
                    f"use e.g. {SHEETS_ENDPOINT!r}"
                )
        if not 10_000 <= self.payload_limit <= MAX_REQUEST_BYTES:
            raise ConfigError(
                f"gsheets payload_limit {self.payload_limit} must be between 10000 and "
                f"{MAX_REQUEST_BYTES} bytes"
            )
        if self.max_attempts < 1:
            raise ConfigError("gsheets max_attempts must be at least 1")
        if self.timeout_seconds <= 0:
            raise ConfigError("gsheets timeout_seconds must be positive")

    @property
    def drive_base(self) -> str:
        """The Drive v3 base URL with a trailing slash, as google-api-python-client expects."""
        return (
            self.drive_endpoint if self.drive_endpoint.endswith("/") else self.drive_endpoint + "/"
        )
