"""Test databases: a SQLite file per test, or a PostgreSQL schema per test.

The PostgreSQL server is the one CI runs (127.0.0.1:5432, trust auth, user postgres, database
``test``). A database with a unique name is created for the test session and dropped after it;
each test gets its own schema inside it, selected through ``search_path``, so tests never see
each other's rows. Only an unreachable server skips the PostgreSQL cases.
"""

from __future__ import annotations

import os
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_SERVER = os.environ.get("SHEETS_SYNC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


def _pg_admin_connect(dbname: str | None = None):
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(PG_SERVER)
    return psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        dbname=dbname or url.database,
        connect_timeout=3,
        autocommit=True,
    )


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards.

    Only a server that cannot be reached skips; a reachable server that refuses us (wrong user,
    missing database) fails the tests, since that is a set-up error to fix.
    """
    from sqlalchemy.engine import make_url

    url = make_url(PG_SERVER)
    try:
        socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=3).close()
    except OSError as err:
        reason = f"PostgreSQL at {url.host}:{url.port or 5432} is unreachable: {err}"
        print(f"\nskipping PostgreSQL tests: {reason}", file=sys.stderr)
        pytest.skip(reason)
    admin = _pg_admin_connect()
    name = f"sheets_sync_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with _pg_admin_connect() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_schema_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL whose connections use a new, empty schema of the session database."""
    from sqlalchemy.engine import make_url

    database = request.getfixturevalue("pg_database")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with _pg_admin_connect(database) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(PG_SERVER).set(
        drivername="postgresql+psycopg",
        database=database,
        query={"options": f"-csearch_path={schema}"},
    )
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with _pg_admin_connect(database) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def database_url_for(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of the backend named by ``request.param``."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.db'}"
    else:
        yield from pg_schema_url(request)
