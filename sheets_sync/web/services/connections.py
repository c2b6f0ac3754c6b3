"""A user's data-source connections: create, list, read, update, delete and test.

Options (size, mapping...) are stored as JSON; credentials go to ``secrets`` and are stored only
encrypted, never returned by the API (the API shows which secret names are set). ``demo`` and
``file`` connections are validated by building their connector; other types (Salesforce,
HubSpot, Dynamics, Sheets) are stored as given until their sign-in flows exist.

A ``file`` connection reads only from the user's own upload folder: its mapping must be inline
and every path in it relative, so one user cannot point the service at another user's files or
at the server's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.base import CheckResult, Source
from connectors.registry import build_source, known_types
from sheets_sync.db.models import Connection, Report, ReportConnection
from sheets_sync.errors import SheetsSyncError
from sheets_sync.secrets import KeyRing
from sheets_sync.web.services.errors import Conflict, InvalidInput, NotFound

VALIDATED_TYPES = ("demo", "file")
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


def user_upload_dir(data_dir: Path, user_id: str) -> Path:
    """The folder a user's uploaded files live in (file connections read only from here)."""
    return data_dir / "uploads" / user_id


def get_connection(session: Session, user_id: str, connection_id: str) -> Connection:
    """The user's connection ``connection_id``, or :class:`NotFound`."""
    connection = session.scalar(
        select(Connection).where(Connection.id == connection_id, Connection.user_id == user_id)
    )
    if connection is None:
        raise NotFound("This connection does not exist or was deleted.", "connection_not_found")
    return connection


def list_connections(session: Session, user_id: str) -> list[Connection]:
    """The user's connections, oldest first."""
    return list(
        session.scalars(
            select(Connection)
            .where(Connection.user_id == user_id)
            .order_by(Connection.created_at, Connection.id)
        )
    )


def secret_names(keyring: KeyRing, connection: Connection) -> list[str]:
    """Which secrets a connection has stored (names only)."""
    if not connection.secrets_encrypted:
        return []
    return sorted(keyring.decrypt_json(connection.secrets_encrypted))


def create_connection(
    session: Session,
    keyring: KeyRing,
    user_id: str,
    upload_dir: Path,
    *,
    type: str,
    name: str,
    label: str | None = None,
    options: Mapping[str, Any] | None = None,
    secrets: Mapping[str, str] | None = None,
) -> Connection:
    """Validate and store a new connection; its name must be unique for the user."""
    options = dict(options or {})
    _check_name(name)
    _check_type(type)
    _validate(type, name, options, upload_dir)
    connection = Connection(
        user_id=user_id,
        type=type,
        name=name,
        label=label or name,
        options=options,
        secrets_encrypted=keyring.encrypt_json(dict(secrets)) if secrets else None,
    )
    session.add(connection)
    _flush_unique(session, name)
    return connection


def update_connection(
    session: Session,
    keyring: KeyRing,
    user_id: str,
    connection_id: str,
    upload_dir: Path,
    *,
    label: str | None = None,
    options: Mapping[str, Any] | None = None,
    secrets: Mapping[str, str | None] | None = None,
) -> Connection:
    """Rename a connection, replace its options, or set / remove secrets (``None`` removes)."""
    connection = get_connection(session, user_id, connection_id)
    if label is not None:
        connection.label = label
    if options is not None:
        _validate(connection.type, connection.name, dict(options), upload_dir)
        connection.options = dict(options)
    if secrets is not None:
        current = (
            keyring.decrypt_json(connection.secrets_encrypted)
            if connection.secrets_encrypted
            else {}
        )
        for key, value in secrets.items():
            if value is None:
                current.pop(key, None)
            else:
                current[key] = value
        connection.secrets_encrypted = keyring.encrypt_json(current) if current else None
    session.flush()
    return connection


def delete_connection(session: Session, user_id: str, connection_id: str) -> None:
    """Delete a connection no report reads; otherwise :class:`Conflict` names the reports."""
    connection = get_connection(session, user_id, connection_id)
    titles = session.scalars(
        select(Report.title)
        .join(ReportConnection, ReportConnection.report_id == Report.id)
        .where(ReportConnection.connection_id == connection.id, Report.user_id == user_id)
        .order_by(Report.title)
    ).all()
    if titles:
        raise Conflict(
            f"This connection is used by {', '.join(repr(t) for t in titles)}; "
            "remove it from those reports first.",
            "connection_in_use",
        )
    session.delete(connection)
    session.flush()


def source_options(keyring: KeyRing, connection: Connection) -> dict[str, Any]:
    """The connector options of ``connection`` with its secrets decrypted in (memory only)."""
    options = dict(connection.options)
    if connection.secrets_encrypted:
        options.update(keyring.decrypt_json(connection.secrets_encrypted))
    return options


def build_connection_source(keyring: KeyRing, connection: Connection, upload_dir: Path) -> Source:
    """The connector for ``connection``, ready to read or to check."""
    options = source_options(keyring, connection)
    base_dir = str(upload_dir) if connection.type == "file" else None
    return build_source(connection.type, connection.name, options, base_dir)


def check_connection(
    session: Session, keyring: KeyRing, user_id: str, connection_id: str, upload_dir: Path
) -> CheckResult:
    """Run the connector's own connection test (credentials, permissions, files present)."""
    connection = get_connection(session, user_id, connection_id)
    try:
        return build_connection_source(keyring, connection, upload_dir).check()
    except SheetsSyncError as err:
        return CheckResult(False, str(err))


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise InvalidInput(
            f"{name!r} is not a valid connection name: use up to 32 lowercase letters, digits, "
            "- and _, starting with a letter.",
            "invalid_name",
        )


def _check_type(type_name: str) -> None:
    if type_name not in known_types():
        raise InvalidInput(
            f"Unknown connection type {type_name!r}; choose one of {', '.join(known_types())}.",
            "invalid_type",
        )


def _validate(type_name: str, name: str, options: dict[str, Any], upload_dir: Path) -> None:
    if type_name not in VALIDATED_TYPES:
        return
    if type_name == "file":
        _check_file_paths(options)
    try:
        build_source(type_name, name, options, str(upload_dir) if type_name == "file" else None)
    except SheetsSyncError as err:
        raise InvalidInput(str(err), "invalid_options") from None


def _check_file_paths(options: Mapping[str, Any]) -> None:
    if "base_dir" in options:
        raise InvalidInput("A file connection cannot set base_dir.", "invalid_options")
    if not isinstance(options.get("mapping"), Mapping):
        raise InvalidInput(
            "A file connection needs its mapping inline (a JSON object with files and tables).",
            "invalid_options",
        )
    files = options["mapping"].get("files") or {}
    paths = [("data_dir", options.get("data_dir"))]
    if isinstance(files, Mapping):
        paths += [
            (f"mapping.files.{key}.path", spec.get("path"))
            for key, spec in files.items()
            if isinstance(spec, Mapping)
        ]
    for where, value in paths:
        if value is None:
            continue
        path = PurePosixPath(str(value).replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", str(value)):
            raise InvalidInput(
                f"{where}: {value!r} must be a path inside your uploaded files "
                "(relative, without ..).",
                "invalid_options",
            )


def _flush_unique(session: Session, name: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"You already have a connection named {name!r}; choose another name.",
            "connection_name_taken",
        ) from None
