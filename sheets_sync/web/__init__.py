"""The sheets-sync web service: a Flask app for the Google Sheets add-on.

``create_app()`` (in :mod:`sheets_sync.web.app`) builds it from settings read from the
environment (:mod:`sheets_sync.web.settings`); ``main.py`` at the repository root exposes it to
App Engine and ``sheets-sync serve`` runs it locally.
"""

from sheets_sync.web.app import create_app

__all__ = ["create_app"]
