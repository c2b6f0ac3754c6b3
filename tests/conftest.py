"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """The ``../shared`` folder (real data sets and recorded fixtures); skips when absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is absent: real data sets and fixtures are not available")
    return SHARED


@pytest.fixture
def shared_data(shared_dir: Path) -> Path:
    """``../shared/data``: the real CRM data sets used by acceptance tests."""
    return shared_dir / "data"


@pytest.fixture
def shared_fixtures(shared_dir: Path) -> Path:
    """``../shared/fixtures``: recorded API traffic that shapes the emulators."""
    return shared_dir / "fixtures"
