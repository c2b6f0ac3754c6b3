"""Fixtures: a Sheets/Drive emulator on loopback and destinations pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from google.oauth2.credentials import Credentials

from sheets_sync.destinations.gsheets import (
    GoogleSheetsDestination,
    GoogleSheetsSettings,
    QuotaLimiters,
    RetryPolicy,
)
from tests.emulators.sheets import SheetsEmulator


@pytest.fixture
def emulator() -> Iterator[SheetsEmulator]:
    """A running emulator, stopped after the test."""
    emu = SheetsEmulator().start()
    yield emu
    emu.stop()


@pytest.fixture
def credentials(emulator: SheetsEmulator) -> Credentials:
    """User OAuth credentials whose token endpoint is the emulator's."""
    return Credentials(token="test-access-token", token_uri=emulator.token_uri)


@pytest.fixture
def sleeps() -> list[float]:
    """Every backoff sleep the destination asked for (nothing actually sleeps)."""
    return []


@pytest.fixture
def make_destination(
    emulator: SheetsEmulator, credentials: Credentials, sleeps: list[float]
) -> Callable[..., GoogleSheetsDestination]:
    """Build a destination against the emulator; keyword arguments override settings."""

    def make(
        spreadsheet_id: str | None = None,
        attempts: int = 1,
        destination_kwargs: dict[str, Any] | None = None,
        **settings: Any,
    ) -> GoogleSheetsDestination:
        config = GoogleSheetsSettings(
            sheets_endpoint=emulator.sheets_endpoint,
            drive_endpoint=emulator.drive_endpoint,
            **settings,
        )
        return GoogleSheetsDestination(
            spreadsheet_id,
            credentials=credentials,
            settings=config,
            # Real quotas would make the fault loops wait minutes; the limiter has its own tests.
            limiters=QuotaLimiters(user_limit=100_000, project_limit=100_000),
            retry_policy=RetryPolicy(max_attempts=attempts, base_seconds=0.5),
            sleep=sleeps.append,
            **(destination_kwargs or {}),
        )

    return make
