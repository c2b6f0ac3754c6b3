"""Migrations build exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from sheets_sync.db import Base, current_revision, downgrade, make_engine, upgrade
from sheets_sync.db.migrate import alembic_config

TABLES = {
    "users",
    "connections",
    "reports",
    "report_connections",
    "schedules",
    "runs",
    "sync_cursors",
    "oauth_states",
}


def test_upgrade_creates_every_table_and_downgrade_removes_them(database_url: str) -> None:
    engine = make_engine(database_url)
    assert current_revision(engine) is None
    upgrade(engine)
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head is not None and current_revision(engine) == head
    assert set(inspect(engine).get_table_names()) >= TABLES
    upgrade(engine)  # running it again is a no-op, as a second start-up does
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) & TABLES == set()
    engine.dispose()


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_active_run_index_is_partial(engine: Engine) -> None:
    indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("runs")}
    assert indexes["uq_runs_active_report"]["unique"]
