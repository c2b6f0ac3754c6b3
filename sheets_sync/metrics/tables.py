"""Metric-ready views of canonical tables: dimension codes, timestamps as integers, joins done once.

The engine never groups on strings or joins per query. For each table it needs, a
:class:`MetricTable` holds, computed lazily and cached in ``dataset.cache``:

- every dimension as integer codes plus its labels (``-1`` means missing), in the narrowest
  integer type that fits (categoricals lend their own codes), with owner and account attributes
  joined in through ``owner_id`` / ``account_id`` (joins are 32-bit row positions);
- datetime columns as ``int64`` nanoseconds since the epoch (UTC), missing as ``NAT``;
- any other column (custom fields included) factorised on first use, and the row masks of
  metric ``where`` conditions;
- id columns as one Arrow array each (:class:`KeyIndex`), shared by the joins, the quality
  checks and raw-data name lookups.

``region`` is the owner's region when the row has an owner whose region is known, otherwise the
row's own region (leads, accounts) or its account's region (deals, activities, tickets).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sheets_sync.dataset import Dataset
from sheets_sync.errors import MetricError
from sheets_sync.metrics.query import DIMENSIONS
from sheets_sync.model import arrow_strings, per_category

NAT = np.iinfo(np.int64).min

_OWNER_DIMS = {"owner": "name", "team": "team", "manager": "manager"}
_ACCOUNT_DIMS = {"segment": "segment", "industry": "industry", "country": "country"}

# How each dimension is reached from each table: ("col", column) reads the table's own column,
# ("owner", attr) / ("account", attr) join the owner / account, ("region", fallback) coalesces.
ROUTES: dict[str, dict[str, tuple[str, str]]] = {
    "deals": {
        "source": ("col", "source"),
        "channel": ("col", "lead_source"),
        "campaign": ("col", "campaign"),
        "region": ("region", "account"),
        "stage": ("col", "stage"),
        "pipeline": ("col", "pipeline"),
        "product": ("col", "product"),
        "deal_type": ("col", "deal_type"),
        **{d: ("owner", a) for d, a in _OWNER_DIMS.items()},
        **{d: ("account", a) for d, a in _ACCOUNT_DIMS.items()},
    },
    "leads": {
        "source": ("col", "source"),
        "channel": ("col", "channel"),
        "campaign": ("col", "campaign"),
        "region": ("region", "own"),
        "country": ("col", "country"),
        "stage": ("col", "status"),
        "segment": ("account", "segment"),
        "industry": ("account", "industry"),
        **{d: ("owner", a) for d, a in _OWNER_DIMS.items()},
    },
    "accounts": {
        "source": ("col", "source"),
        "region": ("region", "own"),
        "country": ("col", "country"),
        "segment": ("col", "segment"),
        "industry": ("col", "industry"),
        **{d: ("owner", a) for d, a in _OWNER_DIMS.items()},
    },
    "activities": {
        "source": ("col", "source"),
        "activity_type": ("col", "type"),
        "region": ("region", "account"),
        **{d: ("owner", a) for d, a in _OWNER_DIMS.items()},
        **{d: ("account", a) for d, a in _ACCOUNT_DIMS.items()},
    },
    "tickets": {
        "source": ("col", "source"),
        "channel": ("col", "channel"),
        "priority": ("col", "priority"),
        "region": ("region", "account"),
        **{d: ("owner", a) for d, a in _OWNER_DIMS.items()},
        **{d: ("account", a) for d, a in _ACCOUNT_DIMS.items()},
    },
    "spend": {
        "source": ("col", "source"),
        "channel": ("col", "channel"),
        "campaign": ("col", "campaign"),
    },
    "deal_stage_history": {
        "source": ("col", "source"),
        "stage": ("col", "stage"),
    },
}


@dataclass(frozen=True)
class Codes:
    """A column as integer codes into ``labels``; ``-1`` marks a missing value."""

    codes: np.ndarray
    labels: np.ndarray


def narrow(codes: np.ndarray, labels: int) -> np.ndarray:
    """``codes`` (``-1`` to ``labels - 1``) in the narrowest signed integer type that also holds
    ``codes + 1`` (group slots add one): a dimension with a few dozen labels costs one byte per
    row instead of eight. Returns ``codes`` itself when its type is already that narrow."""
    fits = [t for t in (np.int8, np.int16, np.int32) if labels < np.iinfo(t).max]
    dtype = np.dtype(fits[0] if fits else np.int64)
    return codes if codes.dtype.itemsize <= dtype.itemsize else codes.astype(dtype)


def encode(values: pd.Series) -> Codes:
    """Encode any column as :class:`Codes` in a narrow integer type (see :func:`narrow`).

    Categoricals lend their own codes, read-only, without a copy."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        labels = np.asarray(values.cat.categories)
        codes = narrow(np.asarray(values.cat.codes), len(labels))
        codes = codes.view()
        codes.flags.writeable = False
        return Codes(codes, labels)
    codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    return Codes(narrow(codes, len(uniques)), np.asarray(uniques))


