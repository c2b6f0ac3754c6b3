"""Deals of the demo company: new business, renewals and expansions, and their stage history.

New deals land on accounts with a segment-dependent sales cycle and win rate. Accounts that win
one become customers; each contract anniversary brings a renewal deal until the customer churns
(the lost renewal is the churn date); customers also buy expansions during their tenure. The
total number of deals equals the requested size exactly: expansions fill what new business and
renewals leave. Deals created recently whose cycle has not ended yet are open, at the stage they
have reached so far.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from connectors.demo import pipeline as pl
from connectors.demo import text
from connectors.demo.channels import campaign_labels, channel_weights, pick_campaigns, win_factor
from connectors.demo.companies import segment_of
from connectors.demo.org import LARGE, SMALL, SUCCESS, Org
from connectors.demo.timeline import (
    DAY,
    Window,
    business_hours,
    in_time_order,
    lognormal_days,
    quarter_end,
    to_utc,
)
from connectors.demo.vocab import (
    CHANNEL_NAMES,
    CURRENCIES,
    DEAL_STATUSES,
    DEAL_TYPES,
    ENT,
    EXPANSION,
    LOST,
    NEW,
    OPEN,
    PIPELINES,
    PRODUCT_MIX,
    PRODUCTS,
    RENEWAL,
    SYSTEMS,
    USD_RATE,
    WON,
)
from sheets_sync.model import arrow_strings, string_array

NEW_SHARE = 0.74  # share of deals that are new business; renewals and expansions make the rest
SF_SHARE = 0.40  # share of new business in Salesforce
LEAD_SOURCED = (0.55, 0.85)  # share of new deals that come from a lead, per CRM
# Per segment (SMB, Mid-Market, Enterprise).
WIN_RATE = np.array([0.26, 0.22, 0.19])
CYCLE_DAYS = np.array([26.0, 58.0, 115.0])
AMOUNT_USD = np.array([6_500.0, 32_000.0, 145_000.0])
ANNUAL_CHURN = np.array([0.24, 0.12, 0.07])
EOQ_PULL = 0.35  # share of won deals that slip to the last days of their quarter
# Outbound / sales-sourced new deals come through these channels.
OUTBOUND_CHANNELS = np.array([CHANNEL_NAMES.index(c) for c in ("Direct", "Partner", "Events")])
OUTBOUND_WEIGHTS = np.array([0.6, 0.25, 0.15])


@dataclass
class Book:
    """Deals (one row per deal, keys in creation order), their stage history, and the accounts
    completed with customer fields."""

    deals: pd.DataFrame
    history: pd.DataFrame
    accounts: pd.DataFrame


def build_book(
    rng: np.random.Generator, window: Window, org: Org, accounts: pd.DataFrame, size: int
) -> Book:
    """All deals, their stage history and the customer fields of ``accounts``."""
    n_new = round(size * NEW_SHARE)
    new = _new_deals(rng, window, org, accounts, n_new)
    cust = _customers(rng, org, accounts, new)
    renewals = _renewals(rng, window, accounts, cust)
    keep = size - n_new
    if len(renewals["created"]) > keep:
        chosen = np.sort(rng.choice(len(renewals["created"]), keep, replace=False))
        renewals = {k: v[chosen] for k, v in renewals.items()}
    expansions = _expansions(rng, window, accounts, cust, keep - len(renewals["created"]))
    cols = in_time_order([new, renewals, expansions], "created")
    _pull_to_quarter_end(rng, window, cols)
    _settle(rng, window, cols)
    accounts = _complete_accounts(rng, window, accounts, cust, cols)
    _cover_owners(rng, org, cols)
    deals = _deal_frame(window, accounts, cols)
    history = _history(rng, window, cols)
    history["amount"] = deals["amount"].to_numpy()[history["deal"].to_numpy()]
    return Book(deals, history, accounts)


def _cover_owners(rng: np.random.Generator, org: Org, cols: dict) -> None:
    """Give every rep who takes work at least one deal (small companies leave some idle).

    Idle reps take one deal each from colleagues in the same CRM who hold at least three.
    """
    owner = cols["owner"]
    counts = np.bincount(owner, minlength=len(org.owners))
    system = org.owners["system"].cat.codes.to_numpy(np.int64)
    idle = org.members[counts[org.members] == 0]
    for code in (0, 1):
        takers = idle[system[idle] == code]
        donors = np.flatnonzero((cols["system"] == code) & (counts[owner] >= 3))
        takers = takers[: len(donors)]
        owner[rng.choice(donors, len(takers), replace=False)] = takers


def _new_deals(
    rng: np.random.Generator, window: Window, org: Org, accounts: pd.DataFrame, n: int
) -> dict[str, np.ndarray]:
    """New-business deals spread over the accounts of both CRMs."""
    system_codes = accounts["system"].cat.codes.to_numpy(np.int64)
    n_sf = round(n * SF_SHARE)
    sf_accounts = np.flatnonzero(system_codes == 0)
    hs_accounts = np.flatnonzero(system_codes == 1)
    account = np.r_[
        sf_accounts[rng.integers(0, len(sf_accounts), n_sf)],
        hs_accounts[rng.integers(0, len(hs_accounts), n - n_sf)],
    ]
    system = system_codes[account]
    segment = segment_of(accounts)[account]
    created = window.sample(rng, n)

    lead_sourced = rng.random(n) < np.array(LEAD_SOURCED)[system]
    channel = np.empty(n, dtype=np.int64)
    for code in (0, 1):
        rows = np.flatnonzero(system == code)
        channel[rows] = rng.choice(len(CHANNEL_NAMES), len(rows), p=channel_weights(code, True))
    outbound = np.flatnonzero(~lead_sourced)
    channel[outbound] = OUTBOUND_CHANNELS[
        rng.choice(len(OUTBOUND_CHANNELS), len(outbound), p=OUTBOUND_WEIGHTS)
    ]
    win_p = np.clip(WIN_RATE[segment] * win_factor()[channel], 0.02, 0.9)
    will_win = rng.random(n) < win_p
    cycle = lognormal_days(rng, CYCLE_DAYS[segment] * np.where(will_win, 1.0, 0.75), 0.55)
    product = _products(rng, segment)
    amount_usd = AMOUNT_USD[segment] * np.exp(0.55 * rng.standard_normal(n))
    amount_usd *= np.where(product == PRODUCTS.index("Connectors Add-on"), 0.35, 1.0)
    # Most deals belong to the account owner; some were worked by a teammate.
    owner = accounts["owner"].to_numpy(np.int64)[account]
    teammate = rng.random(n) < 0.2
    region = accounts["region"].cat.codes.to_numpy(np.int64)[account]
    role = np.where(segment == ENT, LARGE, SMALL)
    owner[teammate] = org.pick(rng, org.team_of[system, region, role][teammate])
    return {
        "system": system,
        "account": account,
        "deal_type": np.full(n, NEW),
        "created": created,
        "close": created + cycle,
        "will_win": will_win,
        "drop": pl.drop_stage(rng, system),
        "amount_usd": amount_usd,
        "product": product,
        "channel": channel,
        "campaign": pick_campaigns(rng, window, channel, created),
        "owner": owner,
        "lead_sourced": lead_sourced,
    }


def _products(rng: np.random.Generator, segment: np.ndarray) -> np.ndarray:
    product = np.empty(len(segment), dtype=np.int64)
    for seg, mix in PRODUCT_MIX.items():
        rows = np.flatnonzero(segment == seg)
        product[rows] = rng.choice(len(PRODUCTS), len(rows), p=mix)
    return product


@dataclass
class _Customers:
    """Accounts that won new business: when, how much, who looks after them, when they leave."""

    account: np.ndarray
    since: np.ndarray
    acv_usd: np.ndarray
    product: np.ndarray
    csm: np.ndarray
    churn_year: np.ndarray  # the contract anniversary at which the customer does not renew


def _customers(
    rng: np.random.Generator, org: Org, accounts: pd.DataFrame, new: dict[str, np.ndarray]
) -> _Customers:
    won = np.flatnonzero(new["will_win"])
    order = won[np.lexsort((new["close"][won], new["account"][won]))]
    acc = new["account"][order]
    first = np.r_[True, acc[1:] != acc[:-1]]
    account = acc[first]
    acv = np.bincount(acc, weights=new["amount_usd"][order], minlength=len(accounts))[account]
    system = accounts["system"].cat.codes.to_numpy(np.int64)[account]
    region = accounts["region"].cat.codes.to_numpy(np.int64)[account]
    segment = segment_of(accounts)[account]
    return _Customers(
        account=account,
        since=new["close"][order][first],
        acv_usd=acv,
        product=new["product"][order][first],
        csm=org.pick(rng, org.team_of[system, region, SUCCESS]),
        churn_year=rng.geometric(ANNUAL_CHURN[segment]),
    )


def _renewals(
    rng: np.random.Generator, window: Window, accounts: pd.DataFrame, cust: _Customers
) -> dict[str, np.ndarray]:
    """One renewal deal per contract anniversary, up to and including the one that churns."""
    year = np.timedelta64(365, "D").astype("m8[ns]")
    lead_time = 90 * DAY
    # Anniversaries whose renewal deal is already created by the end of the window.
    possible = np.maximum((window.end - cust.since + lead_time) // year, 0).astype(np.int64)
    count = np.minimum(possible, cust.churn_year)
    which = np.repeat(np.arange(len(cust.account)), count)
    nth = np.arange(len(which)) - np.repeat(np.cumsum(count) - count, count) + 1
    anniversary = cust.since[which] + nth * year
    created = anniversary - (rng.uniform(30, 90, len(which)) * 86400e9).astype("m8[ns]")
    system = accounts["system"].cat.codes.to_numpy(np.int64)[cust.account[which]]
    n = len(which)
    renewal = {
        "system": system,
        "account": cust.account[which],
        "deal_type": np.full(n, RENEWAL),
        "created": created,
        "close": anniversary - (rng.uniform(0, 20, n) * 86400e9).astype("m8[ns]"),
        "will_win": nth < cust.churn_year[which],
        "drop": np.maximum(pl.OPEN_COUNT[system] - rng.integers(0, 3, n), 1),
        "amount_usd": cust.acv_usd[which] * 1.05**nth,
        "product": cust.product[which],
        "channel": np.full(n, -1),
        "campaign": np.full(n, -1),
        "owner": cust.csm[which],
        "lead_sourced": np.zeros(n, dtype=bool),
    }
    # The last anniversary's renewal may not be created yet.
    started = created < window.end
    return {k: v[started] for k, v in renewal.items()}


def _expansions(
    rng: np.random.Generator, window: Window, accounts: pd.DataFrame, cust: _Customers, n: int
) -> dict[str, np.ndarray]:
    """``n`` upsell deals during customers' tenure, more for customers who stay longer."""
    year = np.timedelta64(365, "D").astype("m8[ns]")
    ready = cust.since + 45 * DAY  # nobody upsells in the first weeks
    leaves = np.minimum(cust.since + cust.churn_year * year, window.end)
    tenure = np.maximum((leaves - ready) / DAY, 0.0)
    if tenure.sum() == 0:  # only possible for tiny companies: let the longest customer expand
        tenure[np.argmax(leaves - cust.since)] = 1.0
    which = rng.choice(len(cust.account), n, p=tenure / tenure.sum())
    created = ready[which] + (rng.random(n) * tenure[which] * 86400e9).astype("m8[ns]")
    system = accounts["system"].cat.codes.to_numpy(np.int64)[cust.account[which]]
    segment = segment_of(accounts)[cust.account[which]]
    return {
        "system": system,
        "account": cust.account[which],
        "deal_type": np.full(n, EXPANSION),
        "created": created,
        "close": created + lognormal_days(rng, CYCLE_DAYS[segment] * 0.6, 0.5),
        "will_win": rng.random(n) < 0.45,
        "drop": pl.drop_stage(rng, system),
        "amount_usd": cust.acv_usd[which] * rng.uniform(0.12, 0.45, n),
        "product": rng.choice([3, 4, 2], n, p=[0.5, 0.2, 0.3]),
        "channel": np.full(n, -1),
        "campaign": np.full(n, -1),
        "owner": cust.csm[which],
        "lead_sourced": np.zeros(n, dtype=bool),
    }


