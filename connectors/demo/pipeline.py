"""Stage vocabulary of both CRMs as arrays, and the stage path each deal walks.

A deal enters open stages in order. Won deals pass every open stage, lost deals drop out after
an early stage more often than a late one, open deals sit at the stage they have reached so far.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from connectors.demo.vocab import HS, HS_STAGE_IDS, HS_STAGES, LOST_STAGE, SF, SF_STAGES, WON_STAGE

# One stage vocabulary for both CRMs: Salesforce's open stages, HubSpot's, then the two closed.
STAGES = (*(s for s, _ in SF_STAGES), *(s for s, _ in HS_STAGES), WON_STAGE, LOST_STAGE)
STAGE_IDS = (*(s for s, _ in SF_STAGES), *HS_STAGE_IDS[:-2], "Closed Won", "Closed Lost")
HS_CLOSED_IDS = HS_STAGE_IDS[-2:]
WON_CODE, LOST_CODE = len(STAGES) - 2, len(STAGES) - 1
OPEN_COUNT = np.array([len(SF_STAGES), len(HS_STAGES)])
# [system, position] -> stage code of the open stages (-1 past the end of the shorter pipeline).
OPEN_CODE = np.full((2, len(SF_STAGES)), -1)
OPEN_CODE[SF, : len(SF_STAGES)] = np.arange(len(SF_STAGES))
OPEN_CODE[HS, : len(HS_STAGES)] = len(SF_STAGES) + np.arange(len(HS_STAGES))
PROBABILITY = np.array([p for _, p in SF_STAGES] + [p for _, p in HS_STAGES] + [1.0, 0.0])
# Where lost deals drop out: most leave after the first stages.
DROP_WEIGHTS = np.array([0.48, 0.25, 0.12, 0.08, 0.04, 0.03])


STAGE_ID_LABELS = (*STAGE_IDS, *HS_CLOSED_IDS)


def stage_ids(system: np.ndarray, stage_code: np.ndarray) -> pd.Categorical:
    """The CRM's own stage id for each stage code (HubSpot closed stages have their own ids)."""
    codes = np.asarray(stage_code, dtype=np.int64).copy()
    hubspot = system == HS
    codes[hubspot & (codes == WON_CODE)] = len(STAGE_IDS)
    codes[hubspot & (codes == LOST_CODE)] = len(STAGE_IDS) + 1
    return pd.Categorical.from_codes(codes, STAGE_ID_LABELS)


def drop_stage(rng: np.random.Generator, system: np.ndarray) -> np.ndarray:
    """How many open stages a losing deal enters before it is lost (at least 1)."""
    reached = np.empty(len(system), dtype=np.int64)
    for code in (SF, HS):
        rows = np.flatnonzero(system == code)
        weights = DROP_WEIGHTS[: OPEN_COUNT[code]]
        reached[rows] = 1 + rng.choice(len(weights), len(rows), p=weights / weights.sum())
    return reached


def closed_order(system: np.ndarray, won: np.ndarray) -> np.ndarray:
    """Stage order of the closed stage: right after the open stages, lost after won."""
    return OPEN_COUNT[system] + np.where(won, 1, 2)
