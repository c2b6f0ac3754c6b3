"""``FileSource``: CSV and XLSX exports from any CRM, mapped onto the canonical model.

Options (one entry of a refresh config's ``sources:``):

- ``mapping``: path to a mapping YAML (relative paths resolve against ``base_dir``, the config
  file's folder) or an inline mapping (a dict with ``files:`` and ``tables:``);
- ``data_dir``: folder the mapping's file paths are relative to (default: the mapping file's
  folder, or ``base_dir`` for inline mappings);
- ``as_of``: ``YYYY-MM-DD`` overriding the mapping's ``as_of`` (for derived dates);
- ``base_dir``: folder relative paths in these options resolve against.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from connectors.base import CheckResult, ReadContext, Source, SourceResult, Stream
from connectors.file.build import build_table
from connectors.file.checks import date_order_issues
from connectors.file.mapping import MappingFile, load_mapping
from connectors.file.reading import RawFile, read_file
from connectors.file.rules import RuleContext
from sheets_sync.errors import ConfigError, SheetsSyncError
from sheets_sync.issues import DataIssue
from sheets_sync.model import spec

_OPTIONS = ("mapping", "data_dir", "as_of", "base_dir")


class FileSource(Source):
    """Reads the files a mapping declares and returns the canonical tables it maps."""

    type = "file"
    reads_local_files = True

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        super().__init__(name, options)
        unknown = [k for k in self.options if k not in _OPTIONS]
        if unknown:
            raise ConfigError(
                f"file source {name!r}: unknown option(s) {', '.join(unknown)}; "
                f"options are: {', '.join(_OPTIONS)}"
            )
        mapping = self.options.get("mapping")
        if not isinstance(mapping, str | Path | Mapping):
            raise ConfigError(
                f"file source {name!r}: set 'mapping' to a mapping YAML path or an inline mapping"
            )
        self._as_of = _as_of(name, self.options.get("as_of"))
        self._base = Path(self.options.get("base_dir") or ".")
        self._mapping: MappingFile | None = None
        if isinstance(mapping, Mapping):  # inline: validate now, no I/O needed
            self._mapping = load_mapping(mapping, f"source {name!r} inline mapping", self._as_of)

    @property
    def mapping_path(self) -> Path | None:
        """The mapping file, or ``None`` for an inline mapping."""
        mapping = self.options["mapping"]
        return None if isinstance(mapping, Mapping) else self._base / Path(mapping)

    @property
    def data_dir(self) -> Path:
        """The folder file paths in the mapping are relative to."""
        given = self.options.get("data_dir")
        if given:
            return self._base / Path(given)
        path = self.mapping_path
        return path.parent if path is not None else self._base

    def mapping(self) -> MappingFile:
        """The validated mapping (read on first use)."""
        if self._mapping is None:
            path = self.mapping_path
            assert path is not None
            self._mapping = load_mapping(path, as_of=self._as_of)
        return self._mapping

    def streams(self) -> list[Stream]:
        """One stream per mapped table; ``mapping`` shows the plain column-to-column rules."""
        result = []
        for table, tmap in self.mapping().tables.items():
            plain = {
                name: rule.column
                for name, rule in tmap.columns.items()
                if rule.column and rule.lookup is None and rule.derive is None
            }
            result.append(Stream(table, table, spec(table).primary_key, None, plain))
        return result

    def read(self, context: ReadContext) -> SourceResult:
        """Read every mapped table; files are full exports, so there are no cursors."""
        mapping = self.mapping()
        cache: dict[str, RawFile] = {}
        stats: dict[str, Any] = {"files": {}}
        issues: list[DataIssue] = []

        def load(file_id: str) -> RawFile:
            if file_id not in cache:
                raw = read_file(
                    file_id,
                    self.data_dir / mapping.files[file_id].path,
                    mapping.file_options(file_id),
                )
                cache[file_id] = raw
                issues.extend(replace(i, source=self.name) for i in raw.issues)
                stats["files"][raw.label] = {
                    "rows": len(raw.frame),
                    "encoding": raw.encoding,
                    "delimiter": raw.delimiter,
                }
            return cache[file_id]

        tables = {}
        total = len(mapping.tables)
        for done, (table, tmap) in enumerate(mapping.tables.items()):
            context.progress(f"{self.name}: {table}", done, total)
            ctx = RuleContext(mapping, load, self.name, table)
            built = build_table(table, tmap, ctx)
            issues.extend(ctx.issues)
            issues.extend(date_order_issues(self.name, table, built))
            tables[table] = built.frame
        context.progress(self.name, total, total)
        return SourceResult(tables, issues, {}, 0, stats)

    def check(self) -> CheckResult:
        """Check that the mapping is valid and every declared file exists."""
        try:
            mapping = self.mapping()
        except SheetsSyncError as err:
            return CheckResult(False, str(err))
        missing = tuple(
            spec_.path
            for spec_ in mapping.files.values()
            if not (self.data_dir / spec_.path).is_file()
        )
        if missing:
            return CheckResult(
                False, f"missing file(s) in {self.data_dir}: {', '.join(missing)}", missing
            )
        return CheckResult(True, f"mapping valid; {len(mapping.files)} file(s) found")


def _as_of(name: str, value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(
            f"file source {name!r}: as_of must be YYYY-MM-DD, got {value!r}"
        ) from None
