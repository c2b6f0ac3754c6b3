"""Fixtures for the HubSpot connector tests: a seeded emulator and a source factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors.hubspot import HubSpotSource
from tests.emulators.hubspot.portal import Portal, seed
from tests.emulators.hubspot.server import (
    CLIENT_ID,
    CLIENT_SECRET,
    PRIVATE_TOKEN,
    REFRESH_TOKEN,
    HubSpotEmulator,
)


@pytest.fixture
def portal() -> Portal:
    """A small seeded portal: 250 deals make three or more list pages per object."""
    return seed(Portal(), deals=250)


@pytest.fixture
def emulator(portal: Portal) -> Iterator[HubSpotEmulator]:
    """The emulator serving ``portal`` on loopback."""
    emu = HubSpotEmulator(portal).start()
    yield emu
    emu.stop()


@pytest.fixture
def make_source(emulator: HubSpotEmulator) -> Callable[..., HubSpotSource]:
    """Build a HubSpot source against the emulator; keyword overrides change its options."""

    def build(name: str = "hubspot", **overrides: Any) -> HubSpotSource:
        options: dict[str, Any] = {
            "host": emulator.base_url,
            "oauth_host": emulator.base_url,
            "access_token": PRIVATE_TOKEN,
            "retry_base_delay": 0.0,
            "burst_limit": 100000,
            "search_per_second": 10000,
        }
        if overrides.get("auth") == "oauth":
            options.pop("access_token")
            options.update(
                client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH_TOKEN
            )
        options.update(overrides)
        return HubSpotSource(name, options)

    return build
