"""The ``file`` source: CSV and XLSX exports from any CRM, mapped with a YAML mapping.

Modules: :mod:`~connectors.file.values` (messy value parsers), :mod:`~connectors.file.reading`
(encodings, delimiters, XLSX sheets, file row numbers), :mod:`~connectors.file.mapping` (the
validated mapping schema), :mod:`~connectors.file.rules` (column rules and lookups),
:mod:`~connectors.file.coerce` (typing), :mod:`~connectors.file.build` (one canonical table),
:mod:`~connectors.file.checks` (date-order checks) and :mod:`~connectors.file.source`
(:class:`FileSource`).
"""

from connectors.file.mapping import load_mapping
from connectors.file.source import FileSource

__all__ = ["FileSource", "load_mapping"]
