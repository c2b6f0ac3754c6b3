"""Stage funnel from deal stage history, computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from sheets_sync.metrics.engine import stage_funnel
from sheets_sync.metrics.query import Query
from tests.metrics.frames import MARCH, dataset, deal

HISTORY = [
    ("d1", "Qualify", 1, "2024-03-01"),
    ("d1", "Propose", 2, "2024-03-05"),
    ("d1", "Negotiate", 3, "2024-03-15"),
    ("d2", "Qualify", 1, "2024-03-02"),
    ("d2", "Propose", 2, "2024-03-12"),
    ("d3", "Qualify", 1, "2024-03-03"),
    ("d5", "Qualify", 1, "2024-03-04"),
    ("d5", "Closed Lost", 2, "2024-03-08"),
    ("d4", "Review", 1, "2024-02-20"),
    ("d4", "Sign", 2, "2024-03-10"),
]


@pytest.fixture
def crm():
    history = [
        {
            "history_id": f"t:h{i}",
            "source": "t",
            "deal_id": f"t:{d}",
            "stage": s,
            "stage_order": o,
            "entered_at": at,
        }
        for i, (d, s, o, at) in enumerate(HISTORY)
    ]
    deals = [
        deal(1, "open", "2024-03-01", pipeline="Sales", owner_id="t:o1"),
        deal(2, "open", "2024-03-01", pipeline="Sales", owner_id="t:o2"),
        deal(3, "open", "2024-03-01", pipeline="Sales", owner_id="t:o2"),
        deal(4, "open", "2024-02-01", pipeline="Renewals", owner_id="t:o1"),
        deal(5, "lost", "2024-03-01", "2024-03-08", pipeline="Sales", owner_id="t:o1"),
    ]
    owners = [
        {"owner_id": "t:o1", "source": "t", "name": "Ann"},
        {"owner_id": "t:o2", "source": "t", "name": "Bob"},
    ]
    return dataset(deals=deals, deal_stage_history=history, owners=owners)


def rows(frame):
    return {
        (p, s): (n, None if np.isnan(c) else c, None if np.isnan(d) else d)
        for p, s, n, c, d in zip(
            frame["pipeline"],
            frame["stage"],
            frame["deals_entered"],
            frame["conversion_to_next"],
            frame["avg_days_in_stage"],
            strict=True,
        )
    }


def test_funnel_counts_conversion_and_days(crm):
    result = stage_funnel(crm, Query(("new_deals",), date_range=MARCH))
    assert list(result.columns) == [
        "pipeline",
        "stage",
        "stage_order",
        "deals_entered",
        "conversion_to_next",
        "avg_days_in_stage",
    ]
    assert rows(result) == {
        ("Renewals", "Sign"): (1, None, None),  # Review was entered in February
        ("Sales", "Qualify"): (4, 3 / 4, 6.0),  # d1 4 days, d2 10, d5 4; d3 still there
        ("Sales", "Closed Lost"): (1, None, None),  # no deal ever leaves it: terminal
        ("Sales", "Propose"): (2, 1 / 2, 10.0),
        ("Sales", "Negotiate"): (1, None, None),  # the last stage has no next one
    }
    assert list(result["stage"]) == ["Sign", "Qualify", "Closed Lost", "Propose", "Negotiate"]


def test_funnel_applies_deal_filters(crm):
    result = stage_funnel(crm, Query(("new_deals",), date_range=MARCH, filters={"owner": "Bob"}))
    assert rows(result) == {
        ("Sales", "Qualify"): (2, 1 / 2, 10.0),
        ("Sales", "Propose"): (1, 0.0, None),  # Negotiate exists but d2 has not reached it
    }


def test_funnel_without_history_is_empty():
    result = stage_funnel(dataset(deals=[deal(1, "open", "2024-03-01")]), Query(("new_deals",)))
    assert result.empty and "conversion_to_next" in result.columns