def missing_codes(length: int) -> Codes:
    """Codes of a column with no value in any of ``length`` rows."""
    return Codes(np.full(length, -1, dtype=np.int8), np.array([], dtype=object))


def _through(position: np.ndarray, attr: Codes) -> Codes:
    """Follow a join: the attribute codes of the joined row at ``position`` (-1 stays -1)."""
    padded = np.empty(len(attr.codes) + 1, dtype=attr.codes.dtype)
    padded[:-1] = attr.codes
    padded[-1] = -1  # position -1 picks it
    return Codes(padded[position], attr.labels)


def _coalesce(first: Codes, second: Codes) -> Codes:
    """``first`` where it has a value, else ``second``, over the union of their labels."""
    labels = pd.Index(first.labels).append(pd.Index(second.labels)).unique().sort_values()
    remap_a = narrow(np.append(labels.get_indexer(pd.Index(first.labels)), -1), len(labels))
    remap_b = narrow(np.append(labels.get_indexer(pd.Index(second.labels)), -1), len(labels))
    a = remap_a[first.codes]  # code -1 indexes the appended -1
    b = remap_b[second.codes]
    return Codes(np.where(a >= 0, a, b), np.asarray(labels))


@dataclass
class MetricTable:
    """One canonical table prepared for metrics; see the module docstring."""

    name: str
    frame: pd.DataFrame
    dataset: Dataset
    source_id: int = 0
    _codes: dict[str, Codes] = field(default_factory=dict)
    _times: dict[str, np.ndarray] = field(default_factory=dict)
    _joins: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    _keys: dict[str, KeyIndex] = field(default_factory=dict)
    #: Row masks of ``where`` conditions, by condition; they depend on the data only.
    masks: dict[object, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.frame)

    def has_column(self, column: str) -> bool:
        """Whether the table has ``column`` (canonical or custom)."""
        return column in self.frame.columns

    def column(self, column: str) -> pd.Series:
        """The raw column, or a :class:`MetricError` naming the table and close matches."""
        if column not in self.frame.columns:
            raise MetricError(
                f"table {self.name} has no column {column!r}{suggest(column, self.frame.columns)}"
            )
        return self.frame[column]

    def times(self, column: str) -> np.ndarray:
        """A datetime column as int64 UTC nanoseconds, missing as :data:`NAT`."""
        if column not in self._times:
            values = self.column(column)
            if not isinstance(values.dtype, pd.DatetimeTZDtype):
                values = pd.to_datetime(values, utc=True, errors="coerce")
            self._times[column] = values.array.asi8.astype(np.int64, copy=False)  # type: ignore[attr-defined]
        return self._times[column]

    def codes(self, column: str) -> Codes:
        """The raw column ``column`` encoded as :class:`Codes`."""
        if column not in self._codes:
            self._codes[column] = encode(self.column(column))
        return self._codes[column]

    def dimension(self, dim: str) -> Codes:
        """The codes of dimension ``dim`` for every row, joining owners / accounts if needed."""
        key = f"dim:{dim}"
        if key in self._codes:
            return self._codes[key]
        route = ROUTES.get(self.name, {}).get(dim)
        if route is None:
            if dim in DIMENSIONS:
                reachable = ", ".join(sorted(ROUTES.get(self.name, {})))
                raise MetricError(
                    f"dimension {dim!r} does not apply to table {self.name}; "
                    f"its dimensions are: {reachable}, period, or one of its columns"
                )
            if dim not in self.frame.columns:
                known = [*ROUTES.get(self.name, {}), *self.frame.columns, "period"]
                raise MetricError(
                    f"unknown dimension {dim!r} for table {self.name}{suggest(dim, known)}"
                )
            result = self.codes(dim)
        else:
            result = self._route(*route)
        self._codes[key] = result
        return result

    def _route(self, kind: str, arg: str) -> Codes:
        if kind == "col":
            return self.codes(arg)
        if kind == "owner":
            return self._joined("owners", "owner_id", arg)
        if kind == "account":
            return self._joined("accounts", "account_id", arg)
        # region: the owner's region, else the row's (or its account's) own region
        own = (
            self.codes("region")
            if arg == "own"
            else self._joined("accounts", "account_id", "region")
        )
        return _coalesce(self._joined("owners", "owner_id", "region"), own)

    def _joined(self, other: str, key: str, attr: str) -> Codes:
        """Codes of ``other.attr`` for the row referenced by this table's ``key``."""
        if key not in self.frame.columns:
            return missing_codes(len(self))
        target = metric_table(self.dataset, other)
        if not target.has_column(attr):
            return missing_codes(len(self))
        return _through(self.rows_in(target, key), target.codes(attr))

    def rows_in(self, target: MetricTable, key: str) -> np.ndarray:
        """For each row, the first row of ``target`` with the same ``key`` (-1 when none)."""
        if (target.name, key) not in self._joins:
            self._joins[(target.name, key)] = target.key_index(key).find(self.frame[key])
        return self._joins[(target.name, key)]

    def key_index(self, column: str) -> KeyIndex:
        """The :class:`KeyIndex` of ``column`` (an id column), built once."""
        if column not in self._keys:
            self._keys[column] = KeyIndex.of(self.frame[column])
        return self._keys[column]


