"""The connector contract every source implements (demo, file, Salesforce, HubSpot, Dynamics...).

A source is configured from a mapping (one entry of a refresh config's ``sources:`` list), declares
the streams it can read as data (:class:`Stream`), and :meth:`Source.read` returns canonical
tables (already passed through :func:`sheets_sync.model.conform`) together with the data issues it
found and the cursors it would advance to. The refresh engine commits those cursors only after the
destination write succeeded, so a failed refresh re-reads the same changes next time.

Sources never perform network or file I/O in ``__init__``; they validate their options there and
raise :class:`~sheets_sync.errors.ConfigError` with a message naming the bad option.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import pandas as pd

from sheets_sync.issues import DataIssue

ProgressFn = Callable[[str, int, int | None], None]
"""Progress callback: ``(what, done, total_or_None)``."""


def no_progress(what: str, done: int, total: int | None) -> None:
    """A progress callback that ignores progress."""


@dataclass(frozen=True)
class Stream:
    """One object a source reads, declared as data.

    ``mapping`` maps canonical column names of ``table`` to the vendor's field names; connectors
    apply it generically, and users extend it in YAML for custom fields.
    """

    name: str
    table: str
    primary_key: str
    cursor_field: str | None = None
    mapping: Mapping[str, str] = field(default_factory=dict)


@dataclass
class ReadContext:
    """What the refresh engine hands a source for one read.

    ``cursors`` holds the committed cursor per stream name from the last successful refresh
    (empty for a full read). ``started_at`` is the sync's start time: cursors never pass it.
    ``cache_dir`` is a per-report folder a source may use for its record cache (``None`` when the
    deployment has no local disk and the source must use ``state_store``).
    """

    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    cursors: Mapping[str, str] = field(default_factory=dict)
    full_refresh: bool = False
    progress: ProgressFn = no_progress
    cache_dir: str | None = None
    state_store: Any = None


@dataclass
class SourceResult:
    """What one source read produced."""

    tables: dict[str, pd.DataFrame]
    issues: list[DataIssue] = field(default_factory=list)
    cursors: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    stats: dict[str, Any] = field(default_factory=dict)

    def row_counts(self) -> dict[str, int]:
        """Rows per canonical table."""
        return {name: len(frame) for name, frame in self.tables.items()}


@dataclass(frozen=True)
class CheckResult:
    """Outcome of a connection test: ``ok`` or the list of what is missing."""

    ok: bool
    message: str
    missing: tuple[str, ...] = ()


class Source(abc.ABC):
    """Base class of all connectors.

    Subclasses set ``type`` (the name used in configs, e.g. ``"demo"``) and implement
    :meth:`streams` and :meth:`read`. ``name`` is the short, user-chosen name of this connection
    (``sfdc``, ``hubspot``); it namespaces ids and fills the ``source`` column.
    """

    type: ClassVar[str]
    reads_local_files: ClassVar[bool] = False
    """True for sources whose options name local files; they receive a ``base_dir`` option."""

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        self.name = name
        self.options = dict(options)

    @abc.abstractmethod
    def streams(self) -> list[Stream]:
        """The streams this source reads, as configured."""

    @abc.abstractmethod
    def read(self, context: ReadContext) -> SourceResult:
        """Read every stream and return canonical tables."""

    def check(self) -> CheckResult:
        """Test the connection and permissions; sources without credentials are always ok."""
        return CheckResult(True, f"{self.type} source {self.name!r} needs no credentials")

    def parts(
        self, result: SourceResult, release_input: bool = False
    ) -> list[tuple[str, SourceResult]]:
        """``result`` as ``(source name, result)`` pairs ready for blending.

        One pair under this source's name, unless the source reads several systems at once
        (the demo source's flavor ``all``): then one pair per system, named as its rows' ids.
        With ``release_input`` a source that splits ``result`` may take the tables out of it
        as it goes (the caller no longer needs them).
        """
        return [(self.name, result)]
