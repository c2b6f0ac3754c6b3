"""The template gallery: what each bundled template is for and what it contains."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sheets_sync.metrics.catalogue import Catalogue, load_catalogue
from sheets_sync.templates import Template, list_templates
from sheets_sync.web.services.errors import NotFound


@dataclass(frozen=True)
class Gallery:
    """The bundled templates and metric catalogue, loaded once per app (they never change)."""

    templates: dict[str, Template]
    catalogue: Catalogue

    @classmethod
    def load(cls) -> Gallery:
        """Load every bundled template and the built-in metric catalogue."""
        return cls({t.id: t for t in list_templates()}, load_catalogue())

    def entries(self, audience: str | None = None, cadence: str | None = None) -> list[dict]:
        """Gallery entries, optionally only those for one audience and/or cadence."""
        return [
            self.describe(t)
            for t in self.templates.values()
            if (audience is None or t.audience == audience)
            and (cadence is None or t.cadence == cadence)
        ]

    def get(self, template_id: str) -> Template:
        """The template ``template_id`` or :class:`NotFound` listing the ones that exist."""
        template = self.templates.get(template_id)
        if template is None:
            raise NotFound(
                f"There is no template {template_id!r}; choose one of "
                f"{', '.join(sorted(self.templates))}.",
                "template_not_found",
            )
        return template

    def describe(self, template: Template) -> dict[str, Any]:
        """Audience, use case, and a preview of the tabs and metrics of ``template``."""
        metrics = []
        for metric_id in template.metric_ids():
            metric = self.catalogue.get(metric_id)
            metrics.append({"id": metric.id, "label": metric.label, "family": metric.family})
        return {
            "id": template.id,
            "name": template.name,
            "use_case": template.description,
            "audience": template.audience,
            "cadence": template.cadence,
            "tabs": [{"name": tab.name, "kind": tab.kind} for tab in template.tabs],
            "metrics": metrics,
        }
