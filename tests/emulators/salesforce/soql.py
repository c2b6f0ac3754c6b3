"""The SOQL subset the emulator understands.

``SELECT f1, f2 FROM Object [WHERE field op value [AND ...]] [ORDER BY field [ASC|DESC]]
[LIMIT n]`` with ``op`` in ``= != < <= > >=`` and values that are quoted strings (with SOQL
escapes), numbers, ``true``/``false``/``null`` or unquoted datetime / date literals.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_QUERY = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<obj>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?"
    r"(?:\s+ORDER\s+BY\s+(?P<order>\w+)(?:\s+(?P<dir>ASC|DESC))?)?"
    r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_COND = re.compile(
    r"\s*(?P<field>\w+)\s*(?P<op>!=|<=|>=|=|<|>)\s*"
    r"(?P<value>'(?:[^'\\]|\\.)*'|[^\s']+)\s*(?:AND\s+|$)",
    re.IGNORECASE,
)
_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}


class SoqlError(ValueError):
    """A query outside the supported subset (answered as MALFORMED_QUERY)."""


@dataclass
class Query:
    """A parsed query."""

    fields: list[str]
    obj: str
    where: list[tuple[str, str, Any]]
    order_by: str | None
    descending: bool
    limit: int | None


def _value(text: str) -> Any:
    if text.startswith("'"):
        body = text[1:-1]
        return re.sub(r"\\(.)", lambda m: _UNESCAPE.get(m.group(1), m.group(1)), body)
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "null":
        return None
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text)
    return parse_time(text)


@functools.lru_cache(maxsize=1 << 20)
def parse_time(text: str) -> datetime:
    """Parse a SOQL datetime or date literal / a stored Salesforce timestamp (memoised: the
    emulator compares every stored SystemModstamp on each incremental query)."""
    cleaned = text.replace("Z", "+00:00")
    cleaned = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", cleaned)
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError as err:
        raise SoqlError(f"bad literal {text!r}") from err
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse(text: str) -> Query:
    """Parse ``text`` or raise :class:`SoqlError`."""
    match = _QUERY.match(text)
    if not match:
        raise SoqlError("unsupported query")
    fields = [f.strip() for f in match.group("fields").split(",")]
    where: list[tuple[str, str, Any]] = []
    clause = match.group("where")
    if clause:
        pos = 0
        for cond in _COND.finditer(clause):
            if cond.start() != pos:
                raise SoqlError("unsupported WHERE clause")
            where.append((cond.group("field"), cond.group("op"), _value(cond.group("value"))))
            pos = cond.end()
        if pos != len(clause):
            raise SoqlError("unsupported WHERE clause")
    limit = match.group("limit")
    return Query(
        fields,
        match.group("obj"),
        where,
        match.group("order"),
        (match.group("dir") or "").upper() == "DESC",
        int(limit) if limit else None,
    )


def _compare(left: Any, op: str, right: Any) -> bool:
    if isinstance(right, datetime) and left is not None:
        left = parse_time(str(left))
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if left is None or right is None:
        return False
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def matches(record: dict[str, Any], where: list[tuple[str, str, Any]]) -> bool:
    """True when ``record`` satisfies every condition."""
    return all(_compare(record.get(f), op, v) for f, op, v in where)
