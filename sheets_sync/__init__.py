"""sheets-sync: CRM reporting into Google Sheets and local workbooks.

Data flows connectors -> canonical tables -> blend -> KPI queries -> tabs -> destination;
:func:`sheets_sync.refresh.refresh` performs one refresh end to end.
"""

__version__ = "0.1.0"
