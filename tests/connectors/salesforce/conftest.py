"""Fixtures: a Salesforce emulator on loopback and source options pointing at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.salesforce import SalesforceSource
from tests.emulators.salesforce import SalesforceEmulator
from tests.emulators.salesforce import server as emu_server

SHARED_FIXTURES = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures"


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[SalesforceEmulator]:
    """A running emulator; it uses the recorded describes when ../shared is present."""
    fixtures = SHARED_FIXTURES if SHARED_FIXTURES.is_dir() else None
    emu = SalesforceEmulator(tmp_path / "tls", fixtures).start()
    yield emu
    emu.stop()


@pytest.fixture
def make_source(emulator: SalesforceEmulator) -> Callable[..., SalesforceSource]:
    """Build a source for the emulator (refresh-token auth); keyword args override options."""

    def build(**overrides: Any) -> SalesforceSource:
        options: dict[str, Any] = {
            "auth": "refresh_token",
            "login_url": emulator.base_url,
            "client_id": emu_server.CLIENT_ID,
            "client_secret": emu_server.CLIENT_SECRET,
            "refresh_token": emu_server.REFRESH_TOKEN,
            "ca_bundle": str(emulator.cert),
            "page_size": 10,
            "bulk_poll_seconds": 0.01,
            "retry_base_delay": 0.01,
            "max_attempts": 3,
        }
        options.update(overrides)
        return SalesforceSource("sfdc", options)

    return build
