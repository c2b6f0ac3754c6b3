"""The service database: typed SQLAlchemy 2 models, engines, migrations and the cursor store.

``make_engine(url)`` connects to SQLite or PostgreSQL; ``upgrade(engine)`` applies the Alembic
migrations in ``sheets_sync/db/migrations``; :class:`DbCursorStore` keeps a report's sync cursors.
"""

from sheets_sync.db.cursors import DbCursorStore
from sheets_sync.db.engine import make_engine, session_factory, transaction
from sheets_sync.db.migrate import current_revision, downgrade, upgrade
from sheets_sync.db.models import (
    Base,
    Connection,
    ConnectorRecord,
    ConnectorRecordState,
    Report,
    ReportConnection,
    Run,
    Schedule,
    SyncCursor,
    User,
)

__all__ = [
    "Base",
    "Connection",
    "ConnectorRecord",
    "ConnectorRecordState",
    "DbCursorStore",
    "Report",
    "ReportConnection",
    "Run",
    "Schedule",
    "SyncCursor",
    "User",
    "current_revision",
    "downgrade",
    "make_engine",
    "session_factory",
    "transaction",
    "upgrade",
]
