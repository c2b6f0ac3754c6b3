"""Every data-quality check with an offending and a clean record, and the summary counts."""

from __future__ import annotations

import pandas as pd
import pytest

from sheets_sync.blend import blend
from sheets_sync.dataset import Dataset
from sheets_sync.errors import MetricError
from sheets_sync.quality import QUALITY_CHECKS, quality_summary, run_check
from tests.blend.frames import canonical, result

NOW = pd.Timestamp("2026-06-30 12:00", tz="UTC")
S = "crm"


def _deal(deal_id: str, status: str = "open", **fields) -> dict:
    base = {
        "deal_id": f"{S}:{deal_id}",
        "name": f"Deal {deal_id}",
        "status": status,
        "created_at": "2026-06-01",
        "updated_at": "2026-06-20",
        "close_date": "2026-09-30" if status == "open" else "2026-06-10",
        "amount": 1000.0,
        "owner_id": f"{S}:u1",
        "account_id": f"{S}:a1",
    }
    return base | fields


def _dataset(deals: list[dict], **tables: list[dict]) -> Dataset:
    rows = {
        "owners": [{"owner_id": f"{S}:u1", "name": "Una"}],
        "accounts": [{"account_id": f"{S}:a1", "name": "Acme", "owner_id": f"{S}:u1"}],
        "leads": [
            {"lead_id": f"{S}:l1", "name": "Lee", "channel": "Web", "created_at": "2026-01-01"}
        ],
    } | tables
    frames = {name: canonical(name, S, r) for name, r in rows.items()}
    frames["deals"] = canonical("deals", S, deals)
    return Dataset(tables=frames)


def _ids(check: str, dataset: Dataset) -> list[str]:
    return run_check(check, dataset, NOW)["id"].tolist()


def test_clean_dataset_passes_every_check() -> None:
    summary = quality_summary(_dataset([_deal("1")]), NOW)
    assert list(summary.columns) == ["check", "description", "severity", "count"]
    assert summary["check"].tolist() == list(QUALITY_CHECKS)
    assert summary["count"].sum() == 0


def test_missing_owner_flags_deals_and_accounts() -> None:
    dataset = _dataset(
        [_deal("1"), _deal("2", owner_id=None)],
        accounts=[{"account_id": f"{S}:a1", "name": "Acme"}],
    )
    found = run_check("missing_owner", dataset, NOW)
    assert found["id"].tolist() == ["crm:2", "crm:a1"]
    assert found["record"].tolist() == ["deal", "account"]
    assert found["problem"].tolist() == ["deal has no owner", "account has no owner"]


def test_missing_amount_flags_open_and_won_but_not_lost() -> None:
    dataset = _dataset(
        [
            _deal("ok"),
            _deal("open-blank", amount=None),
            _deal("won-zero", "won", amount=0),
            _deal("lost-zero", "lost", amount=0),
            _deal("lost-blank", "lost", amount=None),
        ]
    )
    found = run_check("missing_amount", dataset, NOW)
    assert found["id"].tolist() == ["crm:open-blank", "crm:won-zero"]
    assert found["problem"].tolist() == ["open deal has no amount", "won deal has amount 0"]
    assert list(found.columns[:3]) == ["id", "source", "name"]


def test_missing_close_date_flags_closed_deals_only() -> None:
    dataset = _dataset(
        [
            _deal("won-ok", "won"),
            _deal("won-none", "won", close_date=None),
            _deal("lost-none", "lost", close_date=None),
            _deal("open-none", close_date=None),
        ]
    )
    assert _ids("missing_close_date", dataset) == ["crm:won-none", "crm:lost-none"]


def test_orphan_deals_name_the_missing_reference() -> None:
    dataset = _dataset(
        [
            _deal("ok"),
            _deal("no-refs", account_id=None, owner_id=None),  # unset is not orphan
            _deal("acc", account_id="crm:gone"),
            _deal("own", owner_id="crm:ghost"),
            _deal("both", account_id="crm:gone", owner_id="crm:ghost"),
        ]
    )
    found = run_check("orphan_deals", dataset, NOW)
    assert dict(zip(found["id"], found["problem"])) == {
        "crm:acc": "account not found",
        "crm:own": "owner not found",
        "crm:both": "account and owner not found",
    }


def test_stale_open_deals_use_updated_at_then_created_at() -> None:
    dataset = _dataset(
        [
            _deal("fresh"),
            _deal("stale", updated_at="2026-03-01"),  # 121 days before NOW
            _deal("edge", updated_at="2026-04-01 12:00"),  # exactly 90 days: not stale
            _deal("created-old", created_at="2026-01-01", updated_at=None),
            _deal("created-new", created_at="2026-06-01", updated_at=None),
            _deal("won-old", "won", updated_at="2025-01-01"),
        ]
    )
    found = run_check("stale_open_deals", dataset, NOW)
    assert found["id"].tolist() == ["crm:stale", "crm:created-old"]
    assert found["days_unchanged"].tolist() == [121, 180]
    assert found["problem"].iloc[0] == "open deal unchanged for 121 days"


