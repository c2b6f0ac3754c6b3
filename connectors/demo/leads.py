"""Leads (Salesforce) and contacts (HubSpot) with their lifecycle.

Every lead-sourced new deal has the lead it converted from: created some weeks before the deal,
qualified (MQL, then SQL) in between, converted when the deal was created, a customer once the
deal is won. The other leads come from the channel mix of their CRM and progress as far as their
channel's quality takes them. About 8% of HubSpot contacts are people who are also Salesforce
leads, with their e-mail typed differently (case, stray spaces).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from connectors.demo.channels import campaign_labels, channel_weights, pick_campaigns
from connectors.demo.companies import countries_in, prospect_pool, segment_of
from connectors.demo.org import SMALL, Org
from connectors.demo.timeline import DAY, Window, lognormal_days, to_utc
from connectors.demo.vocab import (
    CHANNEL_NAMES,
    CHANNELS,
    COUNTRIES,
    FIRST_NAMES,
    FREE_MAIL_DOMAINS,
    HS,
    LAST_NAMES,
    REGION_MIX,
    REGIONS,
    SF,
    SYSTEMS,
)

LEADS_PER_DEAL = 2.0
OVERLAP_SHARE = 0.08  # HubSpot contacts who are also Salesforce leads
SQL_RATE = 0.38  # share of MQLs that sales accepts
STATUSES = ("lead", "mql", "sql", "opportunity", "customer", "unqualified")
LEAD, MQL, SQL, OPPORTUNITY, CUSTOMER, UNQUALIFIED = range(6)
# What each CRM calls the lifecycle stages: Salesforce Lead Status, HubSpot lifecycle stage.
CRM_STATUS = {
    SF: (
        "Open - Not Contacted",
        "Working - Contacted",
        "Working - Contacted",
        "Closed - Converted",
        "Closed - Converted",
        "Closed - Not Converted",
    ),
    HS: (
        "lead",
        "marketingqualifiedlead",
        "salesqualifiedlead",
        "opportunity",
        "customer",
        "other",
    ),
}
# Days from lead creation to deal creation, per segment.
LEAD_TO_DEAL_DAYS = np.array([16.0, 30.0, 45.0])
FIRST_RESPONSE_HOURS = np.array([9.0, 3.0])  # per CRM


def build_leads(
    rng: np.random.Generator,
    window: Window,
    org: Org,
    accounts: pd.DataFrame,
    deals: pd.DataFrame,
    size: int,
) -> tuple[pd.DataFrame, np.ndarray]:
    """All leads/contacts (keys in creation order) and each deal's contact key (-1 if none)."""
    converted = _converted(rng, window, accounts, deals)
    total = max(round(size * LEADS_PER_DEAL), len(converted["created"]))
    others = _unconverted(rng, window, org, total - len(converted["created"]))
    cols = {k: np.concatenate([converted[k], others[k]]) for k in converted}
    order = np.argsort(cols["created"], kind="stable")
    cols = {k: v[order] for k, v in cols.items()}

    contact = np.full(len(deals), -1, dtype=np.int64)
    has_deal = cols["deal"] >= 0
    contact[cols["deal"][has_deal]] = np.flatnonzero(has_deal)
    _people(rng, accounts, cols)
    _share_people(rng, cols)
    return _frame(window, cols), contact


def _converted(
    rng: np.random.Generator, window: Window, accounts: pd.DataFrame, deals: pd.DataFrame
) -> dict[str, np.ndarray]:
    """The leads behind lead-sourced new deals."""
    rows = np.flatnonzero(deals["lead_sourced"].to_numpy())
    n = len(rows)
    account = deals["account"].to_numpy()[rows]
    deal_created = deals["created_at"].to_numpy("M8[ns]")[rows]
    segment = segment_of(accounts)[account]
    created = deal_created - lognormal_days(rng, LEAD_TO_DEAL_DAYS[segment], 0.6) - DAY // 4
    span = deal_created - created
    mql = created + (span * rng.uniform(0.05, 0.4, n)).astype("m8[ns]")
    sql = created + (span * rng.uniform(0.5, 0.95, n)).astype("m8[ns]")
    system = deals["system"].cat.codes.to_numpy(np.int64)[rows]
    won = deals["status"].to_numpy()[rows] == "won"
    return {
        "system": system,
        "status": np.where(won, CUSTOMER, OPPORTUNITY),
        "channel": deals["lead_source"].cat.codes.to_numpy(np.int64)[rows],
        "campaign": deals["campaign"].cat.codes.to_numpy(np.int64)[rows],
        "created": created,
        "mql": mql,
        "sql": sql,
        "converted": deal_created,
        "deal": rows,
        "account": account,
        "owner": deals["owner"].to_numpy()[rows],
        "region": accounts["region"].cat.codes.to_numpy(np.int64)[account],
        "country": accounts["country"].cat.codes.to_numpy(np.int64)[account],
        "response": _first_response(rng, system, created, window),
    }


