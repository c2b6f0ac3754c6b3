"""Applying a :class:`~connectors.base.Stream`'s declarative mapping to raw vendor records.

``Stream.mapping`` maps canonical columns to vendor fields (``{"amount": "Amount"}``). Users add
or override entries in YAML under the source's ``custom_fields`` option, keyed by stream name
(``{"opportunities": {"region": "Region__c", "tier": "Tier__c"}}``); canonical names replace the
default mapping, other names become extra columns kept after the canonical ones.

:func:`to_canonical` builds one canonical frame: mapped columns, then *derivations* (columns a
connector computes from several vendor fields, e.g. deal status from IsClosed/IsWon), then
namespaced ids and the ``source`` column, and finally :func:`sheets_sync.model.conform`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from connectors.base import Stream
from sheets_sync.errors import ConfigError
from sheets_sync.issues import DataIssue
from sheets_sync.model import Kind, concat_tables, conform, namespaced, spec

Derivation = Callable[[pd.DataFrame], pd.Series]
"""Computes one canonical column from the raw records frame of a stream."""


def with_custom_fields(
    streams: Iterable[Stream], custom: Mapping[str, Any] | None, source_type: str
) -> list[Stream]:
    """``streams`` with the user's ``custom_fields`` merged into their mappings.

    Raises :class:`ConfigError` naming the unknown stream or the malformed entry.
    """
    by_name = {s.name: s for s in streams}
    custom = custom or {}
    if not isinstance(custom, Mapping):
        raise ConfigError(f"{source_type}: custom_fields must map stream names to field mappings")
    for name, fields in custom.items():
        if name not in by_name:
            raise ConfigError(
                f"{source_type}: custom_fields names unknown stream {name!r}; "
                f"streams are: {', '.join(sorted(by_name))}"
            )
        if not isinstance(fields, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in fields.items()
        ):
            raise ConfigError(
                f"{source_type}: custom_fields.{name} must map column names to vendor field names"
            )
        stream = by_name[name]
        by_name[name] = replace(stream, mapping={**stream.mapping, **fields})
    return list(by_name.values())


def select_streams(
    source_type: str,
    name: str,
    noun: str,
    wanted: Iterable[str] | None,
    catalogue: Sequence[tuple[str, Stream]],
    custom: Mapping[str, Any] | None,
) -> list[Stream]:
    """The streams of ``catalogue`` (``(user-facing name, stream)`` pairs) a source reads.

    ``wanted`` is the user's list (``objects`` / ``entities`` option, ``None`` for all); an
    unknown name raises :class:`ConfigError` listing the ``noun`` the source supports. The
    user's ``custom_fields`` are merged in (:func:`with_custom_fields`).
    """
    known = [key for key, _ in catalogue]
    chosen = None if wanted is None else set(wanted)
    if chosen is not None:
        unknown = sorted(chosen - set(known))
        if unknown:
            raise ConfigError(
                f"{source_type} source {name!r}: {noun} {', '.join(unknown)} are not "
                f"supported; choose from {', '.join(known)}"
            )
    base = [stream for key, stream in catalogue if chosen is None or key in chosen]
    return with_custom_fields(base, custom, source_type)


def records_frame(rows: list[dict[str, Any]], fields: list[str]) -> pd.DataFrame:
    """A raw record frame with exactly ``fields`` as columns (a field a record lacks is blank;
    no records give empty ``object`` columns)."""
    if not rows:
        return pd.DataFrame({f: pd.Series(dtype=object) for f in fields})
    return pd.DataFrame.from_records(rows, columns=fields)


def mapped_fields(stream: Stream, extra: Iterable[str] = ()) -> list[str]:
    """The vendor fields a stream needs: its primary key, cursor, mapped fields and ``extra``."""
    wanted = [stream.primary_key]
    if stream.cursor_field:
        wanted.append(stream.cursor_field)
    wanted.extend(stream.mapping.values())
    wanted.extend(extra)
    return list(dict.fromkeys(wanted))


def to_canonical(
    raw: pd.DataFrame,
    stream: Stream,
    source: str,
    derive: Mapping[str, Derivation] | None = None,
) -> tuple[pd.DataFrame, list[DataIssue]]:
    """The canonical frame of ``stream.table`` built from ``raw`` vendor records (module doc)."""
    tspec = spec(stream.table)
    canonical = set(tspec.names)
    columns: dict[str, pd.Series] = {}
    for column, vendor in stream.mapping.items():
        columns[column] = (
            raw[vendor].reset_index(drop=True)
            if vendor in raw.columns
            else pd.Series([None] * len(raw), dtype=object)
        )
    for column, fn in (derive or {}).items():
        if column in stream.mapping:  # an explicit (custom) mapping wins over the default
            continue
        columns[column] = pd.Series(fn(raw.reset_index(drop=True))).reset_index(drop=True)
    for column, values in list(columns.items()):
        if column in canonical and tspec.column(column).kind is Kind.ID:
            columns[column] = namespaced(source, values)
    columns["source"] = pd.Series([source] * len(raw), dtype=object)
    frame = pd.DataFrame(columns, index=pd.RangeIndex(len(raw)))
    return conform(stream.table, frame, source)


def _string_categories(frame: pd.DataFrame) -> pd.DataFrame:
    """Category columns with string categories: an all-blank category column from ``conform``
    has float categories, which cannot be unioned with another stream's string ones."""
    out = frame
    for name in frame.columns:
        dtype = frame[name].dtype
        if isinstance(dtype, pd.CategoricalDtype) and str(dtype.categories.dtype) != "string":
            if out is frame:
                out = frame.copy()
            out[name] = frame[name].astype("string").astype("category")
    return out


def tables_from_parts(
    parts: Iterable[tuple[str, pd.DataFrame]],
) -> dict[str, pd.DataFrame]:
    """Union the canonical frames of streams sharing a table (e.g. Task + Event)."""
    grouped: dict[str, list[pd.DataFrame]] = {}
    for table, frame in parts:
        grouped.setdefault(table, []).append(_string_categories(frame))
    return {table: concat_tables(frames, table) for table, frames in grouped.items()}
