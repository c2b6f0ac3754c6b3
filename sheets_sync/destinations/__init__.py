"""Destinations a report is written to: the local .xlsx workbook and Google Sheets."""
