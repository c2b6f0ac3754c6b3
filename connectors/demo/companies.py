"""Companies and accounts: who the demo company sells to, in which CRM.

One pool of fictional companies feeds both CRMs. Salesforce accounts are mostly Mid-Market and
Enterprise, HubSpot companies mostly SMB. A share of HubSpot companies are the same firms as
Salesforce accounts, written with a different domain spelling (``www.`` prefix, upper case), so
that blending has real cross-source duplicates to find. Customer fields (``customer_since``,
``churned_at``, ``mrr``) are filled later from the deals.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from connectors.demo import text
from connectors.demo.org import LARGE, SMALL, Org
from connectors.demo.vocab import (
    COMPANY_KINDS,
    COMPANY_WORDS_A,
    COMPANY_WORDS_B,
    COUNTRIES,
    CURRENCIES,
    ENT,
    INDUSTRIES,
    REGION_MIX,
    REGIONS,
    SEGMENT_MIX,
    SEGMENTS,
    SYSTEMS,
)
from sheets_sync.model import string_array

LEGAL_SUFFIXES = ("", " Group", " Inc", " Ltd", " Holdings", " & Co", " International", " Global")
SHARED_SHARE = 0.06  # share of HubSpot companies that are also Salesforce accounts
_TLD = {
    "United Kingdom": ".co.uk",
    "Germany": ".de",
    "France": ".fr",
    "Netherlands": ".nl",
    "Spain": ".es",
    "Australia": ".com.au",
    "Japan": ".co.jp",
    "Brazil": ".com.br",
    "Mexico": ".mx",
}
# Employee ranges (log-uniform) per segment.
_EMPLOYEES = {0: (8, 199), 1: (200, 1999), 2: (2000, 60000)}


@functools.cache
def _name_pool() -> tuple[pa.Array, pa.Array]:
    """Every base company name and its domain stem, built once (a few hundred thousand)."""
    a, b, kind, legal = np.indices(
        (len(COMPANY_WORDS_A), len(COMPANY_WORDS_B), len(COMPANY_KINDS), len(LEGAL_SUFFIXES))
    ).reshape(4, -1)
    word_a = text.pool(COMPANY_WORDS_A).take(a)
    word_b = text.pool(COMPANY_WORDS_B).take(b)
    kinds = text.pool(COMPANY_KINDS).take(kind)
    names = text.join(word_a, word_b, " ", kinds, text.pool(LEGAL_SUFFIXES).take(legal))
    stem_legal = text.pool(s.strip(" &").lower().replace(" ", "") for s in LEGAL_SUFFIXES)
    stems = pc.utf8_lower(text.join(word_a, word_b, kinds, stem_legal.take(legal)))
    return names, pc.replace_substring(stems, "&", "and")


@functools.cache
def prospect_pool() -> tuple[pa.Array, pa.Array]:
    """Companies prospects work at: every pool name and its ``@domain.com`` e-mail suffix."""
    names, stems = _name_pool()
    return names, text.join("@", stems, ".com")


def company_names(
    rng: np.random.Generator, n: int, distinct: bool = True
) -> tuple[pa.Array, pa.Array]:
    """``n`` company names (distinct unless told otherwise) and their domain stems."""
    pool_names, pool_stems = _name_pool()
    combos = len(pool_names)
    if distinct:
        picked = rng.choice(max(n, combos), size=n, replace=False)
    else:
        picked = rng.integers(0, combos, n)
    names, stems = pool_names.take(picked % combos), pool_stems.take(picked % combos)
    # Past the pool, a number tells companies apart ("Bluefield Labs Group 2").
    number = picked // combos
    more = np.flatnonzero(number > 0)
    label = text.number_text(number[more] + 1)
    names = text.scatter(names, more, text.join(names.take(more), " ", label))
    stems = text.scatter(stems, more, text.join(stems.take(more), label))
    return names, stems


def build_accounts(rng: np.random.Generator, org: Org, n_sf: int, n_hs: int) -> pd.DataFrame:
    """Accounts of both CRMs (Salesforce first), with firmographics and an owner each."""
    n_shared = min(round(n_hs * SHARED_SHARE), n_sf)
    names, stems = company_names(rng, n_sf + n_hs - n_shared)
    company = np.r_[np.arange(n_sf), np.arange(n_sf - n_shared, n_sf - n_shared + n_hs)]
    system = np.repeat(np.array([0, 1]), [n_sf, n_hs])
    n = n_sf + n_hs

    segment = np.empty(n, dtype=np.int64)
    region = np.empty(n, dtype=np.int64)
    for code, (lo, hi) in ((0, (0, n_sf)), (1, (n_sf, n))):
        segment[lo:hi] = rng.choice(3, hi - lo, p=SEGMENT_MIX[code])
        region[lo:hi] = rng.choice(4, hi - lo, p=REGION_MIX[code])
    country = countries_in(rng, region)
    # The same firm sits in the same country in both CRMs.
    shared_hs = np.arange(n_sf, n_sf + n_shared)
    country[shared_hs] = country[n_sf - n_shared : n_sf]
    region[shared_hs] = region[n_sf - n_shared : n_sf]

    lo, hi = np.array([_EMPLOYEES[s] for s in range(3)]).T
    employees = np.exp(
        np.log(lo[segment]) + rng.random(n) * (np.log(hi[segment]) - np.log(lo[segment]))
    ).round()
    revenue = (employees * rng.uniform(90_000, 260_000, n)).round(-3)
    country_names = [c[0] for c in COUNTRIES]
    tld = text.pool(_TLD.get(c, ".com") for c in country_names).take(country)
    domain = text.join(stems.take(company), tld)
    domain = text.scatter(domain, shared_hs, _domain_variants(rng, domain[n_sf - n_shared : n_sf]))
    role = np.where(segment == ENT, LARGE, SMALL)
    owner = org.pick(rng, org.team_of[system, region, role])
    currency = np.array([CURRENCIES.index(c[2]) for c in COUNTRIES])[country]

    return pd.DataFrame(
        {
            "key": np.arange(n),
            "system": pd.Categorical.from_codes(system, SYSTEMS),
            "company": company,
            "name": string_array(names.take(company)),
            "domain": string_array(domain),
            "industry": pd.Categorical.from_codes(rng.integers(0, len(INDUSTRIES), n), INDUSTRIES),
            "segment": pd.Categorical.from_codes(segment, SEGMENTS),
            "region": pd.Categorical.from_codes(region, REGIONS),
            "country": pd.Categorical.from_codes(country, country_names),
            "employees": employees.astype(np.int64),
            "annual_revenue": revenue,
            "owner": owner,
            "currency": pd.Categorical.from_codes(currency, CURRENCIES),
        }
    )


def countries_in(rng: np.random.Generator, region: np.ndarray) -> np.ndarray:
    """A country code per row, drawn by its region's country weights."""
    country = np.empty(len(region), dtype=np.int64)
    for code in range(len(REGIONS)):
        rows = np.flatnonzero(region == code)
        options = [i for i, c in enumerate(COUNTRIES) if c[1] == code]
        weights = np.array([COUNTRIES[i][3] for i in options])
        country[rows] = np.array(options)[
            rng.choice(len(options), len(rows), p=weights / weights.sum())
        ]
    return country


def _domain_variants(rng: np.random.Generator, domains: pa.Array) -> pa.Array:
    """The same domains as another CRM would hold them: some with ``www.``, some upper case."""
    variant = rng.integers(0, 3, len(domains))
    return text.choose(variant, [text.join("www.", domains), pc.utf8_upper(domains), domains])


def segment_of(accounts: pd.DataFrame) -> np.ndarray:
    """Segment codes of the accounts (0 SMB, 1 Mid-Market, 2 Enterprise)."""
    return accounts["segment"].cat.codes.to_numpy(np.int64)
