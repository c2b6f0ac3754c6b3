"""The destination contract: write a rendered :class:`~sheets_sync.document.Workbook`.

A destination writes every managed tab of a report all or nothing: if :meth:`Destination.write`
raises, the previous report is left exactly as it was (the local workbook is written to a temp file
and renamed; Google Sheets applies one atomic batchUpdate or swaps staged sheets in with one). Tabs
the user added are never touched. Values are written typed; text that looks like a formula stays
text.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import ClassVar

from connectors.base import ProgressFn, no_progress
from sheets_sync.document import Workbook

FORMULA_PREFIXES = ("=", "+", "-", "@")
"""Leading characters spreadsheet apps may read as a formula when text is typed in."""


@dataclass
class WriteResult:
    """What a write did: where the report is and what it cost."""

    location: str
    tabs_written: list[str]
    requests: int = 0
    bytes_sent: int = 0
    cells_written: int = 0
    warnings: list[str] = field(default_factory=list)


class Destination(abc.ABC):
    """Base of all destinations; ``type`` is the name used in refresh configs."""

    type: ClassVar[str]

    @abc.abstractmethod
    def write(self, workbook: Workbook, progress: ProgressFn = no_progress) -> WriteResult:
        """Write every tab of ``workbook``, all or nothing."""

    @abc.abstractmethod
    def location(self) -> str:
        """A human-readable location of the report (path or URL)."""
