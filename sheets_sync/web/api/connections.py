"""Connection endpoints: list, create, read, update, delete, test."""

from __future__ import annotations

from flask import Response, current_app

from sheets_sync.db.models import Connection
from sheets_sync.web.api import bp
from sheets_sync.web.api.body import parse, send
from sheets_sync.web.api.schemas import (
    CheckOut,
    ConnectionIn,
    ConnectionList,
    ConnectionOut,
    ConnectionPatch,
)
from sheets_sync.web.auth import current_user_id
from sheets_sync.web.extensions import db, keys
from sheets_sync.web.services import connections as service
from sheets_sync.web.services.oauth_crm import revoke_connection_options


def _upload_dir():
    return service.user_upload_dir(current_app.config["SHEETS_SYNC"].data_dir, current_user_id())


def _out(connection: Connection) -> ConnectionOut:
    return ConnectionOut(
        id=connection.id,
        type=connection.type,
        name=connection.name,
        label=connection.label,
        options=connection.options,
        secret_names=service.secret_names(keys.ring, connection),
        created_at=connection.created_at,
        updated_at=connection.updated_at,
    )


@bp.get("/connections")
def list_connections() -> tuple[Response, int]:
    """The user's connections."""
    found = service.list_connections(db.session, current_user_id())
    return send(ConnectionList(connections=[_out(c) for c in found]))


@bp.post("/connections")
def create_connection() -> tuple[Response, int]:
    """Create a connection."""
    body = parse(ConnectionIn)
    connection = service.create_connection(
        db.session,
        keys.ring,
        current_user_id(),
        _upload_dir(),
        type=body.type,
        name=body.name,
        label=body.label,
        options=body.options,
        secrets=body.secrets,
    )
    db.session.commit()
    return send(_out(connection), 201)


@bp.get("/connections/<connection_id>")
def get_connection(connection_id: str) -> tuple[Response, int]:
    """One connection."""
    return send(_out(service.get_connection(db.session, current_user_id(), connection_id)))


@bp.patch("/connections/<connection_id>")
def update_connection(connection_id: str) -> tuple[Response, int]:
    """Rename a connection, change its options, set or remove secrets."""
    body = parse(ConnectionPatch)
    connection = service.update_connection(
        db.session,
        keys.ring,
        current_user_id(),
        connection_id,
        _upload_dir(),
        label=body.label,
        options=body.options,
        secrets=body.secrets,
    )
    db.session.commit()
    return send(_out(connection))


@bp.delete("/connections/<connection_id>")
def delete_connection(connection_id: str) -> tuple[str, int]:
    """Delete a connection that no report uses, revoking its OAuth token where the vendor can."""
    connection = service.get_connection(db.session, current_user_id(), connection_id)
    settings = current_app.config["SHEETS_SYNC"]
    options = service.source_options(keys.ring, connection)
    service.delete_connection(db.session, current_user_id(), connection_id)
    db.session.commit()
    # After the commit: a refused delete (connection in use) must not revoke anything.
    revoke_connection_options(settings, connection.type, options)
    return "", 204


@bp.post("/connections/<connection_id>/test")
def test_connection(connection_id: str) -> tuple[Response, int]:
    """Check the connection's credentials, permissions or files, without reading data."""
    outcome = service.check_connection(
        db.session, keys.ring, current_user_id(), connection_id, _upload_dir()
    )
    return send(CheckOut(ok=outcome.ok, message=outcome.message, missing=list(outcome.missing)))
