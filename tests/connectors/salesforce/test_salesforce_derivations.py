"""Columns derived from several Salesforce fields: deal status, lead stage, stage changes."""

from __future__ import annotations

import pandas as pd

from connectors.salesforce.streams import deal_status, lead_stage, stage_changes_only


def test_deal_status_from_is_closed_and_is_won_in_json_and_csv_forms():
    raw = pd.DataFrame(
        {
            "IsClosed": [False, True, True, "true", None],
            "IsWon": [False, True, False, "false", None],
        }
    )
    assert list(deal_status(raw)) == ["open", "won", "lost", "lost", "open"]


def test_lead_stage_uses_conversion_then_the_status_map():
    raw = pd.DataFrame(
        {
            "IsConverted": [True, False, False, False, False],
            "Status": ["Anything", "Working - Contacted", "Marketing Qualified", "Odd", None],
        }
    )
    stages = lead_stage(raw, {"Marketing Qualified": "mql", "Odd": "unqualified"})
    assert list(stages) == ["opportunity", "mql", "mql", "unqualified", "lead"]
    assert list(lead_stage(raw, {}))[2:4] == ["lead", "lead"]


def test_only_stage_changes_are_kept_per_deal():
    history = pd.DataFrame(
        {
            "history_id": ["h1", "h2", "h3", "h4", "h5"],
            "deal_id": ["d1", "d1", "d1", "d2", "d2"],
            "stage": ["Prospecting", "Prospecting", "Won", "Prospecting", "Prospecting"],
            "entered_at": pd.to_datetime(
                ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-01", "2024-01-05"], utc=True
            ),
        }
    )
    kept = stage_changes_only(history)
    assert list(kept["history_id"]) == ["h1", "h3", "h4"]
