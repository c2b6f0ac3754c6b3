"""Request and response bodies of the sidebar API, as pydantic models.

The handlers validate requests and build responses with these models, and the OpenAPI document
takes its schemas from them, so the document cannot drift from what the API does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    """What went wrong: a stable code for programs and a message for people."""

    code: str
    message: str


class ErrorBody(BaseModel):
    """Every error response."""

    error: ErrorDetail


class Me(BaseModel):
    """The signed-in user."""

    id: str
    email: str


class TabPreview(BaseModel):
    """One tab a template creates."""

    name: str
    kind: str


class MetricPreview(BaseModel):
    """One KPI a template shows."""

    id: str
    label: str
    family: str


class TemplateOut(BaseModel):
    """A gallery entry: who the template is for, what it answers, what it contains."""

    id: str
    name: str
    use_case: str
    audience: str
    cadence: str
    tabs: list[TabPreview]
    metrics: list[MetricPreview]


class TemplateList(BaseModel):
    """The template gallery."""

    templates: list[TemplateOut]


class ConnectionIn(_In):
    """A new connection; ``secrets`` are stored encrypted and never returned."""

    type: str = Field(description="demo, file, salesforce, hubspot, dynamics or sheets")
    name: str = Field(description="Short source name: lowercase letters, digits, - and _.")
    label: str | None = Field(default=None, max_length=200)
    options: dict[str, Any] = Field(default_factory=dict)
    secrets: dict[str, str] = Field(default_factory=dict)


class ConnectionPatch(_In):
    """Changes to a connection; a secret set to null is removed."""

    label: str | None = Field(default=None, max_length=200)
    options: dict[str, Any] | None = None
    secrets: dict[str, str | None] | None = None


class ConnectionOut(BaseModel):
    """A connection as the sidebar sees it: options and the names of stored secrets."""

    id: str
    type: str
    name: str
    label: str
    options: dict[str, Any]
    secret_names: list[str]
    created_at: datetime
    updated_at: datetime


class ConnectionList(BaseModel):
    """The user's connections."""

    connections: list[ConnectionOut]


class CheckOut(BaseModel):
    """The outcome of a connection test."""

    ok: bool
    message: str
    missing: list[str]


class ReportIn(_In):
    """Bind a spreadsheet to a template and connections."""

    spreadsheet_id: str
    template_id: str
    connection_ids: list[str] = Field(min_length=1)
    title: str | None = Field(default=None, max_length=200)
    settings: dict[str, Any] = Field(
        default_factory=dict,
        description="The report: keys of a refresh config (timezone, date_range, currency...).",
    )


class ReportPatch(_In):
    """Changes to a report (omitted fields stay as they are)."""

    template_id: str | None = None
    connection_ids: list[str] | None = Field(default=None, min_length=1)
    title: str | None = Field(default=None, max_length=200)
    settings: dict[str, Any] | None = None


class ReportOut(BaseModel):
    """A report."""

    id: str
    spreadsheet_id: str
    template_id: str
    title: str
    connection_ids: list[str]
    settings: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ReportList(BaseModel):
    """The user's reports."""

    reports: list[ReportOut]


class Progress(BaseModel):
    """Where a running refresh is."""

    step: str | None
    done: int
    total: int | None


class Requests(BaseModel):
    """API requests a refresh made: to the sources and to the destination."""

    source: int
    write: int


class RunOut(BaseModel):
    """A refresh: queued, running, succeeded or failed."""

    id: str
    report_id: str
    trigger: str
    status: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    seconds: float | None
    progress: Progress
    row_counts: dict[str, dict[str, int]]
    requests: Requests
    warnings: int
    location: str | None
    error: ErrorDetail | None


class RunList(BaseModel):
    """A report's refresh history, newest first."""

    runs: list[RunOut]
