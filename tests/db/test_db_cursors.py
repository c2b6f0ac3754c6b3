"""The database cursor store behaves like the file store, per report."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from sheets_sync.db import (
    Connection,
    DbCursorStore,
    Report,
    ReportConnection,
    Run,
    SyncCursor,
    User,
    session_factory,
    transaction,
)
from sheets_sync.state import CursorStore


def _report(engine: Engine, sheet: str = "sheet-1") -> tuple[str, str]:
    factory = session_factory(engine)
    with transaction(factory) as session:
        user = User(subject=f"sub-{sheet}", email=f"{sheet}@example.com")
        session.add(user)
        session.flush()
        report = Report(
            user_id=user.id, spreadsheet_id=sheet, template_id="executive_overview", title="t"
        )
        session.add(report)
        session.flush()
        return user.id, report.id


def test_commit_merges_and_load_reads_per_source(engine: Engine) -> None:
    _, report_id = _report(engine)
    store: CursorStore = DbCursorStore(session_factory(engine), report_id)
    assert store.load("sfdc") == {}
    store.commit({"sfdc": {"Opportunity": "2026-01-01T00:00:00Z"}})
    store.commit({"sfdc": {"Lead": "2026-01-02T00:00:00Z"}, "hubspot": {"deals": "5"}})
    store.commit({"sfdc": {"Opportunity": "2026-02-01T00:00:00Z"}})
    again = DbCursorStore(session_factory(engine), report_id)
    assert again.load("sfdc") == {
        "Opportunity": "2026-02-01T00:00:00Z",
        "Lead": "2026-01-02T00:00:00Z",
    }
    assert again.load("hubspot") == {"deals": "5"}


def test_cursors_are_kept_per_report(engine: Engine) -> None:
    _, first = _report(engine, "sheet-a")
    _, second = _report(engine, "sheet-b")
    factory = session_factory(engine)
    DbCursorStore(factory, first).commit({"sfdc": {"Opportunity": "a"}})
    assert DbCursorStore(factory, second).load("sfdc") == {}


class _Unwritable:
    def __str__(self) -> str:
        raise ValueError("unwritable cursor")


def test_a_failed_commit_leaves_previous_cursors(engine: Engine) -> None:
    _, report_id = _report(engine)
    factory = session_factory(engine)
    store = DbCursorStore(factory, report_id)
    store.commit({"sfdc": {"Opportunity": "old"}})
    with pytest.raises(ValueError, match="unwritable"):
        # The second value fails after the first was already changed in the transaction.
        store.commit({"sfdc": {"Opportunity": "new", "Lead": _Unwritable()}})  # type: ignore[dict-item]
    assert store.load("sfdc") == {"Opportunity": "old"}


def test_one_active_run_per_report(engine: Engine) -> None:
    user_id, report_id = _report(engine)
    factory = session_factory(engine)
    with transaction(factory) as session:
        session.add(Run(report_id=report_id, user_id=user_id, status="succeeded"))
        session.add(Run(report_id=report_id, user_id=user_id, status="failed"))
        session.add(Run(report_id=report_id, user_id=user_id, status="running"))
    with pytest.raises(IntegrityError), transaction(factory) as session:
        session.add(Run(report_id=report_id, user_id=user_id, status="queued"))


def test_deleting_a_report_removes_its_runs_and_cursors(engine: Engine) -> None:
    user_id, report_id = _report(engine)
    factory = session_factory(engine)
    DbCursorStore(factory, report_id).commit({"demo": {"deals": "x"}})
    with transaction(factory) as session:
        connection = Connection(user_id=user_id, type="demo", name="demo", label="Demo")
        session.add(connection)
        session.flush()
        session.add(ReportConnection(report_id=report_id, connection_id=connection.id, position=0))
        session.add(Run(report_id=report_id, user_id=user_id, status="succeeded"))
    with transaction(factory) as session:
        session.delete(session.get(Report, report_id))
    with factory() as session:
        assert session.scalars(select(Run)).all() == []
        assert session.scalars(select(SyncCursor)).all() == []
        assert session.scalars(select(ReportConnection)).all() == []
        assert len(session.scalars(select(Connection)).all()) == 1


def test_deleting_a_user_removes_everything_they_own(engine: Engine) -> None:
    user_id, report_id = _report(engine)
    factory = session_factory(engine)
    DbCursorStore(factory, report_id).commit({"demo": {"deals": "x"}})
    with transaction(factory) as session:
        connection = Connection(user_id=user_id, type="demo", name="demo", label="Demo")
        session.add(connection)
        session.flush()
        session.add(ReportConnection(report_id=report_id, connection_id=connection.id, position=0))
        session.add(Run(report_id=report_id, user_id=user_id, status="running"))
    with engine.begin() as raw:
        raw.execute(User.__table__.delete().where(User.__table__.c.id == user_id))
    with factory() as session:
        for model in (Report, Connection, ReportConnection, Run, SyncCursor):
            assert session.scalars(select(model)).all() == [], model.__name__
