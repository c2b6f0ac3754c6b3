"""Check results are computed once per dataset and ``now``, and never served stale."""

from __future__ import annotations

import pandas as pd

from sheets_sync import quality
from sheets_sync.quality import QUALITY_CHECKS, QualityCheck, quality_summary, run_check
from tests.quality.test_quality_checks import NOW, S, _dataset, _deal


def _counting(monkeypatch, check_id: str) -> list[int]:
    """Wrap check ``check_id`` so each real evaluation is counted."""
    calls: list[int] = []
    check = QUALITY_CHECKS[check_id]

    def counted(dataset, now):
        calls.append(1)
        return check.function(dataset, now)

    wrapped = QualityCheck(check.id, check.label, check.description, check.severity, counted)
    monkeypatch.setitem(quality.QUALITY_CHECKS, check_id, wrapped)  # type: ignore[arg-type]
    return calls


def test_summary_and_blocks_share_one_evaluation(monkeypatch) -> None:
    calls = _counting(monkeypatch, "missing_owner")
    dataset = _dataset([_deal("a", owner_id=None), _deal("b")])
    assert quality_summary(dataset, NOW).set_index("check")["count"]["missing_owner"] == 1
    assert run_check("missing_owner", dataset, NOW)["id"].tolist() == [f"{S}:a"]
    assert run_check("missing_owner", dataset, NOW.to_pydatetime())["id"].tolist() == [f"{S}:a"]
    assert len(calls) == 1


def test_callers_get_their_own_copy() -> None:
    dataset = _dataset([_deal("a", owner_id=None)])
    run_check("missing_owner", dataset, NOW).loc[0, "id"] = "changed"
    assert run_check("missing_owner", dataset, NOW).loc[0, "id"] == f"{S}:a"


def test_another_now_or_a_replaced_table_is_evaluated_again(monkeypatch) -> None:
    calls = _counting(monkeypatch, "past_due_open_deals")
    dataset = _dataset([_deal("a", close_date="2026-07-15")])
    assert run_check("past_due_open_deals", dataset, NOW).empty
    later = NOW + pd.Timedelta(days=30)
    assert run_check("past_due_open_deals", dataset, later)["id"].tolist() == [f"{S}:a"]
    replaced = _dataset([_deal("b", close_date="2026-06-01")]).tables["deals"]
    dataset.tables["deals"] = replaced
    assert run_check("past_due_open_deals", dataset, later)["id"].tolist() == [f"{S}:b"]
    assert len(calls) == 3
