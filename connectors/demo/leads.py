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
import pyarrow as pa
import pyarrow.compute as pc

from connectors.demo import text
from connectors.demo.channels import campaign_labels, channel_weights, pick_campaigns
from connectors.demo.companies import countries_in, prospect_pool, segment_of
from connectors.demo.org import SMALL, Org
from connectors.demo.timeline import DAY, Window, in_time_order, lognormal_days, to_utc
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
    WON,
)
from sheets_sync.model import arrow_strings, string_array

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
    cols = in_time_order([converted, others], "created")

    contact = np.full(len(deals), -1, dtype=np.int64)
    has_deal = cols["deal"] >= 0
    contact[cols["deal"][has_deal]] = np.flatnonzero(has_deal)
    system, account = cols["system"], cols["account"]
    # The other columns take their final (smaller) form before the people's text is made.
    columns = _columns(window, cols)
    return _frame(columns, _people(rng, accounts, system, account)), contact


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
    won = deals["status"].cat.codes.to_numpy()[rows] == WON
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
def _person_pools() -> tuple[pa.Array, pa.Array]:
    """Full names and e-mail local parts (first.last, flast, first) of every name pair."""
    first, last = np.indices((len(FIRST_NAMES), len(LAST_NAMES))).reshape(2, -1)
    firsts, lasts = text.pool(FIRST_NAMES).take(first), text.pool(LAST_NAMES).take(last)
    f, la = _letters_only(firsts), _letters_only(lasts)
    initial = pc.utf8_slice_codeunits(f, 0, 1)
    names = text.join(firsts, " ", lasts)
    styles = [text.join(f, ".", la), text.join(initial, la), f]
    return names, pa.concat_arrays(styles)


def _letters_only(names: pa.Array) -> pa.Array:
    """``names`` in lower case without anything but the letters a-z."""
    return pc.replace_substring_regex(pc.utf8_lower(names), pattern="[^a-z]", replacement="")


def _people(
    rng: np.random.Generator, accounts: pd.DataFrame, system: np.ndarray, account: np.ndarray
) -> dict[str, pa.Array]:
    """The ``name``, ``email`` and ``company`` of every lead, from its CRM and account.

    Addresses are unique per CRM, except that some HubSpot contacts are people who are also
    Salesforce leads, their address typed a bit differently. Who is who is settled on positions
    in the vocabulary pools; each text column is then made once.
    """
    n = len(system)
    names, locals_ = _person_pools()
    person = rng.integers(0, len(names), n)
    local = _local_parts(rng, person)

    # Prospects that are not accounts yet work at companies of their own.
    pool_names, _ = prospect_pool()
    known = account >= 0
    # Each lead's employer: a position in the prospect pool followed by the accounts.
    employer = np.where(known, len(pool_names) + account, rng.integers(0, len(pool_names), n))
    # Mail domains line up with those names; some HubSpot contacts use a free mail provider.
    domains = _mail_domains(accounts)
    domain = employer.copy()
    free = np.flatnonzero((system == HS) & ~known & (rng.random(n) < 0.15))
    free_mail = rng.integers(0, len(FREE_MAIL_DOMAINS), len(free))
    domain[free] = len(domains) - len(FREE_MAIL_DOMAINS) + free_mail
    # Two people with the same address in one CRM get their row number, as mail providers do.
    number = np.full(n, -1)
    clash = _repeats(system, _codes(locals_)[local], _codes(domains)[domain])
    number[clash] = clash

    target, same, typing = _shared_people(rng, system)
    for position in (person, local, employer, domain, number):
        position[target] = position[same]
    # Addresses first: the largest column, made while the others do not exist yet.
    return {
        "email": _addresses(locals_, local, number, domains, domain, target, typing),
        "name": names.take(person),
        "company": pa.concat_arrays([pool_names, arrow_strings(accounts["name"])]).take(employer),
    }


def _local_parts(rng: np.random.Generator, person: np.ndarray) -> np.ndarray:
    """Which e-mail local part (a position in the second pool of :func:`_person_pools`) each
    person uses: first.last mostly, else flast or first."""
    style = np.searchsorted([0.7, 0.9], rng.random(len(person)), side="right")
    return style * (len(FIRST_NAMES) * len(LAST_NAMES)) + person


def _mail_domains(accounts: pd.DataFrame) -> pa.Array:
    """``@domain`` e-mail suffixes: the prospect pool's, then each account's (in lower case and
    without ``www.``), then the free mail providers'."""
    _, pool_domains = prospect_pool()
    account_domains = pc.replace_substring_regex(
        pc.utf8_lower(arrow_strings(accounts["domain"])), pattern=r"^www\.", replacement=""
    )
    free = text.pool("@" + d for d in FREE_MAIL_DOMAINS)
    return pa.concat_arrays([pool_domains, text.join("@", account_domains), free])


