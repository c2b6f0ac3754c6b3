"""Fixtures of the browser tests: the real service on a loopback port and headless Chromium.

The tests drive Debian's Chromium (``/usr/bin/chromium``) through Playwright; they never download
a browser. They are skipped only when that executable is missing.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from sheets_sync.secrets import generate_key
from sheets_sync.web import create_app
from sheets_sync.web.extensions import db, runner, signin
from sheets_sync.web.settings import load_settings

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

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium; the browser tests skip when it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: install it with `apt-get install -y chromium` "
            "(the tests never download a browser)"
        )
    return CHROMIUM


class LiveServer:
    """A service app served by werkzeug's threaded server on a free loopback port."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def dev_token(self, email: str) -> str:
        """A development sign-in token for ``email``, as ``sheets-sync dev-token`` prints."""
        with self.app.app_context():
            dev = signin.dev
            assert dev is not None, "the live server runs with dev_login"
            return dev.issue(email)

    def stop(self) -> None:
        """Stop serving and release the app's workers and database connections."""
        self._server.shutdown()
        self._thread.join(timeout=30)
        runner.shutdown(self.app)
        db.engine_for(self.app).dispose()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The real app in local mode with development sign-in, on SQLite in ``tmp_path``."""
    settings = load_settings(
        environ={},
        database_url=f"sqlite:///{tmp_path / 'service.db'}",
        data_dir=str(tmp_path / "data"),
        encryption_keys=generate_key(),
        secret_key="browser-test-secret",
        dev_login=True,
        refresh_workers=1,
    )
    server = LiveServer(create_app(settings))
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
        )
        context.set_default_timeout(30_000)
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
