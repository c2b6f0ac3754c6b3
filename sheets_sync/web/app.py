"""The Flask app factory of the sheets-sync service.

``create_app()`` reads and checks the settings, connects the database (migrating it first in
local mode, and refusing to start in production if it is behind), loads the encryption keys,
and mounts one blueprint per surface: the sidebar API (``/api``), OAuth callbacks (``/oauth``),
cron and task handlers (``/internal``) and the sidebar UI (``/ui``).
"""

from __future__ import annotations

import logging
import os
import secrets as std_secrets
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from flask import Flask

from sheets_sync.db.migrate import alembic_config, current_revision, upgrade
from sheets_sync.errors import ConfigError
from sheets_sync.secrets import KeyRing, generate_key, load_keyring
from sheets_sync.web import api, internal, oauth, scheduling, ui
from sheets_sync.web.errors import register_api_errors
from sheets_sync.web.extensions import db, keys, runner, signin, templates
from sheets_sync.web.services.destinations import destination_choice
from sheets_sync.web.services.runs import RunEnvironment, fail_interrupted_runs
from sheets_sync.web.settings import Settings, load_settings

log = logging.getLogger(__name__)
MAX_REQUEST_BYTES = 2 * 1024 * 1024


def create_app(settings: Settings | None = None, *, certs_request: Any = None) -> Flask:
    """Build the service app; ``certs_request`` replaces the transport fetching Google's certs."""
    settings = settings or load_settings()
    settings.check()
    app = Flask("sheets_sync.web", static_folder=None)
    app.config.update(
        SHEETS_SYNC=settings,
        SECRET_KEY=(
            settings.secret_key.get_secret_value()
            if settings.secret_key
            else std_secrets.token_hex(32)
        ),
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        JSON_SORT_KEYS=False,
    )
    db.init_app(app, settings)
    engine = db.engine_for(app)
    if settings.should_migrate_on_start:
        upgrade(engine)
    else:
        _require_current_schema(engine)
    factory = db.factory_for(app)
    # One local process owns every run; any left active were cut off by a restart.
    if not settings.production and (interrupted := fail_interrupted_runs(factory)):
        log.warning("marked %d interrupted refresh(es) as failed", interrupted)
    keyring = keyring_for(settings)
    keys.init_app(app, keyring)
    signin.init_app(app, settings, request=certs_request)
    templates.init_app(app)
    env = RunEnvironment(factory, keyring, settings.data_dir, destination_choice(settings, keyring))
    runner.init_app(app, env, settings.refresh_workers)
    scheduling.scheduler.init_app(app, settings, env)
    register_api_errors(app)
    for blueprint in (api.bp, oauth.bp, internal.bp, scheduling.bp, ui.bp):
        app.register_blueprint(blueprint)
    return app


def _require_current_schema(engine: Any) -> None:
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    current = current_revision(engine)
    if current != head:
        raise ConfigError(
            f"the database is at revision {current or 'none'} but this version needs {head}; "
            "run `sheets-sync db upgrade` first"
        )


def keyring_for(settings: Settings) -> KeyRing:
    """The key ring the settings configure; local mode falls back to a key file in data_dir."""
    secret = settings.encryption_keys.get_secret_value() if settings.encryption_keys else None
    if secret or settings.encryption_keys_secret or settings.production:
        return load_keyring(secret, settings.encryption_keys_secret)
    return KeyRing([_local_key(settings.data_dir / "encryption.key")])


def _local_key(path: Path) -> str:
    """The local mode's key, created once beside the SQLite file and readable by its owner only."""
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    log.warning("created a local encryption key in %s; keep it with the database", path)
    return key
