"""Fixtures for the Dynamics 365 connector tests: a seeded TLS emulator and a source factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.dynamics import DynamicsSource
from tests.emulators.dynamics.org import Org, seed
from tests.emulators.dynamics.server import CLIENT_ID, CLIENT_SECRET, TENANT, DataverseEmulator


@pytest.fixture
def org() -> Org:
    """A seeded org: 60 opportunities and their related rows."""
    return seed(Org(), opportunities=60)


@pytest.fixture
def emulator(tmp_path: Path, org: Org) -> Iterator[DataverseEmulator]:
    """The emulator serving ``org`` over TLS on loopback."""
    emu = DataverseEmulator(tmp_path / "tls", org).start()
    yield emu
    emu.stop()


@pytest.fixture
def make_source(emulator: DataverseEmulator) -> Callable[..., DynamicsSource]:
    """Build a Dynamics source against the emulator (25 rows per page: several pages)."""

    def build(name: str = "d365", **overrides: Any) -> DynamicsSource:
        options: dict[str, Any] = {
            "org_url": emulator.base_url,
            "authority_host": emulator.base_url,
            "tenant_id": TENANT,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "ca_bundle": str(emulator.cert),
            "page_size": 25,
            "retry_base_delay": 0.0,
        }
        options.update(overrides)
        return DynamicsSource(name, options)

    return build
