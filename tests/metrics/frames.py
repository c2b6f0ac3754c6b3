"""Small hand-made canonical datasets for the metric tests."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from sheets_sync.dataset import Dataset
from sheets_sync.metrics.query import DateRange
from sheets_sync.model import conform


def dataset(**tables: list[dict[str, Any]]) -> Dataset:
    """A :class:`Dataset` whose tables are conformed from lists of row dicts."""
    frames = {}
    for name, rows in tables.items():
        frame, _ = conform(name, pd.DataFrame(rows), "t")
        frames[name] = frame
    return Dataset(frames)


def deal(i: int, status: str, created: str, close: str | None = None, **extra: Any) -> dict:
    """One deal row with sensible defaults."""
    row = {
        "deal_id": f"t:d{i}",
        "source": "t",
        "status": status,
        "created_at": created,
        "close_date": close,
        "amount": 100.0,
        "currency": "EUR",
    }
    row.update(extra)
    return row


MARCH = DateRange("custom", date(2024, 3, 1), date(2024, 3, 31))
RATES = {"USD": 0.5}


def _rows(keys: str, *values: tuple) -> list[dict[str, Any]]:
    names = keys.split()
    return [dict(zip(names, row, strict=True)) for row in values]


def mini_crm() -> Dataset:
    """A tiny CRM whose every built-in metric over March 2024 is computed by hand in
    ``tests/metrics/test_builtin_values.py`` (report currency EUR, 1 USD = 0.5 EUR, no GBP rate).
    """
    owners = _rows(
        "owner_id source name team manager region",
        ("t:o1", "t", "Ann", "Team A", "Maya", "EMEA"),
        ("t:o2", "t", "Bob", "Team B", "Maya", None),
    )
    accounts = _rows(
        "account_id source segment region customer_since churned_at mrr currency",
        ("t:a1", "t", "SMB", "NA", "2023-01-01", None, 100.0, "EUR"),
        ("t:a2", "t", "SMB", "NA", "2023-06-01", "2024-03-15", 200.0, "EUR"),
        ("t:a3", "t", "Enterprise", "APAC", "2024-03-10", None, 300.0, "USD"),
        ("t:a4", "t", "SMB", "NA", "2022-01-01", "2024-02-01", 50.0, "EUR"),
        ("t:a5", "t", "Enterprise", None, None, None, None, None),
    )
    deals = [
        deal(
            1,
            "won",
            "2024-02-01",
            "2024-03-10",
            amount=1000.0,
            owner_id="t:o1",
            account_id="t:a1",
            lead_source="Web",
            deal_type="new",
            probability=1.0,
            stage="Closed Won",
        ),
        deal(
            2,
            "won",
            "2024-03-01",
            "2024-03-21",
            amount=400.0,
            currency="USD",
            owner_id="t:o2",
            account_id="t:a3",
            lead_source="Events",
            deal_type="renewal",
            stage="Closed Won",
        ),
        deal(
            3,
            "lost",
            "2024-01-15",
            "2024-03-05",
            amount=300.0,
            owner_id="t:o1",
            lead_source="Web",
            stage="Closed Lost",
        ),
        deal(
            4,
            "open",
            "2024-03-05",
            "2024-04-30",
            amount=500.0,
            probability=0.4,
            owner_id="t:o1",
            account_id="t:a1",
            lead_source="Web",
            stage="Propose",
        ),
        deal(
            5,
            "open",
            "2024-02-10",
            None,
            amount=250.0,
            currency="GBP",
            probability=0.5,
            owner_id="t:o2",
            stage="Qualify",
        ),
        deal(
            6,
            "won",
            "2024-03-20",
            "2024-04-05",
            amount=800.0,
            probability=0.9,
            owner_id="t:o2",
            deal_type="new",
            stage="Closed Won",
        ),
        deal(7, "won", "2024-01-01", "2024-03-31T23:30:00Z", amount=100.0, stage="Closed Won"),
    ]
    leads = _rows(
        "lead_id source channel created_at mql_at sql_at converted_at converted_deal_id "
        "first_response_at owner_id",
        (
            "t:l1",
            "t",
            "Web",
            "2024-03-02",
            "2024-03-03",
            "2024-03-10",
            "2024-03-20",
            "t:d2",
            "2024-03-02T02:00:00Z",
            "t:o1",
        ),
        (
            "t:l2",
            "t",
            "Web",
            "2024-03-05",
            "2024-03-06",
            None,
            None,
            None,
            "2024-03-05T10:00:00Z",
            "t:o2",
        ),
        ("t:l3", "t", "Events", "2024-03-07", None, None, "2024-04-10", None, None, None),
        (
            "t:l4",
            "t",
            "Events",
            "2024-02-20",
            "2024-03-01",
            "2024-03-02",
            "2024-03-03",
            "t:d4",
            None,
            None,
        ),
    )
    spend = _rows(
        "spend_id source date channel cost currency",
        ("t:s1", "t", "2024-03-01", "Web", 600.0, "EUR"),
        ("t:s2", "t", "2024-03-15", "Events", 200.0, "USD"),
        ("t:s3", "t", "2024-02-28", "Web", 999.0, "EUR"),
    )
    activities = _rows(
        "activity_id source type occurred_at owner_id account_id",
        ("t:x1", "t", "call", "2024-03-01", "t:o1", "t:a1"),
        ("t:x2", "t", "email", "2024-03-02", "t:o1", "t:a1"),
        ("t:x3", "t", "meeting", "2024-03-03", "t:o2", "t:a2"),
        ("t:x4", "t", "task", "2024-03-04", None, "t:a3"),
        ("t:x5", "t", "call", "2024-02-15", "t:o2", None),
    )
    tickets = _rows(
        "ticket_id source opened_at first_response_at resolved_at satisfaction priority",
        ("t:t1", "t", "2024-03-01", "2024-03-01T01:00:00Z", "2024-03-01T05:00:00Z", 4, "high"),
        ("t:t2", "t", "2024-03-10", "2024-03-10T03:00:00Z", "2024-04-02", 5, "low"),
        ("t:t3", "t", "2024-02-25", None, "2024-03-02", 2, "high"),
        ("t:t4", "t", "2024-03-20", None, None, None, "low"),
    )
    return dataset(
        owners=owners,
        accounts=accounts,
        deals=deals,
        leads=leads,
        spend=spend,
        activities=activities,
        tickets=tickets,
    )
