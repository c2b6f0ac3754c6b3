"""The fast stage funnel gives exactly what the plain pandas reference gives, on random data."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sheets_sync.metrics import funnel
from sheets_sync.metrics.engine import stage_funnel
from sheets_sync.metrics.query import DateRange, Query
from tests.metrics.frames import dataset, deal
from tests.metrics.funnel_reference import reference_funnel

STAGES = [("Qualify", 1), ("Propose", 2), ("Negotiate", 3), ("Closed Won", 4), ("Closed Lost", 4)]
RANGE = DateRange("custom", date(2024, 3, 1), date(2024, 3, 31))


def random_crm(seed: int, grouped: bool = False):
    """Deals in two pipelines (some with none), histories that go back and forth, repeat
    stages, lack stage orders, and entries of deals no table knows; with ``grouped`` the
    history is listed deal by deal in time order, as most sources list it."""
    rng = np.random.default_rng(seed)
    deals = [
        deal(
            i,
            "open",
            "2024-02-01",
            pipeline=rng.choice(["Sales", "Renewals", None]),
            owner_id=f"t:o{rng.integers(2)}",
        )
        for i in range(int(rng.integers(1, 25)))
    ]
    history = []
    for n in range(int(rng.integers(1, 80))):
        stage, order = STAGES[rng.integers(len(STAGES))]
        day = pd.Timestamp("2024-02-20") + pd.Timedelta(hours=int(rng.integers(0, 24 * 50)))
        history.append(
            {
                "history_id": f"t:h{n}",
                "source": "t",
                "deal_id": f"t:d{rng.integers(len(deals) + 3)}",  # some deals are unknown
                "stage": stage,
                "stage_order": None if rng.random() < 0.1 else order,
                "entered_at": day.isoformat(),
            }
        )
    if grouped:
        rank = {d["deal_id"]: i for i, d in enumerate(deals)}
        history.sort(key=lambda h: (rank.get(h["deal_id"], len(rank)), h["entered_at"]))
    return dataset(deals=deals, deal_stage_history=history)


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("filters", [{}, {"owner_id": "t:o1"}])
@pytest.mark.parametrize("grouped", [False, True])
def test_fast_funnel_matches_reference(seed, filters, grouped):
    crm = random_crm(seed, grouped)
    query = Query(("new_deals",), date_range=RANGE, filters=filters)
    expected = reference_funnel(crm, query)
    got = stage_funnel(crm, query)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


@pytest.mark.parametrize("seed", range(10))
def test_distinct_deals_without_the_presence_grid_match_too(monkeypatch, seed):
    monkeypatch.setattr(funnel, "_MAX_GRID_CELLS", 0)
    crm = random_crm(seed)
    query = Query(("new_deals",), date_range=RANGE)
    pd.testing.assert_frame_equal(
        stage_funnel(crm, query), reference_funnel(crm, query), check_exact=True
    )


def test_fast_funnel_is_cached_per_dataset_and_follows_replaced_tables():
    crm = random_crm(3)
    query = Query(("new_deals",), date_range=RANGE)
    first = stage_funnel(crm, query)
    assert "metrics.funnel.steps" in crm.cache
    history = crm.tables["deal_stage_history"]
    crm.tables["deal_stage_history"] = history.iloc[:0].copy()
    assert stage_funnel(crm, query).empty
    crm.tables["deal_stage_history"] = history.copy()
    pd.testing.assert_frame_equal(stage_funnel(crm, query), first)
