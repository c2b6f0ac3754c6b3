"""Every built-in metric against a number computed by hand on the mini CRM (March 2024, UTC).

The comments next to each expected value show the hand computation; frames.mini_crm documents
the rows. Report currency EUR, 1 USD = 0.5 EUR, GBP has no rate (deal 5 is left out of money).
"""

from __future__ import annotations

import math

import pytest

from sheets_sync.metrics.catalogue import load_catalogue
from sheets_sync.metrics.engine import run_query
from sheets_sync.metrics.query import Query
from tests.metrics.frames import MARCH, RATES, mini_crm

CHURN = 1 / 2  # start cohort a1, a2; a2 churned on 15 March
MONTHLY_CHURN = CHURN * 30.4375 / 31  # March has 31 days
LTV = ((100 + 300 * 0.5) / 2) / MONTHLY_CHURN  # mean mrr of a1 and a3 at the end of March
SPEND = 600 + 200 * 0.5  # s1 + s2 (USD); s3 is in February

EXPECTED = {
    # acquisition
    "new_leads": 3,  # l1, l2, l3 created in March (l4 in February)
    "mqls": 3,  # l1, l2, l4
    "sqls": 2,  # l1, l4
    "converted_leads": 2,  # l1, l4 (l3 converts in April)
    "lead_conversion_rate": 2 / 3,  # l1 and l3 of l1..l3 have converted_at
    "new_customers": 2,  # d1 (new) and d7 (no deal_type); d2 is a renewal
    "cost_per_lead": SPEND / 3,
    # engagement
    "activities": 4,  # x1..x4; x5 is in February
    "calls": 1,
    "emails": 1,
    "meetings": 1,
    "tasks": 1,
    "activities_per_rep": 4 / 2,  # owners o1, o2 (x4 has none)
    "activities_per_account": 4 / 3,  # a1, a2, a3
    "avg_first_response_hours": (2 + 10) / 2,  # l1 2h, l2 10h, l3 none
    # retention
    "active_customers": 2,  # a1, a3 on 1 April
    "churned_customers": 1,  # a2
    "churn_rate": CHURN,
    "retention_rate": 1 - CHURN,
    "gross_revenue_retention": 100 / (100 + 200),  # a1 survives of a1 + a2
    "avg_customer_lifetime_days": 288,  # a2: 2023-06-01 to 2024-03-15
    # efficiency
    "cac": SPEND / 2,
    "cost_per_opportunity": SPEND / 3,  # d2, d4, d6 created in March
    "revenue_per_rep": 1300 / 2,  # won revenue by o1 (d1) and o2 (d2); d7 has no owner
    "sales_cycle_days": (38 + 20 + 90 + 23.5 / 24) / 3,  # d1, d2, d7
    # effectiveness
    "win_rate": 3 / 4,  # d1, d2, d7 won; d3 lost
    "lead_to_opportunity_rate": 1 / 3,  # only l1 of l1..l3 has a converted_deal_id
    "mql_to_sql_rate": 2 / 3,  # of l1, l2, l4: l1 and l4 have sql_at
    # sales
    "new_deals": 3,
    "won_deals": 3,
    "lost_deals": 1,
    "won_revenue": 1000 + 400 * 0.5 + 100,
    "avg_deal_size": 1300 / 3,
    "pipeline_created": 400 * 0.5 + 500 + 800,  # d2, d4, d6
    "open_deals": 3,  # d4, d5 open; d6 won on 5 April was open on 1 April
    "open_pipeline": 500 + 800,  # d5 is in GBP without a rate
    "weighted_pipeline": 500 * 0.4 + 800 * 0.9,
    "mrr": 100 + 300 * 0.5,
    "ltv": LTV,
    "ltv_cac_ratio": LTV / (SPEND / 2),
    # cost
    "spend": SPEND,
    # support
    "tickets_opened": 3,  # t1, t2, t4
    "tickets_resolved": 2,  # t1, t3
    "open_tickets": 2,  # t2 (resolved 2 April), t4
    "avg_resolution_hours": (5 + 144) / 2,  # t1 5h, t3 6 days
    "avg_ticket_first_response_hours": (1 + 3) / 2,
    "csat": (4 + 2) / 2,  # t1, t3 resolved in March
}


def test_every_builtin_metric_has_a_hand_computed_value():
    assert set(EXPECTED) == {m.id for m in load_catalogue().all()}


@pytest.fixture(scope="module")
def march():
    query = Query(tuple(EXPECTED), date_range=MARCH, currency="EUR", currency_rates=RATES)
    return run_query(mini_crm(), query)


@pytest.mark.parametrize("metric_id", sorted(EXPECTED))
def test_builtin_metric_value(march, metric_id):
    assert len(march) == 1
    assert math.isclose(march[metric_id].iloc[0], EXPECTED[metric_id], rel_tol=1e-12)


def test_currency_without_rate_is_reported(march):
    issues = march.attrs["issues"]
    messages = [i.describe() for i in issues]
    assert any("GBP" in m and "deals" in m for m in messages), messages
    assert all("USD" not in m for m in messages)
