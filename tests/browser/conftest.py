"""Fixtures of the browser tests: the real service on a loopback port and headless Chromium.

The tests drive Debian's Chromium (``/usr/bin/chromium``) through Playwright; they never download
a browser. They are skipped only when that executable is missing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright import sync_api

from tests.browser.live_server import LiveServer, start_live_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
SIDEBAR_WIDTH = 300
# Generous waits: CI is a loaded 2-core machine, and a wait ends as soon as its condition holds.
WAIT_MS = 30_000
sync_api.expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium; the browser tests skip when it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: install it with `apt-get install -y chromium` "
            "(the tests never download a browser)"
        )
    return CHROMIUM


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The real app in local mode with development sign-in, on SQLite in ``tmp_path``."""
    server = start_live_server(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def browser_context(chromium_path: Path, tmp_path: Path) -> Iterator[Any]:
    """A fresh Chromium profile with a 300 px wide viewport, like the Sheets sidebar."""
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(chromium_path),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": SIDEBAR_WIDTH, "height": 900},
            timeout=4 * WAIT_MS,
        )
        context.set_default_timeout(WAIT_MS)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """Where this test saves its screenshots (``test-artifacts/browser/<test name>``)."""
    folder = ARTIFACTS / request.node.name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder
