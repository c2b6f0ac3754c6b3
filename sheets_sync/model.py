"""The canonical CRM model: the typed tables every source maps into and every metric reads.

Metrics never look at vendor field names; connectors never compute metrics. Each table is a
pandas DataFrame whose columns follow a :class:`TableSpec`:

- ids (``*_id``) are strings namespaced by source (``"sfdc:0065g00000ABC"``) so that two CRMs
  blend without collisions; :func:`namespaced` builds them;
- datetimes are timezone-aware UTC (``datetime64[ns, UTC]``); reports convert to their own
  time zone when they bucket by period;
- money is a float column plus a ``currency`` column holding an ISO 4217 code;
- dimension text (stage, channel, region...) is ``category`` for fast grouping; ids and free
  text (names, e-mails) are :data:`STRING`, pandas' Arrow-backed string dtype (the default
  ``str`` of pandas 3): one contiguous buffer per column instead of a Python object per value,
  about a third of the memory, with missing values as ``NaN``;
- references (an id column other than the table's primary key: ``owner_id``, ``account_id``,
  a stage change's ``deal_id``...) are ``category`` over :data:`STRING` ids
  (:func:`as_reference`): each distinct id is stored once and rows hold 1 to 4 byte codes, a
  fraction of the memory of repeating every id.

:func:`conform` turns a source's frame into a canonical one: it coerces types, adds missing
optional columns (reported as info), and raises :class:`~sheets_sync.errors.SchemaError` naming
the source, table and column of every missing required column or unconvertible value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import union_categoricals

from sheets_sync.errors import SchemaError
from sheets_sync.issues import DataIssue, Severity
from sheets_sync.memory import map_large_blocks, use_system_allocator_for_arrow


class Kind(StrEnum):
    """The logical type of a canonical column."""

    ID = "id"  # namespaced identifier, STRING dtype
    TEXT = "text"  # free text, STRING dtype
    CATEGORY = "category"  # low-cardinality dimension, category dtype
    NUMBER = "number"  # float64
    INTEGER = "integer"  # nullable Int64
    MONEY = "money"  # float64, paired with a ``currency`` column
    DATETIME = "datetime"  # datetime64[ns, UTC]
    BOOL = "bool"  # nullable boolean


DEAL_STATUSES = ("open", "won", "lost")
LEAD_STAGES = ("lead", "mql", "sql", "opportunity", "customer", "unqualified")
ACTIVITY_TYPES = ("call", "email", "meeting", "task")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a canonical table."""

    name: str
    kind: Kind
    required: bool = False
    description: str = ""
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    """One canonical table: its columns, primary key and meaning."""

    name: str
    primary_key: str
    columns: tuple[ColumnSpec, ...]
    description: str = ""

    def column(self, name: str) -> ColumnSpec:
        """Return the spec of column ``name``; raise ``KeyError`` if the table has none."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    def is_reference(self, name: str) -> bool:
        """Whether column ``name`` holds ids of other rows (an id column other than the primary
        key); such columns are stored by :func:`as_reference`."""
        return name != self.primary_key and any(
            c.name == name and c.kind is Kind.ID for c in self.columns
        )

    @property
    def names(self) -> list[str]:
        """The column names in canonical order."""
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """The names of the required columns."""
        return [c.name for c in self.columns if c.required]


def _c(
    name: str, kind: Kind, required: bool = False, description: str = "", allowed=()
) -> ColumnSpec:
    return ColumnSpec(name, kind, required, description, tuple(allowed))


_SOURCE = _c("source", Kind.CATEGORY, True, "Source system the row came from (e.g. sfdc, hubspot)")

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "deals",
            "deal_id",
            (
                _c("deal_id", Kind.ID, True, "Namespaced deal / opportunity id"),
                _SOURCE,
                _c("name", Kind.TEXT, False, "Deal name"),
                _c("pipeline", Kind.CATEGORY, False, "Sales pipeline the deal belongs to"),
                _c("stage", Kind.CATEGORY, False, "Current stage name"),
                _c("stage_order", Kind.INTEGER, False, "Position of the stage in its pipeline"),
                _c("status", Kind.CATEGORY, True, "open, won or lost", DEAL_STATUSES),
                _c("amount", Kind.MONEY, False, "Deal value in `currency`"),
                _c("currency", Kind.CATEGORY, False, "ISO 4217 code of `amount`"),
                _c("created_at", Kind.DATETIME, True, "When the deal was created"),
                _c("close_date", Kind.DATETIME, False, "Actual close (won/lost) or expected"),
                _c("probability", Kind.NUMBER, False, "Win probability, 0 to 1"),
                _c("lead_source", Kind.CATEGORY, False, "Channel / lead source"),
                _c("campaign", Kind.CATEGORY, False, "Campaign that sourced the deal"),
                _c("product", Kind.CATEGORY, False, "Main product"),
                _c("deal_type", Kind.CATEGORY, False, "new, renewal or expansion"),
                _c("owner_id", Kind.ID, False, "Namespaced owner (rep) id"),
                _c("account_id", Kind.ID, False, "Namespaced account id"),
                _c("contact_id", Kind.ID, False, "Namespaced primary contact / lead id"),
                _c("updated_at", Kind.DATETIME, False, "Last modification in the source"),
            ),
            "Opportunities / deals, one row per deal",
        ),
        TableSpec(
            "deal_stage_history",
            "history_id",
            (
                _c("history_id", Kind.ID, True, "Namespaced id of the stage change"),
                _SOURCE,
                _c("deal_id", Kind.ID, True, "Namespaced deal id"),
                _c("stage", Kind.CATEGORY, True, "Stage entered"),
                _c("stage_order", Kind.INTEGER, False, "Position of that stage"),
                _c("entered_at", Kind.DATETIME, True, "When the deal entered the stage"),
                _c("amount", Kind.MONEY, False, "Deal amount at that moment"),
            ),
            "One row per stage a deal entered",
        ),
        TableSpec(
            "leads",
            "lead_id",
            (
                _c("lead_id", Kind.ID, True, "Namespaced lead / contact id"),
                _SOURCE,
                _c("name", Kind.TEXT, False, "Person's name"),
                _c("email", Kind.TEXT, False, "E-mail address"),
                _c("company", Kind.TEXT, False, "Company name as entered"),
                _c("status", Kind.CATEGORY, False, "Lifecycle stage", LEAD_STAGES),
                _c("channel", Kind.CATEGORY, False, "Lead source / original channel"),
                _c("campaign", Kind.CATEGORY, False, "Campaign"),
                _c("created_at", Kind.DATETIME, True, "When the lead was created"),
                _c("mql_at", Kind.DATETIME, False, "When it became marketing-qualified"),
                _c("sql_at", Kind.DATETIME, False, "When it became sales-qualified"),
                _c("converted_at", Kind.DATETIME, False, "When it became a customer / deal"),
                _c("converted_deal_id", Kind.ID, False, "Deal it converted into"),
                _c("account_id", Kind.ID, False, "Account it belongs or converted to"),
                _c("owner_id", Kind.ID, False, "Owner"),
                _c("country", Kind.CATEGORY, False, "Country"),
                _c("region", Kind.CATEGORY, False, "Region"),
                _c("first_response_at", Kind.DATETIME, False, "First sales touch"),
            ),
            "Leads and contacts with their lifecycle",
        ),
        TableSpec(
            "accounts",
            "account_id",
            (
                _c("account_id", Kind.ID, True, "Namespaced account id"),
                _SOURCE,
                _c("name", Kind.TEXT, False, "Company name"),
                _c("domain", Kind.TEXT, False, "Web domain"),
                _c("industry", Kind.CATEGORY, False, "Industry / sector"),
                _c("segment", Kind.CATEGORY, False, "Customer segment (SMB, Mid-market...)"),
                _c("region", Kind.CATEGORY, False, "Sales region"),
                _c("country", Kind.CATEGORY, False, "Country"),
                _c("employees", Kind.INTEGER, False, "Number of employees"),
                _c("annual_revenue", Kind.MONEY, False, "Annual revenue"),
                _c("owner_id", Kind.ID, False, "Account owner"),
                _c("created_at", Kind.DATETIME, False, "When the account was created"),
                _c("customer_since", Kind.DATETIME, False, "Start of the customer relationship"),
                _c("churned_at", Kind.DATETIME, False, "End of the relationship, if churned"),
                _c("mrr", Kind.MONEY, False, "Monthly recurring revenue while a customer"),
                _c("currency", Kind.CATEGORY, False, "ISO 4217 code of the money columns"),
            ),
            "Companies / accounts / customers",
        ),
        TableSpec(
            "owners",
            "owner_id",
            (
                _c("owner_id", Kind.ID, True, "Namespaced user id"),
                _SOURCE,
                _c("name", Kind.TEXT, True, "Full name"),
                _c("email", Kind.TEXT, False, "E-mail"),
                _c("team", Kind.CATEGORY, False, "Team"),
                _c("manager", Kind.CATEGORY, False, "Manager's name"),
                _c("region", Kind.CATEGORY, False, "Region / office"),
                _c("active", Kind.BOOL, False, "Whether the user is active"),
            ),
            "Users who own records (reps, managers), with team and region",
        ),
        TableSpec(
            "activities",
            "activity_id",
            (
                _c("activity_id", Kind.ID, True, "Namespaced activity id"),
                _SOURCE,
                _c("type", Kind.CATEGORY, True, "call, email, meeting or task", ACTIVITY_TYPES),
                _c("occurred_at", Kind.DATETIME, True, "When it happened / is due"),
                _c("owner_id", Kind.ID, False, "Who did it"),
                _c("deal_id", Kind.ID, False, "Related deal"),
                _c("account_id", Kind.ID, False, "Related account"),
                _c("lead_id", Kind.ID, False, "Related lead / contact"),
                _c("completed", Kind.BOOL, False, "Whether it is done"),
            ),
            "Calls, e-mails, meetings and tasks",
        ),
        TableSpec(
            "tickets",
            "ticket_id",
            (
                _c("ticket_id", Kind.ID, True, "Namespaced ticket / case id"),
                _SOURCE,
                _c("account_id", Kind.ID, False, "Customer account"),
                _c("owner_id", Kind.ID, False, "Agent"),
                _c("opened_at", Kind.DATETIME, True, "When it was opened"),
                _c("first_response_at", Kind.DATETIME, False, "First agent response"),
                _c("resolved_at", Kind.DATETIME, False, "When it was resolved"),
                _c("priority", Kind.CATEGORY, False, "Priority"),
                _c("status", Kind.CATEGORY, False, "Status"),
                _c("channel", Kind.CATEGORY, False, "Channel it came in through"),
                _c("satisfaction", Kind.NUMBER, False, "CSAT score, 1 to 5"),
            ),
            "Support tickets / cases",
        ),
        TableSpec(
            "spend",
            "spend_id",
            (
                _c("spend_id", Kind.ID, True, "Namespaced id of the spend line"),
                _SOURCE,
                _c("date", Kind.DATETIME, True, "Day the cost was incurred"),
                _c("channel", Kind.CATEGORY, True, "Channel, matching leads.channel"),
                _c("campaign", Kind.CATEGORY, False, "Campaign"),
                _c("cost", Kind.MONEY, True, "Cost in `currency`"),
                _c("currency", Kind.CATEGORY, False, "ISO 4217 code of `cost`"),
            ),
            "Marketing and sales spend by day, channel and campaign",
        ),
    )
}

TABLE_NAMES: tuple[str, ...] = tuple(TABLES)

#: The dtype of ids and free text: Arrow-backed strings, missing as NaN (pandas 3's ``str``).
STRING = pd.StringDtype("pyarrow", na_value=np.nan)
use_system_allocator_for_arrow()  # so the memory of a finished refresh goes back to the system
map_large_blocks()  # and so do the large temporaries of every query

_DTYPES = {
    Kind.ID: STRING,
    Kind.TEXT: STRING,
    Kind.CATEGORY: "category",
    Kind.NUMBER: "float64",
    Kind.MONEY: "float64",
    Kind.INTEGER: "Int64",
    Kind.DATETIME: "datetime64[ns, UTC]",
    Kind.BOOL: "boolean",
}


def dtype_of(kind: Kind) -> str:
    """Return the name of the pandas dtype canonical columns of ``kind`` use (``str(dtype)``)."""
    return str(_DTYPES[kind])


def pandas_dtype(kind: Kind) -> Any:
    """Return the pandas dtype canonical columns of ``kind`` use."""
    return _DTYPES[kind]


def spec(table: str) -> TableSpec:
    """Return the spec of canonical table ``table`` or raise a clear :class:`SchemaError`."""
    try:
        return TABLES[table]
    except KeyError:
        raise SchemaError(
            f"unknown table {table!r}; canonical tables are: {', '.join(TABLE_NAMES)}"
        ) from None


def namespaced(source: str, ids: pd.Series) -> pd.Series:
    """Prefix raw ids with ``source:``, keeping missing ids missing."""
    return source + ":" + _coerce(ids, Kind.ID)


def arrow_strings(values: pd.Series) -> pa.Array:
    """``values`` as Arrow large strings: the column's own buffers when it is :data:`STRING`,
    its categories taken by its codes when it is a category."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        labels = arrow_strings(pd.Series(values.cat.categories))
        codes = values.cat.codes.to_numpy()
        return labels.take(pa.array(codes, mask=codes < 0))
    text = _coerce(values, Kind.TEXT)
    return pa.chunked_array(pa.array(text.array), type=pa.large_string()).combine_chunks()


