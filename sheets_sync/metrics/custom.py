"""Custom metrics declared in YAML, built from the same shapes as the built-ins.

A file holds a ``metrics:`` mapping from id to definition. A definition is one aggregate
(``count`` / ``sum`` / ``mean`` / ``distinct`` of a table, with ``date`` and optional ``column``,
``where`` and ``money``) or a ``ratio`` with ``numerator`` and ``denominator`` (each an aggregate
or the id of a metric defined before it) and an optional ``per`` scale. See docs/metrics.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from sheets_sync.document import Fmt
from sheets_sync.errors import MetricError
from sheets_sync.metrics.catalogue import FAMILIES, MetricDef
from sheets_sync.metrics.shapes import Agg, AggKind, InRange, Node, Ratio, Value, Where
from sheets_sync.model import TABLES, Kind

_AGG_KINDS: tuple[AggKind, ...] = ("count", "sum", "mean", "distinct")
_WHERE_OPS = ("in", "not_in", "set", "missing", "gt", "gte", "lt", "lte")
_FORMATS = {f.value: f for f in (Fmt.NUMBER, Fmt.INTEGER, Fmt.CURRENCY, Fmt.PERCENT, Fmt.DAYS)}
_METRIC_KEYS = {"label", "family", "definition", "format", "up_is_good", "ratio", "per"}
_AGG_KEYS = {*_AGG_KINDS, "date", "column", "where", "money"}


class _Where:
    """Location of a value inside the YAML file, for error messages."""

    def __init__(self, path: Path, key: str) -> None:
        self.path, self.key = path, key

    def at(self, key: str) -> _Where:
        return _Where(self.path, f"{self.key}.{key}")

    def fail(self, problem: str) -> MetricError:
        return MetricError(f"{self.path}: {self.key}: {problem}")


def load_custom_metrics(
    path: Path, known: Mapping[str, MetricDef] | None = None
) -> list[MetricDef]:
    """Parse the custom metrics of YAML file ``path``; ratios may reference ``known`` ids."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise MetricError(f"{path}: cannot read custom metrics file ({err.strerror})") from err
    except yaml.YAMLError as err:
        raise MetricError(f"{path}: not valid YAML ({err.__class__.__name__})") from err
    if not isinstance(document, dict) or not isinstance(document.get("metrics"), dict):
        raise MetricError(f"{path}: expected a top-level 'metrics:' mapping of id -> definition")
    if known is None:
        from sheets_sync.metrics.builtin import BUILTIN_METRICS

        known = {m.id: m for m in BUILTIN_METRICS}
    defined = dict(known)
    out = []
    for metric_id, body in document["metrics"].items():
        here = _Where(path, f"metrics.{metric_id}")
        metric = _metric(str(metric_id), body, defined, here)
        defined[metric.id] = metric
        out.append(metric)
    return out


def _metric(metric_id: str, body: Any, known: Mapping[str, MetricDef], here: _Where) -> MetricDef:
    if not metric_id.isidentifier():
        raise here.fail("metric ids use letters, digits and underscores")
    if not isinstance(body, dict):
        raise here.fail("expected a mapping with label, format and an aggregate or ratio")
    unknown = set(body) - _METRIC_KEYS - _AGG_KEYS
    if unknown:
        raise here.at(sorted(unknown)[0]).fail(
            f"unknown key; allowed: {', '.join(sorted(_METRIC_KEYS | _AGG_KEYS))}"
        )
    family = body.get("family", "sales")
    if family not in FAMILIES:
        raise here.at("family").fail(f"unknown family {family!r}; use one of {', '.join(FAMILIES)}")
    fmt_name = str(body.get("format", "number"))
    if fmt_name not in _FORMATS:
        raise here.at("format").fail(
            f"unknown format {fmt_name!r}; use one of {', '.join(_FORMATS)}"
        )
    formula: Node
    if "ratio" in body:
        spec = body["ratio"]
        if not isinstance(spec, dict) or {"numerator", "denominator"} - set(spec):
            raise here.at("ratio").fail("needs 'numerator' and 'denominator'")
        num = _operand(spec["numerator"], known, here.at("ratio.numerator"))
        den = _operand(spec["denominator"], known, here.at("ratio.denominator"))
        per = body.get("per", spec.get("per", 1))
        if not isinstance(per, int | float) or isinstance(per, bool):
            raise here.at("per").fail("must be a number, e.g. 100 or 1000")
        formula = Ratio(num, den, float(per))
    else:
        formula = _aggregate(body, here)
    base = _first_agg(formula)
    return MetricDef(
        id=metric_id,
        label=str(body.get("label", metric_id.replace("_", " ").capitalize())),
        family=family,
        definition=str(body.get("definition", "Custom metric.")),
        fmt=_FORMATS[fmt_name],
        up_is_good=bool(body.get("up_is_good", True)),
        base_table=base.table,
        date_field=base.window.field if isinstance(base.window, InRange) else None,
        formula=formula,
        custom=True,
    )


