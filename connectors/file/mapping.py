"""The YAML mapping that turns CSV / XLSX exports into canonical tables, validated with pydantic.

A mapping declares the files to read (``files:``, with read options), and per canonical table the
file(s) it comes from and a rule per canonical column (``columns:``) or custom field
(``custom:``). :func:`load_mapping` reads and validates one; every error is a single
:class:`~sheets_sync.errors.ConfigError` line naming the mapping file and the key path, e.g.
``maven_crm.yaml: tables.deals.columns.status: unknown rule 'valuez'``.
"""

from __future__ import annotations

import codecs
import difflib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sheets_sync.errors import ConfigError
from sheets_sync.model import TABLE_NAMES, spec

ValueType = Literal[
    "text", "category", "id", "number", "money", "percent", "integer", "date", "bool"
]
DERIVATIONS = ("as_of", "months_before_as_of", "days_before_as_of")


class ReadOptions(BaseModel):
    """How to read a file; every option may be set once under ``defaults:`` or per file."""

    model_config = ConfigDict(extra="forbid")

    encoding: str = "auto"
    delimiter: str | None = None
    decimal: Literal[".", ",", "auto"] = "auto"
    thousands: str | None = None
    date_format: list[str] = Field(default_factory=list)
    dayfirst: bool = False
    sheet: str | None = None
    header_row: int = Field(default=1, ge=1)

    @field_validator("date_format", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        if value != "auto":
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(
                    f"unknown encoding {value!r}; use auto, utf-8, cp1252..."
                ) from None
        return value

    @field_validator("delimiter")
    @classmethod
    def _single_char(cls, value: str | None) -> str | None:
        if value is not None and len(value) != 1:
            raise ValueError(f"delimiter must be one character, got {value!r}")
        return value


class FileSpec(ReadOptions):
    """One declared file: ``path`` (relative to the data folder) plus read options."""

    path: str


def _yaml_on(data: Any) -> Any:
    """YAML 1.1 reads a bare ``on:`` key as ``True``; give it back its name."""
    if isinstance(data, Mapping) and True in data:
        return {("on" if k is True else k): v for k, v in data.items()}
    return data


class Condition(BaseModel):
    """``when:`` keeps a rule's value only on rows where the condition holds.

    Either ``{column: X, equals: V}`` / ``{column: X, in: [..]}`` / ``{column: X, not_blank: true}``
    or ``{found_in: file_id, on: X, key: Y}`` (the row's X appears in column Y of that file).
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    column: str | None = None
    equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    not_blank: bool | None = None
    found_in: str | None = None
    on: str | None = None
    key: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _on_key(cls, data: Any) -> Any:
        return _yaml_on(data)

    @model_validator(mode="after")
    def _one_subject(self) -> Condition:
        if (self.column is None) == (self.found_in is None):
            raise ValueError("a condition needs exactly one of 'column' or 'found_in'")
        if self.found_in is not None and self.on is None:
            raise ValueError("'found_in' needs 'on' (the column of this file to look up)")
        if self.column is not None and (self.equals, self.in_, self.not_blank) == (None,) * 3:
            raise ValueError("a column condition needs 'equals', 'in' or 'not_blank'")
        return self


_RULE_KEYS = (
    "column",
    "constant",
    "lookup",
    "derive",
    "coalesce",
    "on",
    "key",
    "misses",
    "values",
    "default",
    "keep_unmapped",
    "when",
    "fallback",
    "format",
    "dayfirst",
    "multiply",
    "type",
    "blank",
)


class ColumnRule(BaseModel):
    """How one output column is computed from the table's file(s).

    Exactly one source: ``column`` (a source column), ``constant``, ``lookup`` (with ``on``,
    optional ``key``, and ``column`` in the looked-up file), ``derive`` (``as_of``,
    ``months_before_as_of`` / ``days_before_as_of`` with ``column``) or ``coalesce`` (first
    non-blank of several rules). Modifiers: ``values``/``default``/``keep_unmapped`` (value
    mapping), ``when`` (condition), ``fallback`` (rule used where the value is blank),
    ``format``/``dayfirst`` (dates), ``multiply``, ``type`` and ``blank`` (ok, warn, exclude).
    A bare string is shorthand for ``{column: <string>}``.
    """

    model_config = ConfigDict(extra="forbid")

    column: str | None = None
    constant: Any = None
    lookup: str | None = None
    derive: Literal["as_of", "months_before_as_of", "days_before_as_of"] | None = None
    coalesce: list[ColumnRule] | None = None
    on: str | None = None
    key: str | None = None
    misses: Literal["warn", "info", "ignore"] = "warn"
    values: dict[str, Any] | None = None
    default: Any = None
    keep_unmapped: bool = False
    when: Condition | None = None
    fallback: ColumnRule | None = None
    format: list[str] = Field(default_factory=list)
    dayfirst: bool | None = None
    multiply: float | None = None
    type: ValueType | None = None
    blank: Literal["ok", "warn", "exclude"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand_and_keys(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"column": data}
        data = _yaml_on(data)
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a column name or a rule mapping, got {data!r}")
        for key in data:
            if key not in _RULE_KEYS:
                close = difflib.get_close_matches(str(key), _RULE_KEYS, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"unknown rule {key!r}{hint}")
        if isinstance(data.get("format"), str):
            data = {**data, "format": [data["format"]]}
        if isinstance(data.get("values"), Mapping):
            data = {**data, "values": {str(k): v for k, v in data["values"].items()}}
        return data

    @model_validator(mode="after")
    def _one_source(self) -> ColumnRule:
        given = [
            k for k in ("constant", "lookup", "derive", "coalesce") if k in self.model_fields_set
        ]
        if len(given) > 1:
            raise ValueError(f"give only one of {', '.join(given)}")
        if self.lookup is not None and (self.on is None or self.column is None):
            raise ValueError("a lookup needs 'on' (column of this file) and 'column' (to fetch)")
        if self.derive in ("months_before_as_of", "days_before_as_of") and self.column is None:
            raise ValueError(f"derive {self.derive} needs 'column' (the number of units)")
        if not given and self.column is None:
            raise ValueError("give one of column, constant, lookup, derive or coalesce")
        return self

    @property
    def has_default(self) -> bool:
        """True when ``default`` was given (``default: null`` counts)."""
        return "default" in self.model_fields_set


class TableMapping(BaseModel):
    """One canonical table: the file(s) it is read from and its column rules."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: list[str] = Field(alias="from")
    columns: dict[str, ColumnRule]
    custom: dict[str, ColumnRule] = Field(default_factory=dict)

    @field_validator("from_", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class MappingFile(BaseModel):
    """A whole mapping file."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    as_of: date | None = None
    timezone: str = "UTC"
    defaults: ReadOptions = Field(default_factory=ReadOptions)
    files: dict[str, FileSpec]
    tables: dict[str, TableMapping]

    def file_options(self, file_id: str) -> FileSpec:
        """The spec of ``file_id`` with ``defaults:`` filling the options it does not set."""
        own = self.files[file_id]
        merged = self.defaults.model_dump() | own.model_dump(exclude_unset=True)
        return FileSpec(**merged)


def load_mapping(
    source: str | Path | Mapping[str, Any],
    label: str | None = None,
    as_of: date | None = None,
) -> MappingFile:
    """Read and validate a mapping from a YAML path or an inline mapping.

    ``label`` names the mapping in error messages (defaults to the file name, or ``inline
    mapping``); ``as_of`` overrides the mapping's own ``as_of``. Raises :class:`ConfigError`
    naming the label and the key path of the problem.
    """
    if isinstance(source, Mapping):
        data: Any = source
        label = label or "inline mapping"
    else:
        path = Path(source)
        label = label or path.name
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise ConfigError(
                f"mapping file {path} does not exist; check the 'mapping' option"
            ) from None
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            raise ConfigError(f"{label}: invalid YAML{where}; fix the syntax") from err
    if not isinstance(data, Mapping):
        raise ConfigError(f"{label}: expected a mapping with 'files' and 'tables' keys")
    try:
        mapping = MappingFile.model_validate(data)
    except ValidationError as err:
        raise ConfigError(f"{label}: {_describe(err)}") from None
    if as_of is not None:
        mapping.as_of = as_of
    check_mapping(mapping, label)
    return mapping


def _describe(err: ValidationError) -> str:
    """Turn pydantic's errors into ``key.path: message`` text (at most three, one line)."""
    parts = []
    for item in err.errors()[:3]:
        loc = [str(p) for p in item["loc"]]
        msg = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            msg = f"unknown key {loc[-1]!r}"
            loc = loc[:-1]
        elif item["type"] == "missing":
            msg = f"missing key {loc[-1]!r}"
            loc = loc[:-1]
        parts.append(f"{'.'.join(loc) or '(top level)'}: {msg}")
    more = len(err.errors()) - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _fail(label: str, path: str, message: str) -> ConfigError:
    return ConfigError(f"{label}: {path}: {message}")


def check_mapping(mapping: MappingFile, label: str) -> None:
    """Check what pydantic cannot: canonical names, file references, ``as_of`` and time zone."""
    try:
        ZoneInfo(mapping.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(label, "timezone", f"unknown time zone {mapping.timezone!r}") from None
    for table, tmap in mapping.tables.items():
        where = f"tables.{table}"
        if table not in TABLE_NAMES:
            close = difflib.get_close_matches(table, TABLE_NAMES, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise _fail(label, where, f"unknown table; {hint}tables are: {', '.join(TABLE_NAMES)}")
        for i, file_id in enumerate(tmap.from_):
            _check_file(mapping, label, f"{where}.from.{i}", file_id)
        tspec = spec(table)
        for name, rule in tmap.columns.items():
            if name not in tspec.names or name == "source":
                close = difflib.get_close_matches(name, tspec.names, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise _fail(
                    label,
                    f"{where}.columns.{name}",
                    f"not a column of {table}; {hint}map custom fields under 'custom:'",
                )
            _check_rule(mapping, label, f"{where}.columns.{name}", rule)
        missing = [c for c in tspec.required if c != "source" and c not in tmap.columns]
        if missing:
            raise _fail(
                label, f"{where}.columns", f"required column(s) not mapped: {', '.join(missing)}"
            )
        for name, rule in tmap.custom.items():
            if name in tspec.names:
                raise _fail(
                    label,
                    f"{where}.custom.{name}",
                    f"{name!r} is a canonical column; map it under columns:",
                )
            _check_rule(mapping, label, f"{where}.custom.{name}", rule)


def _check_file(mapping: MappingFile, label: str, path: str, file_id: str) -> None:
    if file_id not in mapping.files:
        known = ", ".join(mapping.files) or "none"
        raise _fail(label, path, f"unknown file {file_id!r}; declared files: {known}")


def _check_rule(mapping: MappingFile, label: str, path: str, rule: ColumnRule) -> None:
    if rule.lookup is not None:
        _check_file(mapping, label, f"{path}.lookup", rule.lookup)
    if rule.when is not None and rule.when.found_in is not None:
        _check_file(mapping, label, f"{path}.when.found_in", rule.when.found_in)
    if rule.derive is not None and mapping.as_of is None:
        raise _fail(label, f"{path}.derive", f"{rule.derive} needs a top-level 'as_of: YYYY-MM-DD'")
    if rule.fallback is not None:
        _check_rule(mapping, label, f"{path}.fallback", rule.fallback)
    for i, part in enumerate(rule.coalesce or ()):
        _check_rule(mapping, label, f"{path}.coalesce.{i}", part)
