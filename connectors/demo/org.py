"""The sales organisation: teams per CRM and region, their managers and reps.

Salesforce holds the sales-led teams (Enterprise, Mid-Market) and a Customer Success team per
region; HubSpot holds an SMB team and a Customer Success team per region. Every team has a
manager who also carries a small book of business. Headcount scales with the number of deals.
One freshly hired rep per CRM owns nothing yet (a deliberate data-quality finding).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from connectors.demo import text
from connectors.demo.timeline import Window, to_utc
from connectors.demo.vocab import FIRST_NAMES, HS, LAST_NAMES, REGION_MIX, REGIONS, SF, SYSTEMS
from sheets_sync.model import string_array

# Roles a team can have; deal builders ask for a team by (system, region, role).
SMALL, LARGE, SUCCESS = 0, 1, 2
_TEAM_NAMES = {
    (SF, SMALL): "{r} Mid-Market",
    (SF, LARGE): "{r} Enterprise",
    (SF, SUCCESS): "{r} Customer Success",
    (HS, SMALL): "{r} SMB Sales",
    (HS, SUCCESS): "{r} SMB Success",
}
# Share of each CRM's headcount per role (HubSpot has no separate large-deal team).
_ROLE_SHARE = {(SF, SMALL): 0.42, (SF, LARGE): 0.33, (SF, SUCCESS): 0.25}
_ROLE_SHARE |= {(HS, SMALL): 0.72, (HS, SUCCESS): 0.28}
_SYSTEM_SHARE = {SF: 0.42, HS: 0.58}
DEALS_PER_REP = 60
COMPANY_DOMAIN = "northbeam.io"
TITLES = ("Sales Manager", "Account Executive", "Customer Success Manager")


@dataclass(frozen=True)
class Org:
    """Owners plus the lookup structures used to assign records to reps."""

    owners: pd.DataFrame
    team_of: np.ndarray  # [system, region, role] -> team number
    members: np.ndarray  # owner keys that take new records, grouped by team
    team_start: np.ndarray  # first position of each team in ``members``
    team_size: np.ndarray  # number of members of each team

    def pick(self, rng: np.random.Generator, team: np.ndarray) -> np.ndarray:
        """A random member (owner key) of each requested team."""
        offset = np.floor(rng.random(len(team)) * self.team_size[team]).astype(np.int64)
        return self.members[self.team_start[team] + offset]


def unique_people(rng: np.random.Generator, n: int) -> pa.Array:
    """``n`` distinct full names; a middle initial tells people apart once the pools run out."""
    combos = len(FIRST_NAMES) * len(LAST_NAMES)
    picked = rng.choice(max(n, combos), size=n, replace=False)
    first = text.pool(FIRST_NAMES).take(picked % len(FIRST_NAMES))
    last = text.pool(LAST_NAMES).take((picked // len(FIRST_NAMES)) % len(LAST_NAMES))
    initial = picked // combos
    middle = pc.if_else(initial > 0, text.join(" ", _letters(initial), "."), text.blank(n))
    return text.join(first, middle, " ", last)


def _letters(numbers: np.ndarray) -> pa.Array:
    """Spreadsheet-style letters for 1, 2, ... (A, B, ..., Z, AA, AB...); 0 gives ``""``."""
    letters = text.pool(chr(65 + i) for i in range(26))
    out = text.blank(len(numbers))
    rest = numbers.copy()
    while (rest > 0).any():
        out = pc.if_else(rest > 0, text.join(letters.take((rest - 1) % 26), out), out)
        rest = (rest - 1) // 26
    return out


@dataclass(frozen=True)
class _Team:
    system: int
    region: int
    role: int
    headcount: int

    @property
    def name(self) -> str:
        return _TEAM_NAMES[(self.system, self.role)].format(r=REGIONS[self.region])


def _plan_teams(size: int) -> tuple[list[_Team], np.ndarray]:
    """Teams with their headcount, and the [system, region, role] -> team lookup."""
    total = max(48, round(size / DEALS_PER_REP))
    teams: list[_Team] = []
    team_of = np.zeros((2, 4, 3), dtype=np.int64)
    for (system, role), share in _ROLE_SHARE.items():
        for region, region_share in enumerate(REGION_MIX[system]):
            team_of[system, region, role] = len(teams)
            if system == HS and role == SMALL:
                team_of[system, region, LARGE] = len(teams)
            headcount = max(2, round(total * _SYSTEM_SHARE[system] * share * region_share))
            teams.append(_Team(system, region, role, headcount))
    return teams, team_of


def build_org(rng: np.random.Generator, size: int, window: Window) -> Org:
    """Teams, managers and reps for a company closing about ``size`` deals in the window."""
    teams, team_of = _plan_teams(size)
    heads = np.array([t.headcount for t in teams])
    team = np.repeat(np.arange(len(teams)), heads)
    n = len(team)
    first = np.r_[0, np.cumsum(heads)[:-1]]
    is_manager = np.zeros(n, dtype=bool)
    is_manager[first] = True
    system = np.array([t.system for t in teams])[team]
    names = unique_people(rng, n + 2)
    # Managers report to one of two people who lead the CRMs' orgs but own no records (the
    # last two names); reps report to their team's manager.
    manager = np.where(is_manager, n + system, first[team])

    # The last rep of each CRM's first team joined days ago and owns nothing yet.
    hs_first = next(i for i, t in enumerate(teams) if t.system == HS)
    fresh = np.array([first[0] + heads[0] - 1, first[hs_first] + heads[hs_first] - 1])
    takes_work = np.ones(n, dtype=bool)
    takes_work[fresh] = False
    active = rng.random(n) > 0.04
    active[is_manager | ~takes_work] = True
    success = np.array([t.role for t in teams])[team] == SUCCESS
    title = np.where(is_manager, 0, 1)  # positions in TITLES
    title[success & ~is_manager] = 2
    hired = window.start - rng.integers(30, 900, n) * np.timedelta64(1, "D")
    hired[fresh] = window.end - 3 * np.timedelta64(1, "D")

    owners = pd.DataFrame(
        {
            "key": np.arange(n),
            "system": pd.Categorical.from_codes(system, SYSTEMS),
            "name": string_array(names[:n]),
            "email": string_array(_emails(names[:n])),
            "team": pd.Categorical.from_codes(team, [t.name for t in teams]),
            "manager": _name_category(names, manager),
            "region": pd.Categorical.from_codes(np.array([t.region for t in teams])[team], REGIONS),
            "active": active,
            "title": string_array(text.pool(TITLES).take(title)),
            "created_at": to_utc(hired.astype("M8[ns]")),
        }
    )
    members = np.flatnonzero(takes_work)
    team_size = np.bincount(team[members], minlength=len(teams))
    team_start = np.r_[0, np.cumsum(team_size)[:-1]]
    return Org(owners, team_of, members, team_start, team_size)


def _name_category(names: pa.Array, which: np.ndarray) -> pd.Categorical:
    """``names[which]`` as a category column with the names in sorted order, as
    ``pd.Categorical`` makes it from Python strings."""
    used, codes = np.unique(which, return_inverse=True)
    labels = names.take(used)
    order = np.asarray(pc.sort_indices(labels))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return pd.Categorical.from_codes(rank[codes], labels.take(order).to_pylist())


def _emails(names: pa.Array) -> pa.Array:
    """``first.last@northbeam.io``: lower case, letters only (a middle initial stays)."""
    local = pc.replace_substring_regex(pc.utf8_lower(names), pattern="[^a-z ]", replacement="")
    return text.join(pc.replace_substring(local, " ", "."), "@" + COMPANY_DOMAIN)
