"""Command-line commands of the web service, registered on ``sheets-sync`` by :func:`register`.

- ``sheets-sync serve``: run the service locally (Flask's threaded server; App Engine runs
  ``main:app`` under gunicorn instead);
- ``sheets-sync db upgrade`` / ``db current``: apply or show the database migrations;
- ``sheets-sync keys generate`` / ``keys rotate``: make an encryption key, re-encrypt every
  stored secret under the newest key;
- ``sheets-sync dev-token EMAIL``: a development sign-in token (local mode only);
- ``sheets-sync worker``: run scheduled refreshes in this process (see docs/scheduling.md).

Each command reads the same settings as the app (``SHEETS_SYNC_*`` variables) and calls the same
functions the app does. Flask and SQLAlchemy are imported inside the commands so that the rest
of the CLI starts without them.
"""

from __future__ import annotations

import os

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    help="Folder for the SQLite database, keys and reports (SHEETS_SYNC_DATA_DIR).",
)
@click.option(
    "--dev-login",
    is_flag=True,
    help="Accept development sign-in tokens (needs SHEETS_SYNC_SECRET_KEY; local mode only).",
)
def serve(host: str, port: int, data_dir: str | None, dev_login: bool) -> None:
    """Run the add-on service locally (migrates the database first)."""
    from sheets_sync.web.app import create_app
    from sheets_sync.web.settings import load_settings

    overrides: dict[str, str] = {}
    if data_dir:
        overrides["SHEETS_SYNC_DATA_DIR"] = data_dir
    if dev_login:
        overrides["SHEETS_SYNC_DEV_LOGIN"] = "true"
    settings = load_settings({**os.environ, **overrides})
    app = create_app(settings)
    click.echo(
        f"sheets-sync service ({settings.env}) on http://{host}:{port} "
        f"- API document at http://{host}:{port}/api/openapi.json",
        err=True,
    )
    app.run(host=host, port=port, threaded=True, use_reloader=False)


@click.group()
def db() -> None:
    """Manage the service database."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(revision: str) -> None:
    """Apply the database migrations (production runs this before deploying)."""
    from sheets_sync.db import current_revision, make_engine, upgrade
    from sheets_sync.web.settings import load_settings

    engine = make_engine(load_settings(check=False).sqlalchemy_url)
    try:
        upgrade(engine, revision)
        click.echo(f"database at revision {current_revision(engine)}")
    finally:
        engine.dispose()


@db.command("current")
def db_current() -> None:
    """Print the database's migration revision ("none" before the first upgrade)."""
    from sheets_sync.db import current_revision, make_engine
    from sheets_sync.web.settings import load_settings

    engine = make_engine(load_settings(check=False).sqlalchemy_url)
    try:
        click.echo(current_revision(engine) or "none")
    finally:
        engine.dispose()


@click.group()
def keys() -> None:
    """Manage the keys that encrypt stored tokens."""


@keys.command("generate")
def keys_generate() -> None:
    """Print a new encryption key; put it first in SHEETS_SYNC_ENCRYPTION_KEYS."""
    from sheets_sync.secrets import generate_key

    click.echo(generate_key())


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored secret with the newest key (the first one configured)."""
    from sheets_sync.db import make_engine, session_factory
    from sheets_sync.web.app import keyring_for
    from sheets_sync.web.services.keys import rotate_secrets
    from sheets_sync.web.settings import load_settings

    settings = load_settings(check=False)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        result = rotate_secrets(session_factory(engine), keyring_for(settings))
    finally:
        engine.dispose()
    click.echo(
        f"re-encrypted {result.rotated} secret(s); {result.current} already used the newest key"
    )


@click.command("dev-token")
@click.argument("email")
def dev_token(email: str) -> None:
    """Print a development sign-in token for EMAIL (send it as "Authorization: Bearer ...")."""
    from sheets_sync.web.identity import DevTokens
    from sheets_sync.web.settings import load_settings

    settings = load_settings(dev_login=True)
    assert settings.secret_key is not None  # checked by load_settings
    click.echo(DevTokens(settings.secret_key.get_secret_value()).issue(email))


@click.command()
@click.option(
    "--interval", default=30.0, show_default=True, type=float, help="Seconds between dispatches."
)
@click.option("--once", is_flag=True, help="Dispatch once, wait for those refreshes, exit.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    help="Folder for the SQLite database, keys and reports (SHEETS_SYNC_DATA_DIR).",
)
def worker(interval: float, once: bool, data_dir: str | None) -> None:
    """Run scheduled refreshes in this process (the dispatcher in a loop, no Cloud Tasks)."""
    from sheets_sync.scheduling.worker import run_worker
    from sheets_sync.web.app import create_app
    from sheets_sync.web.scheduling import scheduler
    from sheets_sync.web.settings import load_settings

    overrides = {"SHEETS_SYNC_DATA_DIR": data_dir} if data_dir else {}
    settings = load_settings({**os.environ, **overrides})
    app = create_app(settings)
    state = scheduler.state(app)
    click.echo(f"sheets-sync worker: dispatching every {interval:g} s", err=True)

    def report(result: object) -> None:
        claimed = getattr(result, "claimed", 0) + getattr(result, "redelivered", 0)
        if claimed:
            click.echo(f"started {claimed} scheduled refresh(es)", err=True)

    try:
        started = run_worker(
            state.env,
            state.policy,
            workers=settings.refresh_workers,
            interval=interval,
            once=once,
            report=report,
        )
    except KeyboardInterrupt:
        click.echo("worker stopped", err=True)
        return
    finally:
        scheduler.shutdown(app, wait=False)
    if once:
        click.echo(f"ran {started} scheduled refresh(es)")


def register(group: click.Group) -> None:
    """Add the service commands to the ``sheets-sync`` command group."""
    for command in (serve, db, keys, dev_token, worker):
        group.add_command(command)
