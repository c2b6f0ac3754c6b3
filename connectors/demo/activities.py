"""Calls, e-mails, meetings and tasks logged by reps against deals and leads.

Deal work happens between a deal's creation and its close (open deals also have tasks due in the
next two weeks, not completed yet); bigger segments and deals that went further get more touches.
Lead work is the sales development touches in a lead's first weeks. Salesforce logs these as
Tasks and Events, HubSpot as engagements, kept in the ``crm_type`` custom field.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from connectors.demo.timeline import DAY, Window, business_hours, in_time_order, to_utc
from connectors.demo.vocab import OPEN, SYSTEMS

ACTIVITIES_PER_DEAL = 2.0
DEAL_SHARE = 0.7  # of all activities; the rest touch leads
TYPES = ("call", "email", "meeting", "task")
TYPE_MIX = {0: (0.35, 0.30, 0.20, 0.15), 1: (0.30, 0.42, 0.20, 0.08)}
CRM_TYPES = {0: ("Task", "Task", "Event", "Task"), 1: ("CALL", "EMAIL", "MEETING", "TASK")}
SEGMENT_TOUCHES = np.array([1.0, 2.2, 3.5])


def build_activities(
    rng: np.random.Generator,
    window: Window,
    accounts: pd.DataFrame,
    deals: pd.DataFrame,
    leads: pd.DataFrame,
    size: int,
) -> pd.DataFrame:
    """All activities (keys in time order)."""
    total = round(size * ACTIVITIES_PER_DEAL)
    n_deal = round(total * DEAL_SHARE)
    on_deals = _deal_work(rng, window, accounts, deals, n_deal)
    on_leads = _lead_work(rng, window, leads, total - n_deal)
    cols = in_time_order([on_deals, on_leads], "occurred")
    system = cols["system"]
    kind = np.empty(len(system), dtype=np.int64)
    for code in (0, 1):
        rows = np.flatnonzero(system == code)
        kind[rows] = rng.choice(len(TYPES), len(rows), p=TYPE_MIX[code])
    done = (cols["occurred"] < window.end) & (rng.random(len(system)) < 0.97)
    labels = sorted(set(CRM_TYPES[0]) | set(CRM_TYPES[1]))
    code_of = np.array([[labels.index(t) for t in CRM_TYPES[c]] for c in (0, 1)])
    crm_type = pd.Categorical.from_codes(code_of[system, kind], labels)
    return pd.DataFrame(
        {
            "key": np.arange(len(system), dtype=np.int32),
            "system": pd.Categorical.from_codes(system, SYSTEMS),
            "type": pd.Categorical.from_codes(kind, TYPES),
            "occurred_at": to_utc(cols.pop("occurred")),
            "owner": cols.pop("owner"),
            "deal": cols.pop("deal"),
            "account": cols.pop("account"),
            "lead": cols.pop("lead"),
            "completed": done,
            "crm_type": crm_type,
        },
        copy=False,  # the columns are new: no need for pandas to copy them
    )


def _deal_work(
    rng: np.random.Generator, window: Window, accounts: pd.DataFrame, deals: pd.DataFrame, n: int
) -> dict[str, np.ndarray]:
    """``n`` touches on deals; keys are int32 from the start, like the activities table's."""
    account = deals["account"].to_numpy()
    segment = accounts["segment"].cat.codes.to_numpy(np.int64)
    known = account < len(accounts)
    seg = np.where(known, segment[np.minimum(account, len(accounts) - 1)], 0)
    weight = SEGMENT_TOUCHES[seg] * deals["stage_order"].to_numpy(np.float64)
    counts = rng.multinomial(n, weight / weight.sum())
    deal = np.repeat(np.arange(len(deals), dtype=np.int32), counts)
    created = deals["created_at"].to_numpy("M8[ns]")[deal]
    is_open = deals["status"].cat.codes.to_numpy()[deal] == OPEN
    close = deals["close_date"].to_numpy("M8[ns]")[deal]
    # Open deals: work so far plus follow-ups planned for the next two weeks.
    finish = np.where(is_open, window.end + 14 * DAY, np.minimum(close, window.end))
    finish = np.where(np.isnat(finish), window.end, finish)
    span = (finish - created) / DAY
    day = np.floor(rng.random(len(deal)) * np.maximum(span, 1.0)).astype(np.int64)
    occurred = created.astype("M8[D]").astype("M8[ns]") + day * DAY + business_hours(rng, len(deal))
    occurred = np.maximum(occurred, created)
    return {
        "system": deals["system"].cat.codes.to_numpy()[deal],
        "occurred": occurred,
        "owner": deals["owner"].to_numpy(np.int32)[deal],
        "deal": deal,
        "account": account.astype(np.int32)[deal],
        "lead": deals["contact"].to_numpy(np.int32)[deal],
    }


def _lead_work(
    rng: np.random.Generator, window: Window, leads: pd.DataFrame, n: int
) -> dict[str, np.ndarray]:
    """``n`` touches on leads in their first weeks (int32 keys, like :func:`_deal_work`)."""
    status = leads["status"].cat.codes.to_numpy(np.int64)
    weight = np.where(status == 0, 1.0, 2.5)
    counts = rng.multinomial(n, weight / weight.sum())
    lead = np.repeat(np.arange(len(leads), dtype=np.int32), counts)
    created = leads["created_at"].to_numpy("M8[ns]")[lead]
    days = rng.exponential(9.0, len(lead))
    occurred = created + (days * 86400e9).astype("m8[ns]")
    occurred = np.where(occurred < window.end, occurred, created)
    return {
        "system": leads["system"].cat.codes.to_numpy()[lead],
        "occurred": occurred,
        "owner": leads["owner"].to_numpy(np.int32)[lead],
        "deal": np.full(len(lead), -1, dtype=np.int32),
        "account": leads["account"].to_numpy(np.int32)[lead],
        "lead": lead,
    }
