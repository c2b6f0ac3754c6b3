"""HubSpot CRM v3 source: deals, contacts, companies, owners, engagements and tickets.

Pulls through the official hubspot-api-client, full pulls with the list endpoints and
incremental pulls with the search endpoint on the last-modified property (see
:mod:`connectors.hubspot.source`).
"""

from connectors.hubspot.source import HubSpotSource

__all__ = ["HubSpotSource"]
