"""Support tickets (HubSpot tickets, Salesforce cases) raised by customers during their tenure.

Customers who stay longer and bigger customers raise more tickets. Urgent tickets are answered
and resolved faster; satisfaction (CSAT, 1-5) drops when resolution drags. Tickets opened
recently may still be open.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from connectors.demo.org import SUCCESS, Org
from connectors.demo.timeline import DAY, HOUR, Window, business_hours, lognormal_days, to_utc
from connectors.demo.vocab import SYSTEMS, TICKET_CHANNELS, TICKET_PRIORITIES

TICKETS_PER_DEAL = 0.2
PRIORITY_MIX = (0.38, 0.36, 0.20, 0.06)
CHANNEL_MIX = (0.45, 0.25, 0.15, 0.15)
FIRST_RESPONSE_HOURS = np.array([14.0, 6.0, 2.0, 0.5])  # by priority
RESOLUTION_HOURS = np.array([70.0, 40.0, 20.0, 6.0])
SEGMENT_LOAD = np.array([1.0, 2.0, 3.0])
STATUSES = ("Closed", "Open", "In Progress", "Waiting on Customer")
CSAT_RESPONSE_RATE = 0.45


def build_tickets(
    rng: np.random.Generator, window: Window, org: Org, accounts: pd.DataFrame, size: int
) -> pd.DataFrame:
    """All tickets (keys in time order)."""
    n = round(size * TICKETS_PER_DEAL)
    since = accounts["customer_since"].to_numpy("M8[ns]")
    until = accounts["churned_at"].to_numpy("M8[ns]")
    until = np.where(np.isnat(until), window.end, until)
    tenure = np.where(np.isnat(since), 0.0, np.maximum((until - since) / DAY, 0.0))
    weight = tenure * SEGMENT_LOAD[accounts["segment"].cat.codes.to_numpy(np.int64)]
    if weight.sum() == 0:
        weight = np.ones(len(accounts))
        since = np.where(np.isnat(since), window.start, since)
    account = np.sort(rng.choice(len(accounts), n, p=weight / weight.sum()))
    start = since[account]
    opened = start + (rng.random(n) * tenure[account] * 86400e9).astype("m8[ns]")
    opened = opened.astype("M8[D]").astype("M8[ns]") + business_hours(rng, n)
    opened = np.minimum(opened, window.end - HOUR)
    order = np.argsort(opened, kind="stable")
    account, opened = account[order], opened[order]

    priority = rng.choice(len(TICKET_PRIORITIES), n, p=PRIORITY_MIX)
    responded = opened + lognormal_days(rng, FIRST_RESPONSE_HOURS[priority] / 24, 0.9)
    spent = lognormal_days(rng, RESOLUTION_HOURS[priority] / 24, 1.0)
    resolved = responded + spent
    nat = np.datetime64("NaT", "ns")
    done = resolved < window.end
    status = np.where(done, 0, rng.integers(1, len(STATUSES), n))
    slowness = np.log((spent / HOUR) / RESOLUTION_HOURS[priority])
    score = np.clip(np.round(4.5 - 0.6 * slowness + 0.8 * rng.standard_normal(n)), 1, 5)
    rated = done & (rng.random(n) < CSAT_RESPONSE_RATE)

    system = accounts["system"].cat.codes.to_numpy(np.int64)[account]
    region = accounts["region"].cat.codes.to_numpy(np.int64)[account]
    return pd.DataFrame(
        {
            "key": np.arange(n),
            "system": pd.Categorical.from_codes(system, SYSTEMS),
            "account": account,
            "owner": org.pick(rng, org.team_of[system, region, SUCCESS]),
            "opened_at": to_utc(opened),
            "first_response_at": to_utc(np.where(responded < window.end, responded, nat)),
            "resolved_at": to_utc(np.where(done, resolved, nat)),
            "priority": pd.Categorical.from_codes(priority, TICKET_PRIORITIES),
            "status": pd.Categorical.from_codes(status, STATUSES),
            "channel": pd.Categorical.from_codes(
                rng.choice(len(TICKET_CHANNELS), n, p=CHANNEL_MIX), TICKET_CHANNELS
            ),
            "satisfaction": np.where(rated, score, np.nan),
        }
    )
