"""Committed sync cursors: where each source's next incremental read starts.

The refresh engine reads cursors before a refresh and commits the ones the sources proposed only
after the destination write succeeded, so a failed refresh re-reads the same changes next time.
:class:`FileCursorStore` keeps them in a JSON file replaced atomically; the service stores them
in its database through the same :class:`CursorStore` interface.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol


class CursorStore(Protocol):
    """Where committed cursors live, per source name and stream."""

    def load(self, source: str) -> dict[str, str]:
        """The committed cursors of ``source`` (stream name -> cursor value)."""
        ...

    def commit(self, cursors: Mapping[str, Mapping[str, str]]) -> None:
        """Commit new cursors for several sources at once."""
        ...


class MemoryCursorStore:
    """Cursors kept in memory (tests, one-off refreshes)."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, str]] = {}

    def load(self, source: str) -> dict[str, str]:
        """The committed cursors of ``source``."""
        return dict(self.data.get(source, {}))

    def commit(self, cursors: Mapping[str, Mapping[str, str]]) -> None:
        """Merge ``cursors`` into the store."""
        for source, values in cursors.items():
            self.data.setdefault(source, {}).update(values)


class FileCursorStore:
    """Cursors in ``<state_dir>/cursors.json``, rewritten atomically on commit."""

    def __init__(self, state_dir: Path) -> None:
        self.path = Path(state_dir) / "cursors.json"

    def _read(self) -> dict[str, dict[str, str]]:
        if not self.path.exists():
            return {}
        data = json.loads(self.path.read_text(encoding="utf-8"))
        return {str(k): {str(s): str(c) for s, c in v.items()} for k, v in data.items()}

    def load(self, source: str) -> dict[str, str]:
        """The committed cursors of ``source``."""
        return self._read().get(source, {})

    def commit(self, cursors: Mapping[str, Mapping[str, str]]) -> None:
        """Merge ``cursors`` into the file, replacing it atomically."""
        data = self._read()
        for source, values in cursors.items():
            data.setdefault(source, {}).update(values)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".cursors-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, sort_keys=True)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