def string_array(values: pa.Array) -> pd.api.extensions.ExtensionArray:
    """Arrow text as a :data:`STRING` column's array, sharing its buffers (the inverse of
    :func:`arrow_strings`)."""
    return pd.array(values, dtype=STRING)


def isin_strings(values: pd.Series, candidates: pd.Series) -> np.ndarray:
    """True where ``values`` equals one of ``candidates`` (missing never matches), as text.

    Arrow hashes both columns in their own buffers; ``Series.isin`` on Arrow text first turns
    every candidate into a Python object, which costs seconds with millions of ids.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return per_category(values, lambda labels: isin_strings(labels, candidates), False)
    if isinstance(candidates.dtype, pd.CategoricalDtype):
        used = np.unique(candidates.cat.codes.to_numpy())
        candidates = pd.Series(candidates.cat.categories[used[used >= 0]])
    options = pc.SetLookupOptions(arrow_strings(candidates), skip_nulls=True)
    found = pc.is_in(arrow_strings(values), options=options)
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)


def per_category(
    values: pd.Series, compute: Callable[[pd.Series], np.ndarray], missing: Any
) -> np.ndarray:
    """``compute`` of the category column ``values``, evaluated once per category and spread
    to the rows by their codes; rows without a value get ``missing``.

    ``compute`` takes the categories as a Series and returns one result per category: a
    reference column with millions of rows has far fewer distinct ids.
    """
    found = compute(pd.Series(values.cat.categories))
    padded = np.append(found, np.array([missing], dtype=found.dtype))
    return padded[values.cat.codes.to_numpy()]  # code -1 picks the trailing ``missing``


def column_dtype(table: str, column: ColumnSpec) -> str:
    """The name of the dtype of canonical ``column`` of ``table`` (``str(dtype)``): its kind's,
    or ``category`` for a reference (see :meth:`TableSpec.is_reference`)."""
    return "category" if spec(table).is_reference(column.name) else dtype_of(column.kind)


def as_reference(values: pd.Series) -> pd.Series:
    """Ids of other rows as a ``category`` over :data:`STRING` ids, missing as ``NaN``.

    Arrow's dictionary encoding finds the distinct ids in the column's own buffers (categories
    in order of first appearance); a column that already is such a category is returned as is.
    """
    if _is_text_category(values) and values.cat.categories.dtype == STRING:
        return values
    return reference_from_dictionary(arrow_strings(values).dictionary_encode())


def reference_from_dictionary(encoded: pa.DictionaryArray) -> pd.Series:
    """A reference column over dictionary-encoded ids, sharing the dictionary's buffers.

    The dictionary's ids must be distinct (Arrow's encoding makes them so), and pandas is told
    so: its own check builds a hash table of every category as a Python string (about 100 MB
    for a million ids), which would then stay with the column.
    """
    codes = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False))
    categories = pd.Index(string_array(encoded.dictionary))
    categories._cache["is_unique"] = True
    values = pd.Categorical.from_codes(codes, categories=categories, validate=False)
    values.categories._cache.pop("_engine", None)
    return pd.Series(values)


def _stack_references(pieces: list[pd.Series]) -> pd.Series:
    """Stack reference columns on the union of their ids, merged by Arrow's hashing."""
    chunks = []
    for piece in map(as_reference, pieces):
        codes = piece.cat.codes.to_numpy().astype(np.int32)
        ids = arrow_strings(pd.Series(piece.cat.categories))
        chunks.append(pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), ids))
    unified = pa.chunked_array(chunks).unify_dictionaries()
    return reference_from_dictionary(pa.concat_arrays(unified.chunks))


