"""Request and response bodies of the OAuth, Google-authorisation, copy and upload endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sheets_sync.web.api.schemas import ReportOut


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AuthorizeIn(_In):
    """Start an OAuth flow: Google (no fields), or a new or existing CRM connection."""

    name: str | None = Field(
        default=None, description="Source name of the new connection (Salesforce, HubSpot)."
    )
    label: str | None = Field(default=None, max_length=200)
    connection_id: str | None = Field(
        default=None, description="Re-authorise this connection instead of creating one."
    )
    sandbox: bool = Field(default=False, description="Salesforce: sign in on the sandbox host.")
    options: dict[str, Any] = Field(
        default_factory=dict, description="Extra connector options (objects, custom fields...)."
    )


class AuthorizeOut(BaseModel):
    """The link to open in a new browser window; it works once, within ten minutes."""

    authorization_url: str
    expires_in: int


class GoogleAuthorizationOut(BaseModel):
    """Whether the service may write spreadsheets as the user, and with which scopes."""

    authorized: bool
    scopes: list[str]
    granted_at: str | None


class CopyIn(_In):
    """Create a spreadsheet from the path's template in the user's Drive, bound to connections."""

    connection_ids: list[str] = Field(min_length=1)
    title: str | None = Field(default=None, max_length=200)
    settings: dict[str, Any] = Field(default_factory=dict)


class CopyOut(BaseModel):
    """The new report and its spreadsheet's URL."""

    report: ReportOut
    url: str


class UploadOut(BaseModel):
    """A file stored in the user's upload folder (file connections read it by this name)."""

    path: str
    size: int


class UploadList(BaseModel):
    """The user's uploaded files."""

    files: list[UploadOut]
