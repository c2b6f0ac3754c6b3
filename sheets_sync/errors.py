"""The exception hierarchy of sheets-sync.

Every error a user can cause or fix derives from :class:`SheetsSyncError`; its message is one
line that names what is wrong and how to fix it. Boundaries translate foreign exceptions with
``raise SheetsSyncError(...) from err`` so the cause stays in the traceback, never in the message.
"""

from __future__ import annotations


class SheetsSyncError(Exception):
    """Base of every error sheets-sync raises on purpose."""


class ConfigError(SheetsSyncError):
    """A refresh config, mapping or settings file is invalid."""


class TemplateError(SheetsSyncError):
    """A report template is invalid; the message names the file and the key."""


class SchemaError(SheetsSyncError):
    """A source produced a table that does not fit the canonical model."""


class SourceError(SheetsSyncError):
    """A source could not be read (bad file, refused credentials, API failure)."""


class MetricError(SheetsSyncError):
    """A metric or query is unknown or ill-formed."""


class DestinationError(SheetsSyncError):
    """A destination could not be written; the previous report is left intact."""
