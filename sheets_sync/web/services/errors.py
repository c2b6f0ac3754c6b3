"""Errors the service functions raise; the API turns each into one HTTP status."""

from __future__ import annotations

from sheets_sync.errors import SheetsSyncError


class ServiceError(SheetsSyncError):
    """Base of service errors; ``code`` is machine-readable, the message is for the user."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code


class NotFound(ServiceError):
    """The resource does not exist or belongs to someone else (the two are indistinguishable)."""

    status = 404
    code = "not_found"


class Conflict(ServiceError):
    """The request clashes with the current state (a running refresh, a name in use)."""

    status = 409
    code = "conflict"


class InvalidInput(ServiceError):
    """The request is well-formed JSON but a value is not acceptable."""

    status = 422
    code = "invalid_input"
