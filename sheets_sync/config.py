"""The refresh config: which sources, which template, which destination, which settings.

A refresh config is a small YAML file::

    report:
      title: Acme sales review
      template: executive_overview        # a bundled template id or a path to your own
      timezone: Europe/Paris
      date_range: last_90_days            # a preset, or {start: 2026-01-01, end: 2026-03-31}
      comparison: previous_period         # previous_period | previous_year | none
      # date_range, comparison and granularity default to the template's own defaults
      currency: USD
      currency_rates: {EUR: 1.08, GBP: 1.27}
    sources:
      - {type: demo, name: demo, options: {size: 5000}}
    destination:
      type: xlsx
      path: out/report.xlsx

:func:`load_config` validates it with pydantic and raises :class:`ConfigError` naming the file
and the key path of every problem. Relative paths are resolved against the config's folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sheets_sync.errors import ConfigError
from sheets_sync.metrics.query import COMPARISONS, DATE_PRESETS, GRANULARITIES, DateRange

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustomRange(_Strict):
    """An explicit date range, both ends inclusive."""

    start: date
    end: date


class ThemeConfig(_Strict):
    """Branding: title, logo, colours (#RRGGBB) and font."""

    title: str | None = None
    logo: str | None = None
    primary_color: str | None = None
    accent_color: str | None = None
    good_color: str | None = None
    bad_color: str | None = None
    font: str | None = None
    font_size: int | None = Field(default=None, ge=6, le=36)

    @field_validator("primary_color", "accent_color", "good_color", "bad_color")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        if value is not None and not _COLOR.match(value):
            raise ValueError(f"{value!r} is not a colour like #1F3A5F")
        return value


class ReportConfig(_Strict):
    """What to compute and how to present it."""

    title: str | None = None
    template: str = "executive_overview"
    timezone: str = "UTC"
    date_range: str | CustomRange | None = None
    comparison: str | None = None
    granularity: str | None = None
    currency: str = "USD"
    currency_rates: dict[str, float] = Field(default_factory=dict)
    raw_data_max_rows: int = Field(default=50_000, ge=0)
    custom_metrics: list[str] = Field(default_factory=list)
    theme: ThemeConfig = Field(default_factory=ThemeConfig)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name like Europe/Paris"
            ) from None
        return value

    @field_validator("date_range")
    @classmethod
    def _range(cls, value: str | CustomRange | None) -> str | CustomRange | None:
        if isinstance(value, str) and value not in DATE_PRESETS[:-1]:
            presets = ", ".join(DATE_PRESETS[:-1])
            raise ValueError(
                f"unknown date range {value!r}; use one of {presets} or {{start, end}}"
            )
        if isinstance(value, CustomRange) and value.end < value.start:
            raise ValueError("the range ends before it starts")
        return value

    @field_validator("comparison")
    @classmethod
    def _comparison(cls, value: str | None) -> str | None:
        if value is not None and value not in (*COMPARISONS, "none"):
            raise ValueError(f"unknown comparison {value!r}; use {', '.join(COMPARISONS)} or none")
        return value

    @field_validator("granularity")
    @classmethod
    def _granularity(cls, value: str | None) -> str | None:
        if value is not None and value not in GRANULARITIES:
            raise ValueError(f"unknown granularity {value!r}; use {', '.join(GRANULARITIES)}")
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{3}", value):
            raise ValueError(f"{value!r} is not an ISO 4217 code like USD")
        return value

    def range(self) -> DateRange | None:
        """The configured date range as a query :class:`DateRange` (``None``: template's)."""
        if self.date_range is None:
            return None
        if isinstance(self.date_range, CustomRange):
            return DateRange("custom", self.date_range.start, self.date_range.end)
        return DateRange(self.date_range)


class SourceConfig(_Strict):
    """One data source: its connector type, a short name and the connector's options."""

    type: str
    name: str
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                f"{value!r} is not a valid source name: use lowercase letters, digits, - and _, "
                "starting with a letter"
            )
        return value


class DestinationConfig(_Strict):
    """Where the report is written: ``xlsx`` (a local file) or ``gsheets``."""

    type: Literal["xlsx", "gsheets"] = "xlsx"
    path: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class BlendConfig(_Strict):
    """How sources are blended."""

    channel_aliases: dict[str, str] = Field(default_factory=dict)


class RefreshConfig(_Strict):
    """A whole refresh config."""

    report: ReportConfig = Field(default_factory=ReportConfig)
    sources: list[SourceConfig] = Field(min_length=1)
    destination: DestinationConfig = Field(default_factory=DestinationConfig)
    blend: BlendConfig = Field(default_factory=BlendConfig)
    state_dir: str = ".sheets-sync"
    base_dir: str = "."

    @field_validator("sources")
    @classmethod
    def _unique(cls, value: list[SourceConfig]) -> list[SourceConfig]:
        names = [s.name for s in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {', '.join(dupes)}")
        return value

    def resolve(self, path: str) -> Path:
        """Resolve ``path`` against the config file's folder."""
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else Path(self.base_dir) / candidate


def _location(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        elif item in ("str", "CustomRange", "function-after[_range(), union[str,CustomRange]]"):
            continue
        else:
            parts.append(str(item))
    return ".".join(parts)


def parse_config(
    data: Mapping[str, Any], origin: str = "config", base_dir: Path | None = None
) -> RefreshConfig:
    """Validate a config mapping; errors name ``origin`` and the key path of each problem."""
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{origin}: expected a mapping at the top level, got {type(data).__name__}"
        )
    payload = dict(data)
    if base_dir is not None:
        payload.setdefault("base_dir", str(base_dir))
    try:
        return RefreshConfig.model_validate(payload)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            msg = e["msg"].removeprefix("Value error, ")
            problems.append(f"{_location(e['loc'])}: {msg}")
        raise ConfigError(f"{origin}: " + "; ".join(dict.fromkeys(problems))) from None


def load_config(path: str | Path) -> RefreshConfig:
    """Read and validate a refresh config file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {file} not found") from None
    except OSError as err:
        raise ConfigError(f"cannot read config file {file}: {err.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or "invalid YAML"
        raise ConfigError(f"{file.name}:{where}: {problem}") from None
    if data is None:
        raise ConfigError(f"{file.name}: the file is empty; see examples/demo.yaml")
    return parse_config(data, file.name, file.resolve().parent)
