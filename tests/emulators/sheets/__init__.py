"""Emulator of the Google Sheets v4 and Drive v3 APIs (see :mod:`.server`)."""

from tests.emulators.sheets.server import Fault, LoggedRequest, SheetsEmulator

__all__ = ["Fault", "LoggedRequest", "SheetsEmulator"]
