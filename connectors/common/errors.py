"""Typed errors every connector raises, all :class:`~sheets_sync.errors.SourceError`.

Each message is one line that names the service and tells the user what to fix. Messages never
contain tokens, passwords or full URLs with query strings: they name the host and path only.
:func:`error_for_status` is the generic 4xx mapping; connectors refine it with the vendor's error
codes (e.g. Salesforce ``INVALID_FIELD`` -> :class:`UnknownFieldError`).
"""

from __future__ import annotations

from sheets_sync.errors import SourceError


class ConnectorError(SourceError):
    """Base of connector errors; ``service`` names the API, ``status`` the HTTP status if any."""

    def __init__(self, message: str, service: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.service = service
        self.status = status


class CredentialsError(ConnectorError):
    """The credentials were refused or expired (401, ``invalid_grant``): reconnect the account."""


class PermissionDeniedError(ConnectorError):
    """The connected user lacks a permission or object access (403)."""


class UnknownFieldError(ConnectorError):
    """A mapped field or object does not exist in the connected account."""


class QuotaExceededError(ConnectorError):
    """A quota that retrying cannot fix was reached (daily API allocation, long Retry-After)."""


class RetriesExhaustedError(ConnectorError):
    """A transient failure (429, 5xx, timeout) persisted through every allowed retry."""


class MalformedResponseError(ConnectorError):
    """The API answered with a body that is truncated or not shaped as documented."""


class TransportSecurityError(ConnectorError):
    """The server's TLS certificate could not be verified; retrying cannot help."""


class RequestRejectedError(ConnectorError):
    """Any other 4xx: the request itself is wrong; the message carries the vendor's reason."""


def error_for_status(service: str, status: int, where: str, detail: str = "") -> ConnectorError:
    """Return the typed error for a non-retryable HTTP ``status`` answered at ``where``.

    ``where`` is ``"METHOD host/path"`` (no query string); ``detail`` is the vendor's own short
    error text, appended so the user sees the reason the API gave.
    """
    reason = f": {detail}" if detail else ""
    if status == 401:
        return CredentialsError(
            f"{service} refused the credentials (401 at {where}){reason}; "
            "the grant or session expired or was revoked: reconnect the account",
            service,
            status,
        )
    if status == 403:
        return PermissionDeniedError(
            f"{service} denied access (403 at {where}){reason}; give the connected user "
            "the missing permission or object access",
            service,
            status,
        )
    if status == 404:
        return UnknownFieldError(
            f"{service} has no such resource (404 at {where}){reason}; check the object or "
            "field names in the source's mapping",
            service,
            status,
        )
    return RequestRejectedError(
        f"{service} rejected the request ({status} at {where}){reason}", service, status
    )
