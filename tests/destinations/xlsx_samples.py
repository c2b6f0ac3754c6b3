"""Small hand-made reports shared by the .xlsx destination tests."""

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

THEME = Theme(primary_color="#112233", header_text_color="#FFFFFF", font="Calibri", font_size=11)


def deals_table() -> Table:
    frame = pd.DataFrame(
        {
            "owner": ['=IMPORTXML("http://x","//a")', "+1 555", "-5", "@sum", "Bob"],
            "amount": [1200.5, None, 30.0, 4.25, 10.0],
            "won": [True, False, True, False, True],
            "closed_at": pd.to_datetime(
                [
                    "2024-01-01T23:30Z",
                    "2024-06-01T12:00Z",
                    None,
                    "2024-03-31T22:15Z",
                    "2024-12-31T23:00Z",
                ],
                utc=True,
            ),
            "count": [1, 2, 3, 4, 5],
            "rate": [0.25, 0.5, float("nan"), 1.0, 0.0],
            "change": [3.0, -2.0, 0.0, 1.0, -1.0],
        }
    )
    return Table(
        "deals",
        frame,
        title="Deals by owner",
        formats={
            "amount": ColumnFormat(Fmt.CURRENCY, "EUR"),
            "closed_at": ColumnFormat(Fmt.DATETIME),
            "count": ColumnFormat(Fmt.INTEGER),
            "rate": ColumnFormat(Fmt.PERCENT),
            "change": ColumnFormat(Fmt.NUMBER),
        },
        delta_columns={"change": True},
        note="Amounts in EUR",
        truncated_from=40,
    )


def scorecards() -> Table:
    frame = pd.DataFrame(
        {"kpi": ["Won revenue", "Win rate"], "value": [52000.0, 0.31], "change": [0.12, -0.03]}
    )
    return Table(
        "kpis",
        frame,
        kind=BlockKind.SCORECARDS,
        formats={"value": ColumnFormat(Fmt.NUMBER), "change": ColumnFormat(Fmt.PERCENT)},
        delta_columns={"change": False},
    )


def report_tab() -> Tab:
    return Tab(
        "Pipeline",
        title="Pipeline report",
        subtitle="Last 30 days",
        tables=[scorecards(), deals_table()],
        charts=[
            Chart("c_col", ChartKind.COLUMN, "Amount", "deals", "owner", ["amount"]),
            Chart("c_line", ChartKind.LINE, "Count", "deals", "owner", ["count", "change"]),
            Chart("c_bar", ChartKind.BAR, "Bars", "deals", "owner", ["amount"], stacked=True),
            Chart("c_pie", ChartKind.PIE, "Share", "deals", "owner", ["count"]),
            Chart("c_combo", ChartKind.COMBO, "Combo", "deals", "owner", ["amount", "rate"]),
            Chart("c_score", ChartKind.SCORECARD, "Headline", "kpis", "kpi", ["value"]),
        ],
    )


def data_tab(rows: int = 3) -> Tab:
    frame = pd.DataFrame(
        {
            "id": [f"sf:{i}" for i in range(rows)],
            "amount": [float(i) for i in range(rows)],
            "day": pd.date_range("2024-01-01", periods=rows, freq="D"),
        }
    )
    table = Table("raw", frame, formats={"day": ColumnFormat(Fmt.DATE)})
    return Tab("Raw data", kind=TabKind.DATA, tables=[table])


def sample_workbook(theme: Theme = THEME) -> Workbook:
    return Workbook(
        "Sales report",
        [report_tab(), data_tab()],
        theme=theme,
        timezone="Europe/Paris",
        template_id="pipeline",
    )
