"""The marketing spend sheet: cost per day, channel and campaign.

Spend follows the leads it buys: each channel's daily cost is its expected lead volume times its
cost per lead, with the same growth and seasonality as the leads, less on weekends for paid
media, and event budgets concentrated in the weeks before each event.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from connectors.demo.channels import campaign_code_base, campaign_labels, channel_weights, years
from connectors.demo.timeline import DAY, Window
from connectors.demo.vocab import CAMPAIGNS, CHANNEL_NAMES, CHANNELS

# Month (1-12) of each yearly event; its budget lands in the six weeks before.
EVENT_MONTH = {"SaaStr Annual": 9, "Dreamforce": 10, "RevOps Roadshow": 4}
HS_LEAD_SHARE = 0.6


def build_spend(rng: np.random.Generator, window: Window, size: int) -> pd.DataFrame:
    """One row per day and campaign with a cost."""
    days = window.days
    dates = window.start + np.arange(days) * DAY
    leads_per_day = 2.0 * size * window.day_weights(weekday=False)
    mix = (1 - HS_LEAD_SHARE) * channel_weights(0, False) + HS_LEAD_SHARE * channel_weights(
        1, False
    )
    weekend = ((dates.astype("M8[D]").astype(np.int64) + 3) % 7) >= 5
    base = campaign_code_base(window)
    first_year = years(window)[0]
    year_of_day = dates.astype("M8[Y]").astype(np.int64) + 1970

    parts = []
    for index, campaign in enumerate(CAMPAIGNS):
        channel = CHANNELS[campaign.channel]
        share = campaign.weight * mix[campaign.channel]
        daily = leads_per_day * share * channel.cost_per_lead
        if channel.name.startswith("Paid"):
            daily = np.where(weekend, daily * 0.45, daily)
        label = np.full(days, base[index])
        if campaign.yearly:
            event = _event_dates(year_of_day, EVENT_MONTH[campaign.name])
            before = (event - dates) / DAY
            window_days = (before >= 0) & (before < 42)
            daily = np.where(window_days, daily * 365 / 42, 0.0)
            label = base[index] + (year_of_day - first_year)
        noise = np.exp(0.25 * rng.standard_normal(days))
        keep = daily > 0
        parts.append((np.flatnonzero(keep), label[keep], campaign.channel, (daily * noise)[keep]))

    day = np.concatenate([p[0] for p in parts])
    order = np.lexsort((np.concatenate([p[1] for p in parts]), day))
    channel = np.concatenate([np.full(len(p[0]), p[2]) for p in parts])[order]
    return pd.DataFrame(
        {
            "key": np.arange(len(order)),
            "date": pd.Series(dates[day[order]]).dt.tz_localize("UTC"),
            "channel": pd.Categorical.from_codes(channel, CHANNEL_NAMES),
            "campaign": pd.Categorical.from_codes(
                np.concatenate([p[1] for p in parts])[order], campaign_labels(window)
            ),
            "cost": np.concatenate([p[3] for p in parts])[order].round(2),
            "currency": pd.Categorical(["USD"] * len(order)),
        }
    )


def _event_dates(year: np.ndarray, month: int) -> np.ndarray:
    """Mid-month date of the event in each given year."""
    months = (year - 1970) * 12 + (month - 1)
    return months.astype("M8[M]").astype("M8[D]").astype("M8[ns]") + 14 * DAY