def empty_frame(table: str) -> pd.DataFrame:
    """Return an empty, correctly typed frame for ``table``."""
    tspec = spec(table)
    return pd.DataFrame(
        {c.name: blank_column(c.kind, 0, tspec.is_reference(c.name)) for c in tspec.columns}
    )


def _to_datetime(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.tz_localize("UTC").astype("datetime64[ns, UTC]")
    return pd.to_datetime(values, utc=True, errors="coerce", format="mixed").astype(
        "datetime64[ns, UTC]"
    )


def _coerce(values: pd.Series, kind: Kind) -> pd.Series:
    """Convert ``values`` to the dtype of ``kind``; unconvertible values become missing."""
    if kind is Kind.DATETIME:
        return _to_datetime(values)
    if kind in (Kind.NUMBER, Kind.MONEY):
        return pd.to_numeric(values, errors="coerce").astype("float64")
    if kind is Kind.INTEGER:
        nums = pd.to_numeric(values, errors="coerce")
        whole = nums.where(nums.isna() | (nums == np.floor(nums)))
        return whole.astype("Int64")
    if kind is Kind.BOOL:
        if pd.api.types.is_bool_dtype(values):
            return values.astype("boolean")
        text = values.astype("string").str.strip().str.lower()
        mapped = text.map(
            {"true": True, "1": True, "yes": True, "y": True, "t": True}
            | {"false": False, "0": False, "no": False, "n": False, "f": False}
        )
        return mapped.astype("boolean")
    if kind is Kind.CATEGORY:
        if isinstance(values.dtype, pd.CategoricalDtype):
            return values
        return values.astype("string").astype("category")
    # ID and TEXT: Arrow-backed strings, missing as NaN
    if values.dtype == STRING:
        return values
    return values.astype(STRING)


def conform(
    table: str, frame: pd.DataFrame, source: str = ""
) -> tuple[pd.DataFrame, list[DataIssue]]:
    """Return ``frame`` typed as canonical ``table`` plus the issues found on the way.

    Missing required columns and required values that are blank or unconvertible raise
    :class:`SchemaError` naming the source, table, column and rows. Values of optional columns
    that cannot be converted become missing and are reported as warnings with their row numbers
    (0-based positions in ``frame``). Missing optional columns are added empty and reported as
    info. Extra columns (custom fields) follow the canonical ones, unchanged except that text
    held as Python objects becomes :data:`STRING`.
    """
    tspec = spec(table)
    where = f"{source}/{table}" if source else table
    missing = [c for c in tspec.required if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{where}: missing required column(s) {', '.join(missing)}; "
            "map them in the source's mapping"
        )
    issues: list[DataIssue] = []
    out: dict[str, pd.Series] = {}
    frame = frame.reset_index(drop=True)
    for col in tspec.columns:
        reference = tspec.is_reference(col.name)
        if col.name not in frame.columns:
            out[col.name] = blank_column(col.kind, len(frame), reference)
            issues.append(DataIssue(Severity.INFO, "column not provided", source, table, col.name))
            continue
        raw = frame[col.name]
        typed = as_reference(raw) if reference else _coerce(raw, col.kind)
        lost = typed.isna().to_numpy()
        if lost.any():
            # Only rows that came out missing can have lost a value; checking just those keeps
            # conform linear in the number of blanks instead of scanning every text column.
            lost[lost] = _present(raw[lost])
        if col.allowed:
            bad = typed.notna() & ~typed.astype("string").isin(col.allowed)
            lost |= bad.to_numpy(dtype=bool)
            typed = typed.where(~bad)
            if col.kind is Kind.CATEGORY:
                typed = typed.astype("string").astype("category")
        if col.required:
            blank = typed.isna().to_numpy()
            if blank.any():
                rows = tuple(int(i) for i in np.flatnonzero(blank)[:50])
                detail = DataIssue(
                    Severity.ERROR,
                    f"{int(blank.sum())} blank or invalid value(s) in a required column",
                    source,
                    table,
                    col.name,
                    rows,
                    int(blank.sum()),
                )
                raise SchemaError(detail.describe())
        elif lost.any():
            rows = tuple(int(i) for i in np.flatnonzero(lost)[:50])
            expected = f" (allowed: {', '.join(col.allowed)})" if col.allowed else ""
            issues.append(
                DataIssue(
                    Severity.WARNING,
                    f"{int(lost.sum())} value(s) could not be read as {col.kind}{expected}"
                    " and were left blank",
                    source,
                    table,
                    col.name,
                    rows,
                    int(lost.sum()),
                )
            )
        out[col.name] = typed
    extras = {c: text_as_string(frame[c]) for c in frame.columns if c not in out}
    result = pd.DataFrame({**out, **extras}, index=frame.index)
    return result, issues


def text_as_string(values: pd.Series) -> pd.Series:
    """``values`` as :data:`STRING` when it is text held as Python objects, like canonical text;
    numbers, dates and mixed values are kept as they are (custom columns, the demo's frames)."""
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) == "string":
        return values.astype(STRING)
    return values


