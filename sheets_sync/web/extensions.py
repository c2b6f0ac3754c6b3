"""The service's Flask extensions, created unbound and attached to an app by the factory.

Each extension keeps its per-app state in ``app.extensions`` (never on the instance), so several
apps, with different settings, can live in one process, as the tests do.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from sheets_sync.db.engine import make_engine, session_factory
from sheets_sync.secrets import KeyRing
from sheets_sync.web.identity import DevTokens, GoogleTokenVerifier
from sheets_sync.web.services.runs import RunEnvironment, execute_run
from sheets_sync.web.services.templates import Gallery
from sheets_sync.web.settings import Settings

log = logging.getLogger(__name__)


class Database:
    """The SQLAlchemy engine of the app, and one session per request."""

    key = "sheets_sync.db"

    def init_app(self, app: Flask, settings: Settings) -> None:
        """Create the engine for ``settings`` and close the request's session after each one."""
        engine = make_engine(settings.sqlalchemy_url)
        app.extensions[self.key] = (engine, session_factory(engine))
        app.teardown_appcontext(self._close)

    def engine_for(self, app: Flask) -> Engine:
        """The engine of ``app``."""
        engine: Engine = app.extensions[self.key][0]
        return engine

    def factory_for(self, app: Flask) -> sessionmaker[Session]:
        """The session factory of ``app`` (background work opens its own sessions)."""
        factory: sessionmaker[Session] = app.extensions[self.key][1]
        return factory

    @property
    def session(self) -> Session:
        """The current request's session, opened on first use."""
        if "db_session" not in g:
            g.db_session = self.factory_for(current_app._get_current_object())()  # type: ignore[attr-defined]
        session: Session = g.db_session
        return session

    def _close(self, _exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


class Keys:
    """The key ring that encrypts and decrypts stored secrets."""

    key = "sheets_sync.keys"

    def init_app(self, app: Flask, keyring: KeyRing) -> None:
        """Attach ``keyring`` (loaded by the factory from settings) to ``app``."""
        app.extensions[self.key] = keyring

    @property
    def ring(self) -> KeyRing:
        """The current app's key ring."""
        ring: KeyRing = current_app.extensions[self.key]
        return ring


class SignIn:
    """Verifies callers: Google identity tokens, plus development tokens when enabled."""

    key = "sheets_sync.signin"

    def init_app(self, app: Flask, settings: Settings, request: Any = None) -> None:
        """Configure verification from ``settings``; ``request`` overrides the HTTP transport."""
        google = (
            GoogleTokenVerifier(
                settings.google_client_id,
                settings.google_certs_url,
                settings.allowed_domains,
                request=request,
            )
            if settings.google_client_id
            else None
        )
        dev = (
            DevTokens(settings.secret_key.get_secret_value())
            if settings.dev_login and settings.secret_key
            else None
        )
        app.extensions[self.key] = (google, dev)

    @property
    def google(self) -> GoogleTokenVerifier | None:
        """The Google token verifier (``None`` when no client id is configured)."""
        verifier: GoogleTokenVerifier | None = current_app.extensions[self.key][0]
        return verifier

    @property
    def dev(self) -> DevTokens | None:
        """The development token checker (``None`` unless development sign-in is enabled)."""
        tokens: DevTokens | None = current_app.extensions[self.key][1]
        return tokens


class Templates:
    """The template gallery, loaded once per app."""

    key = "sheets_sync.gallery"

    def init_app(self, app: Flask) -> None:
        """Load the bundled templates and metric catalogue."""
        app.extensions[self.key] = Gallery.load()

    @property
    def gallery(self) -> Gallery:
        """The current app's gallery."""
        gallery: Gallery = current_app.extensions[self.key]
        return gallery


class Runner:
    """Executes queued refresh runs off the request thread.

    In local mode a thread pool calls :func:`execute_run`; a task-queue dispatcher (Cloud Tasks
    on App Engine) replaces :meth:`submit` later without changing the API handlers.
    """

    key = "sheets_sync.runner"

    def init_app(self, app: Flask, env: RunEnvironment, workers: int) -> None:
        """Start a pool of ``workers`` threads for ``app``."""
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="refresh")
        app.extensions[self.key] = (pool, env)

    def submit(self, run_id: str) -> Future[Any]:
        """Execute run ``run_id`` in the background; the future resolves to the finished run."""
        pool, env = current_app.extensions[self.key]
        future: Future[Any] = pool.submit(execute_run, env, run_id)
        future.add_done_callback(_log_crash)
        return future

    def shutdown(self, app: Flask, wait: bool = True) -> None:
        """Stop ``app``'s pool, by default after the running refreshes finish."""
        pool, _ = app.extensions[self.key]
        pool.shutdown(wait=wait)


def _log_crash(future: Future[Any]) -> None:
    error = future.exception()
    if error is not None:
        log.error("refresh worker crashed", exc_info=error)


db = Database()
keys = Keys()
signin = SignIn()
templates = Templates()
runner = Runner()
