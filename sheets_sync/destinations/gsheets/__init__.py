"""Google Sheets destination: atomic, quota-aware refreshes of managed report tabs.

Public entry points: :class:`GoogleSheetsDestination`, :class:`GoogleSheetsSettings`,
:func:`load_credentials` and :class:`QuotaLimiters`. See docs/google-sheets.md.
"""

from __future__ import annotations

from sheets_sync.destinations.gsheets.credentials import load_credentials
from sheets_sync.destinations.gsheets.destination import CreatedReport, GoogleSheetsDestination
from sheets_sync.destinations.gsheets.quota import QuotaLimiters, RateLimiter
from sheets_sync.destinations.gsheets.retry import RetryPolicy
from sheets_sync.destinations.gsheets.settings import GoogleSheetsSettings
from sheets_sync.destinations.gsheets.transport import RequestStats

__all__ = [
    "CreatedReport",
    "GoogleSheetsDestination",
    "GoogleSheetsSettings",
    "QuotaLimiters",
    "RateLimiter",
    "RequestStats",
    "RetryPolicy",
    "load_credentials",
]
