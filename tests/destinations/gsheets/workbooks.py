"""Hand-built report workbooks of a realistic shape for the Google Sheets tests."""

from __future__ import annotations

import pandas as pd

from sheets_sync.document import (
    BlockKind,
    Chart,
    ChartKind,
    ColumnFormat,
    Fmt,
    Tab,
    TabKind,
    Table,
    Theme,
    Workbook,
)

TRICKY_NAMES = ["Acme renewal", '=IMPORTXML("http://x.example","//a")', "+1-555-0100", "@risk"]


def deals_frame(n: int, tag: str = "v1") -> pd.DataFrame:
    """``n`` raw deal rows; ``tag`` changes every value so old and new data differ."""
    names = [TRICKY_NAMES[i % len(TRICKY_NAMES)] if i < 4 else f"{tag} deal {i}" for i in range(n)]
    return pd.DataFrame(
        {
            "deal_id": [f"sfdc:{tag}-{i}" for i in range(n)],
            "name": names,
            "amount": [round(1000 + i * 37.5 + (7 if tag != "v1" else 0), 2) for i in range(n)],
            "won": [i % 3 == 0 for i in range(n)],
            "close_date": pd.date_range("2024-01-01", periods=n, freq="D"),
            "stage": [("Prospecting", "Proposal", "Closed Won")[i % 3] for i in range(n)],
        }
    )


def workbook(n_rows: int = 5, tag: str = "v1", theme: Theme | None = None) -> Workbook:
    """A two-tab report: a KPI summary with a chart and deltas, and a raw deals tab."""
    offset = 0.0 if tag == "v1" else 5.0
    kpis = pd.DataFrame(
        {
            "metric": ["Won revenue", "Win rate"],
            "value": [125000.0 + offset, 0.31],
            "previous": [110000.0, 0.35],
            "change": [15000.0 + offset, -0.04],
        }
    )
    monthly = pd.DataFrame(
        {
            "period": pd.date_range("2024-01-01", periods=3, freq="MS"),
            "won_revenue": [40000.0 + offset, 42000.0, 43000.0],
            "new_deals": [12, 15, 9],
        }
    )
    summary = Tab(
        "Summary",
        TabKind.REPORT,
        title="Sales overview",
        subtitle=f"Generated {tag}",
        tables=[
            Table(
                "kpis",
                kpis,
                title="KPIs",
                kind=BlockKind.SCORECARDS,
                formats={"value": ColumnFormat(Fmt.NUMBER), "change": ColumnFormat(Fmt.NUMBER)},
                delta_columns={"change": True},
            ),
            Table(
                "monthly",
                monthly,
                title="By month",
                formats={
                    "period": ColumnFormat(Fmt.DATE),
                    "won_revenue": ColumnFormat(Fmt.CURRENCY, "USD"),
                    "new_deals": ColumnFormat(Fmt.INTEGER),
                },
            ),
        ],
        charts=[
            Chart(
                "rev",
                ChartKind.COMBO,
                "Revenue and deals",
                "monthly",
                "period",
                ["won_revenue", "new_deals"],
            ),
            Chart("pie", ChartKind.PIE, "Revenue share", "monthly", "period", ["won_revenue"]),
        ],
    )
    raw = Tab(
        "Raw deals",
        TabKind.DATA,
        tables=[
            Table(
                "deals",
                deals_frame(n_rows, tag),
                kind=BlockKind.DATA,
                formats={
                    "amount": ColumnFormat(Fmt.CURRENCY, "USD"),
                    "won": ColumnFormat(Fmt.BOOL),
                    "close_date": ColumnFormat(Fmt.DATE),
                },
            )
        ],
    )
    return Workbook("Pipeline report", [summary, raw], theme=theme or Theme())
