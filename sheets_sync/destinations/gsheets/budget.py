"""Keep a report inside Google Sheets' cell budget before anything is written.

A spreadsheet holds at most 10 million cells, counted over every sheet's grid, including the
user's own tabs and, during a staged refresh, the hidden staging copies. When the report would not
fit, the largest raw-data tabs are cut to the rows that do fit and carry a visible note, so the
refresh succeeds instead of failing half-way. Report tabs are never cut: if they alone do not fit,
the refresh stops with an error before any write.
"""

from __future__ import annotations

import dataclasses
import math

from sheets_sync.document import Tab, TabKind, Workbook
from sheets_sync.errors import DestinationError
from sheets_sync.layout import layout_tab


def tab_cells(tab: Tab) -> int:
    """Cells of the grid ``tab`` needs."""
    layout = layout_tab(tab)
    return max(layout.n_rows, layout.frozen_rows + 1) * max(layout.n_cols, 1)


def truncation_note(kept: int, total: int, max_cells: int) -> str:
    """The note shown under a cut raw-data table."""
    return (
        f"Showing the first {kept:,} of {total:,} rows: the full table would exceed Google "
        f"Sheets' limit of {max_cells:,} cells per spreadsheet."
    )


def fit_workbook(
    workbook: Workbook, other_cells: int, max_cells: int, staging_factor: int = 1
) -> tuple[Workbook, list[str]]:
    """Return ``workbook`` cut to fit ``max_cells`` next to ``other_cells``, plus warnings.

    ``staging_factor`` is 2 when data tabs will also be copied into staging sheets.
    """
    tabs = list(workbook.tabs)

    def factor(tab: Tab) -> int:
        return staging_factor if tab.kind is TabKind.DATA else 1

    total = other_cells + sum(tab_cells(t) * factor(t) for t in tabs)
    warnings: list[str] = []
    if total <= max_cells:
        return workbook, warnings
    order = sorted(
        (i for i, t in enumerate(tabs) if t.kind is TabKind.DATA and t.tables),
        key=lambda i: -tab_cells(tabs[i]),
    )
    for i in order:
        if total <= max_cells:
            break
        tab = tabs[i]
        table = tab.tables[0]
        width = max(len(table.frame.columns), 1) * factor(tab)
        excess = total - max_cells
        # One extra row for the note the cut table now carries.
        cut = min(len(table.frame), math.ceil(excess / width) + (0 if table.note else 1))
        kept = len(table.frame) - cut
        original = table.truncated_from or len(table.frame)
        note = truncation_note(kept, original, max_cells)
        new_table = dataclasses.replace(
            table,
            frame=table.frame.iloc[:kept].reset_index(drop=True),
            note=f"{table.note} {note}" if table.note else note,
            truncated_from=original,
        )
        before = tab_cells(tab) * factor(tab)
        tabs[i] = dataclasses.replace(tab, tables=[new_table, *tab.tables[1:]])
        total += tab_cells(tabs[i]) * factor(tab) - before
        warnings.append(f"tab {tab.name!r}: {note}")
    if total > max_cells:
        raise DestinationError(
            f"the report needs {total:,} cells but Google Sheets allows {max_cells:,} per "
            "spreadsheet; delete unused tabs or rows from the spreadsheet, or pick a template "
            "with fewer tabs"
        )
    return dataclasses.replace(workbook, tabs=tabs), warnings