def _codes(values: pa.Array) -> np.ndarray:
    """A code per value, equal exactly where the texts are equal."""
    return pc.dictionary_encode(values).indices.to_numpy().astype(np.int64)


def _repeats(system: np.ndarray, local: np.ndarray, domain: np.ndarray) -> np.ndarray:
    """Rows whose address an earlier row of the same CRM already has, from the codes of their
    local parts and domains.

    Local parts hold no ``@`` and each domain starts with its only one, so two addresses are equal
    exactly when their local parts and domains are: no need to hash millions of addresses.
    """
    key = (local * (int(domain.max(initial=0)) + 1) + domain) * 2 + system
    return np.flatnonzero(pd.Series(key).duplicated().to_numpy())


def _shared_people(
    rng: np.random.Generator, system: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """HubSpot contacts who are also Salesforce leads: their rows, the rows of those leads, and
    how each contact's address is typed (a code for :func:`_typed`)."""
    sf_rows = np.flatnonzero(system == SF)
    hs_rows = np.flatnonzero(system == HS)
    k = min(round(len(hs_rows) * OVERLAP_SHARE), len(sf_rows))
    target = rng.choice(hs_rows, k, replace=False)
    same = rng.choice(sf_rows, k, replace=False)
    return target, same, rng.integers(0, 4, k)


def _addresses(
    locals_: pa.Array,
    local: np.ndarray,
    number: np.ndarray,
    domains: pa.Array,
    domain: np.ndarray,
    target: np.ndarray,
    typing: np.ndarray,
) -> pa.Array:
    """``locals_[local]``, ``number`` (unless -1) and ``domains[domain]`` of every row; rows
    ``target`` typed as ``typing`` says (:func:`_typed`)."""
    numbered = np.flatnonzero(number >= 0)
    suffix = text.scatter(text.blank(len(local)), numbered, text.number_text(number[numbered]))
    plain = text.join(locals_.take(local), suffix, domains.take(domain))
    return text.scatter(plain, target, _typed(plain.take(target), typing))


def _typed(email: pa.Array, typing: np.ndarray) -> pa.Array:
    """Addresses as typed into another CRM: as they are (0), in upper case (1), capitalized (2)
    or with stray spaces (3)."""
    variants = [email, pc.utf8_upper(email), pc.utf8_capitalize(email), text.join(" ", email, " ")]
    return text.choose(typing, variants)


def _frame(columns: dict, people: dict[str, pa.Array]) -> pd.DataFrame:
    """The universe's leads table: ``columns`` (:func:`_columns`) with the people's text."""
    key, system = columns.pop("key"), columns.pop("system")
    written = {name: string_array(people[name]) for name in ("name", "email", "company")}
    # The columns are new: no need for pandas to copy them.
    return pd.DataFrame({"key": key, "system": system, **written, **columns}, copy=False)


def _columns(window: Window, cols: dict) -> dict[str, object]:
    """The leads table's columns other than the people's text, in order, made from ``cols``,
    which it empties: each array is let go as soon as its column is made."""
    system, status = cols.pop("system"), cols.pop("status")
    labels = sorted(set(CRM_STATUS[SF]) | set(CRM_STATUS[HS]))
    code_of = np.array([[labels.index(s) for s in CRM_STATUS[c]] for c in (SF, HS)])
    crm_status = pd.Categorical.from_codes(code_of[system, status], labels)
    return {
        "key": np.arange(len(system)),
        "system": pd.Categorical.from_codes(system, SYSTEMS),
        "status": pd.Categorical.from_codes(status, STATUSES),
        "channel": pd.Categorical.from_codes(cols.pop("channel"), CHANNEL_NAMES),
        "campaign": pd.Categorical.from_codes(cols.pop("campaign"), campaign_labels(window)),
        "created_at": to_utc(cols.pop("created")),
        "mql_at": to_utc(cols.pop("mql")),
        "sql_at": to_utc(cols.pop("sql")),
        "converted_at": to_utc(cols.pop("converted")),
        "converted_deal": cols.pop("deal"),
        "account": cols.pop("account"),
        "owner": cols.pop("owner"),
        "country": pd.Categorical.from_codes(cols.pop("country"), [c[0] for c in COUNTRIES]),
        "region": pd.Categorical.from_codes(cols.pop("region"), REGIONS),
        "first_response_at": to_utc(cols.pop("response")),
        "crm_status": crm_status,
    }