def _first_agg(node: Node) -> Agg:
    while not isinstance(node, Agg):
        node = node.num if isinstance(node, Ratio) else node.of
    return node


def _operand(spec: Any, known: Mapping[str, MetricDef], here: _Where) -> Node:
    if isinstance(spec, str):
        metric = known.get(spec)
        if metric is None or metric.formula is None:
            raise here.fail(f"unknown metric {spec!r}; reference a built-in or an earlier id")
        return metric.formula
    if not isinstance(spec, dict):
        raise here.fail("expected a metric id or an aggregate mapping (count/sum/mean/distinct)")
    unknown = set(spec) - _AGG_KEYS
    if unknown:
        raise here.at(sorted(unknown)[0]).fail(
            f"unknown key; allowed: {', '.join(sorted(_AGG_KEYS))}"
        )
    return _aggregate(spec, here)


def _aggregate(spec: Mapping[str, Any], here: _Where) -> Agg:
    kinds = [k for k in _AGG_KINDS if k in spec]
    if len(kinds) != 1:
        raise here.fail("give exactly one of count, sum, mean, distinct (naming a table) or ratio")
    kind = kinds[0]
    table = spec[kind]
    if table not in TABLES:
        raise here.at(kind).fail(f"unknown table {table!r}; use one of {', '.join(TABLES)}")
    date = spec.get("date")
    if not isinstance(date, str) or _kind_of(table, date) not in (Kind.DATETIME, None):
        raise here.at("date").fail(
            f"name the datetime column of {table} that places a row in the range"
        )
    column = spec.get("column")
    if kind != "count" and not isinstance(column, str):
        raise here.at("column").fail(f"{kind} needs the column to aggregate")
    where = tuple(_where(c, v, here.at(f"where.{c}")) for c, v in (spec.get("where") or {}).items())
    if kind in ("sum", "mean"):
        assert isinstance(column, str)
        money = bool(spec.get("money", _kind_of(table, column) is Kind.MONEY))
        return Agg(table, kind, InRange(date), where, Value(column, money=money))
    return Agg(table, kind, InRange(date), where, column=column if kind == "distinct" else None)


def _kind_of(table: str, column: str) -> Kind | None:
    """The canonical kind of ``table.column``, or ``None`` for a custom field."""
    try:
        return TABLES[table].column(column).kind
    except KeyError:
        return None


def _where(column: str, value: Any, here: _Where) -> Where:
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)) not in _WHERE_OPS:
            raise here.fail(f"expected one operator of {', '.join(_WHERE_OPS)}")
        op, arg = next(iter(value.items()))
        if op in ("set", "missing"):
            return Where(column, op if arg is not False else ("missing" if op == "set" else "set"))
        if op in ("gt", "gte", "lt", "lte"):
            if not isinstance(arg, int | float) or isinstance(arg, bool):
                raise here.at(op).fail("compare with a number")
            return Where(column, op, (arg,))
        values = arg if isinstance(arg, list) else [arg]
        return Where(column, op, tuple(v for v in values if v is not None), None in values)
    if value is None:
        return Where(column, "missing")
    values = value if isinstance(value, list) else [value]
    return Where(column, "in", tuple(v for v in values if v is not None), None in values)
