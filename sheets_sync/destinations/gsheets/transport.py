"""The one HTTP entry point for Sheets and Drive calls: routing, quota, counting and retries.

:class:`ApiSession` is a ``google.auth`` :class:`AuthorizedSession` (so tokens are attached and
refreshed as usual) that additionally

- routes Google's production URLs to the configured endpoints (an emulator in tests),
- waits for a write slot on the per-user and project limiters before every write,
- counts requests and request bytes in a :class:`RequestStats` owned by the caller, and
- retries 429, 5xx and transport failures per :class:`~.retry.RetryPolicy`.

gspread takes the session directly; google-api-python-client gets it through
:class:`SessionHttp`, an httplib2-compatible adapter, so Drive calls share the same accounting.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import google.auth.credentials
import httplib2
import requests
from google.auth.transport.requests import AuthorizedSession

from sheets_sync.destinations.gsheets.quota import QuotaLimiters
from sheets_sync.destinations.gsheets.retry import (
    RetryPolicy,
    is_retriable_status,
    retry_after_seconds,
)
from sheets_sync.destinations.gsheets.settings import (
    DRIVE_ENDPOINT,
    SHEETS_ENDPOINT,
    GoogleSheetsSettings,
)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_GOOGLE_SHEETS = SHEETS_ENDPOINT
_GOOGLE_DRIVE = DRIVE_ENDPOINT.rstrip("/")


@dataclass
class RequestStats:
    """What a unit of work cost: requests sent (attempts, including retries) and bytes."""

    requests: int = 0
    writes: int = 0
    bytes_sent: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    by_kind: dict[str, int] = field(default_factory=dict)

    def record(self, method: str, url: str, size: int) -> None:
        """Count one attempt of ``method url`` carrying ``size`` body bytes."""
        self.requests += 1
        self.bytes_sent += size
        if method.upper() in WRITE_METHODS:
            self.writes += 1
        kind = f"{method.upper()} {_endpoint_kind(url)}"
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1


def _endpoint_kind(url: str) -> str:
    path = url.split("?", 1)[0]
    if "/drive/" in path:
        return "drive"
    for suffix in (":batchUpdate", ":batchGet", ":batchClear", ":clear", "/values/"):
        if suffix in path:
            return suffix.strip(":/")
    return "spreadsheets"


class ApiSession(AuthorizedSession):  # type: ignore[misc]
    """An authorized ``requests`` session with routing, quota, accounting and retries."""

    def __init__(
        self,
        credentials: google.auth.credentials.Credentials,
        settings: GoogleSheetsSettings,
        limiters: QuotaLimiters,
        stats: RequestStats,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(credentials)
        self.settings = settings
        self.limiters = limiters
        self.stats = stats
        self.policy = policy or RetryPolicy(
            settings.max_attempts, settings.backoff_base_seconds, settings.backoff_max_seconds
        )
        self._sleep = sleep
        self.resent_after_transport_error = False
        """True when the last call resent a write whose first attempt got no answer: Google
        may have applied that attempt, so a rejection of the resend is not a real failure."""

    def route(self, url: str) -> str:
        """Rewrite a production Google URL to the configured endpoint."""
        if url.startswith(_GOOGLE_SHEETS):
            return self.settings.sheets_endpoint.rstrip("/") + url[len(_GOOGLE_SHEETS) :]
        if url.startswith(_GOOGLE_DRIVE):
            return self.settings.drive_base.rstrip("/") + url[len(_GOOGLE_DRIVE) :]
        return url

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        data: Any = None,
        headers: Any = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one API call, retrying what can succeed; return the last response."""
        url = self.route(url)
        payload = kwargs.pop("json", None)
        headers = dict(headers or {})
        if payload is not None:
            # Encoded here (compact, UTF-8) so the bytes we count are the bytes we send.
            data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        if isinstance(data, str):
            data = data.encode()
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.settings.timeout_seconds
        size = len(data) if isinstance(data, bytes) else 0
        attempt = 0
        self.resent_after_transport_error = False
        while True:
            attempt += 1
            if method.upper() in WRITE_METHODS:
                self.stats.waited_seconds += self.limiters.acquire_write(self.settings.user_key)
            self.stats.record(method, url, size)
            try:
                response = super().request(method, url, data=data, headers=headers, **kwargs)
            except (requests.ConnectionError, requests.Timeout):
                if not self.policy.should_retry(attempt):
                    raise
                if method.upper() in WRITE_METHODS:
                    self.resent_after_transport_error = True
                self._wait(self.policy.delay(attempt))
                continue
            if is_retriable_status(response.status_code) and self.policy.should_retry(attempt):
                self._wait(self.policy.delay(attempt, retry_after_seconds(response.headers)))
                continue
            return response

    def _wait(self, seconds: float) -> None:
        self.stats.retries += 1
        self.stats.waited_seconds += seconds
        self._sleep(seconds)


class SessionHttp:
    """An httplib2-compatible object that sends google-api-python-client calls through a session."""

    def __init__(self, session: ApiSession) -> None:
        self.session = session

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: Any = None,
        headers: Any = None,
        redirections: int = 5,
        connection_type: Any = None,
    ) -> tuple[httplib2.Response, bytes]:
        """Send the call and answer in httplib2's ``(response, content)`` shape."""
        response = self.session.request(method, uri, data=body, headers=headers)
        info = {k.lower(): v for k, v in response.headers.items()}
        info["status"] = str(response.status_code)
        return httplib2.Response(info), response.content
