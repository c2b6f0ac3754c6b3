"""Dynamics 365 / Dataverse source: opportunities, leads, accounts, contacts, users and activities.

Authenticates with msal client credentials and reads the Dataverse Web API (OData v4) with requests
(see :mod:`connectors.dynamics.source`).
"""

from connectors.dynamics.source import DynamicsSource

__all__ = ["DynamicsSource"]
