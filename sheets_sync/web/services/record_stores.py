"""The service keeps connectors' record caches in its own database.

App Engine instances have no lasting local disk, so incremental sources run by the service
cache their records in the ``connector_records`` and ``connector_record_state`` tables (created
by migration 0004) through :class:`connectors.common.cache.SqlRecordStore`, one namespace per
report and source: ``<report id>/<source name>``. Deleting a report deletes its namespaces.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from connectors.common.cache import SqlRecordStore
from sheets_sync.refresh import RecordStoreFactory


def _engine(factory: sessionmaker[Session]) -> Engine:
    bind = factory.kw.get("bind")
    if not isinstance(bind, Engine):
        raise TypeError("the session factory is not bound to an engine")
    return bind


def database_record_stores(factory: sessionmaker[Session], report_id: str) -> RecordStoreFactory:
    """A factory of record stores in the service database for the sources of ``report_id``."""
    engine = _engine(factory)
    paramstyle = "qmark" if engine.dialect.name == "sqlite" else "format"

    def store(source: str) -> SqlRecordStore:
        return SqlRecordStore(engine.raw_connection, f"{report_id}/{source}", paramstyle)

    return store


def delete_report_records(session: Session, report_id: str) -> None:
    """Delete every cached record and cache state of ``report_id``'s sources."""
    prefix = {"prefix": f"{report_id}/%"}
    for table in ("connector_records", "connector_record_state"):
        session.execute(text(f"DELETE FROM {table} WHERE namespace LIKE :prefix"), prefix)
