"""OAuth callbacks blueprint, mounted at ``/oauth`` -- a placeholder for now.

This is where the Google web flow (offline access, ``drive.file``, state parameter and PKCE)
and the Salesforce and HubSpot flows will land: ``/oauth/<provider>/start`` redirects to the
provider and ``/oauth/<provider>/callback`` stores the encrypted tokens on the user or the
connection. Until then every route here answers 501 with a JSON error saying so.
"""

from __future__ import annotations

from flask import Blueprint, Response

from sheets_sync.web.errors import error_response

bp = Blueprint("oauth", __name__, url_prefix="/oauth")


@bp.route("/<provider>/start")
@bp.route("/<provider>/callback")
def not_yet(provider: str) -> tuple[Response, int]:
    """Answer that OAuth sign-in with ``provider`` is not available yet."""
    return error_response(
        501,
        "oauth_not_available",
        "Connecting an account through OAuth is not available yet; use a demo or file "
        "connection, or store a token on the connection.",
    )
