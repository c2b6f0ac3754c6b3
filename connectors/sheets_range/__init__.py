"""The ``sheets`` source: a range of a spreadsheet the user maintains (spend, targets...)."""

from connectors.sheets_range.source import SheetsRangeSource

__all__ = ["SheetsRangeSource"]
