"""The real service on a free loopback port, for tests that call it over HTTP."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask
from werkzeug.serving import make_server

from sheets_sync.secrets import generate_key
from sheets_sync.web import create_app
from sheets_sync.web.extensions import db, runner, signin
from sheets_sync.web.settings import load_settings


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


def start_live_server(folder: Path) -> LiveServer:
    """The app in local mode with development sign-in, on SQLite in ``folder``."""
    settings = load_settings(
        environ={},
        database_url=f"sqlite:///{folder / 'service.db'}",
        data_dir=str(folder / "data"),
        encryption_keys=generate_key(),
        secret_key="browser-test-secret",
        dev_login=True,
        refresh_workers=1,
    )
    return LiveServer(create_app(settings))
