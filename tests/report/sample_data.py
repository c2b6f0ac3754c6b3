"""A small hand-made blended dataset for report-builder tests (two sources, every table)."""

from __future__ import annotations

import pandas as pd

from sheets_sync.dataset import Dataset
from sheets_sync.model import conform

NOW = pd.Timestamp("2026-11-28 12:00", tz="UTC")


def _ts(day: str) -> pd.Timestamp:
    return pd.Timestamp(day, tz="UTC")


def sample_tables() -> dict[str, pd.DataFrame]:
    """Raw rows per canonical table; amounts in USD, a few rows in the previous period."""
    owners = pd.DataFrame(
        {
            "owner_id": ["crm:o1", "crm:o2", "crm:o3"],
            "source": "crm",
            "name": ["Ada Lovelace", "Alan Turing", "Grace Hopper"],
            "team": ["East", "West", "West"],
            "region": ["EMEA", "Americas", "Americas"],
            "active": [True, True, True],
        }
    )
    accounts = pd.DataFrame(
        {
            "account_id": ["crm:a1", "crm:a2", "crm:a3"],
            "source": "crm",
            "name": ["Acme", "Globex", "=IMPORTXML(1)"],
            "segment": ["SMB", "Enterprise", "SMB"],
            "industry": ["Retail", "Energy", "Retail"],
            "region": ["EMEA", "Americas", "EMEA"],
            "owner_id": ["crm:o1", "crm:o2", "crm:o1"],
            "customer_since": [_ts("2025-01-10"), _ts("2025-06-01"), _ts("2026-10-01")],
            "churned_at": [None, _ts("2026-11-01"), None],
            "mrr": [1000.0, 2500.0, 400.0],
            "currency": "USD",
        }
    )
    deals = pd.DataFrame(
        {
            "deal_id": [f"crm:d{i}" for i in range(1, 7)],
            "source": "crm",
            "name": ["Acme renewal", "Globex big", "Small one", "Lost one", "Open A", "Old won"],
            "pipeline": "Sales",
            "stage": ["Won", "Won", "Won", "Lost", "Proposal", "Won"],
            "stage_order": [4, 4, 4, 5, 2, 4],
            "status": ["won", "won", "won", "lost", "open", "won"],
            "amount": [1000.0, 5000.0, 300.0, 800.0, 2000.0, 700.0],
            "currency": "USD",
            "created_at": [
                _ts("2026-09-05"),
                _ts("2026-09-20"),
                _ts("2026-10-01"),
                _ts("2026-10-03"),
                _ts("2026-11-02"),
                _ts("2026-06-01"),
            ],
            "close_date": [
                _ts("2026-10-10"),
                _ts("2026-11-05"),
                _ts("2026-11-10"),
                _ts("2026-11-12"),
                _ts("2026-12-20"),
                _ts("2026-07-15"),
            ],
            "probability": [1.0, 1.0, 1.0, 0.0, 0.4, 1.0],
            "lead_source": ["web", "event", "web", "web", "event", "web"],
            "deal_type": ["new", "new", "new", "new", "new", "renewal"],
            "owner_id": ["crm:o1", "crm:o2", "crm:o1", "crm:o2", "crm:o1", "crm:o2"],
            "account_id": ["crm:a1", "crm:a2", "crm:a3", "crm:a1", "crm:a2", "crm:a1"],
        }
    )
    history = pd.DataFrame(
        {
            "history_id": [f"crm:h{i}" for i in range(1, 6)],
            "source": "crm",
            "deal_id": ["crm:d1", "crm:d1", "crm:d2", "crm:d2", "crm:d5"],
            "stage": ["Proposal", "Won", "Proposal", "Won", "Proposal"],
            "stage_order": [2, 4, 2, 4, 2],
            "entered_at": [
                _ts("2026-09-10"),
                _ts("2026-10-10"),
                _ts("2026-10-01"),
                _ts("2026-11-05"),
                _ts("2026-11-10"),
            ],
        }
    )
    leads = pd.DataFrame(
        {
            "lead_id": [f"mkt:l{i}" for i in range(1, 6)],
            "source": "mkt",
            "email": [f"p{i}@example.com" for i in range(1, 6)],
            "status": ["mql", "sql", "customer", "lead", "lead"],
            "channel": ["web", "web", "event", None, "web"],
            "created_at": [
                _ts("2026-09-02"),
                _ts("2026-10-02"),
                _ts("2026-10-20"),
                _ts("2026-11-02"),
                _ts("2026-07-01"),
            ],
            "mql_at": [_ts("2026-09-05"), _ts("2026-10-05"), _ts("2026-10-22"), None, None],
            "sql_at": [None, _ts("2026-10-09"), _ts("2026-10-25"), None, None],
            "converted_at": [None, None, _ts("2026-11-01"), None, None],
            "owner_id": ["crm:o1", "crm:o2", "crm:o1", None, "crm:o2"],
        }
    )
    activities = pd.DataFrame(
        {
            "activity_id": [f"crm:t{i}" for i in range(1, 5)],
            "source": "crm",
            "type": ["call", "email", "meeting", "call"],
            "occurred_at": [
                _ts("2026-10-01"),
                _ts("2026-10-02"),
                _ts("2026-11-03"),
                _ts("2026-11-04"),
            ],
            "owner_id": ["crm:o1", "crm:o1", "crm:o2", "crm:o2"],
            "account_id": ["crm:a1", "crm:a1", "crm:a2", "crm:a2"],
        }
    )
    tickets = pd.DataFrame(
        {
            "ticket_id": ["crm:k1", "crm:k2", "crm:k3"],
            "source": "crm",
            "account_id": ["crm:a1", "crm:a2", "crm:a2"],
            "owner_id": ["crm:o3", "crm:o3", "crm:o2"],
            "opened_at": [_ts("2026-11-01"), _ts("2026-11-10"), _ts("2026-11-20")],
            "first_response_at": [_ts("2026-11-01 02:00"), _ts("2026-11-10 05:00"), None],
            "resolved_at": [_ts("2026-11-02"), _ts("2026-11-12"), None],
            "priority": ["high", "low", "high"],
            "channel": ["email", "chat", "email"],
            "satisfaction": [5.0, 3.0, None],
        }
    )
    spend = pd.DataFrame(
        {
            "spend_id": ["ads:s1", "ads:s2", "ads:s3"],
            "source": "ads",
            "date": [_ts("2026-09-15"), _ts("2026-10-15"), _ts("2026-11-15")],
            "channel": ["web", "web", "event"],
            "campaign": ["Autumn", "Autumn", "Expo"],
            "cost": [300.0, 450.0, 1200.0],
            "currency": "USD",
        }
    )
    return {
        "owners": owners,
        "accounts": accounts,
        "deals": deals,
        "deal_stage_history": history,
        "leads": leads,
        "activities": activities,
        "tickets": tickets,
        "spend": spend,
    }


def sample_dataset() -> Dataset:
    """The sample tables conformed to the canonical model."""
    tables = {name: conform(name, frame)[0] for name, frame in sample_tables().items()}
    counts = {"crm": {n: len(f) for n, f in tables.items() if n not in ("leads", "spend")}}
    counts["mkt"] = {"leads": len(tables["leads"])}
    counts["ads"] = {"spend": len(tables["spend"])}
    return Dataset(tables, sources=["crm", "mkt", "ads"], row_counts=counts)


def empty_dataset() -> Dataset:
    """A dataset no source contributed to: every table empty and typed."""
    return Dataset({})