def _present(raw: pd.Series) -> np.ndarray:
    """True where ``raw`` holds a value that is not blank."""
    present = raw.notna().to_numpy()
    if raw.dtype == object or pd.api.types.is_string_dtype(raw):
        blank = raw.astype("string").str.strip().fillna("").eq("").to_numpy(dtype=bool)
        present &= ~blank
    return present


def concat_tables(frames: Iterable[pd.DataFrame], table: str) -> pd.DataFrame:
    """Union canonical frames of one table, keeping canonical dtypes (categories merged).

    Columns are stacked one at a time: category columns (and custom columns that are text
    categories in every part) through their codes on a shared category list, the others with
    ``pd.concat`` on the column alone. Whole-frame concat inspects every all-missing block value
    by value, which is slow on millions of rows.
    """
    parts = [f for f in frames if f is not None]
    if not parts:
        return empty_frame(table)
    # Empty parts add no rows but would make pandas guess dtypes from them.
    filled = [f for f in parts if len(f)] or parts[:1]
    if len(filled) == 1:
        return filled[0].reset_index(drop=True)
    tspec = spec(table)
    kinds = {c.name: c.kind for c in tspec.columns}
    names = list(dict.fromkeys(name for part in filled for name in part.columns))
    data: dict[str, pd.Series] = {}
    for name in names:
        kind = kinds.get(name)
        pieces = [_column_or_blank(part, name, kind, tspec.is_reference(name)) for part in filled]
        if tspec.is_reference(name):
            data[name] = _stack_references(pieces)
        elif kind is Kind.CATEGORY or (kind is None and all(map(_is_text_category, pieces))):
            data[name] = _stack_categories(pieces)
        elif all(p.dtype == STRING for p in pieces):
            data[name] = pd.Series(string_array(_one_chunk(pieces)))
        else:
            stacked = pd.concat(pieces, ignore_index=True)
            if kind is not None and str(stacked.dtype) != dtype_of(kind):
                stacked = _coerce(stacked, kind)
            data[name] = stacked
    return pd.DataFrame(data)


