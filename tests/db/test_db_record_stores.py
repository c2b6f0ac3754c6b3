"""Connector record caches in the service database: per report and source, gone with the report."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select

from connectors.common.cache import CacheState
from sheets_sync.db import ConnectorRecord, Report, User, session_factory, transaction
from sheets_sync.web.services.record_stores import database_record_stores
from sheets_sync.web.services.reports import delete_report


def _report(engine: Engine, name: str) -> tuple[str, str]:
    factory = session_factory(engine)
    with transaction(factory) as session:
        user = User(subject=f"sub-{name}", email=f"{name}@example.com")
        session.add(user)
        session.flush()
        report = Report(
            user_id=user.id, spreadsheet_id=name, template_id="sales_pipeline", title="t"
        )
        session.add(report)
        session.flush()
        return user.id, report.id


def test_records_are_kept_per_report_and_source_and_deleted_with_the_report(
    engine: Engine,
) -> None:
    factory = session_factory(engine)
    user_a, report_a = _report(engine, "a")
    _, report_b = _report(engine, "b")
    deals = pd.DataFrame({"Id": ["1", "2"], "Amount": [10.0, 20.0]})
    state = CacheState("fields-v1", "2026-01-01T00:00:00Z")

    store_a = database_record_stores(factory, report_a)("sfdc")
    store_a.replace("Opportunity", "Id", deals, state)
    database_record_stores(factory, report_b)("sfdc").replace("Opportunity", "Id", deals, state)

    again = database_record_stores(factory, report_a)("sfdc")
    assert again.state("Opportunity") == state
    assert sorted(again.load("Opportunity")["Id"]) == ["1", "2"]
    assert database_record_stores(factory, report_a)("hubspot").state("Opportunity") is None

    with transaction(factory) as session:
        delete_report(session, user_a, report_a)
    assert database_record_stores(factory, report_a)("sfdc").state("Opportunity") is None
    with factory() as session:
        left = session.scalar(select(func.count()).select_from(ConnectorRecord))
    assert left == 2  # report b's records stay