@dataclass(frozen=True)
class KeyIndex:
    """An id column as one Arrow string array, for finding rows by id.

    Lookups hash with Arrow (``index_in``) straight from the columns' Arrow buffers: no Python
    string is made per id, so joining millions of rows costs no memory beyond the positions.
    """

    values: pa.Array

    @classmethod
    def of(cls, ids: pd.Series) -> KeyIndex:
        """Index ``ids`` (a column with a RangeIndex)."""
        return cls(arrow_strings(ids))

    def find(self, keys: pd.Series) -> np.ndarray:
        """The first row whose id equals each of ``keys``; -1 where none does or it is missing.

        Positions are 32-bit (Arrow's own), half the memory of int64 for the cached joins."""
        if len(self.values) == 0 or len(keys) == 0:
            return np.full(len(keys), -1, dtype=np.int32)
        if isinstance(keys.dtype, pd.CategoricalDtype):
            return per_category(keys, self.find, -1)  # references: each distinct id once
        options = pc.SetLookupOptions(self.values, skip_nulls=True)
        found = pc.index_in(arrow_strings(keys), options=options).fill_null(-1)
        return np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int32)


def first_rows(target_keys: pd.Series, keys: pd.Series) -> np.ndarray:
    """Position of the first ``target_keys`` entry equal to each of ``keys`` (-1 when none or
    missing); ``target_keys`` has a RangeIndex. Uncached: tables use :meth:`MetricTable.rows_in`."""
    return KeyIndex.of(target_keys).find(keys)


def metric_table(dataset: Dataset, name: str) -> MetricTable:
    """The cached :class:`MetricTable` of ``dataset``'s table ``name``."""
    cache = dataset.cache.setdefault("metrics.tables", {})
    cached = cache.get(name)
    # A replaced frame (same dataset, new data) invalidates the prepared view.
    if cached is None or cached.source_id != id(dataset.table(name)):
        frame = dataset.table(name)
        if not frame.index.equals(pd.RangeIndex(len(frame))):
            # Positions are what the prepared arrays use; copy only when the index disagrees.
            frame = frame.reset_index(drop=True)
        cached = MetricTable(name, frame, dataset, id(dataset.table(name)))
        cache[name] = cached
    return cached


def suggest(name: str, candidates) -> str:
    """``"; did you mean 'x'?"`` listing close matches of ``name``, or an empty string."""
    close = difflib.get_close_matches(name, [str(c) for c in candidates], n=3, cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?"
