"""Tab names that both Excel and Google Sheets accept.

Excel is the stricter of the two: at most 31 characters, none of ``[ ] : * ? / \\``, not starting
or ending with an apostrophe, and unique regardless of case.
"""

from __future__ import annotations

import re

MAX_TAB_NAME = 31
STATUS_TAB_NAME = "Sync status"
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def tab_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid tab name, or ``None`` when it is."""
    if not name.strip():
        return "tab name is empty"
    if len(name) > MAX_TAB_NAME:
        return f"tab name {name!r} is {len(name)} characters long; the limit is {MAX_TAB_NAME}"
    bad = sorted(set(_FORBIDDEN.findall(name)))
    if bad:
        return f"tab name {name!r} contains {' '.join(bad)}; remove [ ] : * ? / \\"
    if name.startswith("'") or name.endswith("'"):
        return f"tab name {name!r} starts or ends with an apostrophe"
    return None


def safe_tab_name(name: str, taken: set[str]) -> str:
    """``name`` made valid and unique (case-insensitively) among ``taken``, which it joins."""
    cleaned = " ".join(_FORBIDDEN.sub(" ", name).split()).strip("'").strip() or "Sheet"
    cleaned = cleaned[:MAX_TAB_NAME]
    candidate, n = cleaned, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate = cleaned[: MAX_TAB_NAME - len(suffix)] + suffix
        n += 1
    taken.add(candidate.lower())
    return candidate