def test_past_due_open_deals() -> None:
    dataset = _dataset(
        [
            _deal("future"),
            _deal("late", close_date="2026-06-20"),
            _deal("no-date", close_date=None),
            _deal("won-past", "won", close_date="2026-01-01"),
        ]
    )
    found = run_check("past_due_open_deals", dataset, NOW)
    assert found["id"].tolist() == ["crm:late"]
    assert found["days_past_due"].tolist() == [10]


def test_owners_without_deals_skips_inactive_owners() -> None:
    owners = [
        {"owner_id": f"{S}:u1", "name": "Una"},
        {"owner_id": f"{S}:u2", "name": "Idle", "active": True},
        {"owner_id": f"{S}:u3", "name": "Gone", "active": False},
        {"owner_id": f"{S}:u4", "name": "Unknown"},
    ]
    dataset = _dataset([_deal("1")], owners=owners)
    found = run_check("owners_without_deals", dataset, NOW)
    assert found["name"].tolist() == ["Idle", "Unknown"]


def test_leads_without_channel() -> None:
    leads = [
        {"lead_id": f"{S}:l1", "name": "Lee", "channel": "Web", "created_at": "2026-01-01"},
        {"lead_id": f"{S}:l2", "name": "Nia", "channel": "  ", "created_at": "2026-01-01"},
        {"lead_id": f"{S}:l3", "name": "Oz", "created_at": "2026-01-01"},
    ]
    dataset = blend([(S, result(S, leads=leads))])
    assert _ids("leads_without_channel", dataset) == ["crm:l2", "crm:l3"]


def test_cross_source_duplicates_lists_groups_spanning_sources_only() -> None:
    c = "2026-01-01"
    one = result(
        "a", leads=[{"lead_id": "a:1", "name": "Jo", "email": "jo@x.com", "created_at": c}]
    )
    two = result(
        "b",
        leads=[
            {"lead_id": "b:1", "name": "Joe", "email": "JO@x.com", "created_at": c},
            {"lead_id": "b:2", "name": "Al", "email": "al@x.com", "created_at": c},
            {"lead_id": "b:3", "name": "Al", "email": "al+1@x.com", "created_at": c},
        ],
    )
    found = run_check("cross_source_duplicates", blend([("a", one), ("b", two)]), NOW)
    assert found["id"].tolist() == ["jo@x.com"]
    assert found["record_ids"].tolist() == ["a:1, b:1"]
    assert found["problem"].tolist() == ["same person in 2 records of a, b"]
    clean = blend([("a", one)])
    assert run_check("cross_source_duplicates", clean, NOW).empty


def test_summary_counts_every_check() -> None:
    dataset = _dataset(
        [
            _deal("a", amount=None, owner_id=None, updated_at="2026-01-01"),
            _deal("b", "won", close_date=None, account_id="crm:gone"),
            _deal("c", close_date="2026-06-01"),
        ],
        leads=[{"lead_id": f"{S}:l1", "created_at": "2026-01-01"}],
        owners=[{"owner_id": f"{S}:u1", "name": "Una"}, {"owner_id": f"{S}:u2", "name": "Bo"}],
    )
    counts = quality_summary(dataset, NOW.to_pydatetime()).set_index("check")["count"]
    assert counts.to_dict() == {
        "cross_source_duplicates": 0,
        "missing_owner": 1,
        "missing_amount": 1,
        "missing_close_date": 1,
        "orphan_deals": 1,
        "stale_open_deals": 1,
        "past_due_open_deals": 1,
        "owners_without_deals": 1,
        "leads_without_channel": 1,
    }


def test_naive_now_is_taken_as_utc() -> None:
    dataset = _dataset([_deal("late", close_date="2026-06-30 11:00")])
    assert run_check("past_due_open_deals", dataset, pd.Timestamp("2026-06-30 10:00")).empty
    assert len(run_check("past_due_open_deals", dataset, pd.Timestamp("2026-06-30 12:00"))) == 1


def test_unknown_check_names_the_valid_ones() -> None:
    with pytest.raises(MetricError, match=r"'missing_ownr' \(did you mean 'missing_owner'\?\).*"):
        run_check("missing_ownr", _dataset([_deal("1")]), NOW)
    with pytest.raises(
        MetricError, match="valid checks are: cross_source_duplicates, missing_owner"
    ):
        run_check("nope", _dataset([_deal("1")]), NOW)
