"""The demo company, generated from (size, seed, as_of) and nothing else.

:func:`generate_universe` is a pure function: the same arguments give identical frames. Each part
(org, accounts, deals...) draws from its own random generator, so changing how one part draws
does not reshuffle the others. The frames are the compact internal form: integer ``key`` columns
(row positions) instead of vendor ids, a ``system`` column saying which CRM holds the row, and
references as keys (-1 when absent; a deal's ``account`` past the end of ``accounts`` points at
a deleted account). :mod:`connectors.demo.canonical` turns them into canonical tables.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from connectors.demo.activities import build_activities
from connectors.demo.companies import build_accounts
from connectors.demo.deals import NEW_SHARE, SF_SHARE, build_book
from connectors.demo.dirty import spoil_deals, spoil_leads
from connectors.demo.leads import build_leads
from connectors.demo.org import build_org
from connectors.demo.spend import build_spend
from connectors.demo.tickets import build_tickets
from connectors.demo.timeline import Window, rng_for
from connectors.demo.vocab import SYSTEMS
from sheets_sync.memory import release_free_memory

DEALS_PER_ACCOUNT = 1.6  # new-business deals per account: some accounts try twice, some never


def generate_universe(size: int, seed: int, as_of: date) -> dict[str, pd.DataFrame]:
    """Every table of the demo company with ``size`` deals over the 3 years ending ``as_of``.

    Returns frames keyed by canonical table name (``owners``, ``accounts``, ``deals``,
    ``deal_stage_history``, ``leads``, ``activities``, ``tickets``, ``spend``) in the internal
    form described in the module docstring.
    """
    window = Window(as_of)

    def rng(part: str):
        return rng_for(seed, size, f"{as_of.isoformat()}/{part}")

    org = build_org(rng("org"), size, window)
    n_new = round(size * NEW_SHARE)
    n_sf = max(8, round(n_new * SF_SHARE / DEALS_PER_ACCOUNT))
    n_hs = max(8, round(n_new * (1 - SF_SHARE) / DEALS_PER_ACCOUNT))
    # Each frame is let go as soon as the next version of it is made: at millions of deals,
    # two versions of a table held at once cost hundreds of megabytes.
    book = build_book(
        rng("deals"), window, org, build_accounts(rng("accounts"), org, n_sf, n_hs), size
    )
    accounts, deals, history = book.accounts, book.deals, book.history
    del book
    leads, contact = build_leads(rng("leads"), window, org, accounts, deals, size)
    del deals["lead_sourced"]  # in place: nobody else holds these frames
    deals["contact"] = contact
    deals, history = spoil_deals(rng("flaws"), window, deals, history, len(accounts))
    leads = spoil_leads(rng("lead-flaws"), leads)
    universe = {
        "owners": org.owners,
        "accounts": accounts,
        "deals": deals,
        "deal_stage_history": history,
        "leads": leads,
        "activities": build_activities(rng("activities"), window, accounts, deals, leads, size),
        "tickets": build_tickets(rng("tickets"), window, org, accounts, size),
        "spend": build_spend(rng("spend"), window, size),
    }
    release_free_memory()
    return universe


class Company:
    """One generated demo company: the frames of :func:`generate_universe`, read-only.

    Once a source has read a part (``salesforce``, ``hubspot`` or ``spend``), :meth:`let_go`
    drops that part's rows, so the company shrinks as the sources of a refresh read it.
    ``sizes`` keeps each table's generated row count: references at or past it point at
    deleted records, whatever rows remain.
    """

    def __init__(self, tables: dict[str, pd.DataFrame]) -> None:
        self.tables = tables
        self.sizes = {name: len(frame) for name, frame in tables.items()}
        #: Parts some source has read and whose rows are gone.
        self.read_parts: set[str] = set()

    def let_go(self, parts: Iterable[str]) -> None:
        """Drop the rows of ``parts``, which a source has read and turned into canonical tables.

        Rows keep their ``key``; a source that asks for a part already let go gets a company of
        its own from :func:`shared_company`.
        """
        new = set(parts) - self.read_parts
        self.read_parts |= new
        systems = [SYSTEMS.index(p) for p in new if p in SYSTEMS]
        for name in list(self.tables):
            frame = self.tables[name]
            if name == "spend":
                if "spend" in new:
                    self.tables[name] = frame.iloc[:0]
            elif systems:
                codes = frame["system"].cat.codes.to_numpy()
                self.tables[name] = frame.take(np.flatnonzero(~np.isin(codes, systems)))
            del frame
            release_free_memory(collect=False)


_shared: weakref.WeakValueDictionary[tuple[int, int, date], Company] = weakref.WeakValueDictionary()


def shared_company(size: int, seed: int, as_of: date, parts: Iterable[str] = ()) -> Company:
    """The company for these options, generated once while anyone still holds it.

    Demo sources that show different parts of one company (a Salesforce part, a HubSpot part and
    the spend sheet in one refresh) hold the :class:`Company` they read, so the next source reuses
    it instead of generating it again, and each lets go of the part it read. Nothing else keeps
    it: once the refresh lets its sources go, the company's memory is freed. A source asking for
    ``parts`` that another source already let go gets a newly generated company.
    """
    key = (size, seed, as_of)
    company = _shared.get(key)
    if company is None or company.read_parts & set(parts):
        company = Company(generate_universe(size, seed, as_of))
        _shared[key] = company
    return company
