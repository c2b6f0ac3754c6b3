"""The ``demo`` source: a realistic multi-CRM company, generated locally, no credentials.

Configured as ``{type: demo, name: demo, options: {size: 5000, seed: 7}}``. Flavor
``salesforce``, ``hubspot`` or ``spend`` shows one part of the company under the source's name;
flavor ``all`` (the default) shows the three parts side by side as ``<name>-salesforce``,
``<name>-hubspot`` and ``<name>-spend``; :meth:`DemoSource.parts` splits such a result into one
result per part, as blending expects.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date
from typing import Any

import pandas as pd

from connectors.base import ReadContext, Source, SourceResult, Stream
from connectors.demo.canonical import iter_canonical_tables
from connectors.demo.options import parse_options
from connectors.demo.universe import Company, generate_universe, shared_company
from sheets_sync.issues import DataIssue
from sheets_sync.memory import release_free_memory
from sheets_sync.model import TABLE_NAMES, TABLES, conform, spec

PARTS = ("salesforce", "hubspot", "spend")
# Canonical tables each part provides.
PART_TABLES = {
    "salesforce": tuple(t for t in TABLE_NAMES if t != "spend"),
    "hubspot": tuple(t for t in TABLE_NAMES if t != "spend"),
    "spend": ("spend",),
}


class DemoSource(Source):
    """Deterministic demo data: the same options always give the same company."""

    type = "demo"

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        super().__init__(name, options)
        self.settings = parse_options(name, options)
        #: The company this source last read; other demo sources of the same refresh reuse it.
        self.company: Company | None = None

    def labels(self) -> dict[str, str]:
        """The source label of each part this source shows."""
        if self.settings.flavor == "all":
            return {part: f"{self.name}-{part}" for part in PARTS}
        return {self.settings.flavor: self.name}

    def streams(self) -> list[Stream]:
        """One stream per part and canonical table, named ``<part>.<table>``."""
        return [
            Stream(f"{part}.{table}", table, spec(table).primary_key)
            for part in self.labels()
            for table in PART_TABLES[part]
        ]

    def as_of(self, context: ReadContext) -> date:
        """The last day of data: the configured ``as_of`` or the sync's start day (UTC)."""
        if self.settings.as_of is not None:
            return self.settings.as_of
        return context.started_at.astimezone(UTC).date()

    def read(self, context: ReadContext) -> SourceResult:
        """Generate (or reuse) the company and return the shown parts as canonical tables."""
        size, seed, as_of = self.settings.size, self.settings.seed, self.as_of(context)
        context.progress("generating demo company", 0, len(TABLE_NAMES))
        if self.settings.flavor == "all":
            # Every part is read here: nobody else needs the company, so this read consumes
            # it table by table and it never sits beside all of its canonical tables.
            universe, consume, sizes = generate_universe(size, seed, as_of), True, None
        else:
            self.company = shared_company(size, seed, as_of, self.labels())
            universe, consume, sizes = dict(self.company.tables), False, self.company.sizes
        tables: dict[str, pd.DataFrame] = {}
        issues: list[DataIssue] = []
        frames = iter_canonical_tables(universe, self.labels(), consume, sizes)
        for done, (table, frame) in enumerate(frames, start=1):
            tables[table], found = conform(table, frame, self.name)
            del frame  # release the unconformed copy before the next table is built
            # A finished frame may sit in a reference cycle among this table's young objects:
            # collecting the young generations frees it without walking the whole heap.
            release_free_memory(generation=1)
            issues.extend(found)
            context.progress(f"demo {table}", done, len(TABLE_NAMES))
        tables = {table: tables[table] for table in TABLE_NAMES}
        del universe, frames
        if self.company is not None:
            # Its part is read: the company keeps only what the other sources will read.
            self.company.let_go(self.labels())
        return SourceResult(
            tables=tables,
            issues=issues,
            stats={
                "size": size,
                "seed": seed,
                "as_of": as_of.isoformat(),
                "flavor": self.settings.flavor,
            },
        )

    def parts(
        self, result: SourceResult, release_input: bool = False
    ) -> list[tuple[str, SourceResult]]:
        """One ``(label, result)`` pair per part shown, each with only that part's rows.

        Blending expects one source name per result; flavor ``all`` holds three, so its result is
        split by the ``source`` column (``<name>-salesforce``, ``<name>-hubspot``,
        ``<name>-spend``), one table at a time. With ``release_input`` each table is taken out of
        ``result`` once split, so the whole read and its split copy never exist together. Other
        flavors are returned whole.
        """
        labels = list(self.labels().values())
        if len(labels) == 1:
            return [(labels[0], result)]
        split: dict[str, dict[str, pd.DataFrame]] = {label: {} for label in labels}
        for name in list(result.tables):
            frame = result.tables.pop(name) if release_input else result.tables[name]
            for label in labels:
                split[label][name] = _only(name, frame, label)
            del frame
        # Issues concern the read as a whole: the first part carries them, none is dropped.
        return [
            (
                label,
                SourceResult(
                    tables=split[label],
                    issues=result.issues if i == 0 else [],
                    stats=dict(result.stats, part=label),
                ),
            )
            for i, label in enumerate(labels)
        ]


def _only(table: str, frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """The rows of canonical ``table`` whose ``source`` is ``label``, in canonical types."""
    part = frame.loc[(frame["source"] == label).to_numpy()].reset_index(drop=True)
    for column in part.columns:
        if TABLES[table].is_reference(column):
            continue  # ids other parts' rows use do no harm and share one dictionary
        if isinstance(part[column].dtype, pd.CategoricalDtype):
            # The other parts' labels, stages... are no values of this part.
            part[column] = part[column].cat.remove_unused_categories()
    return part
