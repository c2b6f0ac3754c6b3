"""Channel and campaign draws shared by deals, leads and the spend sheet.

Campaign labels are one categorical vocabulary for the whole universe, so a lead's campaign, a
deal's campaign and a spend line's campaign compare equal. Event campaigns carry their year
("SaaStr Annual 2025"), the others are evergreen.
"""

from __future__ import annotations

import numpy as np

from connectors.demo.timeline import Window
from connectors.demo.vocab import CAMPAIGNS, CHANNELS


def years(window: Window) -> list[int]:
    """Calendar years the window touches, oldest first."""
    first = int(str(window.start.astype("M8[Y]")))
    last = window.as_of.year
    return list(range(first, last + 1))


def campaign_labels(window: Window) -> list[str]:
    """All campaign labels of the window, in code order."""
    labels: list[str] = []
    for campaign in CAMPAIGNS:
        if campaign.yearly:
            labels.extend(f"{campaign.name} {year}" for year in years(window))
        else:
            labels.append(campaign.name)
    return labels


def campaign_code_base(window: Window) -> np.ndarray:
    """Label code of each campaign's first (or only) label."""
    n_years = len(years(window))
    sizes = np.array([n_years if c.yearly else 1 for c in CAMPAIGNS])
    return np.r_[0, np.cumsum(sizes)[:-1]]


def pick_campaigns(
    rng: np.random.Generator, window: Window, channel: np.ndarray, instants: np.ndarray
) -> np.ndarray:
    """A campaign label code per row of ``channel`` codes (-1 stays -1: no channel, no campaign)."""
    out = np.full(len(channel), -1, dtype=np.int64)
    base = campaign_code_base(window)
    first_year = years(window)[0]
    year = instants.astype("M8[Y]").astype(np.int64) + 1970 - first_year
    for code in range(len(CHANNELS)):
        rows = np.flatnonzero(channel == code)
        options = [i for i, c in enumerate(CAMPAIGNS) if c.channel == code]
        weights = np.array([CAMPAIGNS[i].weight for i in options])
        chosen = np.array(options)[rng.choice(len(options), len(rows), p=weights / weights.sum())]
        yearly = np.array([CAMPAIGNS[i].yearly for i in range(len(CAMPAIGNS))])[chosen]
        out[rows] = base[chosen] + np.where(yearly, np.clip(year[rows], 0, None), 0)
    return out


def channel_weights(system: int, converting: bool) -> np.ndarray:
    """Channel mix of a CRM's leads; ``converting`` weights it by each channel's conversion."""
    share = np.array([c.share_sf if system == 0 else c.share_hs for c in CHANNELS])
    if converting:
        share = share * np.array([c.opp_rate for c in CHANNELS])
    return share / share.sum()


def win_factor() -> np.ndarray:
    """How much each channel's deals out-win the average: referrals close, paid social less."""
    return np.array([c.opp_rate for c in CHANNELS]) ** 0.35
