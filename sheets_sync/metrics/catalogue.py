"""The metric catalogue: built-in CRM metrics plus user metrics declared in YAML.

:func:`load_catalogue` returns a :class:`Catalogue` of :class:`MetricDef`; each definition carries
its display facts (label, family, format, direction), a plain-language exact definition, and its
formula as shapes (:mod:`sheets_sync.metrics.shapes`) that the engine evaluates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sheets_sync.document import Fmt
from sheets_sync.errors import MetricError
from sheets_sync.metrics.shapes import Node
from sheets_sync.metrics.tables import suggest

FAMILIES = (
    "acquisition",
    "engagement",
    "retention",
    "efficiency",
    "effectiveness",
    "sales",
    "cost",
    "support",
)


@dataclass(frozen=True)
class MetricDef:
    """One metric: what it means, how it displays, and its formula.

    ``base_table`` is the table its dimensions are resolved on (a ratio across tables, such as
    CAC, resolves each side on its own table); ``date_field`` is the column that places a row in
    the date range, or ``None`` for state metrics measured at the end of the range.
    """

    id: str
    label: str
    family: str
    definition: str
    fmt: Fmt
    up_is_good: bool
    base_table: str
    date_field: str | None
    formula: Node | None = None
    custom: bool = False


class Catalogue:
    """Metric definitions by id, in declaration order."""

    def __init__(self, metrics: Iterable[MetricDef]) -> None:
        self._metrics: dict[str, MetricDef] = {}
        for metric in metrics:
            self._metrics[metric.id] = metric

    def get(self, metric_id: str) -> MetricDef:
        """The metric ``metric_id``; a :class:`MetricError` naming close matches if unknown."""
        try:
            return self._metrics[metric_id]
        except KeyError:
            raise MetricError(
                f"unknown metric {metric_id!r} (docs/metrics.md lists the catalogue)"
                f"{suggest(metric_id, self._metrics)}"
            ) from None

    def all(self) -> list[MetricDef]:
        """Every metric, built-ins first."""
        return list(self._metrics.values())

    def ids(self) -> list[str]:
        """Every metric id."""
        return list(self._metrics)

    def families(self) -> list[str]:
        """The families that have at least one metric, in canonical order."""
        used = {m.family for m in self._metrics.values()}
        return [f for f in FAMILIES if f in used]

    def __contains__(self, metric_id: object) -> bool:
        return metric_id in self._metrics

    def __len__(self) -> int:
        return len(self._metrics)


def load_catalogue(custom_files: Sequence[Path] = ()) -> Catalogue:
    """Built-in metrics plus the custom metrics of each YAML file in ``custom_files``.

    A custom metric may not reuse a built-in id or one defined in an earlier file; errors name
    the file and the key.
    """
    from sheets_sync.metrics.builtin import BUILTIN_METRICS
    from sheets_sync.metrics.custom import load_custom_metrics

    metrics = list(BUILTIN_METRICS)
    seen = {m.id: "the built-in catalogue" for m in metrics}
    for path in custom_files:
        for metric in load_custom_metrics(Path(path), {m.id: m for m in metrics}):
            if metric.id in seen:
                raise MetricError(
                    f"{path}: metrics.{metric.id}: id already defined in {seen[metric.id]}; "
                    "pick another id"
                )
            seen[metric.id] = str(path)
            metrics.append(metric)
    return Catalogue(metrics)
