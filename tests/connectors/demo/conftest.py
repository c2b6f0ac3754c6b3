"""Shared demo reads for the demo source tests: small companies, read once per session."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from connectors.base import ReadContext, SourceResult
from connectors.demo import DemoSource

AS_OF = date(2025, 6, 30)
SIZE = 800


def read_demo(name: str = "demo", **options) -> SourceResult:
    """Read a demo source with the test defaults (fixed as_of) overridden by ``options``."""
    merged = {"size": SIZE, "seed": 7, "as_of": AS_OF.isoformat()} | options
    context = ReadContext(started_at=datetime(2025, 7, 1, 9, 0, tzinfo=UTC))
    return DemoSource(name, merged).read(context)


@pytest.fixture(scope="session")
def demo_all() -> SourceResult:
    """The whole small company, flavor ``all``, source name ``demo``."""
    return read_demo()
