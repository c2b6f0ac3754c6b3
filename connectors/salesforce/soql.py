"""Building SOQL only from described field names, with escaped literal values.

Field and object names are never taken from user text directly: :func:`select` refuses any name
that is not in the object's describe (``UnknownFieldError``), so a mapping typo is reported
before a request is made and nothing can be injected into the query. Values go through
:func:`literal`, which quotes and escapes strings as the SOQL reference specifies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from connectors.common.cursors import format_ts
from connectors.common.errors import UnknownFieldError

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
OPERATORS = ("=", "!=", "<", "<=", ">", ">=")


def literal(value: object) -> str:
    """``value`` as a SOQL literal: quoted escaped string, number, boolean, null or datetime."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return format_ts(value)
    if isinstance(value, date):
        return value.isoformat()
    text = "".join(_ESCAPES.get(ch, ch) for ch in str(value))
    return f"'{text}'"


def _check(obj: str, names: Iterable[str], described: set[str]) -> list[str]:
    checked = []
    for name in names:
        if name not in described or not _NAME.match(name):
            raise UnknownFieldError(
                f"Salesforce object {obj} has no field {name!r} visible to the connected user; "
                "check the API name (custom fields end in __c) and its field-level security",
                "Salesforce",
            )
        checked.append(name)
    return checked


def select(
    obj: str,
    fields: Sequence[str],
    described: set[str],
    where: Sequence[tuple[str, str, object]] = (),
    order_by: str | None = None,
) -> str:
    """``SELECT fields FROM obj [WHERE f op v AND ...] [ORDER BY f]`` from described names."""
    if not _NAME.match(obj):
        raise UnknownFieldError(f"{obj!r} is not a Salesforce object name", "Salesforce")
    names = _check(obj, fields, described)
    text = f"SELECT {', '.join(names)} FROM {obj}"
    clauses = []
    for field, op, value in where:
        if op not in OPERATORS:
            raise ValueError(f"unsupported SOQL operator {op!r}")
        (name,) = _check(obj, [field], described)
        clauses.append(f"{name} {op} {literal(value)}")
    if clauses:
        text += " WHERE " + " AND ".join(clauses)
    if order_by:
        (name,) = _check(obj, [order_by], described)
        text += f" ORDER BY {name}"
    return text