def _pull_to_quarter_end(rng: np.random.Generator, window: Window, cols: dict) -> None:
    """Reps close at quarter end: move a share of won closes to the quarter's last week."""
    close = cols["close"]
    moved = (
        quarter_end(close) - rng.integers(0, 6, len(close)) * DAY + business_hours(rng, len(close))
    )
    pull = (
        cols["will_win"]
        & (cols["deal_type"] != RENEWAL)
        & (rng.random(len(close)) < EOQ_PULL)
        & (close < window.end)
        & (moved < window.end)
        & (moved >= cols["created"])
    )
    cols["close"] = np.where(pull, moved, close)


def _settle(rng: np.random.Generator, window: Window, cols: dict) -> None:
    """Decide status, stage reached, stage, probability and last update of every deal."""
    created, close, system = cols["created"], cols["close"], cols["system"]
    n = len(created)
    closed = close < window.end
    won = closed & cols["will_win"]
    # Stages the deal will have entered when it closes: all of them if it is won.
    target = np.minimum(np.where(cols["will_win"], 99, cols["drop"]), pl.OPEN_COUNT[system])
    elapsed = ((window.end - created) / DAY) / np.maximum((close - created) / DAY, 1e-3)
    reached_open = np.clip(np.ceil(elapsed * target), 1, target).astype(np.int64)
    reached = np.where(closed, target, reached_open)
    stage = np.where(
        closed,
        np.where(won, pl.WON_CODE, pl.LOST_CODE),
        pl.OPEN_CODE[system, reached - 1],
    )
    recent = window.end - (rng.uniform(0, 21, n) * 86400e9).astype("m8[ns]")
    after_close = close + (rng.uniform(0, 3, n) * 86400e9).astype("m8[ns]")
    updated = np.where(closed, np.minimum(after_close, window.end - DAY // 24), recent)
    cols.update(
        closed=closed,
        won=won,
        reached=reached,
        stage=stage,
        stage_order=np.where(closed, pl.closed_order(system, won), reached),
        probability=pl.PROBABILITY[stage],
        updated=np.maximum(updated, created),
    )


def _complete_accounts(
    rng: np.random.Generator,
    window: Window,
    accounts: pd.DataFrame,
    cust: _Customers,
    cols: dict,
) -> pd.DataFrame:
    """Creation date, customer_since, churned_at and MRR of every account."""
    n = len(accounts)
    first_deal = pd.Series(cols["created"]).groupby(cols["account"]).min()
    created = window.sample(rng, n) - rng.integers(0, 200, n) * DAY
    lead_in = (rng.uniform(1, 120, len(first_deal)) * 86400e9).astype("m8[ns]")
    created[first_deal.index.to_numpy()] = first_deal.to_numpy() - lead_in

    since = np.full(n, np.datetime64("NaT"), dtype="M8[ns]")
    since[cust.account] = cust.since
    lost_renewal = (cols["deal_type"] == RENEWAL) & cols["closed"] & ~cols["won"]
    churned = np.full(n, np.datetime64("NaT"), dtype="M8[ns]")
    churned[cols["account"][lost_renewal]] = cols["close"][lost_renewal]

    # MRR: first-year contract value, raised by each won renewal, plus won expansions.
    renewed = cols["won"] & (cols["deal_type"] == RENEWAL)
    renewals_won = np.bincount(cols["account"][renewed], minlength=n)
    expanded = cols["won"] & (cols["deal_type"] == EXPANSION)
    extra = np.bincount(cols["account"][expanded], cols["amount_usd"][expanded], minlength=n)
    acv = np.zeros(n)
    acv[cust.account] = cust.acv_usd
    rate = _local_rate(accounts)
    mrr = np.where(np.isnat(since), np.nan, (acv * 1.05**renewals_won + extra) / 12 * rate)

    out = accounts.copy()
    out["created_at"] = to_utc(created)
    out["customer_since"] = to_utc(since)
    out["churned_at"] = to_utc(churned)
    out["mrr"] = mrr.round(2)
    return out


def _local_rate(accounts: pd.DataFrame) -> np.ndarray:
    """Units of each account's currency per US dollar."""
    rates = np.array([USD_RATE[c] for c in CURRENCIES])
    return rates[accounts["currency"].cat.codes.to_numpy(np.int64)]


def _deal_frame(window: Window, accounts: pd.DataFrame, cols: dict) -> pd.DataFrame:
    """The universe's deals table from the deal arrays."""
    system, account, deal_type = cols["system"], cols["account"], cols["deal_type"]
    currency = accounts["currency"].cat.codes.to_numpy(np.int64)[account]
    rate = _local_rate(accounts)[account]
    step = np.where(cols["amount_usd"] > 20_000, 100.0, 10.0)
    amount = np.maximum((cols["amount_usd"] * rate / step).round() * step, step)
    pipeline_labels = sorted({p for ps in PIPELINES.values() for p in ps})
    pipeline_code = np.array(
        [[pipeline_labels.index(PIPELINES[s][t]) for t in range(3)] for s in (0, 1)]
    )[system, deal_type]
    titles = text.pool(
        [f" - {p}" for p in PRODUCTS]
        + [f" - Renewal ({p})" for p in PRODUCTS]
        + [f" - Upsell {p}" for p in PRODUCTS]
    )
    title = titles.take(deal_type * len(PRODUCTS) + cols["product"])
    name = text.join(arrow_strings(accounts["name"]).take(account), title)
    lead_source = cols["channel"]
    return pd.DataFrame(
        {
            "key": np.arange(len(system)),
            "system": pd.Categorical.from_codes(system, SYSTEMS),
            "name": string_array(name),
            "pipeline": pd.Categorical.from_codes(pipeline_code, pipeline_labels),
            "stage": pd.Categorical.from_codes(cols["stage"], pl.STAGES),
            "stage_order": cols["stage_order"],
            "status": pd.Categorical.from_codes(
                np.where(cols["closed"], np.where(cols["won"], WON, LOST), OPEN), DEAL_STATUSES
            ),
            "amount": amount,
            "currency": pd.Categorical.from_codes(currency, CURRENCIES),
            "created_at": to_utc(cols["created"]),
            "close_date": to_utc(cols["close"]),
            "probability": cols["probability"],
            "lead_source": pd.Categorical.from_codes(lead_source, CHANNEL_NAMES),
            "campaign": pd.Categorical.from_codes(cols["campaign"], campaign_labels(window)),
            "product": pd.Categorical.from_codes(cols["product"], PRODUCTS),
            "deal_type": pd.Categorical.from_codes(deal_type, DEAL_TYPES),
            "owner": cols["owner"],
            "account": account,
            "contact": np.full(len(system), -1),
            "updated_at": to_utc(cols["updated"]),
            "stage_id": pl.stage_ids(system, cols["stage"]),
            "lead_sourced": cols["lead_sourced"],
        }
    )


def _history(rng: np.random.Generator, window: Window, cols: dict) -> pd.DataFrame:
    """One row per stage each deal entered, in order, ending with the closing stage."""
    closed, reached, system = cols["closed"], cols["reached"], cols["system"]
    rows = reached + closed
    deal = np.repeat(np.arange(len(rows)), rows)
    nth = np.arange(len(deal)) - np.repeat(np.cumsum(rows) - rows, rows)
    start = cols["created"][deal]
    finish = np.where(closed, cols["close"], np.minimum(cols["updated"], window.end))[deal]
    is_close = nth >= reached[deal]
    frac = np.where(nth == 0, 0.0, (nth + 0.6 * rng.random(len(deal))) / reached[deal])
    entered = start + ((finish - start) / DAY * frac * 86400e9).astype("m8[ns]")
    entered = np.where(is_close, cols["close"][deal], entered)
    stage = np.where(is_close, cols["stage"][deal], pl.OPEN_CODE[system[deal], np.minimum(nth, 5)])
    order = np.where(is_close, cols["stage_order"][deal], nth + 1)
    return pd.DataFrame(
        {
            # Narrow integers: this is the largest table (about four rows per deal).
            "key": np.arange(len(deal), dtype=np.int32),
            "system": pd.Categorical.from_codes(system[deal], SYSTEMS),
            "deal": deal.astype(np.int32),
            "stage": pd.Categorical.from_codes(stage, pl.STAGES),
            "stage_order": order.astype(np.int8),
            "entered_at": to_utc(entered),
        }
    )
