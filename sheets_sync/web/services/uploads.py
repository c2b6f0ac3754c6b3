"""Files a user uploads for their file connections (CSV or XLSX, size-limited).

Files land in the user's own upload folder (``<data dir>/uploads/<user id>``), which is the
only folder a ``file`` connection reads. Names are reduced to a safe base name, so an upload
can never write outside that folder; an existing file of the same name is replaced atomically.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import IO

from sheets_sync.web.services.errors import InvalidInput, ServiceError

ALLOWED_SUFFIXES = (".csv", ".xlsx")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
CHUNK_BYTES = 64 * 1024


class TooLarge(ServiceError):
    """An uploaded file is over the per-file limit."""

    status = 413
    code = "file_too_large"


def safe_name(filename: str) -> str:
    """A base name without folders or odd characters; refuses anything but CSV and XLSX."""
    base = _SAFE.sub("_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip("._")
    if not base or Path(base).suffix.lower() not in ALLOWED_SUFFIXES:
        raise InvalidInput(
            f"{filename!r} cannot be uploaded: send a .csv or .xlsx file.", "invalid_file_type"
        )
    return base


def save_upload(
    upload_dir: Path, filename: str, stream: IO[bytes], max_bytes: int
) -> tuple[str, int]:
    """Store ``stream`` as ``filename`` in ``upload_dir``; returns (stored name, size)."""
    name = safe_name(filename)
    upload_dir.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=upload_dir, prefix=".upload-")
    size = 0
    try:
        with os.fdopen(fd, "wb") as handle:
            while chunk := stream.read(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(
                        f"{name} is larger than {max_bytes // (1024 * 1024) or 1} MB; upload a "
                        "smaller export (filter the rows or columns)."
                    )
                handle.write(chunk)
        if name.lower().endswith(".xlsx") and not _is_zip(Path(temp)):
            raise InvalidInput(f"{name} is not an .xlsx workbook.", "invalid_file_type")
        os.replace(temp, upload_dir / name)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return name, size


def list_uploads(upload_dir: Path) -> list[tuple[str, int]]:
    """The user's uploaded files (name, size), by name."""
    if not upload_dir.is_dir():
        return []
    return [
        (p.name, p.stat().st_size)
        for p in sorted(upload_dir.iterdir())
        if p.is_file() and not p.name.startswith(".")
    ]


def _is_zip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"PK\x03\x04"