def _one_chunk(pieces: list[pd.Series]) -> pa.Array:
    """The Arrow text of ``pieces`` end to end in one contiguous array, so that later lookups
    (:func:`arrow_strings`) use its buffers as they are instead of copying them."""
    return pa.concat_arrays([arrow_strings(p) for p in pieces])


def _is_text_category(values: pd.Series) -> bool:
    return isinstance(values.dtype, pd.CategoricalDtype) and pd.api.types.is_string_dtype(
        values.cat.categories
    )


def _column_or_blank(
    frame: pd.DataFrame, name: str, kind: Kind | None, reference: bool
) -> pd.Series:
    """``frame[name]``, or a blank column of the right dtype when the frame lacks it."""
    if name in frame.columns:
        return frame[name].reset_index(drop=True)
    if kind is None:
        return pd.Series([None] * len(frame), dtype="object")
    return blank_column(kind, len(frame), reference)


def blank_column(kind: Kind, length: int, reference: bool = False) -> pd.Series:
    """An all-missing column of ``length`` rows with the canonical dtype of ``kind`` (of a
    reference when ``reference``).

    Category columns get string categories, like filled ones, so they stack with them.
    """
    if reference:
        return reference_from_dictionary(
            pa.nulls(length, pa.dictionary(pa.int32(), pa.large_string()))
        )
    if kind is Kind.CATEGORY:
        empty = pd.Index([], dtype="string")
        return pd.Series(pd.Categorical.from_codes(np.full(length, -1), categories=empty))
    if kind in (Kind.ID, Kind.TEXT):
        return pd.Series(string_array(pa.nulls(length, pa.large_string())))
    if kind in (Kind.NUMBER, Kind.MONEY):
        return pd.Series(np.full(length, np.nan), dtype="float64")
    # a scalar pd.NA cannot fill every dtype; a list of None can
    return pd.Series([None] * length, dtype=pandas_dtype(kind))


def _stack_categories(pieces: list[pd.Series]) -> pd.Series:
    """Stack category columns through their codes on the union of their categories."""
    typed = [p if _is_text_category(p) else p.astype("string").astype("category") for p in pieces]
    cats = union_categoricals(typed, ignore_order=True).categories
    codes = np.concatenate([p.cat.set_categories(cats).cat.codes.to_numpy() for p in typed])
    return pd.Series(pd.Categorical.from_codes(codes, categories=cats))


def describe_model() -> Mapping[str, TableSpec]:
    """Return the canonical model, for documentation and ``sheets-sync`` listings."""
    return TABLES
