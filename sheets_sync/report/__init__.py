"""The report builder: a template plus a blended dataset becomes a rendered workbook.

``build_workbook(template, dataset, settings, now)`` renders the template's tabs (scorecards,
breakdowns, time series, funnels, data-quality tables, charts, raw data and definitions);
``status_tab(run)`` renders the sync-status tab of a refresh.
"""

from sheets_sync.report.builder import build_workbook
from sheets_sync.report.settings import ReportSettings, RunSummary
from sheets_sync.report.status import status_tab

__all__ = ["ReportSettings", "RunSummary", "build_workbook", "status_tab"]
