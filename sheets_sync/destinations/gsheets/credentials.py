"""Credentials the destination runs as: a user's OAuth token or a service account.

Running as each user (their OAuth credentials) spends that user's Sheets quota and sees only the
files they can open; a service account is for self-hosted single-tenant setups.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import google.auth.credentials
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from sheets_sync.errors import ConfigError

SCOPES = (
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/drive.file",
)


def load_credentials(
    info: Mapping[str, Any] | str | Path, scopes: Sequence[str] = SCOPES
) -> google.auth.credentials.Credentials:
    """Build credentials from a JSON file path or an already parsed mapping.

    A mapping with ``"type": "service_account"`` gives service-account credentials; one with
    ``refresh_token`` (``"type": "authorized_user"``) or an access ``token`` gives user
    credentials. Secrets are never echoed in error messages.
    """
    if isinstance(info, (str, Path)):
        path = Path(info)
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as err:
            raise ConfigError(f"Google credentials file {path} does not exist") from err
        except json.JSONDecodeError as err:
            raise ConfigError(f"Google credentials file {path} is not valid JSON") from err
    if not isinstance(info, Mapping):
        raise ConfigError("Google credentials must be a JSON object")
    kind = info.get("type")
    try:
        if kind == "service_account":
            return service_account.Credentials.from_service_account_info(  # type: ignore[no-any-return]
                dict(info), scopes=list(scopes)
            )
        if kind == "authorized_user" or "refresh_token" in info:
            return user_credentials.Credentials.from_authorized_user_info(
                dict(info), scopes=list(scopes)
            )
        if info.get("token"):
            return user_credentials.Credentials(
                token=info["token"], token_uri=info.get("token_uri"), scopes=list(scopes)
            )
    except (ValueError, KeyError) as err:
        raise ConfigError(
            f"Google {kind or 'user'} credentials are incomplete: {type(err).__name__}; "
            "download them again from the Google Cloud console"
        ) from err
    raise ConfigError(
        "Google credentials need 'type': 'service_account' or 'authorized_user' "
        "(with client_id, client_secret and refresh_token)"
    )
