"""Salesforce connector (type ``salesforce``): see :mod:`connectors.salesforce.source`."""

from connectors.salesforce.source import SalesforceSource

__all__ = ["SalesforceSource"]