def _unconverted(
    rng: np.random.Generator, window: Window, org: Org, n: int
) -> dict[str, np.ndarray]:
    """Leads that have not (yet) turned into a deal, progressing as far as their channel goes."""
    system = (rng.random(n) < 0.6).astype(np.int64)
    channel = np.empty(n, dtype=np.int64)
    region = np.empty(n, dtype=np.int64)
    for code in (SF, HS):
        rows = np.flatnonzero(system == code)
        channel[rows] = rng.choice(len(CHANNELS), len(rows), p=channel_weights(code, False))
        region[rows] = rng.choice(len(REGIONS), len(rows), p=REGION_MIX[code])
    created = window.sample(rng, n)
    mql_rate = np.array([c.mql_rate for c in CHANNELS])[channel]
    mql = created + lognormal_days(rng, np.full(n, 4.0), 0.8)
    sql = mql + lognormal_days(rng, np.full(n, 6.0), 0.8)
    is_mql = (rng.random(n) < mql_rate) & (mql < window.end)
    is_sql = is_mql & (rng.random(n) < SQL_RATE) & (sql < window.end)
    aged = created < window.end - 21 * DAY
    dropped = aged & ~is_sql & (rng.random(n) < 0.35)
    status = np.where(is_sql, SQL, np.where(is_mql, MQL, LEAD))
    status = np.where(dropped, UNQUALIFIED, status)
    nat = np.datetime64("NaT", "ns")
    return {
        "system": system,
        "status": status,
        "channel": channel,
        "campaign": pick_campaigns(rng, window, channel, created),
        "created": created,
        "mql": np.where(is_mql, mql, nat),
        "sql": np.where(is_sql, sql, nat),
        "converted": np.full(n, nat),
        "deal": np.full(n, -1),
        "account": np.full(n, -1),
        "owner": org.pick(rng, org.team_of[system, region, SMALL]),
        "region": region,
        "country": countries_in(rng, region),
        "response": np.where(
            (status != LEAD) | (rng.random(n) < 0.6),
            _first_response(rng, system, created, window),
            nat,
        ),
    }


def _first_response(
    rng: np.random.Generator, system: np.ndarray, created: np.ndarray, window: Window
) -> np.ndarray:
    """First sales touch: hours after creation, faster in HubSpot's inbound team."""
    delay = lognormal_days(rng, FIRST_RESPONSE_HOURS[system] / 24, 1.0)
    response = created + delay
    return np.where(response < window.end, response, np.datetime64("NaT", "ns"))


@functools.cache
def _person_pools() -> tuple[np.ndarray, np.ndarray]:
    """Full names and e-mail local parts (first.last, flast, first) of every name pair."""
    firsts = pd.Series(FIRST_NAMES)
    lasts = pd.Series(LAST_NAMES)
    f = firsts.str.lower().str.replace(r"[^a-z]", "", regex=True).to_numpy(object)[:, None]
    la = lasts.str.lower().str.replace(r"[^a-z]", "", regex=True).to_numpy(object)[None, :]
    initial = np.array([x[:1] for x in f[:, 0]], dtype=object)[:, None]
    names = (firsts.to_numpy(object)[:, None] + " " + lasts.to_numpy(object)[None, :]).ravel()
    styles = [(f + "." + la).ravel(), (initial + la).ravel(), np.repeat(f[:, 0], la.shape[1])]
    return names, np.concatenate(styles)


