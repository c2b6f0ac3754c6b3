"""The few generic shapes every metric is built from, declared as plain data.

A metric's formula is a small tree: :class:`Agg` leaves aggregate one table over a time
:class:`InRange` window or a :class:`Lifecycle` state, and :class:`Ratio`, :class:`Complement`
and :class:`PerMonth` combine them. Built-in and custom (YAML) metrics use the same shapes, and
:mod:`sheets_sync.metrics.evaluate` evaluates them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

WhereOp = Literal["in", "not_in", "set", "missing", "gt", "gte", "lt", "lte"]
AggKind = Literal["count", "sum", "mean", "distinct"]
LifecycleMode = Literal["active_at_end", "active_at_start", "survived", "ended"]


@dataclass(frozen=True)
class Where:
    """A row filter on one column.

    ``in`` matches any of ``values`` (and missing values too when ``include_missing``);
    ``not_in`` matches present values not in ``values``; ``set`` / ``missing`` test presence;
    ``gt`` / ``gte`` / ``lt`` / ``lte`` compare numbers with ``values[0]``.
    """

    column: str
    op: WhereOp = "in"
    values: tuple[Any, ...] = ()
    include_missing: bool = False


@dataclass(frozen=True)
class InRange:
    """Rows whose ``field`` (a datetime) falls in the range; periods bucket on it."""

    field: str


@dataclass(frozen=True)
class Lifecycle:
    """Rows by state, for things that live from ``begins`` until ``ends`` (deals, customers).

    A row is active at instant ``t`` when ``begins < t`` and either it has not ended
    (``ends`` is missing, or ``still_open`` matches) or ``ends >= t``. Modes:
    ``active_at_end`` (snapshot at the end of the range or period), ``active_at_start``,
    ``survived`` (active at the start and at the end) and ``ended`` (active at the start and ended
    before the end).
    """

    begins: str
    ends: str
    mode: LifecycleMode = "active_at_end"
    still_open: Where | None = None


@dataclass(frozen=True)
class Value:
    """What ``sum`` / ``mean`` aggregate: a column, optionally money converted to the report
    currency, a duration ``column - since`` in ``unit`` (days or hours), or times ``times``."""

    column: str
    money: bool = False
    since: str | None = None
    unit: Literal["days", "hours"] = "days"
    times: str | None = None


@dataclass(frozen=True)
class Agg:
    """Aggregate rows of ``table`` selected by ``window`` and ``where``.

    ``count`` counts rows, ``sum`` / ``mean`` aggregate ``value`` (missing values skipped; a sum
    of nothing is 0, a mean of nothing is missing), ``distinct`` counts distinct present values of
    ``column``.
    """

    table: str
    kind: AggKind
    window: InRange | Lifecycle
    where: tuple[Where, ...] = ()
    value: Value | None = None
    column: str | None = None


@dataclass(frozen=True)
class Ratio:
    """``num / den * scale``; missing when the denominator is 0 or missing."""

    num: Node
    den: Node
    scale: float = 1.0


@dataclass(frozen=True)
class Complement:
    """``1 - of`` (retention from churn)."""

    of: Node


@dataclass(frozen=True)
class PerMonth:
    """A rate over the range turned into a monthly rate: ``of * 30.4375 / days in the window``."""

    of: Node


Node = Agg | Ratio | Complement | PerMonth


def is_additive(node: Node) -> bool:
    """Whether empty groups of ``node`` are 0 (counts, sums) rather than missing."""
    return isinstance(node, Agg) and node.kind != "mean"


def tables_of(node: Node) -> set[str]:
    """The canonical tables ``node`` reads."""
    if isinstance(node, Agg):
        return {node.table}
    if isinstance(node, Ratio):
        return tables_of(node.num) | tables_of(node.den)
    return tables_of(node.of)