def _people(rng: np.random.Generator, accounts: pd.DataFrame, cols: dict) -> None:
    """Names, companies and unique e-mail addresses (per CRM) of every lead."""
    n = len(cols["created"])
    names, locals_ = _person_pools()
    person = rng.integers(0, len(names), n)
    cols["name"] = names[person]
    style = np.searchsorted([0.7, 0.9], rng.random(n), side="right")
    local = locals_[style * len(names) + person]

    # Prospects that are not accounts yet work at companies of their own.
    pool_names, pool_domains = prospect_pool()
    prospect = rng.integers(0, len(pool_names), n)
    account = cols["account"]
    known = np.flatnonzero(account >= 0)
    company = pool_names[prospect]
    company[known] = accounts["name"].to_numpy(object)[account[known]]
    at_domain = pool_domains[prospect]
    account_domains = accounts["domain"].str.lower().str.removeprefix("www.").to_numpy(object)
    at_domain[known] = "@" + account_domains[account[known]]
    free = np.flatnonzero((cols["system"] == HS) & (account < 0) & (rng.random(n) < 0.15))
    free_domains = np.array(["@" + d for d in FREE_MAIL_DOMAINS], dtype=object)
    at_domain[free] = free_domains[rng.integers(0, len(free_domains), len(free))]
    cols["company"] = company

    email = local + at_domain
    # Two people with the same address in one CRM get a number, as mail providers do.
    clash = np.flatnonzero(pd.DataFrame({"s": cols["system"], "e": email}).duplicated().to_numpy())
    email[clash] = local[clash] + clash.astype(str).astype(object) + at_domain[clash]
    cols["email"] = email


def _share_people(rng: np.random.Generator, cols: dict) -> None:
    """Make some HubSpot contacts the same people as Salesforce leads, typed a bit differently."""
    sf_rows = np.flatnonzero(cols["system"] == SF)
    hs_rows = np.flatnonzero(cols["system"] == HS)
    k = min(round(len(hs_rows) * OVERLAP_SHARE), len(sf_rows))
    target = rng.choice(hs_rows, k, replace=False)
    person = rng.choice(sf_rows, k, replace=False)
    email = pd.Series(cols["email"][person])
    variant = rng.integers(0, 4, k)
    typed = np.select(
        [variant == 1, variant == 2, variant == 3],
        [
            email.str.upper().to_numpy(object),
            email.str.capitalize().to_numpy(object),
            (" " + email + " ").to_numpy(object),
        ],
        email.to_numpy(object),
    )
    cols["email"][target] = typed
    cols["name"][target] = cols["name"][person]
    cols["company"][target] = cols["company"][person]


def _frame(window: Window, cols: dict) -> pd.DataFrame:
    """The universe's leads table."""
    system, status = cols["system"], cols["status"]
    labels = sorted(set(CRM_STATUS[SF]) | set(CRM_STATUS[HS]))
    code_of = np.array([[labels.index(s) for s in CRM_STATUS[c]] for c in (SF, HS)])
    crm_status = pd.Categorical.from_codes(code_of[system, status], labels)
    return pd.DataFrame(
        {
            "key": np.arange(len(system)),
            "system": pd.Categorical.from_codes(system, SYSTEMS),
            "name": cols["name"],
            "email": cols["email"],
            "company": cols["company"],
            "status": pd.Categorical.from_codes(status, STATUSES),
            "channel": pd.Categorical.from_codes(cols["channel"], CHANNEL_NAMES),
            "campaign": pd.Categorical.from_codes(cols["campaign"], campaign_labels(window)),
            "created_at": to_utc(cols["created"]),
            "mql_at": to_utc(cols["mql"]),
            "sql_at": to_utc(cols["sql"]),
            "converted_at": to_utc(cols["converted"]),
            "converted_deal": cols["deal"],
            "account": cols["account"],
            "owner": cols["owner"],
            "country": pd.Categorical.from_codes(cols["country"], [c[0] for c in COUNTRIES]),
            "region": pd.Categorical.from_codes(cols["region"], REGIONS),
            "first_response_at": to_utc(cols["response"]),
            "crm_status": crm_status,
        }
    )
